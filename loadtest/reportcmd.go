package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"openbank/loadtest/internal/report"
	"openbank/loadtest/internal/result"
)

func reportCommand(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: loadtest report [flags] RESULT.jsonl|GLOB ...")
		fs.PrintDefaults()
	}
	outDir := fs.String("out", "report", "directory for report.html and results.json")
	floorFile := fs.String("floor", "", "a 'loadtest floor' result to set the latency beside")
	var mappings []report.Mapping
	fs.Func("category", "combine categories: PATTERN=NAME (a glob, e.g. 'go-*=go'), repeatable, first match wins", func(s string) error {
		m, err := report.ParseMapping(s)
		if err == nil {
			mappings = append(mappings, m)
		}
		return err
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("no result files given")
	}
	var paths []string
	seen := map[string]bool{}
	for _, a := range fs.Args() {
		matches, err := filepath.Glob(a)
		if err != nil {
			return fmt.Errorf("pattern %q: %w", a, err)
		}
		if len(matches) == 0 {
			return fmt.Errorf("%s: no such result file", a)
		}
		sort.Strings(matches)
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				paths = append(paths, m)
			}
		}
	}
	var files []*result.File
	for _, p := range paths {
		f, err := result.Read(p)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	res := report.Build(files, mappings, time.Now())
	if *floorFile != "" {
		f, err := result.ReadFloor(*floorFile)
		if err != nil {
			return err
		}
		res.Floor, res.FloorRatios = f, report.FloorRatios(res, f)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(*outDir, "report.json"), res); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(*outDir, "results.json"), report.Frontend(res)); err != nil {
		return err
	}
	htmlFile, err := os.Create(filepath.Join(*outDir, "report.html"))
	if err != nil {
		return err
	}
	if err := report.WriteHTML(htmlFile, res); err != nil {
		_ = htmlFile.Close()
		return fmt.Errorf("write report.html: %w", err)
	}
	if err := htmlFile.Close(); err != nil {
		return err
	}
	if err := report.WriteTable(os.Stdout, res); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "loadtest: %d run(s) in %d categories → %s (report.html, report.json, results.json)\n",
		len(files), len(res.Categories), *outDir)
	return nil
}

func writeJSON(path string, v any) error {
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(js, '\n'), 0o644)
}
