package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The command handler's layers, inside out: domain (the bank rules), app
// (a batch's path from read to commit) and adapters (balancedb), with app.go
// wiring them. A layer imports only the layers inside it: the rules never
// know how they are stored or when they run.
var mayImport = map[string][]string{
	"domain":   {"domain"},
	"app":      {"domain", "app"},
	"adapters": {"domain", "adapters"},
}

func TestLayersImportOnlyInwards(t *testing.T) {
	const internal = "openbank/services/command-handler/internal/"
	checked := 0
	err := filepath.WalkDir("internal", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		layer := strings.Split(filepath.ToSlash(path), "/")[1]
		allowed, ok := mayImport[layer]
		if !ok {
			t.Errorf("%s: in no layer (want internal/domain, app or adapters)", path)
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
			to := strings.Split(strings.TrimPrefix(p, internal), "/")[0]
			if !slices.Contains(allowed, to) {
				t.Errorf("%s (%s) imports %s (%s): a layer imports only the ones inside it", path, layer, p, to)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no Go file found under internal/")
	}
}
