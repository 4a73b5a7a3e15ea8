package main

// Tests, driven through the protocol wherever possible (GOPATH mode):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go test .

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	pb "go.etcd.io/etcd/raft/raftpb"
)

// ---------------------------------------------------------------------------------------------
// Harness

type harness struct {
	t  *testing.T
	s  *session
	id uint64
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, s: &session{}}
	h.ok(`"op":"hello","protocol":1`)
	return h
}

// started is a harness with a fresh cluster of n nodes and the bug (or "null").
func started(t *testing.T, nodes int, bug string) *harness {
	t.Helper()
	h := newHarness(t)
	if bug != "null" {
		bug = `"` + bug + `"`
	}
	h.ok(fmt.Sprintf(`"op":"reset","nodes":%d,"inject":%s`, nodes, bug))
	return h
}

type response struct {
	ID    uint64          `json:"id"`
	OK    json.RawMessage `json:"ok"`
	Error *struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"error"`
}

// raw sends one request line (the id is added) and decodes the response.
func (h *harness) raw(body string) response {
	h.t.Helper()
	id := h.id
	h.id++
	line := h.s.answer([]byte(fmt.Sprintf(`{"id":%d,%s}`, id, body)))
	var r response
	if err := json.Unmarshal(line, &r); err != nil {
		h.t.Fatalf("answer is not JSON: %v: %s", err, line)
	}
	if r.ID != id {
		h.t.Fatalf("answer to %d has id %d: %s", id, r.ID, line)
	}
	if (r.OK == nil) == (r.Error == nil) {
		h.t.Fatalf("answer has neither or both of ok and error: %s", line)
	}
	return r
}

func (h *harness) ok(body string) string {
	h.t.Helper()
	r := h.raw(body)
	if r.Error != nil {
		h.t.Fatalf("request {%s} failed: %s: %s", body, r.Error.Kind, r.Error.Message)
	}
	return string(r.OK)
}

// fails expects an error of the kind whose message contains want.
func (h *harness) fails(body, kind, want string) {
	h.t.Helper()
	r := h.raw(body)
	if r.Error == nil {
		h.t.Fatalf("request {%s} succeeded: %s", body, r.OK)
	}
	if r.Error.Kind != kind || !strings.Contains(r.Error.Message, want) {
		h.t.Fatalf("request {%s}: got %s %q, want %s containing %q", body, r.Error.Kind,
			r.Error.Message, kind, want)
	}
}

// apply drives an input (JSON) and returns the outputs list as JSON text.
func (h *harness) apply(input string) string {
	h.t.Helper()
	var out struct {
		Outputs json.RawMessage `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(h.ok(`"op":"apply","input":`+input)), &out); err != nil {
		h.t.Fatal(err)
	}
	return string(out.Outputs)
}

func (h *harness) expect(input, want string) {
	h.t.Helper()
	if got := h.apply(input); got != want {
		h.t.Fatalf("apply %s\n got: %s\nwant: %s", input, got, want)
	}
}

// view is one node's observed state as JSON text.
func (h *harness) view(id int) string {
	h.t.Helper()
	var out struct {
		Nodes []json.RawMessage `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(h.ok(`"op":"observe"`)), &out); err != nil {
		h.t.Fatal(err)
	}
	return string(out.Nodes[id-1])
}

// fields is some fields of one node's observed state, as "key=JSON" joined by spaces.
func (h *harness) fields(id int, keys ...string) string {
	h.t.Helper()
	var view map[string]json.RawMessage
	if err := json.Unmarshal([]byte(h.view(id)), &view); err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		out = append(out, k+"="+string(view[k]))
	}
	return strings.Join(out, " ")
}

func (h *harness) observe() string {
	h.t.Helper()
	return h.ok(`"op":"observe"`)
}

func (h *harness) fingerprint() string {
	h.t.Helper()
	var out struct {
		Fingerprint string `json:"fingerprint"`
	}
	if err := json.Unmarshal([]byte(h.ok(`"op":"fingerprint"`)), &out); err != nil {
		h.t.Fatal(err)
	}
	return out.Fingerprint
}

// Inputs and messages in protocol JSON.

func timeout(n int) string   { return fmt.Sprintf(`{"input":"timeout","node":%d}`, n) }
func restart(n int) string   { return fmt.Sprintf(`{"input":"restart","node":%d}`, n) }
func heartbeat(n int) string { return fmt.Sprintf(`{"input":"heartbeat","node":%d}`, n) }
func client(n, v int) string {
	return fmt.Sprintf(`{"input":"client_request","node":%d,"value":%d}`, n, v)
}
func receive(m string) string { return `{"input":"receive","message":` + m + `}` }
func compact(n int) string    { return fmt.Sprintf(`{"input":"compact","node":%d}`, n) }
func confChange(n int, change string) string {
	return fmt.Sprintf(`{"input":"propose_conf_change","node":%d,"change":%s}`, n, change)
}
func single(op string, node int) string {
	return fmt.Sprintf(`{"kind":"single","change":{"op":"%s","node":%d}}`, op, node)
}
func snap(from, to, term, index, snapTerm int, voters, values string) string {
	return fmt.Sprintf(`{"from":%d,"to":%d,"term":%d,"type":"Snapshot","snapshot":{"index":%d,"term":%d,"conf_state":{"voters":%s},"values":%s}}`,
		from, to, term, index, snapTerm, voters, values)
}
func send(m string) string { return `{"output":"send","message":` + m + `}` }
func outputs(os ...string) string {
	return "[" + strings.Join(os, ",") + "]"
}

func rv(from, to, term, lastIndex, lastTerm int) string {
	return fmt.Sprintf(`{"from":%d,"to":%d,"term":%d,"type":"RequestVote","last_log_index":%d,"last_log_term":%d,"commit":0,"commit_term":0}`,
		from, to, term, lastIndex, lastTerm)
}

func rvr(from, to, term int, reject bool) string {
	return fmt.Sprintf(`{"from":%d,"to":%d,"term":%d,"type":"RequestVoteResponse","reject":%v,"commit":0,"commit_term":0}`,
		from, to, term, reject)
}

func ae(from, to, term, prev, prevTerm int, entries string, commit int) string {
	return fmt.Sprintf(`{"from":%d,"to":%d,"term":%d,"type":"AppendEntries","prev_log_index":%d,"prev_log_term":%d,"entries":%s,"commit":%d}`,
		from, to, term, prev, prevTerm, entries, commit)
}

func aer(from, to, term int, reject bool, index, hint int) string {
	return fmt.Sprintf(`{"from":%d,"to":%d,"term":%d,"type":"AppendEntriesResponse","reject":%v,"index":%d,"reject_hint":%d,"hint_term":0,"commit":0}`,
		from, to, term, reject, index, hint)
}

// rejection is a rejected AppendEntriesResponse with the hint this etcd version sends for a
// follower whose entry at hint has term hintTerm: 3.4 the last index and term 0, v3.6 the
// findConflictByTerm index and its term (version_*_test.go, rejectHintTerm).
func rejection(from, to, term, index, hint, hintTerm int) string {
	return fmt.Sprintf(`{"from":%d,"to":%d,"term":%d,"type":"AppendEntriesResponse","reject":true,"index":%d,"reject_hint":%d,"hint_term":%d,"commit":0}`,
		from, to, term, index, hint, rejectHintTerm(hintTerm))
}

func hb(from, to, term, commit int) string {
	return fmt.Sprintf(`{"from":%d,"to":%d,"term":%d,"type":"Heartbeat","commit":%d}`, from, to, term, commit)
}

func hbr(from, to, term int) string {
	return fmt.Sprintf(`{"from":%d,"to":%d,"term":%d,"type":"HeartbeatResponse","commit":0}`, from, to, term)
}

func becomeLeader(n, term int) string {
	return fmt.Sprintf(`{"output":"become_leader","node":%d,"term":%d}`, n, term)
}

// commitEmpty has n1, just elected, commit its empty entry with n2's acknowledgement.
func (h *harness) commitEmpty() {
	h.t.Helper()
	h.apply(receive(ae(1, 2, 1, 0, 0, `[{"term":1}]`, 0)))
	h.expect(receive(aer(2, 1, 1, false, 1, 0)), outputs(send(ae(1, 2, 1, 1, 1, `[]`, 1))))
}

// elect makes n1 leader of term 1 with n2's vote; the appends carrying the empty entry are
// returned undelivered.
func (h *harness) elect() {
	h.t.Helper()
	h.expect(timeout(1), outputs(send(rv(1, 2, 1, 0, 0)), send(rv(1, 3, 1, 0, 0))))
	h.expect(receive(rv(1, 2, 1, 0, 0)), outputs(send(rvr(2, 1, 1, false))))
	h.expect(receive(rvr(2, 1, 1, false)), outputs(becomeLeader(1, 1),
		send(ae(1, 2, 1, 0, 0, `[{"term":1}]`, 0)), send(ae(1, 3, 1, 0, 0, `[{"term":1}]`, 0))))
}

// nodeView is the view of a node of the initial configuration (voters 1, 2, 3) that has applied
// everything committed, no client value among it, and never compacted.
func nodeView(term int, role string, vote, leader string, log string, commit int) string {
	return fmt.Sprintf(`{"term":%d,"role":"%s","vote":%s,"leader":%s,"log":%s,"commit":%d,`+
		`"config":{"voters":[1,2,3]},"applied":%d,"state_machine":[]}`,
		term, role, vote, leader, log, commit, commit)
}

// ---------------------------------------------------------------------------------------------
// The protocol

func TestHandshake(t *testing.T) {
	h := &harness{t: t, s: &session{}}
	var hello struct {
		Protocol       int      `json:"protocol"`
		Implementation string   `json:"implementation"`
		Flavour        string   `json:"flavour"`
		Bugs           []string `json:"bugs"`
		Features       []string `json:"features"`
	}
	if err := json.Unmarshal([]byte(h.ok(`"op":"hello","protocol":1`)), &hello); err != nil {
		t.Fatal(err)
	}
	wantBugs := []string{"vote-not-persisted", "term-not-persisted", "unsynced-tail-lost",
		"ack-before-persist", "stale-term-as-current", "reply-to-wrong-peer", "conflict-not-truncated",
		"conf-change-on-append", "conf-state-not-persisted", "compact-past-applied",
		"snapshot-keeps-log", "snapshot-data-ignored", "no-probe-backoff", "no-heartbeat-repair"}
	wantFeatures := []string{"fingerprint", "reset_node", "pre_vote", "membership", "snapshots",
		"step", "node_step"}
	if hello.Protocol != 1 || hello.Flavour != flavour || hello.Implementation != implementation ||
		!reflect.DeepEqual(hello.Bugs, wantBugs) || !reflect.DeepEqual(hello.Features, wantFeatures) {
		t.Fatalf("hello: %+v", hello)
	}
	h.fails(`"op":"hello","protocol":2`, kindFault, "protocol version 1")
	h.fails(`"op":"launch"`, kindFault, `unknown op "launch"`)
	h.fails(`"op":"observe"`, kindFault, "send reset first")
	h.fails(`"op":"apply","input":{"input":"timeout","node":1}`, kindFault, "send reset first")
	h.fails(`"op":"reset","nodes":3,"inject":"no-such-bug"`, kindFault, `unknown bug "no-such-bug"`)
	h.fails(`"op":"reset","nodes":0,"inject":null`, kindFault, "1 to 1000 nodes")
	h.fails(`"op":"reset","nodes":-1,"inject":null`, kindFault, "non-negative integer")
	h.fails(`"op":"reset","nodes":3,"inject":null,"extra":1`, kindFault, "unknown field(s) extra")
	h.ok(`"op":"reset","nodes":3`) // inject may be omitted
	h.ok(`"op":"reset","nodes":3,"inject":null`)
	h.fails(`"op":"apply"`, kindFault, `lacks the field "input"`)
	h.fails(`"op":"apply","input":{"input":"jump","node":1}`, kindFault, `unknown input "jump"`)
	h.fails(`"op":"apply","input":{"input":"timeout"}`, kindFault, `lacks the field "node"`)
	h.fails(`"op":"apply","input":{"input":"timeout","node":4}`, kindFault, "no node n4 in a 3-node cluster")
	h.fails(`"op":"apply","input":{"input":"receive","message":{"from":1,"to":2,"term":1,"type":"InstallSnapshot"}}`,
		kindFault, `unknown message type "InstallSnapshot"`)
	h.fails(`"op":"apply","input":{"input":"receive","message":{"from":1,"to":2,"term":1,"type":"Snapshot"}}`,
		kindFault, `lacks the field "snapshot"`)
	h.fails(`"op":"apply","input":{"input":"receive","message":{"from":1,"to":2,"term":1,"type":"Snapshot","snapshot":{"index":1,"term":1,"conf_state":{},"values":[]}}}`,
		kindFault, `lacks the field "voters"`)
	h.fails(`"op":"apply","input":{"input":"propose_conf_change","node":1,"change":{"kind":"single","change":{"op":"promote","node":4}}}`,
		kindFault, `unknown op "promote"`)
	h.fails(`"op":"apply","input":{"input":"propose_conf_change","node":1,"change":{"kind":"joint","changes":[]}}`,
		kindFault, `lacks the field "auto_leave"`)
	h.fails(`"op":"apply","input":{"input":"propose_conf_change","node":1,"change":{"kind":"leave","auto_leave":true}}`,
		kindFault, "unknown field(s) auto_leave")
	h.fails(`"op":"apply","input":{"input":"compact"}`, kindFault, `lacks the field "node"`)
	h.fails(`"op":"reset","nodes":3,"spares":-1`, kindFault, "non-negative integer")
	h.fails(`"op":"apply","input":{"input":"receive","message":{"from":1,"to":2,"term":1,"type":"Heartbeat","commit":0,"reject":true}}`,
		kindFault, "unknown field(s) reject")
	h.fails(`"op":"reset_node","node":9`, kindFault, "no node n9")
	if got := h.apply(`{"input":"drop","message":` + hb(1, 2, 1, 0) + `}`); got != "[]" {
		t.Fatalf("drop: %s", got)
	}
	// Malformed lines still get an answer (id 0 when no id can be read).
	for _, line := range []string{`not json`, `{"op":"hello"}`, `[1,2]`} {
		var r response
		if err := json.Unmarshal(h.s.answer([]byte(line)), &r); err != nil || r.Error == nil ||
			r.Error.Kind != kindFault || r.ID != 0 {
			t.Fatalf("%s: %+v %v", line, r, err)
		}
	}
}

func TestServeAnswersEveryLineAndStopsAtEOF(t *testing.T) {
	in := strings.Join([]string{
		`{"id":0,"op":"hello","protocol":1}`,
		``,
		`{"id":1,"op":"reset","nodes":3,"inject":null}`,
		`{"id":2,"op":"apply","input":{"input":"timeout","node":1}}`,
		`{"id":3,"op":"observe"}`, // no newline at the end
	}, "\n")
	var out bytes.Buffer
	if err := serve(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 answers, got %d:\n%s", len(lines), out.String())
	}
	for i, line := range lines {
		var r response
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.ID != uint64(i) || r.Error != nil {
			t.Fatalf("line %d: %s (%v)", i, line, err)
		}
	}
}

func TestRejectionCarriesLastIndex(t *testing.T) {
	h := started(t, 3, "null")
	h.elect()
	h.expect(receive(ae(1, 2, 1, 0, 0, `[{"term":1}]`, 0)), outputs(send(aer(2, 1, 1, false, 1, 0))))
	// An append past the follower's end: rejected at index 5 with hint = last index 1 (3.4:
	// term 0; v3.6: the term there, 1).
	h.expect(receive(ae(1, 2, 1, 5, 1, `[]`, 0)), outputs(send(rejection(2, 1, 1, 5, 1, 1))))
	// An append whose previous entry has another term: rejected with hint = last index (v3.6:
	// the last index at or below 1 whose term is at most 3, with its term).
	h.expect(receive(ae(1, 2, 1, 1, 3, `[]`, 0)), outputs(send(rejection(2, 1, 1, 1, 1, 1))))
	// The leader answers a rejection (n2 is in replicate state, match 1) by probing again.
	h.expect(receive(aer(2, 1, 1, false, 1, 0)), outputs(send(ae(1, 2, 1, 1, 1, `[]`, 1))))
	h.expect(receive(aer(2, 1, 1, true, 3, 1)), outputs(send(ae(1, 2, 1, 1, 1, `[]`, 1))))
	// Stale messages (lower term) are ignored without an answer.
	h.expect(timeout(3), outputs(send(rv(3, 1, 1, 0, 0)), send(rv(3, 2, 1, 0, 0))))
	h.expect(timeout(3), outputs(send(rv(3, 1, 2, 0, 0)), send(rv(3, 2, 2, 0, 0))))
	h.expect(receive(hb(1, 3, 1, 0)), `[]`)
	// A vote request from a candidate with a shorter log is refused with the voter's term.
	h.expect(receive(rv(3, 2, 2, 0, 0)), outputs(send(rvr(2, 3, 2, true))))
	// A response from outside the configuration is ignored (etcd: ErrStepPeerNotFound).
	h.expect(receive(rvr(9, 3, 2, false)), `[]`)
}

// ---------------------------------------------------------------------------------------------
// Conversion

func value(v uint64) *uint64 { return &v }

func allKinds() []*Message {
	return []*Message{
		{From: 1, To: 2, Term: 2, Type: typeRequestVote, LastLogIndex: 2, LastLogTerm: 1},
		{From: 1, To: 2, Term: 2, Type: typeRequestVoteResponse, Reject: true},
		{From: 1, To: 2, Term: 2, Type: typeAppendEntries, PrevLogIndex: 1, PrevLogTerm: 1,
			Entries: []Entry{{Term: 2}, {Term: 2, Value: value(7)}}, Commit: 1},
		{From: 1, To: 2, Term: 2, Type: typeAppendEntries, PrevLogIndex: 3, PrevLogTerm: 2, Entries: []Entry{}},
		{From: 1, To: 2, Term: 2, Type: typeAppendEntriesResponse, Reject: true, Index: 3, RejectHint: 1,
			HintTerm: 1, Commit: 1},
		{From: 1, To: 2, Term: 2, Type: typeHeartbeat, Commit: 1},
		{From: 1, To: 2, Term: 2, Type: typeHeartbeatResponse, Commit: 1},
		{From: 3, To: 1, Term: 0, Type: typePropose, Value: 1 << 63},
		{From: 1, To: 2, Term: 2, Type: typeAppendEntries, PrevLogIndex: 1, PrevLogTerm: 1, Entries: []Entry{
			{Term: 2, Conf: &ConfChange{Kind: confSingle, Changes: []Change{{Op: opAddVoter, Node: 4}}}},
			{Term: 2, Conf: &ConfChange{Kind: confSingle, Changes: []Change{{Op: opAddLearner, Node: 5}}}},
			{Term: 2, Conf: &ConfChange{Kind: confSingle, Changes: []Change{{Op: opRemove, Node: 1}}}},
			{Term: 2, Conf: &ConfChange{Kind: confJoint, AutoLeave: true,
				Changes: []Change{{Op: opAddVoter, Node: 4}, {Op: opRemove, Node: 1}}}},
			{Term: 2, Conf: &ConfChange{Kind: confJoint, Changes: []Change{{Op: opAddLearner, Node: 4}}}},
			{Term: 2, Conf: &ConfChange{Kind: confLeave}},
		}, Commit: 1},
		{From: 1, To: 4, Term: 2, Type: typeSnapshot, Snapshot: &Snapshot{Index: 5, Term: 2,
			ConfState: ConfState{Voters: []uint64{1, 2, 4}, VotersOutgoing: []uint64{1, 2, 3},
				Learners: []uint64{5}, LearnersNext: []uint64{3}, AutoLeave: true},
			Values: []uint64{1, 2}}},
		{From: 1, To: 4, Term: 2, Type: typeSnapshot, Snapshot: &Snapshot{Index: 1, Term: 1,
			ConfState: ConfState{Voters: []uint64{1, 2, 3}}, Values: []uint64{}}},
	}
}

func pbMust(data []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return data
}

func TestEveryKindRoundTrips(t *testing.T) {
	for _, m := range allKinds() {
		e, err := messageToEtcd(m)
		if err != nil {
			t.Fatalf("%+v: %v", m, err)
		}
		back, err := messageFromEtcd(e)
		if err != nil {
			t.Fatalf("%+v: %v", m, err)
		}
		a, _ := json.Marshal(m)
		b, _ := json.Marshal(back)
		if !bytes.Equal(a, b) {
			t.Fatalf("round trip changed the message:\n%s\n%s", a, b)
		}
		// And through the JSON decoder.
		decoded, aerr := decodeMessage(a)
		if aerr != nil {
			t.Fatal(aerr)
		}
		c, _ := json.Marshal(decoded)
		if !bytes.Equal(a, c) {
			t.Fatalf("JSON round trip changed the message:\n%s\n%s", a, c)
		}
	}
	// Entry indexes follow the previous index.
	e, _ := messageToEtcd(allKinds()[2])
	if e.Entries[0].Index != 2 || e.Entries[1].Index != 3 || e.Entries[1].Term != 2 ||
		!bytes.Equal(e.Entries[1].Data, []byte{0, 0, 0, 0, 0, 0, 0, 7}) || e.Entries[0].Data != nil {
		t.Fatalf("entries: %+v", e.Entries)
	}
	// Omitted payload fields are 0.
	m, aerr := decodeMessage([]byte(`{"from":1,"to":2,"term":1,"type":"RequestVote"}`))
	if aerr != nil || m.LastLogIndex != 0 || m.Commit != 0 {
		t.Fatalf("%+v %v", m, aerr)
	}
}

func TestUnmodelledMessagesAreRefused(t *testing.T) {
	base := func() pb.Message {
		e, _ := messageToEtcd(allKinds()[2])
		return e
	}
	cases := map[string]func() pb.Message{
		"MsgSnap with odd data": func() pb.Message {
			m := pb.Message{Type: pb.MsgSnap, From: 1, To: 2, Term: 1}
			setMessageSnapshot(&m, pb.Snapshot{Data: []byte("abc"), Metadata: pb.SnapshotMetadata{Index: 1, Term: 1}})
			return m
		},
		"MsgSnap with unsorted voters": func() pb.Message {
			m := pb.Message{Type: pb.MsgSnap, From: 1, To: 2, Term: 1}
			setMessageSnapshot(&m, pb.Snapshot{
				Metadata: pb.SnapshotMetadata{Index: 1, Term: 1, ConfState: pb.ConfState{Voters: []uint64{2, 1}}}})
			return m
		},
		"UpdateNode conf change": func() pb.Message {
			m := base()
			cc := pb.ConfChange{Type: pb.ConfChangeUpdateNode, NodeID: 2}
			m.Entries[0].Type, m.Entries[0].Data = pb.EntryConfChange, pbMust(cc.Marshal())
			return m
		},
		"conf change with a context": func() pb.Message {
			m := base()
			cc := pb.ConfChange{Type: pb.ConfChangeAddNode, NodeID: 4, Context: []byte("x")}
			m.Entries[0].Type, m.Entries[0].Data = pb.EntryConfChange, pbMust(cc.Marshal())
			return m
		},
		"simple ConfChangeV2": func() pb.Message {
			m := base()
			cc := pb.ConfChangeV2{Changes: []pb.ConfChangeSingle{{Type: pb.ConfChangeAddNode, NodeID: 4}}}
			m.Entries[0].Type, m.Entries[0].Data = pb.EntryConfChangeV2, pbMust(cc.Marshal())
			return m
		},
		"MsgTimeoutNow": func() pb.Message { return pb.Message{Type: pb.MsgTimeoutNow, From: 1, To: 2, Term: 1} },
		"pre-vote with a commit": func() pb.Message {
			return pb.Message{Type: pb.MsgPreVote, From: 1, To: 2, Term: 1, Commit: 1}
		},
		"MsgReadIndex":   func() pb.Message { return pb.Message{Type: pb.MsgReadIndex, From: 1, To: 2} },
		"context bytes":  func() pb.Message { m := base(); m.Context = []byte("ctx"); return m },
		"reject hint":    func() pb.Message { m := base(); m.RejectHint = 4; return m },
		"reject on app":  func() pb.Message { m := base(); m.Reject = true; return m },
		"gap in indexes": func() pb.Message { m := base(); m.Entries[1].Index = 9; return m },
		"conf change entry": func() pb.Message {
			m := base()
			m.Entries[0].Type = pb.EntryConfChange
			return m
		},
		"odd data": func() pb.Message { m := base(); m.Entries[1].Data = []byte("abc"); return m },
		"snapshot": func() pb.Message {
			m := base()
			setMessageSnapshot(&m, pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 3}})
			return m
		},
		"commit on vote": func() pb.Message {
			return pb.Message{Type: pb.MsgVote, From: 1, To: 2, Term: 1, Commit: 2}
		},
		"log term on heartbeat": func() pb.Message {
			return pb.Message{Type: pb.MsgHeartbeat, From: 1, To: 2, Term: 1, LogTerm: 1}
		},
		"two proposals": func() pb.Message {
			return pb.Message{Type: pb.MsgProp, From: 1, To: 2,
				Entries: []pb.Entry{{Data: valueToData(1)}, {Data: valueToData(2)}}}
		},
		"empty proposal": func() pb.Message {
			return pb.Message{Type: pb.MsgProp, From: 1, To: 2, Entries: []pb.Entry{{}}}
		},
		"proposal entry with a term": func() pb.Message {
			return pb.Message{Type: pb.MsgProp, From: 1, To: 2, Entries: []pb.Entry{{Term: 1, Data: valueToData(1)}}}
		},
	}
	for name, make := range versionUnmodelledMessages(base) {
		cases[name] = make
	}
	for name, make := range cases {
		_, err := messageFromEtcd(make())
		ae, ok := err.(*adapterError)
		if !ok || ae.kind != kindUnmodelled {
			t.Errorf("%s: want unmodelled, got %v", name, err)
		}
	}
	if _, err := messageFromEtcd(pb.Message{Type: pb.MsgTimeoutNow}); err == nil ||
		!strings.Contains(err.Error(), "MsgTimeoutNow") {
		t.Errorf("the message type is named: %v", err)
	}
	// A raft-rs commit on a vote request cannot be delivered to etcd.
	h := started(t, 3, "null")
	h.fails(`"op":"apply","input":`+receive(`{"from":1,"to":2,"term":1,"type":"RequestVote","last_log_index":0,"last_log_term":0,"commit":1,"commit_term":1}`),
		kindFault, "no commit index")
}

func TestValues(t *testing.T) {
	if v, err := dataToValue(nil); v != nil || err != nil {
		t.Fatal("empty data is the empty entry")
	}
	if v, err := dataToValue(valueToData(42)); err != nil || *v != 42 {
		t.Fatal("8 bytes are a value")
	}
	if _, err := dataToValue([]byte("abc")); err == nil {
		t.Fatal("3 bytes are not a value")
	}
}

// ---------------------------------------------------------------------------------------------
// Restart, reset_node, panics

// A "pre_vote" that is not a boolean is refused (the pre-vote scenario itself is in
// testdata/pre_vote.txt, run on every target by tests/scenarios.rs).
func TestPreVote(t *testing.T) {
	h := newHarness(t)
	h.fails(`"op":"reset","nodes":3,"inject":null,"pre_vote":"yes"`, kindFault, "pre_vote")
}

func TestResetNode(t *testing.T) {
	h := started(t, 3, "null")
	before := h.fingerprint()
	h.elect()
	h.ok(`"op":"reset_node","node":2`)
	if got, want := h.view(2), nodeView(0, "Follower", "null", "null", "[]", 0); got != want {
		t.Fatalf("n2 after reset_node: %s", got)
	}
	if got := h.view(1); !strings.Contains(got, `"role":"Leader"`) {
		t.Fatalf("n1 is untouched: %s", got)
	}
	h.ok(`"op":"reset_node","node":1`)
	if h.fingerprint() != before {
		t.Fatal("a cluster of reset nodes has the fingerprint of a fresh cluster")
	}
}

func TestEtcdPanicIsAFaultAndDiscardsTheCluster(t *testing.T) {
	h := started(t, 3, "null")
	// A heartbeat committing beyond the follower's log trips etcd's commitTo assertion.
	h.fails(`"op":"apply","input":`+receive(hb(1, 2, 1, 5)), kindFault, "tocommit(5) is out of range")
	h.fails(`"op":"observe"`, kindFault, "send reset first")
	h.ok(`"op":"reset","nodes":3,"inject":null`)
	h.observe()
}

// ---------------------------------------------------------------------------------------------
// Fingerprint

func TestFingerprintsOfEqualRunsAreEqual(t *testing.T) {
	run := func() (*harness, string) {
		h := started(t, 3, "null")
		h.elect()
		h.apply(receive(ae(1, 2, 1, 0, 0, `[{"term":1}]`, 0)))
		h.apply(client(1, 1))
		h.apply(heartbeat(1))
		return h, h.fingerprint()
	}
	_, a := run()
	_, b := run()
	if a != b || len(a) != 32 {
		t.Fatalf("equal runs, fingerprints %s and %s", a, b)
	}
	if started(t, 3, "null").fingerprint() == a {
		t.Fatal("a fresh cluster has another fingerprint")
	}
	if started(t, 3, "null").fingerprint() != started(t, 3, "null").fingerprint() {
		t.Fatal("fresh clusters have equal fingerprints")
	}
	if started(t, 3, "null").fingerprint() == started(t, 3, bugVoteNotPersisted).fingerprint() {
		t.Fatal("the injected bug is part of the state")
	}
}

// The per-node digest cache never goes stale: a cluster fingerprinted after every step ends with
// the fingerprint of one driven through the same steps and fingerprinted only at the end, and
// every step that changes a node changes the fingerprint.
func TestCachedFingerprintsMatchFreshOnes(t *testing.T) {
	steps := []func(h *harness){
		func(h *harness) { h.apply(timeout(1)) },
		func(h *harness) { h.apply(receive(rv(1, 2, 1, 0, 0))) },
		func(h *harness) { h.apply(receive(rvr(2, 1, 1, false))) },
		func(h *harness) { h.apply(client(1, 1)) },
		func(h *harness) { h.apply(receive(ae(1, 3, 1, 0, 0, `[{"term":1},{"term":1,"value":1}]`, 0))) },
		func(h *harness) { h.apply(restart(3)) },
		func(h *harness) { h.ok(`"op":"reset_node","node":2`) },
		func(h *harness) { h.apply(client(1, 2)) },
	}
	watched := started(t, 3, "null")
	seen := map[string]bool{watched.fingerprint(): true}
	for i, step := range steps {
		step(watched)
		fp := watched.fingerprint()
		if seen[fp] {
			t.Fatalf("step %d changed a node but not the fingerprint", i+1)
		}
		seen[fp] = true
		unwatched := started(t, 3, "null")
		for _, s := range steps[:i+1] {
			s(unwatched)
		}
		if got := unwatched.fingerprint(); got != fp {
			t.Fatalf("after step %d: cached fingerprint %s, computed afresh %s", i+1, fp, got)
		}
	}
}

// Hidden state the observation does not show changes the fingerprint.
func TestFingerprintSeesHiddenState(t *testing.T) {
	// Two candidates at term 1; n2 refuses n1's request. Delivering the refusal changes only n1's
	// vote tally, which observe does not show.
	prefix := func() *harness {
		h := started(t, 3, "null")
		h.apply(timeout(1))
		h.apply(timeout(2))
		h.expect(receive(rv(1, 2, 1, 0, 0)), outputs(send(rvr(2, 1, 1, true))))
		return h
	}
	a, b := prefix(), prefix()
	b.expect(receive(rvr(2, 1, 1, true)), `[]`)
	if a.observe() != b.observe() {
		t.Fatal("the refusal is not observable")
	}
	if a.fingerprint() == b.fingerprint() {
		t.Fatal("a candidate that recorded a refusal has another fingerprint")
	}
	// And it matters: one more refusal makes b lose (follower), a stays candidate.
	a.apply(timeout(3))
	b.apply(timeout(3))
	a.apply(receive(rv(1, 3, 1, 0, 0)))
	b.apply(receive(rv(1, 3, 1, 0, 0)))
	a.apply(receive(rvr(3, 1, 1, true)))
	b.apply(receive(rvr(3, 1, 1, true)))
	if !strings.Contains(a.view(1), "Candidate") || !strings.Contains(b.view(1), "Follower") {
		t.Fatalf("one refusal leaves n1 candidate, two make it lose: %s %s", a.view(1), b.view(1))
	}

	// Replication progress: the leader's knowledge of n2's match index.
	c, d := started(t, 3, "null"), started(t, 3, "null")
	for _, h := range []*harness{c, d} {
		h.elect()
		h.apply(receive(ae(1, 2, 1, 0, 0, `[{"term":1}]`, 0)))
		h.apply(client(1, 1))
	}
	d.apply(receive(aer(2, 1, 1, false, 1, 0)))
	c.apply(receive(aer(2, 1, 1, false, 1, 0)))
	c.apply(receive(aer(2, 1, 1, true, 2, 1))) // a rejection: progress back to probe
	if c.observe() != d.observe() {
		t.Fatal("progress is not observable")
	}
	if c.fingerprint() == d.fingerprint() {
		t.Fatal("different progress, different fingerprints")
	}

	// A write that is not durable yet (ack-before-persist) is hidden state too.
	e, f := started(t, 3, bugAckBeforePersist), started(t, 3, bugAckBeforePersist)
	for _, h := range []*harness{e, f} {
		h.apply(timeout(1))
		h.apply(receive(rv(1, 2, 1, 0, 0)))
	}
	f.apply(heartbeat(2)) // an input to n2 that changes nothing but completes the write
	if e.observe() != f.observe() {
		t.Fatal("durability is not observable")
	}
	if e.fingerprint() == f.fingerprint() {
		t.Fatal("a pending write changes the fingerprint")
	}
}

// What cannot change behaviour does not change the fingerprint: ticking a leader once or twice
// (electionElapsed differs, heartbeatElapsed stays 0).
func TestFingerprintIgnoresTickCounters(t *testing.T) {
	a, b := started(t, 3, "null"), started(t, 3, "null")
	for _, h := range []*harness{a, b} {
		h.elect()
	}
	a.apply(heartbeat(1))
	b.apply(heartbeat(1))
	b.apply(heartbeat(1))
	if a.fingerprint() != b.fingerprint() {
		t.Fatal("heartbeat counts change no behaviour")
	}
	r := reflect.ValueOf(b.s.cluster.nodes[0].rn).Elem().FieldByName("raft").Elem()
	if r.FieldByName("heartbeatElapsed").Int() != 0 || r.FieldByName("electionElapsed").Int() != 2 {
		t.Fatalf("heartbeatElapsed %d, electionElapsed %d", r.FieldByName("heartbeatElapsed").Int(),
			r.FieldByName("electionElapsed").Int())
	}
}

// ---------------------------------------------------------------------------------------------
// Injected bugs: each changes a short scenario against stock etcd.

func TestInjectedBugs(t *testing.T) {
	// vote granted by n2, then n2 restarts
	votedThenRestart := func(h *harness) string {
		h.apply(timeout(1))
		h.apply(receive(rv(1, 2, 1, 0, 0)))
		h.apply(restart(2))
		return h.view(2)
	}
	// n1 elected; n2 gets the leader's empty entry with commit, then restarts
	appendedThenRestart := func(commit int) func(h *harness) string {
		return func(h *harness) string {
			h.elect()
			h.apply(receive(ae(1, 2, 1, 0, 0, `[{"term":1}]`, commit)))
			h.apply(restart(2))
			return h.view(2)
		}
	}
	cases := []struct {
		bug      string
		scenario func(h *harness) string
		stock    string
		buggy    string
	}{
		{bugVoteNotPersisted, votedThenRestart,
			nodeView(1, "Follower", "1", "null", "[]", 0),
			nodeView(1, "Follower", "null", "null", "[]", 0)},
		{bugTermNotPersisted, votedThenRestart,
			nodeView(1, "Follower", "1", "null", "[]", 0),
			nodeView(0, "Follower", "1", "null", "[]", 0)},
		{bugAckBeforePersist, votedThenRestart,
			nodeView(1, "Follower", "1", "null", "[]", 0),
			nodeView(0, "Follower", "null", "null", "[]", 0)},
		{bugAckBeforePersist, func(h *harness) string {
			// The write completes at n2's next input: a restart after it loses nothing.
			h.apply(timeout(1))
			h.apply(receive(rv(1, 2, 1, 0, 0)))
			h.apply(heartbeat(2))
			h.apply(restart(2))
			return h.view(2)
		}, nodeView(1, "Follower", "1", "null", "[]", 0),
			nodeView(1, "Follower", "1", "null", "[]", 0)},
		// The empty entry arrives without a HardState change: never synced.
		{bugUnsyncedTailLost, appendedThenRestart(0),
			nodeView(1, "Follower", "1", "null", `[{"term":1}]`, 0),
			nodeView(1, "Follower", "1", "null", `[]`, 0)},
		// With a commit (a HardState change) in the same Ready, everything is synced.
		{bugUnsyncedTailLost, appendedThenRestart(1),
			nodeView(1, "Follower", "1", "null", `[{"term":1}]`, 1),
			nodeView(1, "Follower", "1", "null", `[{"term":1}]`, 1)},
		{bugStaleTermAsCurrent, func(h *harness) string {
			h.apply(timeout(2))
			h.apply(timeout(1))
			h.apply(timeout(1))
			return h.apply(receive(rv(2, 1, 1, 0, 0)))
		}, `[]`, outputs(send(rvr(1, 2, 2, true)))},
		{bugReplyToWrongPeer, func(h *harness) string {
			h.apply(timeout(1))
			return h.apply(receive(rv(1, 2, 1, 0, 0)))
		}, outputs(send(rvr(2, 1, 1, false))), outputs(send(rvr(2, 3, 1, false)))},
		{bugReplyToWrongPeer, func(h *harness) string {
			return h.apply(receive(hb(2, 1, 1, 0)))
		}, outputs(send(hbr(1, 2, 1))), outputs(send(hbr(1, 3, 1)))},
		{bugConflictNotTruncated, func(h *harness) string {
			h.apply(receive(ae(1, 3, 1, 0, 0, `[{"term":1},{"term":1,"value":1},{"term":1,"value":2}]`, 0)))
			h.apply(receive(ae(2, 3, 2, 1, 1, `[{"term":2}]`, 0)))
			return h.view(3)
		}, nodeView(2, "Follower", "null", "2", `[{"term":1},{"term":2}]`, 0),
			nodeView(2, "Follower", "null", "2", `[{"term":1},{"term":2},{"term":1,"value":2}]`, 0)},
	}
	// n1 elected, its empty entry committed, then it removes n3 (the change replicated to n2
	// and committed).
	removed3 := func(h *harness) {
		h.elect()
		h.commitEmpty()
		h.apply(confChange(1, single("remove", 3)))
		h.apply(receive(ae(1, 2, 1, 1, 1, `[{"term":1,"conf":`+single("remove", 3)+`}]`, 1)))
		h.apply(receive(aer(2, 1, 1, false, 2, 0)))
	}
	// n3 holds entries 1-3 of term 1 from n1; then n2, leader of term 2, sends it a snapshot at
	// index 2 of term 2 (its entry 2 conflicts) holding the value 5.
	snapshotOverConflict := func(h *harness) string {
		h.apply(receive(ae(1, 3, 1, 0, 0, `[{"term":1},{"term":1,"value":1},{"term":1,"value":2}]`, 0)))
		h.apply(receive(snap(2, 3, 2, 2, 2, `[1,2,3]`, `[5]`)))
		return h.fields(3, "snapshot_index", "log", "commit", "applied", "state_machine")
	}
	cases = append(cases, []struct {
		bug      string
		scenario func(h *harness) string
		stock    string
		buggy    string
	}{
		// The removal is only appended: not in force until committed.
		{bugConfChangeOnAppend, func(h *harness) string {
			h.elect()
			h.apply(confChange(1, single("remove", 3)))
			return h.fields(1, "config")
		}, `config={"voters":[1,2,3]}`, `config={"voters":[1,2]}`},
		// Committed and applied, then n1 restarts.
		{bugConfStateNotPersist, func(h *harness) string {
			removed3(h)
			before := h.fields(1, "config")
			h.apply(restart(1))
			return before + " " + h.fields(1, "config", "applied")
		}, `config={"voters":[1,2]} config={"voters":[1,2]} applied=2`,
			`config={"voters":[1,2]} config={"voters":[1,2,3]} applied=2`},
		// n1 has applied 1 and holds the value 7 unapplied at 2 when it compacts.
		{bugCompactPastApplied, func(h *harness) string {
			h.elect()
			h.commitEmpty()
			h.apply(client(1, 7))
			h.apply(compact(1))
			return h.fields(1, "snapshot_index", "snapshot_term", "log", "commit", "applied")
		}, `snapshot_index=1 snapshot_term=1 log=[{"term":1,"value":7}] commit=1 applied=1`,
			`snapshot_index=2 snapshot_term=1 log=[] commit=1 applied=1`},
		{bugSnapshotKeepsLog, snapshotOverConflict,
			`snapshot_index=2 log=[] commit=2 applied=2 state_machine=[5]`,
			`snapshot_index=2 log=[{"term":1},{"term":1,"value":1},{"term":1,"value":2}] commit=2 applied=2 state_machine=[5]`},
		{bugSnapshotDataIgnored, snapshotOverConflict,
			`snapshot_index=2 log=[] commit=2 applied=2 state_machine=[5]`,
			`snapshot_index=2 log=[] commit=2 applied=2 state_machine=[]`},
		// n2 rejects n1's first probe: etcd backs off and probes again at once.
		{bugNoProbeBackoff, func(h *harness) string {
			h.elect()
			return h.apply(receive(aer(2, 1, 1, true, 0, 0)))
		}, outputs(send(ae(1, 2, 1, 0, 0, `[{"term":1}]`, 0))), `[]`},
		// n2 answers a heartbeat while n1's probe is unanswered: etcd resumes and resends it.
		{bugNoHeartbeatRepair, func(h *harness) string {
			h.elect()
			h.apply(heartbeat(1))
			return h.apply(receive(hbr(2, 1, 1)))
		}, outputs(send(ae(1, 2, 1, 0, 0, `[{"term":1}]`, 0))), `[]`},
	}...)
	for _, c := range cases {
		stock := c.scenario(started(t, 3, "null"))
		buggy := c.scenario(started(t, 3, c.bug))
		if stock != c.stock {
			t.Errorf("%s scenario, stock:\n got %s\nwant %s", c.bug, stock, c.stock)
		}
		if buggy != c.buggy {
			t.Errorf("%s scenario, with the bug:\n got %s\nwant %s", c.bug, buggy, c.buggy)
		}
	}
	// Every bug of the catalogue is exercised above.
	seen := map[string]bool{}
	for _, c := range cases {
		if c.stock != c.buggy {
			seen[c.bug] = true
		}
	}
	for _, b := range allBugs {
		if !seen[b] {
			t.Errorf("no scenario shows %s", b)
		}
	}
}

// A joint configuration entered with auto-leave is observed with its outgoing voters and
// auto_leave (which etcd 3.4's Status().Config drops), and the leader appends the leave itself
// in the step that applies the joint entry.
func TestJointConfigurationIsObserved(t *testing.T) {
	h := started(t, 3, "null")
	h.elect()
	h.commitEmpty()
	joint := `{"kind":"joint","changes":[{"op":"remove","node":3}],"auto_leave":true}`
	h.apply(confChange(1, joint))
	h.apply(receive(ae(1, 2, 1, 1, 1, `[{"term":1,"conf":`+joint+`}]`, 1)))
	h.apply(receive(aer(2, 1, 1, false, 2, 0)))
	want := `config={"voters":[1,2],"voters_outgoing":[1,2,3],"auto_leave":true} ` +
		`log=[{"term":1},{"term":1,"conf":` + joint + `},{"term":1,"conf":{"kind":"leave"}}] applied=2`
	if got := h.fields(1, "config", "log", "applied"); got != want {
		t.Fatalf("n1 after applying the joint entry:\n got %s\nwant %s", got, want)
	}
}
