package main

import (
	"encoding/json"
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"
)

// asJSON is the message as the event log writes it.
func asJSON(t *testing.T, m any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMessagesInSpecTerms(t *testing.T) {
	cases := []struct {
		m    pb.Message
		sent string
	}{
		{pb.Message{Type: pb.MsgVote, To: 2, From: 1, Term: 3, Index: 7, LogTerm: 2},
			`{"type":"RequestVote","to":2,"term":3,"pre":false,"last_log_index":7,"last_log_term":2,"commit":0,"commit_term":0}`},
		{pb.Message{Type: pb.MsgVoteResp, To: 1, From: 2, Term: 3, Reject: true},
			`{"type":"RequestVoteResponse","to":1,"term":3,"pre":false,"reject":true,"commit":0,"commit_term":0}`},
		{pb.Message{Type: pb.MsgApp, To: 3, From: 1, Term: 2, Index: 4, LogTerm: 1, Commit: 4,
			Entries: []pb.Entry{{Term: 2, Index: 5}, {Term: 2, Index: 6, Data: encodeValue(9)}}},
			`{"type":"AppendEntries","to":3,"term":2,"prev_log_index":4,"prev_log_term":1,"entries":[{"term":2},{"term":2,"value":9}],"commit":4}`},
		{pb.Message{Type: pb.MsgApp, To: 3, From: 1, Term: 2, Index: 6, LogTerm: 2, Commit: 6},
			`{"type":"AppendEntries","to":3,"term":2,"prev_log_index":6,"prev_log_term":2,"entries":[],"commit":6}`},
		{pb.Message{Type: pb.MsgAppResp, To: 1, From: 3, Term: 2, Index: 6, Reject: true, RejectHint: 4, LogTerm: 1},
			`{"type":"AppendEntriesResponse","to":1,"term":2,"reject":true,"commit":0,"index":6,"reject_hint":4,"hint_term":1}`},
		{pb.Message{Type: pb.MsgHeartbeat, To: 2, From: 1, Term: 2, Commit: 5},
			`{"type":"Heartbeat","to":2,"term":2,"commit":5}`},
		{pb.Message{Type: pb.MsgHeartbeatResp, To: 1, From: 2, Term: 2},
			`{"type":"HeartbeatResponse","to":1,"term":2,"commit":0}`},
		{pb.Message{Type: pb.MsgProp, To: 1, From: 2, Entries: []pb.Entry{{Data: encodeValue(42)}}},
			`{"type":"Propose","to":1,"value":42}`},
	}
	for _, c := range cases {
		got, err := converter{}.sent(c.m)
		if err != nil {
			t.Fatalf("%s: %v", c.m.Type, err)
		}
		if s := asJSON(t, got); s != c.sent {
			t.Errorf("%s sent:\n got %s\nwant %s", c.m.Type, s, c.sent)
		}
		recv, err := converter{}.received(c.m)
		if err != nil {
			t.Fatal(err)
		}
		if recv.From != c.m.From || recv.To != 0 {
			t.Errorf("%s received: from %d to %d", c.m.Type, recv.From, recv.To)
		}
	}
}

func TestUnloggableMessagesAreRefused(t *testing.T) {
	for _, m := range []pb.Message{
		{Type: pb.MsgTimeoutNow, To: 2, Term: 1},
		{Type: pb.MsgSnap, To: 2, Term: 1, Snapshot: &pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 5}}},
		{Type: pb.MsgHeartbeat, To: 2, Term: 1, Context: []byte("read-index")},
		{Type: pb.MsgApp, To: 2, Term: 1, Entries: []pb.Entry{{Type: pb.EntryConfChange, Index: 1}}},
		{Type: pb.MsgApp, To: 2, Term: 1, Entries: []pb.Entry{{Index: 1, Data: []byte("abc")}}},
		{Type: pb.MsgProp, To: 2, Entries: []pb.Entry{{}}},
		{Type: pb.MsgProp, To: 2},
	} {
		if _, err := (converter{}).sent(m); err == nil {
			t.Errorf("%s %v was logged", m.Type, m)
		}
	}
}

func TestValuesRoundTrip(t *testing.T) {
	for _, v := range []uint64{0, 1, 1 << 40, ^uint64(0)} {
		got, err := decodeValue(encodeValue(v))
		if err != nil || got == nil || *got != v {
			t.Errorf("%d came back as %v, %v", v, got, err)
		}
	}
	if v, err := decodeValue(nil); v != nil || err != nil {
		t.Errorf("empty data: %v, %v", v, err)
	}
	values := []uint64{3, 1, 2}
	back, err := decodeValues(encodeValues(values))
	if err != nil || len(back) != 3 || back[0] != 3 || back[2] != 2 {
		t.Errorf("state machine came back as %v, %v", back, err)
	}
	if _, err := decodeValues(make([]byte, 7)); err == nil {
		t.Error("7 bytes of state machine were accepted")
	}
}

func TestHintTermCanBeLeftOut(t *testing.T) {
	m := pb.Message{Type: pb.MsgAppResp, To: 1, From: 3, Term: 2, Index: 6, Reject: true, RejectHint: 4, LogTerm: 1}
	got, err := converter{omitHintTerm: true}.sent(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"AppendEntriesResponse","to":1,"term":2,"reject":true,"commit":0,"index":6,"reject_hint":4}`
	if s := asJSON(t, got); s != want {
		t.Errorf("got %s\nwant %s", s, want)
	}
	hb := pb.Message{Type: pb.MsgHeartbeat, To: 2, Term: 2, Commit: 1}
	if a, b := asJSON(t, must(converter{omitHintTerm: true}.sent(hb))), asJSON(t, must(converter{}.sent(hb))); a != b {
		t.Errorf("a heartbeat changed: %s vs %s", a, b)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
