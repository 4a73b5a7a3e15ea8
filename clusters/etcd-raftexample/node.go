package main

// One node: an etcd raft RawNode driven from a single goroutine, raftexample's structure with
// one deviation. raftexample runs raft.Node, whose own goroutine ticks, steps and batches
// whatever happened since the last Ready into the next one; the consequences of several inputs
// then come out mixed. Here the loop calls the RawNode directly — Tick on a real ticker, Step for
// each received message, Propose for each client value — and after every single call handles
// Ready after Ready until there is none, so each trigger's consequences are logged right after
// it (the header's "immediate").
//
// A Ready is handled as raftexample handles one: the WAL save (entries and HardState, fsynced)
// first, raft's in-memory log next, then the messages are sent, then the committed entries are
// applied (and the application's state saved), then Advance. The event log follows what became
// durable or visible: state, append and commit after the save, a send per message as it is
// handed to the transport, an apply per entry once the application's state holding it is saved.

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"raftcheck.local/eventlog"
)

// Injectable bugs: each a change to this file's integration code around etcd raft, never to
// etcd's sources.
const (
	// bugVoteNotPersisted saves the HardState without its vote: a restarted node may vote again
	// in a term it already voted in.
	bugVoteNotPersisted = "vote-not-persisted"
	// bugUnsyncedTailLost sends a Ready's messages before its WAL save, and the save is a
	// write-behind without fsync: a kill -9 loses entries already acknowledged.
	bugUnsyncedTailLost = "unsynced-tail-lost"
	// bugApplyUncommitted applies entries as they are appended instead of once committed.
	bugApplyUncommitted = "apply-uncommitted"
)

// bugs lists the injectable bugs.
var bugs = []string{bugVoteNotPersisted, bugUnsyncedTailLost, bugApplyUncommitted}

// knownBug reports whether name is an injectable bug ("" is none).
func knownBug(name string) bool {
	if name == "" {
		return true
	}
	for _, b := range bugs {
		if b == name {
			return true
		}
	}
	return false
}

// nodeOptions configure a node process.
type nodeOptions struct {
	id      uint64
	voters  []uint64
	addrs   map[uint64]string
	dataDir string
	logPath string
	plan    string
	bug     string
	tick    time.Duration
	seed    uint64
	source  string
	// omitHintTerm: see converter.
	omitHintTerm bool
}

// node is one running node.
type node struct {
	opts nodeOptions
	rn   *raft.RawNode
	ms   *memStorage
	disk *disk
	log  *eventlog.Log
	tr   *transport
	plan *planWatcher
	conv converter

	// what the log said last
	loggedCommit uint64
	loggedTerm   uint64
	loggedVote   uint64
	loggedSoft   raft.SoftState

	// the application
	applied uint64
	values  []uint64
	// appliedEarly is, with apply-uncommitted, the last index applied when appended.
	appliedEarly uint64

	statusMu sync.Mutex
	st       status
}

// roleName is the event log's name of an etcd role.
func roleName(s raft.StateType) string {
	switch s {
	case raft.StatePreCandidate:
		return "pre_candidate"
	case raft.StateCandidate:
		return "candidate"
	case raft.StateLeader:
		return "leader"
	default:
		return "follower"
	}
}

// roleByte is a role in the status frame.
func roleByte(s raft.StateType) byte {
	switch s {
	case raft.StatePreCandidate:
		return 1
	case raft.StateCandidate:
		return 2
	case raft.StateLeader:
		return 3
	default:
		return 0
	}
}

// startNode opens the node's storage and log (appending, with restart logged first, if the log
// exists from an earlier incarnation), builds the RawNode and the transport.
func startNode(o nodeOptions) (*node, error) {
	if !knownBug(o.bug) {
		return nil, fmt.Errorf("unknown bug %q", o.bug)
	}
	d, rec, err := openDisk(o.dataDir, o.voters)
	if err != nil {
		return nil, err
	}
	if o.bug == bugUnsyncedTailLost {
		d.setWriteBehind()
	}
	ms, err := rec.memory(o.voters)
	if err != nil {
		return nil, err
	}
	n := &node{opts: o, ms: ms, disk: d, applied: rec.applied, values: rec.values,
		conv: converter{omitHintTerm: o.omitHintTerm}}
	n.rn, err = raft.NewRawNode(&raft.Config{
		ID:              o.id,
		ElectionTick:    10,
		HeartbeatTick:   1,
		Storage:         ms,
		Applied:         rec.applied,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
		CheckQuorum:     false,
		PreVote:         false,
		Logger:          quietLogger{},
	})
	if err != nil {
		return nil, fmt.Errorf("etcd raft refused the configuration: %v", err)
	}
	_, statErr := os.Stat(o.logPath)
	restarted := statErr == nil
	if restarted {
		if n.log, err = eventlog.Append(o.logPath, o.id); err != nil {
			return nil, err
		}
		n.log.Restart()
		// What the node recovered: its term, vote and role (follower, no leader).
		bs := n.rn.BasicStatus()
		n.log.State(eventlog.State{Term: eventlog.U(bs.Term), Role: roleName(bs.RaftState),
			Vote: eventlog.U(bs.Vote), Leader: eventlog.U(bs.Lead)})
		// ... and its log, as read back from the WAL (empty: nothing at index 1 on).
		ents, err := logEntries(rec.entries)
		if err != nil {
			return nil, fmt.Errorf("the recovered log: %v", err)
		}
		if len(rec.entries) > 0 && rec.entries[0].Index != 1 {
			return nil, fmt.Errorf("the WAL's log starts at index %d, not 1", rec.entries[0].Index)
		}
		n.log.Append(1, ents)
		// ... and the commit index it came back with: etcd's WAL syncs a HardState only with
		// entries or a new term or vote (raft.MustSync), so a commit-only advance may be lost.
		n.log.Commit(bs.Commit)
	} else {
		if !rec.fresh {
			// The WAL exists, the log does not: the first incarnation died between the two
			// (before any Raft activity); it starts over as a first incarnation.
			if len(rec.entries) > 0 || !raft.IsEmptyHardState(rec.hardState) {
				return nil, fmt.Errorf("%s holds Raft state but there is no event log %s", o.dataDir, o.logPath)
			}
		}
		n.log, err = eventlog.Create(o.logPath, o.id, eventlog.Header{
			Nodes: o.voters, Flavour: "etcd-3.6", Source: o.source, Immediate: true,
		})
		if err != nil {
			return nil, err
		}
	}
	bs := n.rn.BasicStatus()
	n.loggedCommit, n.loggedTerm, n.loggedVote = bs.Commit, bs.Term, bs.Vote
	n.loggedSoft = bs.SoftState
	n.publishStatus()
	n.plan = newPlanWatcher(o.plan)
	n.tr, err = newTransport(o.id, o.addrs[o.id], o.addrs, n.plan, o.seed, n.status)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func (n *node) status() status {
	n.statusMu.Lock()
	defer n.statusMu.Unlock()
	return n.st
}

func (n *node) publishStatus() {
	bs := n.rn.BasicStatus()
	n.statusMu.Lock()
	n.st = status{role: roleByte(bs.RaftState), term: bs.Term, leader: bs.Lead}
	n.statusMu.Unlock()
}

// run is the node's loop; it returns on an error, or with nil once stop is closed (then the
// node's files and listener are closed).
func (n *node) run(stop <-chan struct{}) error {
	defer n.close()
	watchStop := make(chan struct{})
	defer close(watchStop)
	go n.plan.watch(20*time.Millisecond, watchStop)
	n.tr.start()
	ticker := time.NewTicker(n.opts.tick)
	defer ticker.Stop()
	for {
		var err error
		select {
		case <-stop:
			return nil
		case now := <-ticker.C:
			err = n.tick()
			if err == nil {
				err = n.disk.flushIfDue(now)
			}
		case m := <-n.tr.inbox:
			err = n.receive(m)
		case v := <-n.tr.proposals:
			err = n.propose(v)
		}
		if err != nil {
			return err
		}
	}
}

// close closes the listener, the WAL and the event log (a clean stop; a kill -9 does none of it).
func (n *node) close() {
	n.tr.listener.Close()
	n.disk.close()
	n.log.Close()
}

// tick ticks raft once. A tick that changes nothing is not logged; one that does is logged as
// the timer it fired, told from its first Ready: an election (vote requests, or the node
// becoming a candidate) is a timeout, heartbeats are the heartbeat timer, anything else a tick.
func (n *node) tick() error {
	n.rn.Tick()
	if !n.rn.HasReady() {
		return nil
	}
	rd := n.rn.Ready()
	kind := "tick"
	for _, m := range rd.Messages {
		switch m.Type {
		case pb.MsgVote, pb.MsgPreVote:
			kind = "timeout"
		case pb.MsgHeartbeat:
			if kind == "tick" {
				kind = "heartbeat"
			}
		}
	}
	if rd.SoftState != nil && (rd.SoftState.RaftState == raft.StateCandidate || rd.SoftState.RaftState == raft.StatePreCandidate) {
		kind = "timeout"
	}
	switch kind {
	case "timeout":
		n.log.Timeout()
	case "heartbeat":
		n.log.Heartbeat()
	default:
		n.log.Tick()
	}
	if err := n.handle(rd); err != nil {
		return err
	}
	return n.drain()
}

// receive steps a message taken off the network.
func (n *node) receive(m pb.Message) error {
	lm, err := n.conv.received(m)
	if err != nil {
		return fmt.Errorf("received from %d: %v", m.From, err)
	}
	n.log.Receive(lm)
	if err := n.rn.Step(m); err != nil && !errors.Is(err, raft.ErrStepPeerNotFound) &&
		!errors.Is(err, raft.ErrProposalDropped) {
		return fmt.Errorf("step: %v", err)
	}
	return n.drain()
}

// propose proposes a client value (dropped by etcd without a leader: then nothing follows).
func (n *node) propose(v uint64) error {
	n.log.ClientRequest(v)
	if err := n.rn.Propose(encodeValue(v)); err != nil && !errors.Is(err, raft.ErrProposalDropped) {
		return fmt.Errorf("propose: %v", err)
	}
	return n.drain()
}

// drain handles Readys until raft has none.
func (n *node) drain() error {
	for n.rn.HasReady() {
		if err := n.handle(n.rn.Ready()); err != nil {
			return err
		}
	}
	return nil
}

// handle handles one Ready and advances.
func (n *node) handle(rd raft.Ready) error {
	if len(rd.ReadStates) > 0 || !raft.IsEmptySnap(rd.Snapshot) {
		return fmt.Errorf("a Ready with read states or a snapshot, which this cluster never asks for")
	}
	persist := func() error {
		if d := n.plan.current().slow[n.opts.id]; d > 0 {
			time.Sleep(d)
		}
		hs := rd.HardState
		if n.opts.bug == bugVoteNotPersisted && !raft.IsEmptyHardState(hs) {
			hs.Vote = 0
		}
		return n.disk.saveRaft(hs, rd.Entries)
	}
	if n.opts.bug != bugUnsyncedTailLost {
		if err := persist(); err != nil {
			return fmt.Errorf("WAL save: %v", err)
		}
	}
	if err := n.ms.Append(rd.Entries); err != nil {
		return fmt.Errorf("raft storage: %v", err)
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		if err := n.ms.SetHardState(rd.HardState); err != nil {
			return fmt.Errorf("raft storage: %v", err)
		}
	}
	if err := n.logChanges(rd); err != nil {
		return err
	}
	for _, m := range rd.Messages {
		lm, err := n.conv.sent(m)
		if err != nil {
			return fmt.Errorf("sending to %d: %v", m.To, err)
		}
		n.log.Send(lm)
		n.tr.send(m)
	}
	if n.opts.bug == bugUnsyncedTailLost {
		if err := persist(); err != nil {
			return fmt.Errorf("WAL save: %v", err)
		}
	}
	toApply := rd.CommittedEntries
	if n.opts.bug == bugApplyUncommitted {
		toApply = nil
		for _, e := range append(append([]pb.Entry(nil), rd.CommittedEntries...), rd.Entries...) {
			if e.Index > n.appliedEarly {
				toApply = append(toApply, e)
				n.appliedEarly = e.Index
			}
		}
	}
	if err := n.apply(toApply); err != nil {
		return err
	}
	n.rn.Advance(rd)
	n.publishStatus()
	return nil
}

// logChanges logs what a Ready changed: the state (when role, leader, term or vote changed), the
// entries appended, the commit index.
func (n *node) logChanges(rd raft.Ready) error {
	bs := n.rn.BasicStatus()
	hs := rd.HardState
	hardChanged := !raft.IsEmptyHardState(hs) && (hs.Term != n.loggedTerm || hs.Vote != n.loggedVote)
	if rd.SoftState != nil && *rd.SoftState != n.loggedSoft || hardChanged {
		n.log.State(eventlog.State{Term: eventlog.U(bs.Term), Role: roleName(bs.RaftState),
			Vote: eventlog.U(bs.Vote), Leader: eventlog.U(bs.Lead)})
		n.loggedTerm, n.loggedVote, n.loggedSoft = bs.Term, bs.Vote, bs.SoftState
	}
	if len(rd.Entries) > 0 {
		ents, err := logEntries(rd.Entries)
		if err != nil {
			return err
		}
		n.log.Append(rd.Entries[0].Index, ents)
	}
	if !raft.IsEmptyHardState(hs) && hs.Commit > n.loggedCommit {
		n.log.Commit(hs.Commit)
		n.loggedCommit = hs.Commit
	}
	return nil
}

// apply applies entries to the state machine, saves the application's state, and then logs one
// apply per entry.
func (n *node) apply(ents []pb.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	type applied struct {
		index uint64
		value *uint64
	}
	var done []applied
	for _, e := range ents {
		if e.Index <= n.applied {
			continue
		}
		if e.Index != n.applied+1 {
			return fmt.Errorf("applying entry %d after %d", e.Index, n.applied)
		}
		if e.Type != pb.EntryNormal {
			return fmt.Errorf("entry %d has type %s", e.Index, e.Type)
		}
		v, err := decodeValue(e.Data)
		if err != nil {
			return fmt.Errorf("entry %d: %v", e.Index, err)
		}
		if v != nil {
			n.values = append(n.values, *v)
		}
		n.applied = e.Index
		done = append(done, applied{e.Index, v})
	}
	if len(done) == 0 {
		return nil
	}
	last := ents[len(ents)-1]
	if err := n.disk.saveApplied(n.applied, last.Term, n.values); err != nil {
		return fmt.Errorf("saving the application's state: %v", err)
	}
	for _, a := range done {
		if a.value != nil {
			n.log.Apply(a.index, *a.value)
		} else {
			n.log.Apply(a.index, nil)
		}
	}
	return nil
}

// quietLogger is etcd raft's logger: warnings and errors to stderr, debug and info dropped,
// panics as panics.
type quietLogger struct{}

func (quietLogger) Debug(...any)          {}
func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Info(...any)           {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Warning(v ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"raft warning:"}, v...)...)
}
func (quietLogger) Warningf(f string, v ...any) {
	fmt.Fprintf(os.Stderr, "raft warning: "+f+"\n", v...)
}
func (quietLogger) Error(v ...any) { fmt.Fprintln(os.Stderr, append([]any{"raft error:"}, v...)...) }
func (quietLogger) Errorf(f string, v ...any) {
	fmt.Fprintf(os.Stderr, "raft error: "+f+"\n", v...)
}
func (quietLogger) Fatal(v ...any)            { panic(fmt.Sprint(v...)) }
func (quietLogger) Fatalf(f string, v ...any) { panic(fmt.Sprintf(f, v...)) }
func (quietLogger) Panic(v ...any)            { panic(fmt.Sprint(v...)) }
func (quietLogger) Panicf(f string, v ...any) { panic(fmt.Sprintf(f, v...)) }
