package main

// The cluster: one etcd RawNode per node, the Ready loop that persists each node's state through
// its storage (storage.go) and hands its messages to its transport (transport.go), and restarts.
// An injected bug is a wrapper around one of those seams (bugs.go); this loop and etcd's raft
// package are the same with and without one.

import (
	"go.etcd.io/etcd/raft"
	pb "go.etcd.io/etcd/raft/raftpb"
)

// maxReadyRounds bounds the Ready loop of one step: a node that is still not quiescent after
// this many rounds is an adapter fault rather than a hang.
const maxReadyRounds = 10000

// nodeConfig is the configuration every node runs with: deterministic (elections only by
// Campaign, heartbeats only by ticking a leader once with HeartbeatTick 1; followers and
// candidates are never ticked, so the randomized election timeout is never consulted),
// check-quorum off, pre-vote as the reset asked (off unless "pre_vote": true), no limit on
// entries per append; Applied is the application's applied index, so nothing it applied is
// handed out again after a restart.
func nodeConfig(id uint64, st raft.Storage, preVote bool, applied uint64) *raft.Config {
	return &raft.Config{
		ID:              id,
		ElectionTick:    10,
		HeartbeatTick:   1,
		Storage:         st,
		Applied:         applied,
		MaxSizePerMsg:   noLimit,
		MaxInflightMsgs: 256,
		CheckQuorum:     false,
		PreVote:         preVote,
		Logger:          etcdLogger,
	}
}

// node is one etcd node plus the integration code around it. Every field is part of the
// node's state and is covered by the fingerprint.
type node struct {
	id      uint64
	preVote bool
	rn      *raft.RawNode
	// storage is where the Ready loop writes and what a restart rebuilds from; raft reads its
	// raftStorage, where every write lands at once.
	storage nodeStorage
	// transport is how messages come in and go out.
	transport transport
	// confOnAppend: the application applies configuration changes when they are appended
	// (conf-change-on-append), not when they are committed.
	confOnAppend bool
	// appliedOnAppend is, with confOnAppend, the last index whose configuration change was
	// applied on append, so it is not applied again when committed.
	appliedOnAppend uint64
}

// newNode is a brand-new node (fresh storage, nothing persisted, the configuration in which
// voters vote) of a cluster of the nodes all: the honest storage and transport, with bug (""
// for none) wrapped around them.
func newNode(id uint64, voters, all []uint64, bug string, preVote bool) (*node, error) {
	n := &node{
		id:           id,
		preVote:      preVote,
		storage:      withStorageBug(bug, newSyncedStorage(voters)),
		transport:    withTransportBug(bug, id, all),
		confOnAppend: confChangeOnAppend(bug),
	}
	rn, err := raft.NewRawNode(nodeConfig(id, n.storage.raftStorage(), preVote, 0))
	if err != nil {
		return nil, fault("etcd refused the configuration of n%d: %v", id, err)
	}
	n.rn = rn
	return n, nil
}

func (n *node) status() raft.BasicStatus { return n.rn.BasicStatus() }

func (n *node) isLeader() bool { return n.status().RaftState == raft.StateLeader }

// restart crashes the node and builds it anew from what its storage holds durably: a new
// RawNode over the storage that survived (its snapshot, log, HardState and configuration),
// with Config.Applied the durable applied index.
func (n *node) restart() error {
	st, err := n.storage.restart()
	if err != nil {
		return fault("n%d: %v", n.id, err)
	}
	rn, err := raft.NewRawNode(nodeConfig(n.id, st, n.preVote, st.applied))
	if err != nil {
		return fault("n%d: etcd could not restart from its storage: %v", n.id, err)
	}
	n.rn = rn
	return nil
}

// drainReady handles every pending Ready until etcd is quiescent, collecting the messages to
// send: a snapshot installed (storage applySnapshot), entries appended to storage and HardState
// stored if not empty (all durable when write returns), then the messages sent, then the
// committed entries applied (app.go), then Advance. A leader that sent a MsgSnap reports it
// finished (ReportSnapshot, SnapshotFinish) once the message is handed to the network, as etcd's
// own server does when its transport has sent it: the leader then probes the follower from the
// snapshot index on.
func (n *node) drainReady() ([]pb.Message, error) {
	var sent []pb.Message
	for rounds := 0; n.rn.HasReady(); rounds++ {
		if rounds == maxReadyRounds {
			return nil, fault("n%d is still not quiescent after %d Ready rounds", n.id, rounds)
		}
		rd := n.rn.Ready()
		if len(rd.ReadStates) > 0 {
			return nil, unmodelled("n%d: etcd produced read states; the spec does not model "+
				"read-index requests", n.id)
		}
		if !raft.IsEmptySnap(rd.Snapshot) {
			if err := n.storage.applySnapshot(rd.Snapshot); err != nil {
				return nil, fault("n%d: %v", n.id, err)
			}
		}
		if len(rd.Entries) > 0 || !raft.IsEmptyHardState(rd.HardState) {
			if err := n.storage.write(rd.Entries, rd.HardState); err != nil {
				return nil, fault("n%d: %v", n.id, err)
			}
		}
		if n.confOnAppend {
			if err := n.applyOnAppend(rd.Entries); err != nil {
				return nil, err
			}
		}
		var snapshotsTo []uint64
		for _, m := range rd.Messages {
			sent = n.transport.send(sent, m)
			if m.Type == pb.MsgSnap {
				snapshotsTo = append(snapshotsTo, m.To)
			}
		}
		if err := n.applyCommitted(rd.CommittedEntries); err != nil {
			return nil, err
		}
		n.rn.Advance(rd)
		for _, to := range snapshotsTo {
			n.rn.ReportSnapshot(to, raft.SnapshotFinish)
		}
	}
	return sent, nil
}

// log is the node's log after its snapshot, as raft reads it. After quiescence every entry
// raft holds is in storage (Advance has moved them out of the unstable log), so storage is the
// whole log; a node that still holds unstable entries is reported as a fault.
func (n *node) log() ([]pb.Entry, error) {
	if k := unstableEntries(n.rn); k != 0 {
		return nil, fault("n%d holds %d unstable entries after quiescence", n.id, k)
	}
	st := n.storage.raftStorage()
	first, err := st.FirstIndex()
	if err != nil {
		return nil, fault("n%d: could not read its log: %v", n.id, err)
	}
	ents, err := st.entriesFrom(first)
	if err != nil {
		return nil, fault("n%d: could not read its log: %v", n.id, err)
	}
	return ents, nil
}

// view is the node's abstract state (see README.md, "Abstraction").
func (n *node) view() (NodeView, error) {
	st := n.status()
	role, err := roleFromEtcd(st.RaftState)
	if err != nil {
		return NodeView{}, err
	}
	ents, err := n.log()
	if err != nil {
		return NodeView{}, err
	}
	log := make([]Entry, 0, len(ents))
	for _, e := range ents {
		entry, err := entryFromEtcd(e)
		if err != nil {
			return NodeView{}, fault("n%d: %v", n.id, err)
		}
		log = append(log, entry)
	}
	store := n.storage.raftStorage()
	first, _ := store.FirstIndex()
	snapshotTerm, err := store.Term(first - 1)
	if err != nil {
		return NodeView{}, fault("n%d: no term at its snapshot index %d: %v", n.id, first-1, err)
	}
	config := rawNodeConfig(n.rn)
	return NodeView{
		Term:          st.Term,
		Role:          role,
		Vote:          optionalID(st.Vote),
		Leader:        optionalID(st.Lead),
		Log:           log,
		Commit:        st.Commit,
		SnapshotIndex: first - 1,
		SnapshotTerm:  snapshotTerm,
		Config:        &config,
		Applied:       store.applied,
		StateMachine:  append([]uint64{}, store.stateMachine...),
	}, nil
}

func optionalID(id uint64) *uint64 {
	if id == 0 {
		return nil
	}
	return &id
}

// cluster is the nodes 1..voters+spares of one run: the voters of the initial configuration,
// then the spares outside it (which every node, the spares too, starts knowing).
type cluster struct {
	bug     string
	preVote bool
	voters  int
	nodes   []*node
	// digests caches each node's state digest for fingerprint (digests[id-1]); nil where the
	// node may have changed since. Only apply and resetNode change a node, and both clear its
	// entry. Kept here rather than in node, so that the walk over a node never sees it.
	digests [][]byte
}

func peerIDs(count int) []uint64 {
	peers := make([]uint64, count)
	for i := range peers {
		peers[i] = uint64(i + 1)
	}
	return peers
}

func newCluster(voters, spares int, bug string, preVote bool) (*cluster, error) {
	count := voters + spares
	c := &cluster{bug: bug, preVote: preVote, voters: voters, digests: make([][]byte, count)}
	for id := 1; id <= count; id++ {
		n, err := newNode(uint64(id), peerIDs(voters), peerIDs(count), bug, preVote)
		if err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, n)
	}
	return c, nil
}

func (c *cluster) node(id uint64) (*node, error) {
	if id == 0 || id > uint64(len(c.nodes)) {
		return nil, fault("no node n%d in a %d-node cluster", id, len(c.nodes))
	}
	return c.nodes[id-1], nil
}

// resetNode replaces one node by a brand-new one (fresh storage, nothing persisted).
func (c *cluster) resetNode(id uint64) error {
	if _, err := c.node(id); err != nil {
		return err
	}
	n, err := newNode(id, peerIDs(c.voters), peerIDs(len(c.nodes)), c.bug, c.preVote)
	if err != nil {
		return err
	}
	c.nodes[id-1] = n
	c.digests[id-1] = nil
	return nil
}

// apply drives one input into its node and runs the node to quiescence.
func (c *cluster) apply(in *Input) ([]Output, error) {
	target := in.target()
	if target == 0 && (in.Kind == "drop" || in.Kind == "duplicate") {
		// Drops and duplicates happen in raftcheck's network, not in etcd.
		return []Output{}, nil
	}
	n, err := c.node(target)
	if err != nil {
		return nil, err
	}
	c.digests[target-1] = nil
	return n.drive(in)
}

// drive applies one input to the node and runs it to quiescence; the outputs are, in order:
// become_leader if the node became leader in this step, proposal_dropped if etcd dropped a
// proposal, then every message sent, in the order etcd emitted them.
func (n *node) drive(in *Input) ([]Output, error) {
	if in.Kind != "restart" {
		// Writes still in flight complete as the next input begins; a crash abandons them.
		n.storage.completeWrites()
	}
	wasLeader := n.isLeader()
	outputs := []Output{}
	dropped := func(value uint64) {
		outputs = append(outputs, Output{Kind: outputProposalDropped, Node: n.id, Value: value})
	}
	switch in.Kind {
	case "timeout":
		if err := n.rn.Campaign(); err != nil {
			return nil, refused("Campaign on n%d: %v", n.id, err)
		}
	case "receive":
		m, err := messageToEtcd(in.Message)
		if err != nil {
			return nil, err
		}
		m, stepped := n.transport.deliver(m, n.status().Term)
		if !stepped {
			break
		}
		switch err := n.rn.Step(m); {
		case err == nil:
		case err == raft.ErrStepPeerNotFound:
			// A response from a node outside the configuration: etcd ignores it.
		case err == raft.ErrProposalDropped && in.Message.Type == typePropose:
			dropped(in.Message.Value)
		default:
			return nil, refused("n%d could not step %s from n%d: %v", n.id, m.Type, m.From, err)
		}
	case "restart":
		if err := n.restart(); err != nil {
			return nil, err
		}
	case "client_request":
		switch err := n.rn.Propose(valueToData(in.Value)); {
		case err == nil:
		case err == raft.ErrProposalDropped:
			dropped(in.Value)
		default:
			return nil, refused("Propose on n%d: %v", n.id, err)
		}
	case "propose_conf_change":
		if err := n.rn.ProposeConfChange(in.Change.toEtcd()); err != nil {
			return nil, refused("ProposeConfChange on n%d: %v", n.id, err)
		}
	case "compact":
		if err := n.storage.compact(); err != nil {
			return nil, refused("n%d could not compact: %v", n.id, err)
		}
	case "heartbeat":
		// The leader's heartbeat timer: one Tick with HeartbeatTick 1 sends one MsgHeartbeat to
		// every follower. Only a leader is ticked; a follower's or candidate's tick would run
		// its randomized election timer.
		if n.isLeader() {
			n.rn.Tick()
		}
	default:
		return nil, fault("input %q cannot be applied to a node", in.Kind)
	}
	sent, err := n.drainReady()
	if err != nil {
		return nil, err
	}
	if !wasLeader && n.isLeader() {
		become := Output{Kind: outputBecomeLeader, Node: n.id, Term: n.status().Term}
		outputs = append([]Output{become}, outputs...)
	}
	for _, m := range sent {
		msg, err := messageFromEtcd(m)
		if err != nil {
			return nil, err
		}
		outputs = append(outputs, Output{Kind: outputSend, Message: msg})
	}
	return outputs, nil
}

// observe is every node's abstract state, in id order.
func (c *cluster) observe() ([]NodeView, error) {
	views := make([]NodeView, 0, len(c.nodes))
	for _, n := range c.nodes {
		v, err := n.view()
		if err != nil {
			return nil, err
		}
		views = append(views, v)
	}
	return views, nil
}
