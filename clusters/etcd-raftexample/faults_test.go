package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPlanParses(t *testing.T) {
	p, err := parsePlan("# comment\ndrop 1 2\nloss 2 3 0.25 # lossy\n\nslow 3 40\n")
	if err != nil {
		t.Fatal(err)
	}
	if p.loss[pair{1, 2}] != 1 || p.loss[pair{2, 3}] != 0.25 || p.loss[pair{3, 2}] != 0 {
		t.Errorf("loss %v", p.loss)
	}
	if p.slow[3] != 40*time.Millisecond {
		t.Errorf("slow %v", p.slow)
	}
	back, err := parsePlan(p.String())
	if err != nil || back.String() != p.String() {
		t.Errorf("round trip: %q, %v", back, err)
	}
	if got := p.String(); got != "drop 1 2\nloss 2 3 0.25\nslow 3 40\n" {
		t.Errorf("String() = %q", got)
	}
}

func TestPlanErrorsNameTheLine(t *testing.T) {
	for text, want := range map[string]string{
		"drop 1\n":             "line 1",
		"\nloss 1 2 1.5\n":     "line 2",
		"slow 0 10\n":          "no node id",
		"slow 1 fast\n":        "milliseconds",
		"partition 1\n":        "unknown directive",
		"drop 1 2\nloss x 2 0": "no node id",
	} {
		_, err := parsePlan(text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one saying %q", text, err, want)
		}
	}
}

func TestWatcherFollowsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan")
	w := newPlanWatcher(path)
	if len(w.current().loss) != 0 {
		t.Fatal("a missing file is not the empty plan")
	}
	p := emptyPlan()
	p.loss[pair{1, 3}] = 1
	if err := writePlan(path, p); err != nil {
		t.Fatal(err)
	}
	w.refresh()
	if w.current().loss[pair{1, 3}] != 1 {
		t.Fatal("the watcher did not read the new plan")
	}
	if err := os.WriteFile(path, []byte("bogus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.refresh()
	if w.current().loss[pair{1, 3}] != 1 {
		t.Error("a malformed plan replaced the previous one")
	}
}
