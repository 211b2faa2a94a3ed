package result

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWriteRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	ms := 12.5
	lag := 3.0
	for _, v := range []any{
		Run{Type: TypeRun, Category: "go", Config: []byte(`{"a":1}`), Started: time.Unix(1, 0).UTC()},
		Sample{Type: TypeSample, Loop: 1, Kind: "deposit", LatencyMS: &ms},
		Sample{Type: TypeSample, Loop: 2, Kind: "deposit", Timeout: true},
		Resources{Type: TypeResources, Loop: 2, Components: map[string]Component{"kafka": {CPUPct: 1, RSSMiB: 2, Found: true}}, ConsumerLag: &lag},
		End{Type: TypeEnd, Reason: "max-loops", Loops: 2, Timeouts: 1},
	} {
		if err := w.Write(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Run.Category != "go" || len(f.Samples) != 2 || *f.Samples[0].LatencyMS != 12.5 || !f.Samples[1].Timeout ||
		len(f.Resources) != 1 || f.Resources[0].Components["kafka"].RSSMiB != 2 || f.End == nil || f.End.Reason != "max-loops" {
		t.Errorf("read back %+v", f)
	}
}

func TestParseRejects(t *testing.T) {
	for name, text := range map[string]string{
		"empty":          "",
		"no header":      `{"type":"sample","loop":1}`,
		"two headers":    `{"type":"run"}` + "\n" + `{"type":"run"}`,
		"not JSON":       `{"type":"run"}` + "\nnope",
		"bad field type": `{"type":"run"}` + "\n" + `{"type":"sample","loop":"one"}`,
	} {
		if _, err := Parse(strings.NewReader(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Cut off (no end line) and unknown line types are fine.
	f, err := Parse(strings.NewReader(`{"type":"run"}` + "\n" + `{"type":"future"}` + "\n" + `{"type":"sample","loop":1}`))
	if err != nil || f.End != nil || len(f.Samples) != 1 {
		t.Errorf("cut-off file: %+v %v", f, err)
	}
}
