package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"raftcheck.local/eventlog"
)

func entry(index, term uint64, value string) *raft.Log {
	if value == "" {
		return &raft.Log{Index: index, Term: term, Type: raft.LogNoop}
	}
	return &raft.Log{Index: index, Term: term, Type: raft.LogCommand, Data: []byte(value)}
}

func TestLogStoreSurvivesReopenWithDeletesAndATornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.journal")
	s, err := OpenLogStore(path, &Disk{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLogs([]*raft.Log{entry(1, 1, ""), entry(2, 1, "1"), entry(3, 1, "2")}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(3, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLog(entry(3, 2, "3")); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of a write leaves a torn line, which was never acknowledged.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(`{"op":"put","logs":[{"Ind`)
	f.Close()
	r, err := OpenLogStore(path, &Disk{})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := r.FirstIndex()
	last, _ := r.LastIndex()
	if first != 1 || last != 3 {
		t.Fatalf("first %d last %d, want 1 3", first, last)
	}
	var l raft.Log
	if err := r.GetLog(3, &l); err != nil || l.Term != 2 || string(l.Data) != "3" {
		t.Fatalf("entry 3 is %+v (%v), want term 2 value 3", l, err)
	}
	if err := r.GetLog(4, &l); err != raft.ErrLogNotFound {
		t.Fatalf("entry 4: %v, want ErrLogNotFound", err)
	}
}

func TestTheUnsyncedTailBugLosesAcknowledgedEntriesOnACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.journal")
	s, _ := OpenLogStore(path, &Disk{bug: BugUnsyncedTailLost})
	for i := uint64(1); i <= 6; i++ {
		if err := s.StoreLog(entry(i, 1, "x")); err != nil {
			t.Fatal(err)
		}
	}
	if last, _ := s.LastIndex(); last != 6 {
		t.Fatalf("the store acknowledged up to %d, want 6", last)
	}
	// kill -9: nothing in memory survives; only what reached the file does.
	r, _ := OpenLogStore(path, &Disk{})
	if last, _ := r.LastIndex(); last != 4 {
		t.Fatalf("after the crash the log ends at %d, want 4 (written out every fourth write)", last)
	}
	// Without the bug every acknowledged entry survives.
	path2 := filepath.Join(t.TempDir(), "log.journal")
	s2, _ := OpenLogStore(path2, &Disk{})
	for i := uint64(1); i <= 6; i++ {
		_ = s2.StoreLog(entry(i, 1, "x"))
	}
	r2, _ := OpenLogStore(path2, &Disk{})
	if last, _ := r2.LastIndex(); last != 6 {
		t.Fatalf("the stock store kept up to %d, want 6", last)
	}
}

func TestStableStoreKeepsTermAndVoteUnlessTheVoteIsNotPersisted(t *testing.T) {
	for _, bug := range []string{"", BugVoteNotPersisted} {
		path := filepath.Join(t.TempDir(), "stable.journal")
		s, _ := OpenStableStore(path, &Disk{bug: bug})
		_ = s.SetUint64([]byte(keyCurrentTerm), 3)
		_ = s.SetUint64([]byte(keyLastVoteTerm), 3)
		_ = s.Set([]byte(keyLastVoteCand), []byte("127.0.0.1:1"))
		if v, _ := s.Get([]byte(keyLastVoteCand)); string(v) != "127.0.0.1:1" {
			t.Fatalf("bug %q: the running store forgot the vote", bug)
		}
		r, _ := OpenStableStore(path, &Disk{})
		if n, _ := r.GetUint64([]byte(keyCurrentTerm)); n != 3 {
			t.Fatalf("bug %q: term %d after reopen, want 3", bug, n)
		}
		v, err := r.Get([]byte(keyLastVoteCand))
		if bug == "" && string(v) != "127.0.0.1:1" {
			t.Fatalf("the vote is lost without the bug: %q %v", v, err)
		}
		if bug != "" && (err == nil || err.Error() != "not found") {
			t.Fatalf("with the bug the vote survived: %q", v)
		}
	}
}

func TestMessagesAreMappedToTheSpecsNumbers(t *testing.T) {
	hb := appendMessage(&raft.AppendEntriesRequest{Term: 3})
	if *hb.Term != 2 || *hb.PrevLogIndex != 0 || *hb.PrevLogTerm != 0 || *hb.Commit != 0 || len(*hb.Entries) != 0 {
		t.Fatalf("a heartbeat maps to an empty append from the empty prefix: %+v", hb)
	}
	req := &raft.AppendEntriesRequest{Term: 2, PrevLogEntry: 4, PrevLogTerm: 2, LeaderCommitIndex: 4,
		Entries: []*raft.Log{entry(5, 2, "7"), entry(6, 2, "")}}
	m := appendMessage(req)
	b, _ := json.Marshal(m)
	want := `{"type":"AppendEntries","term":1,"prev_log_index":3,"prev_log_term":1,"entries":[{"term":1,"value":7},{"term":1}],"commit":3}`
	if string(b) != want {
		t.Fatalf("got %s\nwant %s", b, want)
	}
	ok, _ := responseMessage(req, &raft.AppendEntriesResponse{Term: 2, Success: true, LastLog: 9})
	if *ok.Index != 5 || ok.RejectHint != nil || *ok.Reject {
		t.Fatalf("a success acknowledges the request's last entry: %+v", ok)
	}
	no, _ := responseMessage(req, &raft.AppendEntriesResponse{Term: 2, LastLog: 2})
	if *no.Index != 3 || *no.RejectHint != 1 || !*no.Reject {
		t.Fatalf("a rejection names the request's previous entry and hints the last index: %+v", no)
	}
	// The bootstrap configuration entry at hashicorp index 1 is never the spec's.
	first := appendMessage(&raft.AppendEntriesRequest{Term: 2, Entries: []*raft.Log{{Index: 1, Term: 1, Type: raft.LogConfiguration}, entry(2, 2, "")}})
	if *first.PrevLogIndex != 0 || len(*first.Entries) != 1 {
		t.Fatalf("the bootstrap entry is dropped: %+v", first)
	}
	v := voteMessage(&raft.RequestVoteRequest{Term: 4, LastLogIndex: 6, LastLogTerm: 3})
	if *v.Term != 3 || *v.LastLogIndex != 5 || *v.LastLogTerm != 2 || *v.Pre {
		t.Fatalf("vote request: %+v", v)
	}
}

func TestARestartLogsTheDurableStateAndTheWholeLog(t *testing.T) {
	dir := t.TempDir()
	logs, _ := OpenLogStore(filepath.Join(dir, "log"), &Disk{})
	stable, _ := OpenStableStore(filepath.Join(dir, "stable"), &Disk{})
	_ = logs.StoreLogs([]*raft.Log{{Index: 1, Term: 1, Type: raft.LogConfiguration}, entry(2, 2, ""), entry(3, 2, "5")})
	_ = stable.SetUint64([]byte(keyCurrentTerm), 3)
	_ = stable.SetUint64([]byte(keyLastVoteTerm), 3)
	_ = stable.Set([]byte(keyLastVoteCand), []byte("a2"))
	path := filepath.Join(dir, "n1.ndjson")
	l, err := eventlog.Create(path, 1, eventlog.Header{Nodes: []uint64{1, 2, 3}, Flavour: Flavour})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(l, 1, map[raft.ServerAddress]uint64{"a1": 1, "a2": 2, "a3": 3}, 3)
	rec.Restarted(stable, logs)
	l.Close()
	f, _ := os.Open(path)
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 4 || !strings.Contains(lines[1], `"ev":"restart"`) {
		t.Fatalf("header, restart, state, append: %q", lines)
	}
	for _, want := range []string{`"term":2`, `"vote":2`, `"role":"follower"`, `"leader":0`} {
		if !strings.Contains(lines[2], want) {
			t.Fatalf("state %s lacks %s", lines[2], want)
		}
	}
	if !strings.Contains(lines[3], `"index":1`) || !strings.Contains(lines[3], `"entries":[{"term":1},{"term":1,"value":5}]`) {
		t.Fatalf("append: %s", lines[3])
	}
}
