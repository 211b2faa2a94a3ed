package checks

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// serviceDockerfile builds every Go service; the build argument SERVICE names
// the folder under services/.
const serviceDockerfile = "services/Dockerfile"

// instruction is one Dockerfile instruction: its keyword (upper case) and the
// rest, continuation lines joined and heredoc bodies attached.
type instruction struct {
	cmd, args, heredoc string
}

// stage is one FROM … block.
type stage struct {
	from string
	ins  []instruction
}

var heredocStart = regexp.MustCompile(`<<-?['"]?([A-Za-z_]+)['"]?`)

// parseDockerfile reads the instructions of a Dockerfile, grouped by stage.
func parseDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []stage
	sc := bufio.NewScanner(f)
	var pending string
	for sc.Scan() {
		line := sc.Text()
		if pending == "" && (strings.HasPrefix(strings.TrimSpace(line), "#") || strings.TrimSpace(line) == "") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			pending += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		line = strings.TrimSpace(pending + line)
		pending = ""
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if m := heredocStart.FindStringSubmatch(in.args); m != nil {
			var body []string
			for sc.Scan() && sc.Text() != m[1] {
				body = append(body, sc.Text())
			}
			in.heredoc = strings.Join(body, "\n")
		}
		if in.cmd == "FROM" {
			stages = append(stages, stage{from: in.args})
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("%s: %s before the first FROM", path, in.cmd)
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

// argDefaults returns a stage's ARG declarations: name → default ("" when none).
func (s stage) argDefaults() map[string]string {
	out := map[string]string{}
	for _, in := range s.ins {
		if in.cmd == "ARG" {
			name, def, _ := strings.Cut(in.args, "=")
			out[name] = def
		}
	}
	return out
}

// expanded returns the stage's instructions with ${SERVICE} replaced.
func (s stage) expanded(service string) []instruction {
	var out []instruction
	for _, in := range s.ins {
		in.args = strings.ReplaceAll(in.args, "${SERVICE}", service)
		out = append(out, in)
	}
	return out
}

// goServices lists the folders under services/ that hold a program.
func goServices(t *testing.T) []string {
	t.Helper()
	mains, err := filepath.Glob(filepath.Join(root, "services", "*", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range mains {
		out = append(out, filepath.Base(filepath.Dir(m)))
	}
	if len(out) == 0 {
		t.Fatal("no services/*/main.go")
	}
	return out
}

func TestOneDockerfileForEveryGoService(t *testing.T) {
	for _, name := range goServices(t) {
		if _, err := os.Stat(filepath.Join(root, "services", name, "Dockerfile")); err == nil {
			t.Errorf("services/%s/Dockerfile: the Go services share %s (--build-arg SERVICE=%s)", name, serviceDockerfile, name)
		}
	}
	stages := parseDockerfile(t, filepath.Join(root, serviceDockerfile))
	if len(stages) != 2 {
		t.Fatalf("%s: %d stages, want build and run", serviceDockerfile, len(stages))
	}
	build, run := stages[0], stages[1]
	want := map[string]string{"SERVICE": "", "KAFKA_CLIENT": "librdkafka", "CGO_ENABLED": "1"}
	got := build.argDefaults()
	for name, def := range want {
		if d, ok := got[name]; !ok || d != def {
			t.Errorf("%s: build stage wants ARG %s with default %q, has %q (declared %v)", serviceDockerfile, name, def, d, ok)
		}
	}
	if run.from != "scratch" {
		t.Errorf("%s: runs on %s; a static binary needs no base image", serviceDockerfile, run.from)
	}
	var entry, copied, user string
	for _, in := range run.ins {
		switch in.cmd {
		case "ENTRYPOINT":
			entry = in.args
		case "USER":
			user = in.args
		case "COPY":
			copied += in.args + "\n"
		case "HEALTHCHECK", "EXPOSE":
			t.Errorf("%s: %s in the shared image; the port differs per service, so compose and Kubernetes say it", serviceDockerfile, in.cmd)
		}
	}
	if entry != `["/service"]` {
		t.Errorf(`%s: ENTRYPOINT %s, want ["/service"]`, serviceDockerfile, entry)
	}
	if user != "65532:65532" {
		t.Errorf("%s: USER %q, want 65532:65532, the non-root user the manifests run as", serviceDockerfile, user)
	}
	if !strings.Contains(copied, "--from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/") {
		t.Errorf("%s: the run stage must get the build stage's CA certificates (TLS), copies %q", serviceDockerfile, copied)
	}
	if !strings.Contains(copied, "--from=build /out/service /out/probe /") {
		t.Errorf("%s: the run stage must get /service and /probe from the build stage, copies %q", serviceDockerfile, copied)
	}
	// Building with the defaults is the static musl cgo build of librdkafka.
	var script string
	for _, in := range build.ins {
		if in.cmd == "RUN" && strings.Contains(in.heredoc, "-o /out/service") {
			script = in.heredoc
		}
	}
	for _, want := range []string{`librdkafka)`, `-tags "musl,netgo,osusergo`, `-extldflags "-static"`} {
		if !strings.Contains(script, want) {
			t.Errorf("%s: the build of /out/service lacks %s", serviceDockerfile, want)
		}
	}
}

func TestServiceDockerfileCopiesEachServiceAndItsModules(t *testing.T) {
	// A module a service replaces with a local path (../../topology) must be in
	// the image's build workspace, or the build fails only in Docker.
	replaced := regexp.MustCompile(`(?m)=>\s*(\.\./\S+)`)
	build := parseDockerfile(t, filepath.Join(root, serviceDockerfile))[0]
	for _, name := range goServices(t) {
		dir := "services/" + name
		var copies, workspace []string
		for _, in := range build.expanded(name) {
			switch {
			case in.cmd == "COPY":
				copies = append(copies, in.args)
			case in.cmd == "RUN" && strings.Contains(in.args, "go work init"):
				workspace = strings.Fields(in.args[strings.Index(in.args, "go work init"):])
			}
		}
		for _, want := range []string{dir + "/go.mod " + dir + "/go.sum " + dir + "/", dir + "/ /src/" + dir + "/"} {
			if !slices.Contains(copies, want) {
				t.Errorf("%s with SERVICE=%s: no COPY %s", serviceDockerfile, name, want)
			}
		}
		mod, err := os.ReadFile(filepath.Join(root, dir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range replaced.FindAllStringSubmatch(string(mod), -1) {
			rel := filepath.ToSlash(filepath.Clean(filepath.Join(dir, m[1])))
			if !slices.Contains(copies, rel+"/ /src/"+rel+"/") || !slices.Contains(workspace, m[1]) {
				t.Errorf("%s: go.mod replaces %s, which %s does not copy into its workspace (%v)", name, rel, serviceDockerfile, workspace)
			}
		}
	}
}
