// Package serde writes the bank's records in the Confluent wire format (a
// magic byte, the schema's registry id, Avro binary) and reads them back,
// checking each against the topics the topology puts it on. Avro (hamba/avro)
// and the schema registry client (riferrei/srclient) stay behind it, so
// either can be swapped without touching a service.
package serde

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"

	"github.com/hamba/avro/v2"
	"github.com/riferrei/srclient"

	"openbank/topology"
	"openbank/topology/records"
)

// The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, Avro binary.
const (
	wireMagic     = 0
	wireHeaderLen = 5
)

// Reasons a record cannot be decoded. They are wrapped in a *DecodeError.
var (
	ErrNotWireFormat  = errors.New("not in the Confluent wire format")
	ErrUnknownSchema  = errors.New("schema id unknown to the registry")
	ErrUnknownRecord  = errors.New("record type unknown to the bank")
	ErrUnexpectedType = errors.New("record type does not belong on this topic")
	ErrMalformedAvro  = errors.New("malformed Avro data")
)

// DecodeError says why bytes are not a record of the bank. Such bytes will never
// decode, so a consumer moves them aside (dead-letter topic) instead of retrying.
// Any other error from Decode is transient (the registry did not answer).
type DecodeError struct {
	Topic    string
	SchemaID int // 0 when the bytes had no schema id
	Err      error
}

func (e *DecodeError) Error() string {
	if e.SchemaID == 0 {
		return fmt.Sprintf("decode record from %s: %v", e.Topic, e.Err)
	}
	return fmt.Sprintf("decode record from %s with schema id %d: %v", e.Topic, e.SchemaID, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Registry is the part of the schema registry client the serde uses.
type Registry interface {
	GetSchema(schemaID int) (*srclient.Schema, error)
	LookupSchema(subject string, schema string, schemaType srclient.SchemaType, references ...srclient.Reference) (*srclient.Schema, error)
}

// writerSchema is what decoding needs to know about one schema id.
type writerSchema struct {
	recordType reflect.Type // the generated struct type
	schema     avro.Schema  // schema to decode with: ours, or ours resolved against the writer's
}

// Serde turns records into Confluent wire-format bytes and back. Schemas are
// looked up in the registry, never registered, and cached for the process's life
// (a schema id never changes meaning).
type Serde struct {
	registry Registry

	mu       sync.RWMutex
	subjects map[subjectOf]uint32  // schema id of our schema under the subject of a topic and record
	ids      map[int]*writerSchema // schema id -> how to decode it
}

// NewSerde returns a Serde that looks schemas up in registry.
func NewSerde(registry Registry) *Serde {
	return &Serde{registry: registry, subjects: map[subjectOf]uint32{}, ids: map[int]*writerSchema{}}
}

// Encode returns r in the wire format with the id its schema has under the
// topic's subject. It fails when that schema is not registered.
func (s *Serde) Encode(topic string, r records.Record) ([]byte, error) {
	id, err := s.schemaID(topic, r)
	if err != nil {
		return nil, err
	}
	w := writers.Get().(*avro.Writer)
	defer writers.Put(w)
	w.Reset(nil)
	w.Error = nil
	var header [wireHeaderLen]byte
	header[0] = wireMagic
	binary.BigEndian.PutUint32(header[1:], id)
	_, _ = w.Write(header[:]) // appends: the writer has no io.Writer
	w.WriteVal(r.Schema(), r)
	if w.Error != nil {
		return nil, fmt.Errorf("encode %s: %w", records.FullName(r), w.Error)
	}
	return bytes.Clone(w.Buffer()), nil
}

// writers encode records after their wire header in one buffer, which is
// copied once: a record costs one allocation.
var writers = sync.Pool{New: func() any { return avro.NewWriter(nil, 256) }}

// subjectOf keys the schema ids by what names a subject, so a record's
// encoding does not build the subject's name (an allocation per record).
type subjectOf struct{ topic, record string }

func (s *Serde) schemaID(topic string, r records.Record) (uint32, error) {
	key := subjectOf{topic, records.FullName(r)}
	s.mu.RLock()
	id, ok := s.subjects[key]
	s.mu.RUnlock()
	if ok {
		return id, nil
	}
	subject := topology.Subject(topic, r)
	found, err := s.registry.LookupSchema(subject, r.Schema().String(), srclient.Avro)
	if err != nil {
		return 0, fmt.Errorf("look up schema of subject %s (the synchronizer registers it): %w", subject, err)
	}
	s.mu.Lock()
	s.subjects[key] = uint32(found.ID())
	s.mu.Unlock()
	return uint32(found.ID()), nil
}

// Decode returns the record in data, read from topic. The record's type must be
// one the topology puts on that topic. A *DecodeError means the bytes can never
// be decoded; any other error is transient.
func (s *Serde) Decode(topic string, data []byte) (records.Record, error) {
	if len(data) < wireHeaderLen || data[0] != wireMagic {
		return nil, &DecodeError{Topic: topic, Err: ErrNotWireFormat}
	}
	id := int(binary.BigEndian.Uint32(data[1:wireHeaderLen]))
	ws, err := s.writer(topic, id)
	if err != nil {
		return nil, err
	}
	r := reflect.New(ws.recordType).Interface().(records.Record)
	if err := avro.Unmarshal(ws.schema, data[wireHeaderLen:], r); err != nil {
		return nil, &DecodeError{Topic: topic, SchemaID: id, Err: fmt.Errorf("%w: %v", ErrMalformedAvro, err)}
	}
	if !topology.Carries(topic, r) {
		return nil, &DecodeError{Topic: topic, SchemaID: id, Err: fmt.Errorf("%w: %s", ErrUnexpectedType, records.FullName(r))}
	}
	return r, nil
}

func (s *Serde) writer(topic string, id int) (*writerSchema, error) {
	s.mu.RLock()
	ws, ok := s.ids[id]
	s.mu.RUnlock()
	if ok {
		return ws, nil
	}
	found, err := s.registry.GetSchema(id)
	if err != nil {
		var regErr srclient.Error
		if errors.As(err, &regErr) && regErr.Code/100 == http.StatusNotFound {
			return nil, &DecodeError{Topic: topic, SchemaID: id, Err: ErrUnknownSchema}
		}
		return nil, fmt.Errorf("fetch schema id %d: %w", id, err)
	}
	writer, err := avro.ParseWithCache(found.Schema(), "", &avro.SchemaCache{})
	if err != nil {
		return nil, &DecodeError{Topic: topic, SchemaID: id, Err: fmt.Errorf("%w: registry schema does not parse: %v", ErrUnknownRecord, err)}
	}
	named, ok := writer.(avro.NamedSchema)
	if !ok {
		return nil, &DecodeError{Topic: topic, SchemaID: id, Err: fmt.Errorf("%w: schema is a %s", ErrUnknownRecord, writer.Type())}
	}
	ours, ok := records.New(named.FullName())
	if !ok {
		return nil, &DecodeError{Topic: topic, SchemaID: id, Err: fmt.Errorf("%w: %s", ErrUnknownRecord, named.FullName())}
	}
	readWith := ours.Schema()
	if writer.Fingerprint() != readWith.Fingerprint() {
		// Written with another version of the schema: decode through Avro schema resolution.
		readWith, err = avro.NewSchemaCompatibility().Resolve(ours.Schema(), writer)
		if err != nil {
			return nil, &DecodeError{Topic: topic, SchemaID: id, Err: fmt.Errorf("%w: writer schema cannot be read as ours: %v", ErrUnknownRecord, err)}
		}
	}
	ws = &writerSchema{recordType: reflect.TypeOf(ours).Elem(), schema: readWith}
	s.mu.Lock()
	s.ids[id] = ws
	s.mu.Unlock()
	return ws, nil
}
