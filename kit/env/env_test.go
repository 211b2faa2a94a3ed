package env

import (
	"strings"
	"testing"
	"time"
)

func TestReadersReadAndNameEveryBadVariable(t *testing.T) {
	e := FromMap(map[string]string{"A_PORT": "70000", "B": " yes ", "C_MS": "250", "D_MS": "60000", "E": "zstd", "F": "true"})
	if got := e.Int("A_PORT", 80, 1, 65535, "a port"); got != 80 {
		t.Errorf("out of range: %d, want the default", got)
	}
	if got := e.String("B", "", "text"); got != "yes" {
		t.Errorf("text %q, want it trimmed", got)
	}
	if got := e.Int("C_MS", 0, 0, 1000, "a wait"); got != 250 {
		t.Errorf("int %d", got)
	}
	if got := e.Millis("D_MS", time.Second, 0, time.Hour, "a duration"); got != time.Minute {
		t.Errorf("duration %s", got)
	}
	if got := e.OneOf("E", "lz4", []string{"none", "lz4"}, "a codec"); got != "lz4" {
		t.Errorf("not one of them: %q, want the default", got)
	}
	if !e.Bool("F", false, "a switch") || e.Bool("G", false, "unset") {
		t.Error("bools")
	}
	err := e.Err()
	if err == nil || !strings.Contains(err.Error(), `A_PORT="70000"`) || !strings.Contains(err.Error(), `E="zstd": want one of none, lz4`) {
		t.Fatalf("error %v, want one naming A_PORT and E", err)
	}
}

func TestReadsDeclareTheirSettings(t *testing.T) {
	e := FromMap(map[string]string{"TEST_DECLARED_MS": "5"})
	e.Int("TEST_DECLARED_MS", 200, 0, 60_000, "how long")
	e.OneOf("TEST_DECLARED_MODE", "on", []string{"on", "off"}, "a mode")
	e.String("TEST_DECLARED_ID", "", "an id")
	e.Check(true, "TEST_DECLARED_ID", "want letters")
	Declare(Setting{Name: "TEST_DECLARED_BY_HAND", Type: "integer", Default: "1", Doc: "read by someone else"})
	want := map[string]Setting{
		"TEST_DECLARED_MS":      {Type: "integer", Unit: "ms", Default: "200", Range: "0–60,000", Doc: "how long", Value: "5"},
		"TEST_DECLARED_MODE":    {Type: "text", Default: "on", Range: "on, off", Doc: "a mode", Value: "on"},
		"TEST_DECLARED_ID":      {Type: "text", Range: "letters", Doc: "an id"},
		"TEST_DECLARED_BY_HAND": {Type: "integer", Default: "1", Doc: "read by someone else", Value: "1"},
	}
	found := 0
	for _, s := range Settings() {
		w, ok := want[s.Name]
		if !ok {
			continue
		}
		found++
		if s.Package != "openbank/kit/env" {
			t.Errorf("%s: package %q, want the reader's caller's", s.Name, s.Package)
		}
		s.Name, s.Package = "", ""
		if s != w {
			t.Errorf("setting %+v, want %+v", s, w)
		}
	}
	if found != len(want) {
		t.Errorf("%d of %d settings declared", found, len(want))
	}
}

func TestKeysAndSecretsAreRequiredBoundedAndNeverShown(t *testing.T) {
	hex32 := strings.Repeat("ab", 32)
	e := FromMap(map[string]string{"K_HEX": hex32, "K_B64": "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"K_SHORT": "abcd", "K_BAD": "not a key!", "S_OK": "secret-token-0123456789", "S_SHORT": "abc", "S_SPACE": "has a space in it ok"})
	if k := e.Key("K_HEX", 32, "a key"); len(k) != 32 || k[0] != 0xab {
		t.Errorf("hex key %x", k)
	}
	if k := e.Key("K_B64", 32, "a key"); len(k) != 32 || k[0] != 0xab {
		t.Errorf("base64 key %x", k)
	}
	for _, name := range []string{"K_SHORT", "K_BAD", "K_UNSET"} {
		if k := e.Key(name, 32, "a key"); k != nil {
			t.Errorf("%s: %x, want none", name, k)
		}
	}
	if s := e.Secret("S_OK", 20, 64, true, "a secret"); s != "secret-token-0123456789" {
		t.Errorf("secret %q", s)
	}
	for _, name := range []string{"S_SHORT", "S_SPACE", "S_UNSET"} {
		if s := e.Secret(name, 20, 64, true, "a secret"); s != "" {
			t.Errorf("%s: %q, want none", name, s)
		}
	}
	if s := e.Secret("S_OPTIONAL", 20, 64, false, "a secret"); s != "" {
		t.Errorf("optional secret %q", s)
	}
	err := e.Err()
	if strings.Contains(err.Error(), "S_OPTIONAL") {
		t.Errorf("error %v names an optional secret that is unset", err)
	}
	for _, name := range []string{"K_SHORT", "K_BAD", "K_UNSET", "S_SHORT", "S_SPACE", "S_UNSET"} {
		if err == nil || !strings.Contains(err.Error(), name+"=") {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), "abcd") || strings.Contains(err.Error(), "not a key") || strings.Contains(err.Error(), "has a space") {
		t.Errorf("error %v shows a secret", err)
	}
	for _, s := range Settings() {
		if strings.HasPrefix(s.Name, "K_") || strings.HasPrefix(s.Name, "S_") {
			if s.Value != "" {
				t.Errorf("%s keeps its value %q", s.Name, s.Value)
			}
		}
	}
}

func TestHeadersAreParsedAndNeverShown(t *testing.T) {
	e := FromMap(map[string]string{"H": " Authorization = Basic%20dXNlcg== ,X-Scope-OrgID=bank,", "H_BAD": "Bad Name=secretvalue", "H_NOEQ": "token"})
	h := e.Headers("H", "headers")
	if len(h) != 2 || h["Authorization"] != "Basic dXNlcg==" || h["X-Scope-OrgID"] != "bank" {
		t.Errorf("headers %q", h)
	}
	if e.Headers("H_UNSET", "headers") != nil || e.Err() != nil {
		t.Errorf("unset: %v", e.Err())
	}
	if e.Headers("H_BAD", "headers") != nil || e.Headers("H_NOEQ", "headers") != nil {
		t.Error("malformed headers read")
	}
	err := e.Err()
	if err == nil || !strings.Contains(err.Error(), "H_BAD=") || !strings.Contains(err.Error(), "H_NOEQ=") || strings.Contains(err.Error(), "secretvalue") {
		t.Errorf("error %v, want H_BAD and H_NOEQ named without their values", err)
	}
	for _, s := range Settings() {
		if strings.HasPrefix(s.Name, "H") && s.Value != "" {
			t.Errorf("%s keeps its value %q", s.Name, s.Value)
		}
	}
}
