package main

import (
	"errors"
	"io"
	"math/rand"
	"sync"

	"github.com/hashicorp/raft"

	"raftcheck.local/eventlog"
)

// Faults is the network the driver controls: links to blocked peers lose every message, and
// every message to any peer is lost with probability drop.
type Faults struct {
	mu      sync.Mutex
	blocked map[uint64]bool
	drop    float64
	rng     *rand.Rand
}

// NewFaults makes a fault-free network whose random losses come from seed.
func NewFaults(seed int64) *Faults {
	return &Faults{blocked: map[uint64]bool{}, rng: rand.New(rand.NewSource(seed))}
}

// Set replaces the blocked peers and the loss probability.
func (f *Faults) Set(blocked []uint64, drop float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked = map[uint64]bool{}
	for _, p := range blocked {
		f.blocked[p] = true
	}
	f.drop = drop
}

// lost tells whether one message to peer is lost.
func (f *Faults) lost(peer uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blocked[peer] || (f.drop > 0 && f.rng.Float64() < f.drop)
}

var errLost = errors.New("message lost (injected network fault)")

// Transport wraps hashicorp's NetworkTransport. It logs every AppendEntries and RequestVote
// this node sends and the answers to them it hands back to raft, and logs a received request
// when raft takes it from the Consumer channel, and raft's answer when raft gives it. It loses
// messages as Faults says. Two things of the wrapped transport it does not offer, both
// optional in hashicorp's Transport contract: the heartbeat fast path (SetHeartbeatHandler is
// not passed on, so heartbeats reach raft through the Consumer channel, in order with
// everything else) and pipelining (AppendEntriesPipeline answers
// ErrPipelineReplicationNotSupported, so every append is a call whose answer is logged).
// Pre-vote needs the WithPreVote interface, which this transport does not implement: the
// cluster runs without pre-vote (Config.PreVoteDisabled is set too).
type Transport struct {
	inner    *raft.NetworkTransport
	rec      *Recorder
	faults   *Faults
	consumer chan raft.RPC
	stop     chan struct{}
}

// NewTransport wraps inner and starts forwarding the RPCs it receives.
func NewTransport(inner *raft.NetworkTransport, rec *Recorder, faults *Faults) *Transport {
	t := &Transport{inner: inner, rec: rec, faults: faults, consumer: make(chan raft.RPC), stop: make(chan struct{})}
	go t.forward()
	return t
}

// forward hands each received RPC to raft, one at a time: it logs the receive once raft has
// taken it, waits for raft's answer, logs it as a send, and passes it back to the network.
func (t *Transport) forward() {
	for {
		var rpc raft.RPC
		select {
		case rpc = <-t.inner.Consumer():
		case <-t.stop:
			return
		}
		msg, from, logged := t.requestMessage(rpc.Command)
		answer := make(chan raft.RPCResponse, 1)
		wrapped := rpc
		wrapped.RespChan = answer
		t.rec.fwd.Store(fwdOffering)
		select {
		case t.consumer <- wrapped:
		case <-t.stop:
			t.rec.fwd.Store(fwdIdle)
			return
		}
		if logged {
			msg.From = from
			t.rec.log.Receive(msg)
		}
		t.rec.fwd.Store(fwdProcessing)
		var resp raft.RPCResponse
		select {
		case resp = <-answer:
		case <-t.stop:
			t.rec.fwd.Store(fwdIdle)
			return
		}
		t.rec.fwd.Store(fwdIdle)
		if logged && resp.Error == nil {
			if m, ok := responseMessage(rpc.Command, resp.Response); ok {
				m.To = from
				t.rec.log.Send(m)
			}
		}
		rpc.RespChan <- resp
	}
}

// requestMessage maps a received request to the spec's vocabulary; ok is false for what the
// spec has no message for (TimeoutNow, InstallSnapshot: never sent in these runs).
func (t *Transport) requestMessage(cmd any) (m eventlog.Message, from uint64, ok bool) {
	switch req := cmd.(type) {
	case *raft.AppendEntriesRequest:
		return appendMessage(req), t.rec.peer(req.RPCHeader), true
	case *raft.RequestVoteRequest:
		return voteMessage(req), t.rec.peer(req.RPCHeader), true
	}
	return m, 0, false
}

// isHeartbeat is NetworkTransport's own test (net_transport.go handleCommand): an append
// with no previous entry, no entries and no commit index, sent by the leader's heartbeat
// goroutine.
func isHeartbeat(req *raft.AppendEntriesRequest) bool {
	return req.PrevLogEntry == 0 && req.PrevLogTerm == 0 && len(req.Entries) == 0 && req.LeaderCommitIndex == 0
}

// appendMessage maps an AppendEntriesRequest. A heartbeat is the spec's AppendEntries with the
// empty prefix as previous entry, no entries and commit 0: hashicorp's follower checks
// nothing and learns no commit index from it, and in the spec that append matches every log
// and moves no commit index either. A real append's previous entry is never hashicorp's
// index 0 (every log holds the bootstrap entry at index 1, and a rejection never sends the
// leader below it), so the mapping is index-1, term-1 throughout.
func appendMessage(req *raft.AppendEntriesRequest) eventlog.Message {
	m := eventlog.Message{Type: "AppendEntries", Term: eventlog.U(specTerm(req.Term))}
	if isHeartbeat(req) {
		m.PrevLogIndex, m.PrevLogTerm, m.Commit = eventlog.U(0), eventlog.U(0), eventlog.U(0)
		m.Entries = &[]eventlog.Entry{}
		return m
	}
	m.PrevLogIndex = eventlog.U(specIndex(req.PrevLogEntry))
	m.PrevLogTerm = eventlog.U(specTerm(req.PrevLogTerm))
	entries := specEntries(userLogs(req.Entries))
	m.Entries = &entries
	m.Commit = eventlog.U(specIndex(req.LeaderCommitIndex))
	return m
}

// voteMessage maps a RequestVoteRequest: a real vote (pre-vote is off), with the candidate's
// last entry; hashicorp carries no commit index in it.
func voteMessage(req *raft.RequestVoteRequest) eventlog.Message {
	return eventlog.Message{
		Type:         "RequestVote",
		Term:         eventlog.U(specTerm(req.Term)),
		Pre:          eventlog.B(false),
		LastLogIndex: eventlog.U(specIndex(req.LastLogIndex)),
		LastLogTerm:  eventlog.U(specTerm(req.LastLogTerm)),
	}
}

// responseMessage maps the answer resp to the request req. An AppendEntriesResponse carries
// the follower's term, success, and LastLog, the follower's last index: on a rejection that is
// where the leader probes next (replication.go: nextIndex = min(nextIndex-1, LastLog+1)), the
// spec's reject_hint of the LastIndex kind; on success the leader ignores it. What an answer
// acknowledges or rejects is the request it answers (the RPC is a call, and the leader pairs
// the answer with its request: updateLastAppended counts the entries it sent), so `index` is
// taken from the request on both sides: on success the request's last entry (its previous
// entry when it carries none), on rejection its previous entry. No commit index: hashicorp
// sends none back.
func responseMessage(req, resp any) (eventlog.Message, bool) {
	switch r := resp.(type) {
	case *raft.AppendEntriesResponse:
		m := eventlog.Message{Type: "AppendEntriesResponse", Term: eventlog.U(specTerm(r.Term)), Reject: eventlog.B(!r.Success)}
		if a, ok := req.(*raft.AppendEntriesRequest); ok {
			prev := specIndex(a.PrevLogEntry)
			if r.Success {
				m.Index = eventlog.U(prev + uint64(len(userLogs(a.Entries))))
			} else {
				m.Index = eventlog.U(prev)
			}
		}
		if !r.Success {
			m.RejectHint = eventlog.U(specIndex(r.LastLog))
		}
		return m, true
	case *raft.RequestVoteResponse:
		return eventlog.Message{Type: "RequestVoteResponse", Term: eventlog.U(specTerm(r.Term)), Pre: eventlog.B(false), Reject: eventlog.B(!r.Granted)}, true
	}
	return eventlog.Message{}, false
}

// Consumer implements raft.Transport: the channel the forwarder hands RPCs on.
func (t *Transport) Consumer() <-chan raft.RPC { return t.consumer }

// LocalAddr implements raft.Transport.
func (t *Transport) LocalAddr() raft.ServerAddress { return t.inner.LocalAddr() }

// AppendEntriesPipeline implements raft.Transport: not supported (see Transport).
func (t *Transport) AppendEntriesPipeline(raft.ServerID, raft.ServerAddress) (raft.AppendPipeline, error) {
	return nil, raft.ErrPipelineReplicationNotSupported
}

// AppendEntries implements raft.Transport. The answer to a heartbeat is not logged as
// received: the heartbeat goroutine only notes that the follower is alive (for the lease) and
// never hands the answer's term or success to the Raft state (replication.go heartbeat). Nor is
// an answer with a term above the request's: raft's replication goroutine does not take its
// term either, it only signals the leader loop to step down (handleStaleTerm), which the
// leader then does at its own term — logged as the state change it is.
func (t *Transport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	to := t.rec.ids[target]
	m := appendMessage(args)
	m.To = to
	t.rec.log.Send(m)
	if t.faults.lost(to) {
		return errLost
	}
	if err := t.inner.AppendEntries(id, target, args, resp); err != nil {
		return err
	}
	if t.faults.lost(to) {
		return errLost
	}
	if !isHeartbeat(args) && resp.Term <= args.Term {
		if a, ok := responseMessage(args, resp); ok {
			a.From = to
			t.rec.log.Receive(a)
		}
	}
	return nil
}

// RequestVote implements raft.Transport. An answer is logged as received only while the node
// is still the candidate of the request's term: afterwards raft no longer reads that
// election's answers (runCandidate's channel is gone).
func (t *Transport) RequestVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestVoteRequest, resp *raft.RequestVoteResponse) error {
	to := t.rec.ids[target]
	m := voteMessage(args)
	m.To = to
	t.rec.log.Send(m)
	if t.faults.lost(to) {
		return errLost
	}
	if err := t.inner.RequestVote(id, target, args, resp); err != nil {
		return err
	}
	if t.faults.lost(to) {
		return errLost
	}
	t.rec.awaitCampaign(args.Term)
	if t.rec.candidateIn(args.Term) {
		if a, ok := responseMessage(args, resp); ok {
			a.From = to
			t.rec.log.Receive(a)
		}
	}
	return nil
}

// InstallSnapshot implements raft.Transport (never used: this cluster takes no snapshots).
func (t *Transport) InstallSnapshot(id raft.ServerID, target raft.ServerAddress, args *raft.InstallSnapshotRequest, resp *raft.InstallSnapshotResponse, data io.Reader) error {
	return t.inner.InstallSnapshot(id, target, args, resp, data)
}

// EncodePeer implements raft.Transport.
func (t *Transport) EncodePeer(id raft.ServerID, addr raft.ServerAddress) []byte {
	return t.inner.EncodePeer(id, addr)
}

// DecodePeer implements raft.Transport.
func (t *Transport) DecodePeer(b []byte) raft.ServerAddress { return t.inner.DecodePeer(b) }

// SetHeartbeatHandler implements raft.Transport: the fast path is not offered (see Transport).
func (t *Transport) SetHeartbeatHandler(func(rpc raft.RPC)) {}

// TimeoutNow implements raft.Transport (leadership transfer; never used here).
func (t *Transport) TimeoutNow(id raft.ServerID, target raft.ServerAddress, args *raft.TimeoutNowRequest, resp *raft.TimeoutNowResponse) error {
	return t.inner.TimeoutNow(id, target, args, resp)
}

// Close stops forwarding and closes the wrapped transport.
func (t *Transport) Close() error {
	close(t.stop)
	return t.inner.Close()
}
