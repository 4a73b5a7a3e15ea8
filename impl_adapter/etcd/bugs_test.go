package main

// Unit tests of the seams and of the bug wrappers around them (storage.go, transport.go,
// bugs.go). The scenarios that show each bug against stock etcd are in adapter_test.go.

import (
	"reflect"
	"testing"

	pb "go.etcd.io/etcd/raft/raftpb"
)

var threePeers = []uint64{1, 2, 3}

func ents(terms ...uint64) []pb.Entry {
	out := make([]pb.Entry, len(terms))
	for i, t := range terms {
		out[i] = pb.Entry{Index: uint64(i + 1), Term: t}
	}
	return out
}

// storedTerms is the term of every entry the storage raft reads holds.
func storedTerms(t *testing.T, s nodeStorage) []uint64 {
	t.Helper()
	stored, err := s.raftStorage().entriesFrom(1)
	if err != nil {
		t.Fatal(err)
	}
	terms := []uint64{}
	for _, e := range stored {
		terms = append(terms, e.Term)
	}
	return terms
}

// tvc is a HardState's term, vote and commit, comparable.
type tvc [3]uint64

// stored is the term, vote and commit of the HardState in the storage raft reads.
func stored(s nodeStorage) tvc {
	hs := s.raftStorage().hardState()
	return tvc{hs.Term, hs.Vote, hs.Commit}
}

func mustWrite(t *testing.T, s nodeStorage, entries []pb.Entry, hs pb.HardState) {
	t.Helper()
	if err := s.write(entries, hs); err != nil {
		t.Fatal(err)
	}
}

// restarted is what the node would read after a crash now.
func restarted(t *testing.T, s nodeStorage) *confStorage {
	t.Helper()
	st, err := s.restart()
	if err != nil {
		t.Fatal(err)
	}
	if st != s.raftStorage() {
		t.Fatal("a restarted node must read what the storage holds")
	}
	return st
}

func TestHonestStorageKeepsEveryWriteAcrossARestart(t *testing.T) {
	s := withStorageBug("", newSyncedStorage(threePeers))
	mustWrite(t, s, ents(1, 1), pb.HardState{Term: 1, Vote: 2, Commit: 1})
	restarted(t, s)
	if got := stored(s); got != (tvc{1, 2, 1}) {
		t.Fatalf("HardState after a restart: %+v", got)
	}
	if got := storedTerms(t, s); !reflect.DeepEqual(got, []uint64{1, 1}) {
		t.Fatalf("log after a restart: %v", got)
	}
	// The voters are reported although no snapshot carries a ConfState.
	_, cs, err := s.raftStorage().InitialState()
	if err != nil || !reflect.DeepEqual(cs.Voters, threePeers) {
		t.Fatalf("InitialState: voters %v, %v", cs.Voters, err)
	}
}

func TestHardStateBugsStoreTheWrongField(t *testing.T) {
	s := withStorageBug(bugVoteNotPersisted, newSyncedStorage(threePeers))
	mustWrite(t, s, nil, pb.HardState{Term: 1, Vote: 2})
	if got := stored(s); got != (tvc{1, 0, 0}) {
		t.Fatalf("vote-not-persisted stored %+v", got)
	}

	s = withStorageBug(bugTermNotPersisted, newSyncedStorage(threePeers))
	mustWrite(t, s, nil, pb.HardState{Term: 1, Vote: 2})
	if got := stored(s); got != (tvc{0, 2, 0}) {
		t.Fatalf("term-not-persisted stored %+v", got)
	}
}

func TestConflictNotTruncatedKeepsTheOldTail(t *testing.T) {
	for bug, want := range map[string][]uint64{
		"":                      {1, 2},
		bugConflictNotTruncated: {1, 2, 1},
	} {
		s := withStorageBug(bug, newSyncedStorage(threePeers))
		mustWrite(t, s, ents(1, 1, 1), pb.HardState{})
		mustWrite(t, s, []pb.Entry{{Index: 2, Term: 2}}, pb.HardState{Term: 2})
		if got := storedTerms(t, s); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: log after the overwrite %v, want %v", bug, got, want)
		}
	}
}

func TestUnsyncedTailLostSyncsOnlyWithAHardState(t *testing.T) {
	s := withStorageBug(bugUnsyncedTailLost, newSyncedStorage(threePeers))
	mustWrite(t, s, ents(1), pb.HardState{Term: 1, Vote: 1})
	mustWrite(t, s, ents(1, 1)[1:], pb.HardState{}) // entry 2, no HardState: not synced
	if got := storedTerms(t, s); !reflect.DeepEqual(got, []uint64{1, 1}) {
		t.Fatalf("written: %v", got)
	}
	restarted(t, s)
	if got := storedTerms(t, s); !reflect.DeepEqual(got, []uint64{1}) {
		t.Fatalf("after a restart: %v, want the unsynced entry lost", got)
	}
	if got := stored(s); got != (tvc{1, 1, 0}) {
		t.Fatalf("after a restart: %+v", got)
	}
}

func TestAckBeforePersistWritesCompleteAtTheNextInput(t *testing.T) {
	s := withStorageBug(bugAckBeforePersist, newSyncedStorage(threePeers))
	mustWrite(t, s, nil, pb.HardState{Term: 1, Vote: 1})
	restarted(t, s)
	if got := stored(s); got != (tvc{0, 0, 0}) {
		t.Fatalf("a restart with the write in flight kept %+v", got)
	}
	mustWrite(t, s, nil, pb.HardState{Term: 1, Vote: 1})
	s.completeWrites()
	restarted(t, s)
	if got := stored(s); got != (tvc{1, 1, 0}) {
		t.Fatalf("a completed write was lost: %+v", got)
	}
}

func TestMessageBugsChangeOnlyWhatTheySay(t *testing.T) {
	deliver := func(tr transport, m pb.Message, term uint64) pb.Message {
		t.Helper()
		got, stepped := tr.deliver(m, term)
		if !stepped {
			t.Fatalf("%T swallowed %+v", tr, m)
		}
		return got
	}
	vote := pb.Message{Type: pb.MsgVote, From: 1, To: 2, Term: 1}
	if got := deliver(withTransportBug("", 2, threePeers), vote, 2); got.Term != 1 {
		t.Fatalf("the honest transport restamped a message: %+v", got)
	}
	stale := withTransportBug(bugStaleTermAsCurrent, 2, threePeers)
	if got := deliver(stale, vote, 2); got.Term != 2 {
		t.Fatalf("stale-term-as-current delivered %+v", got)
	}
	prop := pb.Message{Type: pb.MsgProp, From: 2, To: 2}
	if got := deliver(stale, prop, 2); got.Term != 0 {
		t.Fatalf("a proposal carries no term: %+v", got)
	}

	rejection := pb.Message{Type: pb.MsgAppResp, From: 2, To: 1, Term: 1, Reject: true}
	ack := pb.Message{Type: pb.MsgAppResp, From: 2, To: 1, Term: 1}
	beat := pb.Message{Type: pb.MsgHeartbeatResp, From: 2, To: 1, Term: 1}
	backoff := withTransportBug(bugNoProbeBackoff, 1, threePeers)
	if _, stepped := backoff.deliver(rejection, 1); stepped {
		t.Fatal("no-probe-backoff stepped a rejection")
	}
	deliver(backoff, ack, 1)
	deliver(backoff, beat, 1)
	repair := withTransportBug(bugNoHeartbeatRepair, 1, threePeers)
	if _, stepped := repair.deliver(beat, 1); stepped {
		t.Fatal("no-heartbeat-repair stepped a heartbeat response")
	}
	deliver(repair, rejection, 1)

	wrong := withTransportBug(bugReplyToWrongPeer, 2, threePeers)
	sent := wrong.send(nil, pb.Message{Type: pb.MsgVoteResp, From: 2, To: 1})
	sent = wrong.send(sent, pb.Message{Type: pb.MsgVoteResp, From: 2, To: 3})
	sent = wrong.send(sent, pb.Message{Type: pb.MsgApp, From: 2, To: 1})
	var to []uint64
	for _, m := range sent {
		to = append(to, m.To)
	}
	// n1's successor is n2, the sender itself: skipped. n3's is n1. Requests go where etcd sent them.
	if !reflect.DeepEqual(to, []uint64{3, 1, 1}) {
		t.Fatalf("reply-to-wrong-peer sent to %v", to)
	}
	two := withTransportBug(bugReplyToWrongPeer, 2, []uint64{1, 2})
	if got := two.send(nil, pb.Message{Type: pb.MsgVoteResp, From: 2, To: 1}); got[0].To != 1 {
		t.Fatalf("a 2-node cluster has no wrong peer: %+v", got)
	}
}

// Every bug of the catalogue wraps at least one seam (storage, transport, or the application's
// timing of configuration changes); without a bug the seams are the honest ones.
func TestEveryBugWrapsASeam(t *testing.T) {
	honestStorage := reflect.TypeOf(withStorageBug("", newSyncedStorage(threePeers)))
	honestTransport := reflect.TypeOf(withTransportBug("", 1, threePeers))
	if honestStorage != reflect.TypeOf(&syncedStorage{}) ||
		honestTransport != reflect.TypeOf(direct{}) {
		t.Fatalf("honest seams: %v, %v", honestStorage, honestTransport)
	}
	for _, bug := range allBugs {
		st := reflect.TypeOf(withStorageBug(bug, newSyncedStorage(threePeers)))
		tr := reflect.TypeOf(withTransportBug(bug, 1, threePeers))
		if st == honestStorage && tr == honestTransport && !confChangeOnAppend(bug) {
			t.Errorf("%s wraps neither seam", bug)
		}
	}
}
