package layers

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder keeps what Check reports instead of failing the test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) { r.Errorf(format, a...) }
func (r *recorder) Fatal(a ...any)                 { r.errors = append(r.errors, fmt.Sprint(a...)) }

func TestCheckReportsAnOutwardImport(t *testing.T) {
	dir := t.TempDir()
	write := func(path, body string) {
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("domain/rule/rule.go", "package rule\n\nimport _ \"example/svc/internal/app/use\"\n")
	write("app/use/use.go", "package use\n\nimport _ \"example/svc/internal/domain/rule\"\n")
	write("stray/x.go", "package x\n")
	r := &recorder{TB: t}
	Check(r, dir, "example/svc", map[string][]string{"domain": {"domain"}, "app": {"domain", "app"}})
	all := strings.Join(r.errors, "\n")
	if len(r.errors) != 2 || !strings.Contains(all, "rule.go (domain) imports example/svc/internal/app/use") ||
		!strings.Contains(all, "stray") {
		t.Fatalf("reported:\n%s\nwant the domain's outward import and the file in no layer, only", all)
	}
}
