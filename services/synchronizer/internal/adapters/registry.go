package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/riferrei/srclient"

	"openbank/services/synchronizer/internal/reconcile"
	"openbank/topology/serde"
)

// Registry is a Confluent-compatible schema registry.
type Registry struct {
	client *serde.RegistryClient
	cfg    serde.RegistryConfig
	url    string
	http   *http.Client
}

// NewRegistry returns a registry client for c.
func NewRegistry(c serde.RegistryConfig) *Registry {
	return &Registry{client: serde.NewRegistry(c), cfg: c, url: strings.TrimRight(c.URL, "/"), http: &http.Client{Timeout: 10 * time.Second}}
}

// notFound says whether err is the registry's "no such subject / schema".
func notFound(err error) bool {
	var regErr srclient.Error
	return errors.As(err, &regErr) && regErr.Code/100 == http.StatusNotFound
}

// Lookup returns the id schema has under subject.
func (r *Registry) Lookup(_ context.Context, subject, schema string) (int, bool, error) {
	s, err := r.client.LookupSchema(subject, schema, srclient.Avro)
	if notFound(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look up schema: %w", err)
	}
	return s.ID(), true, nil
}

// HasSubject says whether subject has a version.
func (r *Registry) HasSubject(_ context.Context, subject string) (bool, error) {
	_, err := r.client.GetSchemaVersions(subject)
	if notFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("list versions: %w", err)
	}
	return true, nil
}

// Compatible asks the registry, verbosely, whether schema may follow the
// subject's versions. srclient has no verbose check, so this one call is made
// directly.
func (r *Registry) Compatible(ctx context.Context, subject, schema string) (bool, []string, error) {
	body, _ := json.Marshal(map[string]string{"schema": schema})
	u := fmt.Sprintf("%s/compatibility/subjects/%s/versions/latest?verbose=true", r.url, url.PathEscape(subject))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return false, nil, err
	}
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	if r.cfg.Username != "" {
		req.SetBasicAuth(r.cfg.Username, r.cfg.Password)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return false, nil, fmt.Errorf("check compatibility: %w", err)
	}
	defer resp.Body.Close()
	var answer struct {
		IsCompatible bool     `json:"is_compatible"`
		Messages     []string `json:"messages"`
		Message      string   `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return false, nil, fmt.Errorf("check compatibility: %s: %w", resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		return false, nil, fmt.Errorf("check compatibility: %s: %s", resp.Status, answer.Message)
	}
	return answer.IsCompatible, answer.Messages, nil
}

// Register adds schema as a new version of subject.
func (r *Registry) Register(_ context.Context, subject, schema string) (int, error) {
	s, err := r.client.CreateSchema(subject, schema, srclient.Avro)
	if err != nil {
		return 0, err
	}
	return s.ID(), nil
}

// WaitUntilAnswering polls the registry until it lists its subjects or timeout passes.
func (r *Registry) WaitUntilAnswering(ctx context.Context, timeout time.Duration) error {
	return waitUntil(ctx, timeout, func(context.Context) error {
		_, err := r.client.GetSubjects()
		return err
	})
}

var _ reconcile.Registry = (*Registry)(nil)
