// Package env reads a program's configuration from environment variables and
// collects every problem, so start-up stops with one message naming each bad
// variable with what it wants. Each read is also the variable's declaration:
// its name, type, default, range and a line saying what it is for, kept as a
// Setting, so a program can print the table of everything it reads
// (Settings) and docs/configuration.md is generated from those tables.
package env

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Env reads configuration from environment variables and collects every
// problem, so start-up can stop with one message naming each bad variable.
type Env struct {
	lookup func(string) (string, bool)
	errs   []error
}

// New reads the process environment.
func New() *Env { return &Env{lookup: os.LookupEnv} }

// FromMap reads from a map (tests).
func FromMap(vars map[string]string) *Env {
	return &Env{lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}
}

func (e *Env) get(name string) (string, bool) {
	v, ok := e.lookup(name)
	if !ok || strings.TrimSpace(v) == "" {
		return "", false
	}
	e.ran(name, strings.TrimSpace(v))
	return strings.TrimSpace(v), true
}

func (e *Env) fail(name, value, want string) {
	e.errs = append(e.errs, fmt.Errorf("%s=%q: %s", name, value, want))
}

// String returns the variable, or def when it is unset or empty; doc says
// what it is for (as do the other readers').
func (e *Env) String(name, def, doc string) string {
	e.declare(Setting{Name: name, Type: "text", Default: def, Doc: doc})

	if v, ok := e.get(name); ok {
		return v
	}
	return def
}

// Int returns the variable as an integer within [min, max], or def when unset.
func (e *Env) Int(name string, def, min, max int, doc string) int {
	e.declare(Setting{Name: name, Type: "integer", Default: strconv.Itoa(def), Range: intRange(min, max), Doc: doc})

	v, ok := e.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		e.fail(name, v, fmt.Sprintf("want a whole number from %d to %d", min, max))
		return def
	}
	return n
}

// Millis returns the variable, a whole number of milliseconds, as a
// duration within [min, max], or def when unset: every duration the bank
// reads is one, named *_MS, as Kafka's own settings (linger.ms) are.
func (e *Env) Millis(name string, def, min, max time.Duration, doc string) time.Duration {
	e.declare(Setting{Name: name, Type: "integer", Default: strconv.FormatInt(def.Milliseconds(), 10),
		Range: intRange(int(min.Milliseconds()), int(max.Milliseconds())), Doc: doc})
	v, ok := e.get(name)
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	d := time.Duration(n) * time.Millisecond
	if err != nil || d < min || d > max {
		e.fail(name, v, fmt.Sprintf("want a whole number of milliseconds from %d to %d", min.Milliseconds(), max.Milliseconds()))
		return def
	}
	return d
}

// Bool returns the variable as a boolean (true/false/1/0), or def when unset.
func (e *Env) Bool(name string, def bool, doc string) bool {
	e.declare(Setting{Name: name, Type: "boolean", Default: strconv.FormatBool(def), Doc: doc})

	v, ok := e.get(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(name, v, "want true or false")
		return def
	}
	return b
}

// OneOf returns the variable, which must be one of allowed, or def when
// unset ("" for def leaves the choice to whatever the value is handed to).
func (e *Env) OneOf(name, def string, allowed []string, doc string) string {
	e.declare(Setting{Name: name, Type: "text", Default: def, Range: strings.Join(allowed, ", "), Doc: doc})
	v, ok := e.get(name)
	if !ok {
		return def
	}
	if !slices.Contains(allowed, v) {
		e.fail(name, v, "want one of "+strings.Join(allowed, ", "))
		return def
	}
	return v
}

// File returns the variable, a path that must name a readable file, or "" when unset.
func (e *Env) File(name, doc string) string {
	e.declare(Setting{Name: name, Type: "file", Doc: doc})

	v, ok := e.get(name)
	if !ok {
		return ""
	}
	if f, err := os.Open(v); err != nil {
		e.fail(name, v, "want a readable file: "+err.Error())
	} else {
		_ = f.Close()
	}
	return v
}

// Check records a problem found by the caller's own validation; want, what
// a good value is, is also name's range in its Setting when it has none.
func (e *Env) Check(ok bool, name, want string) {
	e.constrain(name, strings.TrimPrefix(want, "want "))
	if !ok {
		v, _ := e.lookup(name)
		e.fail(name, v, want)
	}
}

// Err returns every problem found so far, or nil.
func (e *Env) Err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid configuration: %w", errors.Join(e.errs...))
}

// Key returns the variable, a secret key of at least minBytes bytes written
// in hex or base64 (standard or URL alphabet, padded or not); it is required:
// unset or invalid, start-up stops naming it. The value is never kept in the
// setting (it would show in the settings table).
func (e *Env) Key(name string, minBytes int, doc string) []byte {
	want := fmt.Sprintf("want a secret key of at least %d bytes in hex or base64 (e.g. openssl rand -hex %d)", minBytes, minBytes)
	e.declare(Setting{Name: name, Type: "key", Range: fmt.Sprintf("at least %d bytes, hex or base64; required", minBytes), Doc: doc})
	v, ok := e.lookup(name)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		e.fail(name, "", want)
		return nil
	}
	k := decodeKey(v)
	if len(k) < minBytes {
		e.fail(name, "(hidden)", want)
		return nil
	}
	return k
}

// decodeKey reads s as hex, else as base64; nil when it is neither.
func decodeKey(s string) []byte {
	if k, err := hex.DecodeString(s); err == nil {
		return k
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			return k
		}
	}
	return nil
}

// Secret returns the variable, a secret text of minLen to maxLen printable
// ASCII characters (no spaces), or "" when it is unset and not required
// (required and unset, start-up stops naming it); its value is never kept
// in the setting.
func (e *Env) Secret(name string, minLen, maxLen int, required bool, doc string) string {
	want := fmt.Sprintf("want a secret of %d to %d printable ASCII characters without spaces", minLen, maxLen)
	r := fmt.Sprintf("%d to %d characters", minLen, maxLen)
	if required {
		r += "; required"
	}
	e.declare(Setting{Name: name, Type: "secret", Range: r, Doc: doc})
	v, ok := e.lookup(name)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		if required {
			e.fail(name, "", want)
		}
		return ""
	}
	if len(v) < minLen || len(v) > maxLen || strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		e.fail(name, "(hidden)", want)
		return ""
	}
	return v
}

// Headers returns the variable as HTTP header fields written as
// comma-separated name=value pairs with URL-encoded values (the form of
// OTEL_EXPORTER_OTLP_HEADERS), or nil when unset. Headers often carry
// credentials, so the value is never kept in the setting nor shown in an error.
func (e *Env) Headers(name, doc string) map[string]string {
	const want = "want comma-separated name=value pairs: header names of letters, digits and !#$%&'*+-.^_`|~, values URL-encoded"
	e.declare(Setting{Name: name, Type: "secret", Range: "`name=value,…`", Doc: doc})
	v, ok := e.lookup(name)
	if !ok || strings.TrimSpace(v) == "" {
		return nil
	}
	out := map[string]string{}
	for _, pair := range strings.Split(v, ",") {
		if strings.TrimSpace(pair) == "" { // a trailing comma
			continue
		}
		k, raw, found := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		val, err := url.PathUnescape(raw)
		if !found || err != nil || !isToken(k) {
			e.fail(name, "(hidden)", want)
			return nil
		}
		out[k] = strings.TrimSpace(val)
	}
	return out
}

// isToken says whether s is an HTTP token (RFC 9110), as header names are.
func isToken(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool {
		return r > '~' || !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("!#$%&'*+-.^_`|~", r))
	}) < 0
}
