// Package serdetest is an in-memory schema registry for tests that encode
// and decode the bank's records without a registry process.
package serdetest

import (
	"sync"

	"github.com/riferrei/srclient"

	"openbank/topology"
)

// Registry answers like a schema registry holding the bank's schemas,
// registered under their topic subjects, plus whatever a test adds.
type Registry struct {
	mu        sync.Mutex
	byID      map[int]string
	bySubject map[string]int
}

// NewRegistry holds the bank's schemas under the subjects the synchronizer
// registers.
func NewRegistry() *Registry {
	m := &Registry{byID: map[int]string{}, bySubject: map[string]int{}}
	for _, topic := range topology.Topics() {
		for _, r := range topic.Records {
			m.Add(topology.Subject(topic.Name, r), r.Schema().String())
		}
	}
	return m
}

// Add registers schema under subject and returns its new id.
func (m *Registry) Add(subject, schema string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := len(m.byID) + 1
	m.byID[id] = schema
	m.bySubject[subject+"\x00"+schema] = id
	return id
}

// GetSchema answers as the registry does for a schema id.
func (m *Registry) GetSchema(id int) (*srclient.Schema, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.byID[id]
	if !ok {
		return nil, srclient.Error{Code: 40403, Message: "Schema not found"}
	}
	return srclient.NewSchema(id, s, srclient.Avro, 1, nil, nil, nil)
}

// LookupSchema answers as the registry does for a subject and schema.
func (m *Registry) LookupSchema(subject, schema string, _ srclient.SchemaType, _ ...srclient.Reference) (*srclient.Schema, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.bySubject[subject+"\x00"+schema]
	if !ok {
		return nil, srclient.Error{Code: 40401, Message: "Subject not found"}
	}
	return srclient.NewSchema(id, schema, srclient.Avro, 1, nil, nil, nil)
}

// Empty is a registry that knows no schema.
func Empty() *Registry { return &Registry{byID: map[int]string{}, bySubject: map[string]int{}} }
