package eventlog

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func lines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	s := bufio.NewScanner(f)
	for s.Scan() {
		var m map[string]any
		if err := json.Unmarshal(s.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v", len(out)+1, err)
		}
		out = append(out, m)
	}
	return out
}

func TestHeaderEventsAndRestartNumbering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n2.ndjson")
	l, err := Create(path, 2, Header{Nodes: []uint64{1, 2, 3}, Flavour: "etcd"})
	if err != nil {
		t.Fatal(err)
	}
	l.State(State{Term: U(1), Role: "candidate", Vote: U(2)})
	l.Send(Message{Type: "RequestVote", To: 1, Term: U(1), LastLogIndex: U(0), LastLogTerm: U(0)})
	l.Close()
	l, err = Append(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	l.Restart()
	l.Append(1, []Entry{{Term: 1}, {Term: 1, Value: "x"}})
	l.Close()

	got := lines(t, path)
	if len(got) != 5 {
		t.Fatalf("want header and 4 events, got %d lines", len(got))
	}
	if got[0]["raftcheck_eventlog"] != float64(1) || got[0]["flavour"] != "etcd" {
		t.Errorf("header: %v", got[0])
	}
	for i, want := range []string{"state", "send", "restart", "append"} {
		e := got[i+1]
		if e["ev"] != want || e["seq"] != float64(i+1) || e["node"] != float64(2) {
			t.Errorf("event %d: want %s with seq %d, got %v", i+1, want, i+1, e)
		}
	}
	if _, ok := got[1]["leader"]; ok {
		t.Errorf("an unknown field was written: %v", got[1])
	}
	entries := got[4]["entries"].([]any)
	if _, ok := entries[0].(map[string]any)["value"]; ok {
		t.Errorf("an empty entry carries a value: %v", entries[0])
	}
}

func TestAppendEndsALineTornByACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n1.ndjson")
	l, err := Create(path, 1, Header{Nodes: []uint64{1}})
	if err != nil {
		t.Fatal(err)
	}
	l.Tick()
	l.Close()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(`{"ev":"send","msg":{"type"`))
	f.Close()
	l, err = Append(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	l.Restart()
	l.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\"ev\":\"send\",\"msg\":{\"type\"\n{"
	if !strings.Contains(string(data), want) {
		t.Fatalf("the torn line was not ended before the restart:\n%s", data)
	}
}
