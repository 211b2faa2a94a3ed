package checks

// The docs check: every relative link of every Markdown file resolves (files,
// and #anchors of headings as GitHub makes them), and every command in a
// fenced sh/bash/console block names a Makefile target, a script, or a
// loadtest subcommand and flags that exist. Each problem names file:line.

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// docProblem is one broken link or unknown command.
type docProblem struct {
	File string // relative to the repository root
	Line int
	Msg  string
}

func (p docProblem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// docsChecker checks the Markdown files below root.
type docsChecker struct {
	root         string
	makeTargets  map[string]bool
	loadtestCmds map[string]map[string]bool // subcommand → its flags
	anchors      map[string]map[string]bool // Markdown file → its heading anchors
}

// skipDirs are folders whose Markdown is not the project's own.
var skipDirs = map[string]bool{"node_modules": true, ".git": true, ".local": true, "dist": true, "results": true, "report": true}

// markdownFiles lists the *.md files below root, relative to it, sorted.
func markdownFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (skipDirs[d.Name()] || (strings.HasPrefix(d.Name(), ".") && d.Name() != ".ci")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".md") {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}

// newDocsChecker reads the Makefile's targets and loadtest's subcommands and
// flags below root.
func newDocsChecker(root string) (*docsChecker, error) {
	c := &docsChecker{root: root, anchors: map[string]map[string]bool{}}
	var err error
	if c.makeTargets, err = makefileTargets(filepath.Join(root, "Makefile")); err != nil {
		return nil, err
	}
	if c.loadtestCmds, err = loadtestFlags(filepath.Join(root, "loadtest")); err != nil {
		return nil, err
	}
	return c, nil
}

var makeTarget = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:([^=]|$)`)

// makefileTargets reads the rule names of a Makefile.
func makefileTargets(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	targets := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if m := makeTarget.FindStringSubmatch(line); m != nil && !strings.HasPrefix(m[1], ".") {
			targets[m[1]] = true
		}
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("%s: no targets found", path)
	}
	return targets, nil
}

// flagMethods are the flag.FlagSet methods that define a flag; the flag's
// name is the first string literal among their arguments.
var flagMethods = map[string]bool{
	"String": true, "StringVar": true, "Int": true, "IntVar": true, "Int64": true, "Int64Var": true,
	"Uint": true, "UintVar": true, "Uint64": true, "Uint64Var": true, "Bool": true, "BoolVar": true,
	"Float64": true, "Float64Var": true, "Duration": true, "DurationVar": true, "Var": true,
	"Func": true, "BoolFunc": true, "TextVar": true,
}

// loadtestFlags reads loadtest's subcommands and their flags from the Go files
// of dir: each file's flag.NewFlagSet("NAME", ...) names the subcommand, and
// the flags defined on that FlagSet's variable in the same file are its flags.
func loadtestFlags(dir string) (map[string]map[string]bool, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	cmds := map[string]map[string]bool{}
	fset := token.NewFileSet()
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return nil, err
		}
		sets := map[string]string{} // FlagSet variable → subcommand
		ast.Inspect(f, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
				return true
			}
			id, ok1 := as.Lhs[0].(*ast.Ident)
			call, ok2 := as.Rhs[0].(*ast.CallExpr)
			if !ok1 || !ok2 || !isSelector(call.Fun, "flag", "NewFlagSet") || len(call.Args) == 0 {
				return true
			}
			if name, ok := stringLit(call.Args[0]); ok {
				sets[id.Name] = name
				if cmds[name] == nil {
					cmds[name] = map[string]bool{"h": true, "help": true}
				}
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !flagMethods[sel.Sel.Name] {
				return true
			}
			recv, ok := sel.X.(*ast.Ident)
			if !ok || sets[recv.Name] == "" {
				return true
			}
			for _, a := range call.Args {
				if name, ok := stringLit(a); ok {
					cmds[sets[recv.Name]][name] = true
					break
				}
			}
			return true
		})
	}
	if len(cmds) == 0 {
		return nil, fmt.Errorf("%s: no flag.NewFlagSet found", dir)
	}
	return cmds, nil
}

func isSelector(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// check checks the given Markdown files (relative to the root).
func (c *docsChecker) check(files []string) ([]docProblem, error) {
	var problems []docProblem
	for _, file := range files {
		ps, err := c.checkFile(file)
		if err != nil {
			return nil, err
		}
		problems = append(problems, ps...)
	}
	return problems, nil
}

var (
	fenceLine = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([A-Za-z0-9_+-]*)")
	// inlineLink matches [text](target) and ![alt](target); the target ends
	// at the first space (a title may follow) or closing parenthesis.
	inlineLink = regexp.MustCompile(`!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)
	refLink    = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s+.*)?$`)
	codeSpan   = regexp.MustCompile("`+[^`]*`+")
	htmlAnchor = regexp.MustCompile(`<a\s+(?:name|id)="([^"]+)"`)
)

// commandLangs are the fences whose lines are commands.
var commandLangs = map[string]bool{"sh": true, "bash": true, "console": true, "shell": true}

func (c *docsChecker) checkFile(file string) ([]docProblem, error) {
	b, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(file)))
	if err != nil {
		return nil, err
	}
	var problems []docProblem
	report := func(line int, format string, args ...any) {
		problems = append(problems, docProblem{file, line, fmt.Sprintf(format, args...)})
	}
	var fence, lang string
	cwd := ""                // the folder a block's commands run in, after its cd commands
	var cont strings.Builder // a command continued with a trailing backslash
	contLine := 0
	for i, line := range strings.Split(string(b), "\n") {
		n := i + 1
		if m := fenceLine.FindStringSubmatch(line); m != nil {
			switch {
			case fence == "":
				fence, lang, cwd = m[1], strings.ToLower(m[2]), "."
				continue
			case strings.HasPrefix(strings.TrimSpace(line), fence) && m[2] == "":
				fence, lang = "", ""
				continue
			}
		}
		if fence != "" {
			if !commandLangs[lang] {
				continue
			}
			cmd := line
			if lang == "console" {
				t := strings.TrimSpace(line)
				if !strings.HasPrefix(t, "$ ") {
					continue // output
				}
				cmd = strings.TrimPrefix(t, "$ ")
			}
			if strings.HasSuffix(cmd, "\\") {
				if cont.Len() == 0 {
					contLine = n
				}
				cont.WriteString(strings.TrimSuffix(cmd, "\\") + " ")
				continue
			}
			if cont.Len() > 0 {
				cont.WriteString(cmd)
				cmd, n = cont.String(), contLine
				cont.Reset()
			}
			for _, msg := range c.checkCommand(cmd, &cwd) {
				report(n, "%s", msg)
			}
			continue
		}
		text := codeSpan.ReplaceAllString(line, "")
		var targets []string
		for _, m := range inlineLink.FindAllStringSubmatch(text, -1) {
			targets = append(targets, m[1])
		}
		if m := refLink.FindStringSubmatch(text); m != nil {
			targets = append(targets, m[1])
		}
		for _, target := range targets {
			if msg := c.checkLink(file, target); msg != "" {
				report(n, "%s", msg)
			}
		}
	}
	return problems, nil
}

// checkLink returns what is wrong with a link from file, or "".
func (c *docsChecker) checkLink(file, target string) string {
	if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "/") {
		return ""
	}
	path, anchor, _ := strings.Cut(target, "#")
	if q := strings.IndexByte(path, '?'); q >= 0 {
		path = path[:q]
	}
	dest := file
	if path != "" {
		dest = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(file), path)))
		if strings.HasPrefix(dest, "../") || dest == ".." {
			return fmt.Sprintf("link %q leaves the repository", target)
		}
		if _, err := os.Stat(filepath.Join(c.root, filepath.FromSlash(dest))); err != nil {
			return fmt.Sprintf("link %q: %s does not exist", target, dest)
		}
	}
	if anchor == "" || !strings.HasSuffix(dest, ".md") {
		return ""
	}
	anchors, err := c.anchorsOf(dest)
	if err != nil {
		return fmt.Sprintf("link %q: %v", target, err)
	}
	if !anchors[strings.ToLower(anchor)] {
		return fmt.Sprintf("link %q: %s has no heading with the anchor #%s", target, dest, anchor)
	}
	return ""
}

var headingLine = regexp.MustCompile(`^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)

// anchorsOf returns the anchors GitHub gives the headings of a Markdown file
// (and its explicit <a name/id> anchors).
func (c *docsChecker) anchorsOf(file string) (map[string]bool, error) {
	if a, ok := c.anchors[file]; ok {
		return a, nil
	}
	f, err := os.Open(filepath.Join(c.root, filepath.FromSlash(file)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	anchors := map[string]bool{}
	seen := map[string]int{}
	inFence := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := fenceLine.FindStringSubmatch(line); m != nil {
			if inFence == "" {
				inFence = m[1]
				continue
			}
			if strings.HasPrefix(strings.TrimSpace(line), inFence) && m[2] == "" {
				inFence = ""
				continue
			}
		}
		if inFence != "" {
			continue
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			anchors[strings.ToLower(m[1])] = true
		}
		m := headingLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := githubSlug(m[2])
		if k := seen[slug]; k > 0 {
			anchors[fmt.Sprintf("%s-%d", slug, k)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	}
	c.anchors[file] = anchors
	return anchors, sc.Err()
}

var (
	mdLinkText = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	htmlTag    = regexp.MustCompile(`<[^>]+>`)
)

// githubSlug makes a heading's anchor as GitHub does: the text without
// markup, lower case, letters, digits, spaces, hyphens and underscores kept,
// each space a hyphen.
func githubSlug(heading string) string {
	heading = mdLinkText.ReplaceAllString(heading, "$1")
	heading = htmlTag.ReplaceAllString(heading, "")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
