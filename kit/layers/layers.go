// Package layers checks, in a service's tests, that its internal packages
// import only the layers inside their own (domain ← app ← adapters, ports):
// the bank rules never know how they are stored or served. It reads import
// lines only; it is not a dependency analyser.
package layers

import (
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Check walks dir (a service's internal/, relative to the test) and fails t
// for every non-test Go file outside a layer of mayImport, and every import
// of module/internal/... that its layer may not make. mayImport maps a layer
// (the first folder under dir) to the layers it may import.
func Check(t testing.TB, dir, module string, mayImport map[string][]string) {
	t.Helper()
	internal := module + "/internal/"
	checked := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		layer := strings.Split(filepath.ToSlash(rel), "/")[0]
		allowed, ok := mayImport[layer]
		if !ok {
			t.Errorf("%s: in no layer (want one of %v)", path, slices.Sorted(maps.Keys(mayImport)))
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, internal) {
				continue
			}
			if to := strings.Split(strings.TrimPrefix(p, internal), "/")[0]; !slices.Contains(allowed, to) {
				t.Errorf("%s (%s) imports %s (%s): a layer imports only the ones inside it", path, layer, p, to)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatalf("no Go file found under %s", dir)
	}
}
