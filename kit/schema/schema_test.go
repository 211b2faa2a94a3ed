package schema

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestCheckNames(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	good := fstest.MapFS{"m/000001_balance.up.sql": file, "m/000001_balance.down.sql": file,
		"m/000002_command.up.sql": file, "m/000002_command.down.sql": file}
	if err := CheckNames(good, "m"); err != nil {
		t.Errorf("good names refused: %v", err)
	}
	bad := fstest.MapFS{"m/1_initial.up.sql": file, "m/1_initial.down.sql": file, "m/000002_x.up.sql": file}
	err := CheckNames(bad, "m")
	for _, want := range []string{"1_initial.up.sql", "1_initial.down.sql", "000002_x.up.sql: no 000002_x.down.sql"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	if err := CheckNames(fstest.MapFS{"m": &fstest.MapFile{Mode: 0o755 | 1<<31}}, "m"); err == nil {
		t.Error("an empty directory passes")
	}
}
