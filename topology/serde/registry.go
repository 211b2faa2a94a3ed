package serde

import (
	"fmt"
	"slices"

	"github.com/hamba/avro/v2"
	"github.com/riferrei/srclient"
)

// RegistryConfig is where the schema registry is and who the client is there.
type RegistryConfig struct {
	URL string
	// Username and Password are sent as HTTP basic auth when Username is set.
	Username, Password string
}

// RegistryClient is the registry's client (riferrei/srclient) with a lookup
// that only reads: the registry's own lookup is a POST, which a registry
// with roles counts as a write, and only the synchronizer may write there
// (docs/security-limits.md#principals).
type RegistryClient struct {
	*srclient.SchemaRegistryClient
}

// NewRegistry returns a schema registry client for c. Codec creation is off:
// hamba/avro does the encoding.
func NewRegistry(c RegistryConfig) *RegistryClient {
	client := srclient.NewSchemaRegistryClient(c.URL)
	client.CodecCreationEnabled(false)
	if c.Username != "" {
		client.SetCredentials(c.Username, c.Password)
	}
	return &RegistryClient{client}
}

// LookupSchema returns the version of subject whose schema is schema, newest
// first, read with GET requests; an error with code 40403 when none is.
func (c *RegistryClient) LookupSchema(subject, schema string, _ srclient.SchemaType, _ ...srclient.Reference) (*srclient.Schema, error) {
	versions, err := c.GetSchemaVersions(subject)
	if err != nil {
		return nil, err
	}
	var want string // schema as hamba/avro writes it, parsed once when needed
	for _, v := range slices.Backward(versions) {
		found, err := c.GetSchemaByVersion(subject, v)
		if err != nil {
			return nil, fmt.Errorf("version %d: %w", v, err)
		}
		if found.Schema() == schema {
			return found, nil
		}
		if want == "" {
			parsed, err := avro.ParseWithCache(schema, "", &avro.SchemaCache{})
			if err != nil {
				return nil, fmt.Errorf("parse the schema to look up: %w", err)
			}
			want = parsed.String()
		}
		// The registry may keep the text in another spelling.
		if got, err := avro.ParseWithCache(found.Schema(), "", &avro.SchemaCache{}); err == nil && got.String() == want {
			return found, nil
		}
	}
	return nil, srclient.Error{Code: 40403, Message: "Schema not found"}
}
