// Package records holds the Go types of the bank's Avro records. The types in
// records_gen.go are generated from ../../schemas/*.avsc; run `go generate` here
// after changing a schema.
package records

//go:generate sh -c "go run github.com/hamba/avro/v2/cmd/avrogen@v2.31.0 -pkg records -encoders -strict-types -initialisms IBAN -o records_gen.go ../../schemas/*.avsc"

// The values of the Atype enum (avrogen's enum types would be generated once per
// schema file that embeds Atype, so the field stays a string).
const (
	AtypeAuto   = "AUTO"
	AtypeManual = "MANUAL"
)
