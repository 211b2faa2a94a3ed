package env

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Setting is one variable a program reads, as its read declares it: what a
// row of docs/configuration.md shows.
type Setting struct {
	Name    string `json:"name"`
	Type    string `json:"type"` // text, integer, duration, boolean, file, key, secret
	Unit    string `json:"unit,omitempty"`
	Default string `json:"default,omitempty"` // empty: unset
	Range   string `json:"range,omitempty"`
	Doc     string `json:"doc"`
	// Value is what the program runs with: the value read, or the default.
	// It stays out of the JSON of `PROGRAM settings`, which declares.
	Value string `json:"-"`
	// Package is the import path of the code that reads it: a library's
	// settings (openbank/messaging's) are shared by every program using it;
	// "main" is the program's own.
	Package string `json:"package"`
}

// declared is every Setting this process has read, in the order first read.
var declared struct {
	sync.Mutex
	list  []Setting
	index map[string]int
}

// declare keeps s, with the package of the code that called the reader.
func (e *Env) declare(s Setting) {
	s.Unit = unitOf(s)
	s.Package = callerPackage(3)
	keep(s)
}

// Declare keeps a setting that something other than an Env reads (the Go
// runtime's GOMAXPROCS, the OpenTelemetry SDK's OTEL_* variables), so the
// program's table shows it too.
func Declare(s Setting) {
	if s.Package == "" {
		s.Package = callerPackage(2)
	}
	keep(s)
}

// keep adds s unless a setting of its name is kept already; it runs with
// its default until a read says otherwise.
func keep(s Setting) {
	s.Value = s.Default
	declared.Lock()
	defer declared.Unlock()
	if declared.index == nil {
		declared.index = map[string]int{}
	}
	if _, ok := declared.index[s.Name]; !ok {
		declared.index[s.Name] = len(declared.list)
		declared.list = append(declared.list, s)
	}
}

// ran keeps the value name runs with.
func (e *Env) ran(name, value string) {
	declared.Lock()
	defer declared.Unlock()
	if i, ok := declared.index[name]; ok {
		declared.list[i].Value = value
	}
}

// constrain sets name's range when its Setting has none.
func (e *Env) constrain(name, want string) {
	declared.Lock()
	defer declared.Unlock()
	if i, ok := declared.index[name]; ok && declared.list[i].Range == "" {
		declared.list[i].Range = want
	}
}

// Settings returns every setting read so far, in the order first read.
func Settings() []Setting {
	declared.Lock()
	defer declared.Unlock()
	return append([]Setting(nil), declared.list...)
}

// unitOf is a setting's unit, from its name's suffix.
func unitOf(s Setting) string {
	for _, u := range []struct{ suffix, unit string }{
		{"_MS", "ms"}, {"PORT", "port"}, {"_KBYTES", "KiB"}, {"_BYTES", "bytes"}, {"_CONNS", "connections"},
		{"_PER_MINUTE", "per minute"}, {"_PER_SECOND", "per second"},
	} {
		if strings.HasSuffix(s.Name, u.suffix) {
			return u.unit
		}
	}
	return ""
}

func intRange(min, max int) string { return thousands(min) + "–" + thousands(max) }

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// callerPackage is the import path of the function skip frames up.
func callerPackage(skip int) string {
	pcs := make([]uintptr, 1)
	if runtime.Callers(skip+1, pcs) == 0 {
		return ""
	}
	frame, _ := runtime.CallersFrames(pcs).Next() // inlined calls keep their own frame
	name := frame.Function                        // e.g. openbank/messaging.ReadConfig
	slash := strings.LastIndex(name, "/")
	if dot := strings.Index(name[slash+1:], "."); dot >= 0 {
		return name[:slash+1+dot]
	}
	return name
}
