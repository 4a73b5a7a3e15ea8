package main

import (
	"encoding/binary"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"raftcheck.local/eventlog"
)

// The event log speaks the spec's numbers, not hashicorp's. Every hashicorp log holds the
// bootstrap configuration entry at index 1, term 1 (BootstrapCluster), and every node starts at
// term 1, before any Raft activity. The recorder logs mapped values (the header's offsets stay
// 0): a hashicorp term t is spec term t-1, a hashicorp index i is spec index i-1, so the
// bootstrap entry is the spec's empty prefix (index 0, term 0) and never appears in the log.
func specTerm(t uint64) uint64 {
	if t == 0 {
		return 0
	}
	return t - 1
}

func specIndex(i uint64) uint64 {
	if i == 0 {
		return 0
	}
	return i - 1
}

// Where the forwarder of received RPCs stands (see Recorder.gate).
const (
	fwdIdle int32 = iota
	fwdOffering
	fwdProcessing
)

// Recorder turns what one hashicorp/raft node does into raftcheck events. It sees the node
// only through public interfaces: its stores (Stored hooks), its transport, its observers and
// its FSM. It tracks the node's role and term as those interfaces reveal them.
type Recorder struct {
	log  *eventlog.Log
	self uint64
	ids  map[raft.ServerAddress]uint64

	mu       sync.Mutex
	role     raft.RaftState
	term     uint64 // hashicorp's current term
	voteTerm uint64 // hashicorp's LastVoteTerm
	pending  map[uint64]bool
	// leaderGone: a follower forgot its leader outside any RPC, which only its heartbeat
	// timeout does (runFollower), right before it becomes a candidate; logged with that.
	leaderGone bool
	// votedSelfIn: the last hashicorp term in which this node logged its vote for itself.
	votedSelfIn uint64

	fwd atomic.Int32
}

// NewRecorder makes the recorder of node self; ids maps each peer's address to its id.
func NewRecorder(log *eventlog.Log, self uint64, ids map[raft.ServerAddress]uint64, term uint64) *Recorder {
	return &Recorder{log: log, self: self, ids: ids, role: raft.Follower, term: term, pending: map[uint64]bool{}}
}

// gate is called before any event the Raft goroutine logs. The transport's forwarder hands a
// received RPC to raft over an unbuffered channel and logs the receive right after raft took
// it; an event raft logs while the forwarder is still offering (state fwdOffering) is either
// one that happened before raft took the RPC (then the forwarder stays blocked, because raft
// is busy here) or a consequence of it (then the forwarder logs the receive within
// microseconds). Waiting a little tells the two apart, so a receive is logged before its
// consequences and after what came before it.
func (r *Recorder) gate() {
	for i := 0; i < 60 && r.fwd.Load() == fwdOffering; i++ {
		time.Sleep(50 * time.Microsecond)
	}
}

// ProposedHere notes that a client value is being handed to this node's Apply.
func (r *Recorder) ProposedHere(v uint64) {
	r.mu.Lock()
	r.pending[v] = true
	r.mu.Unlock()
}

// Unpropose forgets a value whose Apply failed before raft stored it.
func (r *Recorder) Unpropose(v uint64) {
	r.mu.Lock()
	delete(r.pending, v)
	r.mu.Unlock()
}

func entryValue(l *raft.Log) (uint64, bool) {
	if l.Type != raft.LogCommand {
		return 0, false
	}
	v, err := strconv.ParseUint(string(l.Data), 10, 64)
	return v, err == nil
}

func specEntries(logs []*raft.Log) []eventlog.Entry {
	out := make([]eventlog.Entry, 0, len(logs))
	for _, l := range logs {
		e := eventlog.Entry{Term: specTerm(l.Term)}
		if v, ok := entryValue(l); ok {
			e.Value = v
		}
		out = append(out, e)
	}
	return out
}

// userLogs drops the bootstrap configuration entry (hashicorp index 1), which the spec does
// not see.
func userLogs(logs []*raft.Log) []*raft.Log {
	for len(logs) > 0 && logs[0].Index <= 1 {
		logs = logs[1:]
	}
	return logs
}

// BeforeStore is the log store's hook before a write. A leader stores the client values it
// took from its Apply channel (dispatchLogs): each such value not stored here before is the
// trigger client_request, logged before the append it causes.
func (r *Recorder) BeforeStore(logs []*raft.Log) {
	r.gate()
	for _, l := range userLogs(logs) {
		v, ok := entryValue(l)
		if !ok {
			continue
		}
		r.mu.Lock()
		mine := r.pending[v]
		delete(r.pending, v)
		r.mu.Unlock()
		if mine {
			r.log.ClientRequest(v)
		}
	}
}

// Stored is the log store's hook after a durable write: the log now holds logs and nothing
// after them (raft writes contiguous runs at the end of its log).
func (r *Recorder) Stored(logs []*raft.Log) {
	logs = userLogs(logs)
	if len(logs) == 0 {
		return
	}
	r.log.Append(specIndex(logs[0].Index), specEntries(logs))
}

// Deleted is the log store's hook after DeleteRange (a follower clearing a conflicting
// suffix; this cluster never compacts).
func (r *Recorder) Deleted(min, _ uint64) {
	r.gate()
	r.log.Truncate(specIndex(min))
}

// StableStored is the stable store's hook after a durable write.
func (r *Recorder) StableStored(key string, val []byte) {
	if len(val) == 8 && key != keyLastVoteCand {
		n := binary.BigEndian.Uint64(val)
		switch key {
		case keyCurrentTerm:
			r.gate()
			r.mu.Lock()
			r.term = n
			role := r.role
			r.mu.Unlock()
			s := eventlog.State{Term: eventlog.U(specTerm(n))}
			if role == raft.Candidate {
				// Only electSelf moves a candidate's term (every other term change makes
				// it a follower first): its election timer fired.
				r.log.Timeout()
				s.Role = "candidate"
				r.mu.Lock()
				if r.leaderGone {
					s.Leader = eventlog.U(0)
					r.leaderGone = false
				}
				r.mu.Unlock()
			}
			r.log.State(s)
		case keyLastVoteTerm:
			r.mu.Lock()
			r.voteTerm = n
			r.mu.Unlock()
		}
		return
	}
	if key == keyLastVoteCand {
		r.gate()
		r.mu.Lock()
		current := r.voteTerm == r.term
		r.mu.Unlock()
		if id, ok := r.ids[raft.ServerAddress(val)]; ok && current {
			r.log.State(eventlog.State{Vote: eventlog.U(id)})
			if id == r.self {
				r.mu.Lock()
				r.votedSelfIn = r.voteTerm
				r.mu.Unlock()
			}
		}
	}
}

// stableHooks adapts the recorder to StableHooks.
type stableHooks struct{ r *Recorder }

func (h stableHooks) Stored(key string, val []byte) { h.r.StableStored(key, val) }

// Observe is the observer filter: it runs on the Raft goroutine, synchronously, at every
// role and leader change, so the state it logs is in order with the rest.
func (r *Recorder) Observe(o *raft.Observation) bool {
	switch d := o.Data.(type) {
	case raft.RaftState:
		r.gate()
		r.mu.Lock()
		r.role = d
		r.mu.Unlock()
		switch d {
		case raft.Follower:
			r.log.State(eventlog.State{Role: "follower"})
		case raft.Leader:
			r.log.State(eventlog.State{Role: "leader"})
		case raft.Candidate:
			// Logged with the term bump that follows (StableStored), after the trigger.
		}
	case raft.LeaderObservation:
		r.gate()
		var id uint64
		if d.LeaderID != "" {
			n, err := strconv.ParseUint(string(d.LeaderID), 10, 64)
			if err == nil {
				id = n
			}
		}
		r.mu.Lock()
		inRPC := r.fwd.Load() == fwdProcessing
		timedOut := id == 0 && r.role == raft.Follower && !inRPC
		steppedDown := id == 0 && r.role == raft.Leader && !inRPC
		r.leaderGone = timedOut
		r.mu.Unlock()
		if steppedDown {
			// A leader giving up office outside any RPC: its lease ran out
			// (checkLeaderLease, on the leader loop's lease timer) or a replication
			// goroutine signalled a newer term (stepDown). Neither has a trigger of its own
			// in the event log; a tick says "a timer fired, what follows tells which".
			r.log.Tick()
		}
		// Inside an RPC an empty leader is transient: setState clears the leader before
		// appendEntries sets the sender as the new one (a vote request clears none: a node
		// that knows a leader refuses it first).
		if !timedOut && !(id == 0 && inRPC) {
			r.log.State(eventlog.State{Leader: eventlog.U(id)})
		}
	}
	return false
}

// awaitCampaign waits (briefly) until the candidate's own step of hashicorp term t is logged
// up to its vote for itself: electSelf asks the first peers before it persists that vote, and
// an answer can come back before; raft reads it only after electSelf returns.
func (r *Recorder) awaitCampaign(t uint64) {
	for i := 0; i < 400; i++ {
		r.mu.Lock()
		done := r.votedSelfIn >= t || r.role != raft.Candidate || r.term != t
		r.mu.Unlock()
		if done {
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// candidateIn tells whether the node is, as far as the recorder knows, still the candidate
// of hashicorp term t: only then does raft read a vote answer of that election.
func (r *Recorder) candidateIn(t uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.role == raft.Candidate && r.term == t
}

// Restarted logs a new incarnation's durable state: term and vote from the stable store and
// the whole log from the log store (its entries, and that nothing follows them).
func (r *Recorder) Restarted(stable *FileStableStore, logs *FileLogStore) {
	r.log.Restart()
	term, _ := stable.GetUint64([]byte(keyCurrentTerm))
	voteTerm, _ := stable.GetUint64([]byte(keyLastVoteTerm))
	cand, _ := stable.Get([]byte(keyLastVoteCand))
	var vote uint64
	if voteTerm == term && cand != nil {
		vote = r.ids[raft.ServerAddress(cand)]
	}
	r.mu.Lock()
	r.term, r.voteTerm = term, voteTerm
	r.mu.Unlock()
	r.log.State(eventlog.State{Term: eventlog.U(specTerm(term)), Role: "follower", Vote: eventlog.U(vote), Leader: eventlog.U(0)})
	r.log.Append(1, specEntries(userLogs(logs.All())))
}

// peer returns the id of the server with RPC header h.
func (r *Recorder) peer(h raft.RPCHeader) uint64 {
	if n, err := strconv.ParseUint(string(h.ID), 10, 64); err == nil {
		return n
	}
	return r.ids[raft.ServerAddress(h.Addr)]
}
