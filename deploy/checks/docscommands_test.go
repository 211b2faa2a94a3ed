package checks

// The docs check's second half: every command of a shell block names a
// Makefile target, a script, a Go package or a loadtest subcommand and flag
// that exists.

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

var (
	// scriptPath is a repository script or folder named in a command.
	scriptPath = regexp.MustCompile(`(?:^|[\s;&|(=])((?:\./)?(?:deploy|\.ci)/[A-Za-z0-9_./-]*)`)
	// loadtestCall is a loadtest invocation: go run ./loadtest, a built
	// binary whose name ends in loadtest, or go run . inside loadtest/.
	loadtestCall = regexp.MustCompile(`(?:go run \./loadtest|(?:^|[\s;&|(/])[A-Za-z0-9_.-]*loadtest(?:-bin)?|cd loadtest && go run \.)\s+([a-z][a-z-]*)\b([^;&|]*)`)
	quoted       = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	makeCall     = regexp.MustCompile(`(?:^|[\s;&|(])make((?:\s+[^\s;&|#]+)*)`)
)

// checkCommand returns what is wrong with one command line of a fenced
// block; cwd is the folder the block's earlier cd commands moved to ("" when
// it cannot be known), relative to the repository root.
func (c *docsChecker) checkCommand(line string, cwd *string) []string {
	if i := commentStart(line); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return nil
	}
	msgs := c.checkGoPaths(line, cwd)
	for _, m := range makeCall.FindAllStringSubmatch(quoted.ReplaceAllString(line, `""`), -1) {
		for _, arg := range strings.Fields(m[1]) {
			if strings.HasPrefix(arg, "-") || strings.Contains(arg, "=") || strings.ContainsAny(arg, `"'$`) {
				continue
			}
			if !c.makeTargets[arg] {
				msgs = append(msgs, fmt.Sprintf("`make %s`: the Makefile has no target %q", arg, arg))
			}
		}
	}
	for _, m := range scriptPath.FindAllStringSubmatch(line, -1) {
		p := strings.TrimPrefix(strings.TrimRight(m[1], "/."), "./")
		if strings.Contains(p, "generated") {
			continue // made by a script, not in the repository
		}
		if _, err := os.Stat(filepath.Join(c.root, filepath.FromSlash(p))); err != nil {
			msgs = append(msgs, fmt.Sprintf("%s does not exist", p))
		}
	}
	for _, m := range loadtestCall.FindAllStringSubmatch(line, -1) {
		msgs = append(msgs, c.checkLoadtest(m[1], m[2])...)
	}
	return msgs
}

var (
	segmentSep = regexp.MustCompile(`&&|\|\||[;|]`)
	envAssign  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=\S*$`)
	goCommands = map[string]bool{"run": true, "build": true, "test": true, "generate": true, "vet": true, "list": true}
)

// checkGoPaths follows the cd commands of a line and checks that the
// relative package paths (./x, ../x) given to go run, build, test, generate,
// vet and list exist where the command runs.
func (c *docsChecker) checkGoPaths(line string, cwd *string) []string {
	var msgs []string
	for _, seg := range segmentSep.Split(quoted.ReplaceAllString(line, `""`), -1) {
		fields := strings.Fields(strings.TrimLeft(strings.TrimSpace(seg), "( "))
		for len(fields) > 0 && envAssign.MatchString(fields[0]) {
			fields = fields[1:]
		}
		switch {
		case len(fields) == 0:
		case fields[0] == "cd":
			if len(fields) < 2 || *cwd == "" || strings.ContainsAny(fields[1], "$~") || filepath.IsAbs(fields[1]) || fields[1] == "-" {
				*cwd = ""
			} else {
				*cwd = filepath.ToSlash(filepath.Join(*cwd, fields[1]))
			}
		case fields[0] == "go" && len(fields) > 1 && goCommands[fields[1]] && *cwd != "":
			args := fields[2:]
			for i := 0; i < len(args); i++ {
				a := strings.TrimRight(args[i], ")")
				if a == "-o" || a == "--" { // an output file, or the program's own arguments
					if a == "--" {
						break
					}
					i++
					continue
				}
				if !strings.HasPrefix(a, "./") && !strings.HasPrefix(a, "../") {
					if !strings.HasPrefix(a, "-") && fields[1] == "run" {
						break // what follows the package is the program's
					}
					continue
				}
				p := filepath.ToSlash(filepath.Join(*cwd, strings.TrimSuffix(a, "/...")))
				if _, err := os.Stat(filepath.Join(c.root, filepath.FromSlash(p))); err != nil {
					msgs = append(msgs, fmt.Sprintf("`go %s %s`: %s does not exist", fields[1], a, p))
				}
				if fields[1] == "run" {
					break
				}
			}
		}
	}
	return msgs
}

// checkLoadtest checks a loadtest subcommand and its flags; after "--" the
// matrix passes run's flags.
func (c *docsChecker) checkLoadtest(sub, args string) []string {
	flags, ok := c.loadtestCmds[sub]
	if !ok {
		if sub == "help" {
			return nil
		}
		return []string{fmt.Sprintf("`loadtest %s`: no such subcommand (have %s)", sub, strings.Join(slices.Sorted(maps.Keys(c.loadtestCmds)), ", "))}
	}
	var msgs []string
	cmd := sub
	for _, arg := range strings.Fields(args) {
		if arg == "--" {
			if sub == "matrix" {
				cmd, flags = "run", c.loadtestCmds["run"]
			}
			continue
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !flags[name] {
			msgs = append(msgs, fmt.Sprintf("`loadtest %s`: no flag -%s", cmd, name))
		}
	}
	return msgs
}

// commentStart is where a shell comment begins in line (a # at the start or
// after a space, outside quotes), or -1.
func commentStart(line string) int {
	var quote rune
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return i
		}
	}
	return -1
}
