package procstat

import (
	"os"
	"strings"
	"testing"
)

func TestOfThisProcess(t *testing.T) {
	st, mem, err := Of(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.PID != os.Getpid() || st.PPID != os.Getppid() || st.Comm == "" {
		t.Errorf("stat %+v", st)
	}
	if mem.RSS <= 0 || mem.Peak < mem.RSS || mem.File <= 0 {
		t.Errorf("memory %+v", mem)
	}
	if err := ResetPeak(os.Getpid()); err != nil {
		t.Logf("clear_refs refused (%v); VmHWM cannot be reset here", err)
	}
	if la := LoadAverage(); !strings.Contains(la, "CPUs") {
		t.Errorf("load average %q", la)
	}
}

func TestOfAMissingProcess(t *testing.T) {
	if _, _, err := Of(1 << 30); err == nil {
		t.Error("no error for a process that does not exist")
	}
}
