package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocs checks every Markdown file of the repository: relative links
// resolve, and the commands of fenced sh/bash/console blocks name Makefile
// targets, scripts and loadtest subcommands and flags that exist. `make lint`
// runs it.
func TestDocs(t *testing.T) {
	c, err := newDocsChecker(root)
	if err != nil {
		t.Fatal(err)
	}
	files, err := markdownFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d Markdown files below %s", len(files), root)
	}
	problems, err := c.check(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("%d Markdown files checked, %d problems", len(files), len(problems))
}

// writeTree makes files (path → content) below a new temporary folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for path, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A small repository: a Makefile, loadtest with two subcommands, a script.
var smallRepo = map[string]string{
	"Makefile": "up: ## start\n\tdeploy/stack.sh up\n\nlint:\n\tgofmt -l .\n",
	"loadtest/main.go": `package main

import "flag"

func runCommand(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var profile string
	fs.StringVar(&profile, "profile", "original", "")
	fs.Int("max-loops", 0, "")
	return fs.Parse(args)
}

func matrixCommand(args []string) error {
	set := flag.NewFlagSet("matrix", flag.ContinueOnError)
	set.String("clients", "", "")
	return set.Parse(args)
}
`,
	"deploy/stack.sh":  "#!/bin/sh\n",
	"docs/other.md":    "# Other\n\n## The Local Stack (on 127.0.0.1)\n\n## Twice\n\n## Twice\n",
	"docs/sub/deep.md": "# Deep\n",
}

func checkSmall(t *testing.T, doc string) []string {
	t.Helper()
	files := map[string]string{"README.md": doc}
	for k, v := range smallRepo {
		files[k] = v
	}
	dir := writeTree(t, files)
	c, err := newDocsChecker(dir)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := c.check([]string{"README.md"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	return got
}

func TestDocsCheckerAcceptsGoodDocs(t *testing.T) {
	doc := "# Title\n\n## Two words\n\n" +
		"See [other](docs/other.md), [its section](docs/other.md#the-local-stack-on-127001), " +
		"[the second Twice](docs/other.md#twice-1), [here](#two-words), [deep](docs/sub/deep.md), " +
		"[a folder](docs/sub/), [the web](https://example.org/x.md) and `[not a link](nowhere.md)`.\n\n" +
		"```sh\n" +
		"make up            # start\n" +
		"STACK_METRICS=1 make up RESULTS=x.json\n" +
		"deploy/stack.sh up && make lint\n" +
		"go run ./loadtest run --profile quick -max-loops=3\n" +
		"go run ./loadtest matrix --clients franz -- --profile steep\n" +
		"source env && cd docs\n" +
		"go run ./sub -x 1 ./not-a-package\n" +
		"```\n\n" +
		"```\nmake nothing-here  # not a command block\n```\n"
	if got := checkSmall(t, doc); len(got) > 0 {
		t.Errorf("want no problems, got:\n%s", strings.Join(got, "\n"))
	}
}

func TestDocsCheckerFindsProblems(t *testing.T) {
	doc := "# Title\n\n" + // line 1
		"A [broken link](docs/missing.md).\n" + // line 3
		"A [broken anchor](docs/other.md#no-such-heading) and [a local one](#nope).\n" + // line 4
		"\n```sh\n" + // lines 5, 6
		"make up unknown-target\n" + // line 7
		"deploy/missing.sh --flag\n" + // line 8
		"go run ./loadtest run --profile quick --no-such-flag\n" + // line 9
		"go run ./loadtest nosuch\n" + // line 10
		"go run ./loadtest matrix --clients franz -- --bad\n" + // line 11
		"go test -count=1 ./docs/... ./nosuch/...\n" + // line 12
		"cd docs && go run ./other\n" + // line 13
		"```\n"
	want := []string{
		`README.md:3: link "docs/missing.md": docs/missing.md does not exist`,
		`README.md:4: link "docs/other.md#no-such-heading": docs/other.md has no heading with the anchor #no-such-heading`,
		`README.md:4: link "#nope": README.md has no heading with the anchor #nope`,
		"README.md:7: `make unknown-target`: the Makefile has no target \"unknown-target\"",
		"README.md:8: deploy/missing.sh does not exist",
		"README.md:9: `loadtest run`: no flag -no-such-flag",
		"README.md:10: `loadtest nosuch`: no such subcommand (have matrix, run)",
		"README.md:11: `loadtest run`: no flag -bad",
		"README.md:12: `go test ./nosuch/...`: nosuch does not exist",
		"README.md:13: `go run ./other`: docs/other does not exist",
	}
	got := checkSmall(t, doc)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestGithubSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"The two commands":                       "the-two-commands",
		"Running in containers (Docker Compose)": "running-in-containers-docker-compose",
		"`KAFKA_CLIENT`: which library":          "kafka_client-which-library",
		"Ports, and [a link](x.md)":              "ports-and-a-link",
		"p50 / p99":                              "p50--p99",
	} {
		if got := githubSlug(heading); got != want {
			t.Errorf("githubSlug(%q) = %q, want %q", heading, got, want)
		}
	}
}

// TestDocsConfiguration: the tables of docs/configuration.md are what the
// services declare they read (`SERVICE settings`); regenerate them with
// `go run ./deploy/checks/cmd/gen-config`.
func TestDocsConfiguration(t *testing.T) {
	all, err := readSettings()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, ConfigurationPath))
	if err != nil {
		t.Fatal(err)
	}
	want, err := RenderConfiguration(string(doc), all)
	if err != nil {
		t.Fatal(err)
	}
	if want != string(doc) {
		t.Errorf("%s differs from what the services declare; run: go run ./deploy/checks/cmd/gen-config", ConfigurationPath)
	}
}
