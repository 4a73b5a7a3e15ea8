package main

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// event is one logged line.
type event map[string]any

func readLog(t *testing.T, path string) []event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%s: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func num(e event, key string) uint64 {
	f, _ := e[key].(float64)
	return uint64(f)
}

// runSingle runs a one-node cluster in this process until it has applied values 1..count (or
// fails the test after a few seconds), then stops it cleanly.
func runSingle(t *testing.T, dir, bug string, first, count uint64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	n, err := startNode(nodeOptions{id: 1, voters: []uint64{1}, addrs: map[uint64]string{1: addr},
		dataDir: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "n1.ndjson"), bug: bug,
		tick: 5 * time.Millisecond, seed: 1, source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- n.run(stop) }()
	deadline := time.Now().Add(5 * time.Second)
	// Wait for leadership, then propose.
	for n.status().role != 3 {
		if time.Now().After(deadline) {
			t.Fatal("the single node never became leader")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for v := first; v < first+count; v++ {
		n.tr.proposals <- v
	}
	for {
		applied := 0
		for _, e := range readLog(t, filepath.Join(dir, "n1.ndjson")) {
			if e["ev"] == "apply" && e["value"] != nil && num(e, "value") >= first {
				applied++
			}
		}
		if uint64(applied) == count {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d values applied", applied, count)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// restartState is the state event logged right after the last restart.
func restartState(t *testing.T, evs []event) event {
	t.Helper()
	for i := len(evs) - 1; i > 0; i-- {
		if evs[i]["ev"] == "restart" {
			if evs[i+1]["ev"] != "state" || evs[i+2]["ev"] != "append" {
				t.Fatalf("restart followed by %v, %v", evs[i+1], evs[i+2])
			}
			return evs[i+1]
		}
	}
	t.Fatal("no restart logged")
	return nil
}

func TestSingleNodeLogsAndRecovers(t *testing.T) {
	dir := t.TempDir()
	runSingle(t, dir, "", 1, 5)
	runSingle(t, dir, "", 6, 3)
	evs := readLog(t, filepath.Join(dir, "n1.ndjson"))
	if evs[0]["raftcheck_eventlog"] != 1.0 || evs[0]["flavour"] != "etcd-3.6" || evs[0]["immediate"] != true {
		t.Fatalf("header %v", evs[0])
	}
	var seq, commit uint64
	applied := map[uint64]bool{}
	for _, e := range evs[1:] {
		if s := num(e, "seq"); s <= seq {
			t.Fatalf("seq %d after %d", s, seq)
		} else {
			seq = s
		}
		switch e["ev"] {
		case "commit":
			commit = num(e, "index")
		case "apply":
			i := num(e, "index")
			if i > commit || applied[i] {
				t.Errorf("apply %d with commit %d (applied before: %v)", i, commit, applied[i])
			}
			applied[i] = true
		}
	}
	st := restartState(t, evs)
	if num(st, "vote") != 1 || st["role"] != "follower" || num(st, "term") == 0 {
		t.Errorf("restarted as %v", st)
	}
	if len(applied) != 8+2 { // eight values and each term's empty leader entry
		t.Errorf("applied %d entries", len(applied))
	}
}

func TestVoteNotPersistedForgetsTheVote(t *testing.T) {
	dir := t.TempDir()
	runSingle(t, dir, bugVoteNotPersisted, 1, 2)
	runSingle(t, dir, bugVoteNotPersisted, 3, 1)
	if st := restartState(t, readLog(t, filepath.Join(dir, "n1.ndjson"))); num(st, "vote") != 0 {
		t.Errorf("the vote survived: %v", st)
	}
}

func TestApplyUncommittedAppliesBeforeCommit(t *testing.T) {
	dir := t.TempDir()
	runSingle(t, dir, bugApplyUncommitted, 1, 3)
	var commit uint64
	early := 0
	for _, e := range readLog(t, filepath.Join(dir, "n1.ndjson"))[1:] {
		switch e["ev"] {
		case "commit":
			commit = num(e, "index")
		case "apply":
			if num(e, "index") > commit {
				early++
			}
		}
	}
	if early == 0 {
		t.Error("no entry was applied before its commit")
	}
}

func TestUnknownBugIsRefused(t *testing.T) {
	if _, err := startNode(nodeOptions{id: 1, voters: []uint64{1}, bug: "no-such-bug"}); err == nil {
		t.Error("an unknown bug was accepted")
	}
}
