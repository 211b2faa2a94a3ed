package checks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	settings "openbank/kit/env"
)

// ConfigurationPath is the configuration reference, relative to the
// repository root; its tables are generated (RenderConfiguration).
const ConfigurationPath = "docs/configuration.md"

// Services are the bank's long-running and one-shot programs, each a folder
// under services/ that reads its configuration from the environment.
var Services = []string{"command-handler", "graphql-endpoint", "heartbeat", "command-generator", "synchronizer"}

// sharedSections name the tables of settings that libraries read for every
// program that uses them; a program's own settings get a table of its own.
var sharedSections = map[string]string{
	"openbank/messaging":   "kafka",
	"openbank/kit/service": "skeleton",
	"openbank/kit/observe": "tracing",
}

// ReadSettings builds each service under root and runs it as `SERVICE
// settings` with an empty environment: what it reads, as it declares it.
func ReadSettings(root string) (map[string][]settings.Setting, error) {
	bin, err := os.MkdirTemp("", "openbank-settings")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(bin)
	out := map[string][]settings.Setting{}
	for _, svc := range Services {
		exe := filepath.Join(bin, svc)
		build := exec.Command("go", "build", "-o", exe, "./services/"+svc)
		build.Dir = root
		if msg, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build %s: %v\n%s", svc, err, msg)
		}
		run := exec.Command(exe, "settings")
		run.Env = []string{} // the declared defaults, whatever this shell has set
		var stdout, stderr bytes.Buffer
		run.Stdout, run.Stderr = &stdout, &stderr
		if err := run.Run(); err != nil {
			return nil, fmt.Errorf("%s settings: %v\n%s", svc, err, stderr.String())
		}
		var read []settings.Setting
		if err := json.Unmarshal(stdout.Bytes(), &read); err != nil {
			return nil, fmt.Errorf("%s settings: %w", svc, err)
		}
		out[svc] = read
	}
	return out, nil
}

// marker opens a generated table in the reference: <!-- settings: NAME -->,
// NAME a service or a shared section; the table ends at the next blank line.
var marker = regexp.MustCompile(`(?m)^<!-- settings: ([a-z-]+) -->\n((?:\|.*\n)*)`)

// RenderConfiguration replaces every marked table of doc with the settings
// of its service or shared section, and fails on a marker of nothing and on
// a setting that has no table.
func RenderConfiguration(doc string, bySvc map[string][]settings.Setting) (string, error) {
	tables := map[string][]settings.Setting{}
	defaults := map[string]map[string]string{} // shared setting -> service -> default
	for _, svc := range Services {
		for _, s := range bySvc[svc] {
			section, shared := sharedSections[s.Package]
			if !shared {
				tables[svc] = append(tables[svc], s)
				continue
			}
			if defaults[s.Name] == nil {
				defaults[s.Name] = map[string]string{}
				tables[section] = append(tables[section], s)
			}
			defaults[s.Name][svc] = s.Default
		}
	}
	used := map[string]bool{}
	var missing []string
	out := marker.ReplaceAllStringFunc(doc, func(m string) string {
		name := marker.FindStringSubmatch(m)[1]
		rows, ok := tables[name]
		if !ok {
			missing = append(missing, "a table of "+name+", which reads nothing")
			return m
		}
		used[name] = true
		return "<!-- settings: " + name + " -->\n" + table(rows, defaults)
	})
	for name := range tables {
		if !used[name] {
			missing = append(missing, "no <!-- settings: "+name+" --> table")
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return "", fmt.Errorf("%s: %s", ConfigurationPath, strings.Join(missing, "; "))
	}
	return out, nil
}

// table is rows as a Markdown table; a shared setting whose default differs
// between services names each service's.
func table(rows []settings.Setting, defaults map[string]map[string]string) string {
	var b strings.Builder
	b.WriteString("| variable | type | unit | default | range | description |\n|---|---|---|---|---|---|\n")
	for _, s := range rows {
		def := code(s.Default)
		if per := defaults[s.Name]; len(per) > 0 && !allSame(per) {
			var parts []string
			for _, svc := range Services {
				if d, ok := per[svc]; ok {
					parts = append(parts, svc+" "+code(d))
				}
			}
			def = "per service: " + strings.Join(parts, ", ")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", s.Name, s.Type, s.Unit, def, s.Range, s.Doc)
	}
	return b.String()
}

func code(v string) string {
	if v == "" {
		return "unset"
	}
	return "`" + v + "`"
}

func allSame(m map[string]string) bool {
	first, set := "", false
	for _, v := range m {
		if set && v != first {
			return false
		}
		first, set = v, true
	}
	return true
}
