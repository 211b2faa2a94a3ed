// Package schemas holds the Avro schemas of the bank's records, one self-contained
// .avsc file per record, embedded so every module reads the same files.
package schemas

import "embed"

// Files holds the .avsc files, named after the record (Heartbeat.avsc, ...).
//
//go:embed *.avsc
var Files embed.FS
