package main

// The injectable bugs, as wrappers around the honest seams of a node: storage bugs around
// syncedStorage (storage.go), message bugs around direct (transport.go). etcd's raft package
// and the Ready loop (cluster.go) are untouched; a node with a bug is the honest loop over a
// wrapped seam. Names and meaning are those of impl_adapter/src/inject.rs.
//
// etcd 3.4's RawNode has no asynchronous persistence (raft-rs's persisted messages and
// on_persist_ready): the contract is that a Ready's writes are durable before its messages are
// sent. So ack-before-persist is a storage wrapper here, a write that returns before it is
// durable, where raft-rs's adapter has it in the transport.

import (
	"go.etcd.io/etcd/raft"
	pb "go.etcd.io/etcd/raft/raftpb"
)

// The injectable bugs, with the names and meaning of impl_adapter/src/inject.rs, in its order.
const (
	bugVoteNotPersisted     = "vote-not-persisted"
	bugTermNotPersisted     = "term-not-persisted"
	bugUnsyncedTailLost     = "unsynced-tail-lost"
	bugAckBeforePersist     = "ack-before-persist"
	bugStaleTermAsCurrent   = "stale-term-as-current"
	bugReplyToWrongPeer     = "reply-to-wrong-peer"
	bugConflictNotTruncated = "conflict-not-truncated"
	bugConfChangeOnAppend   = "conf-change-on-append"
	bugConfStateNotPersist  = "conf-state-not-persisted"
	bugCompactPastApplied   = "compact-past-applied"
	bugSnapshotKeepsLog     = "snapshot-keeps-log"
	bugSnapshotDataIgnored  = "snapshot-data-ignored"
	bugNoProbeBackoff       = "no-probe-backoff"
	bugNoHeartbeatRepair    = "no-heartbeat-repair"
)

// allBugs is the catalogue, in the order `raftcheck check --inject list` prints it.
var allBugs = []string{
	bugVoteNotPersisted,
	bugTermNotPersisted,
	bugUnsyncedTailLost,
	bugAckBeforePersist,
	bugStaleTermAsCurrent,
	bugReplyToWrongPeer,
	bugConflictNotTruncated,
	bugConfChangeOnAppend,
	bugConfStateNotPersist,
	bugCompactPastApplied,
	bugSnapshotKeepsLog,
	bugSnapshotDataIgnored,
	bugNoProbeBackoff,
	bugNoHeartbeatRepair,
}

// withStorageBug is the storage of a node with bug ("" for none): honest itself, or honest
// wrapped in the bug.
func withStorageBug(bug string, honest *syncedStorage) nodeStorage {
	switch bug {
	case bugVoteNotPersisted:
		return voteNotPersisted{honest}
	case bugTermNotPersisted:
		return termNotPersisted{honest}
	case bugUnsyncedTailLost:
		return &unsyncedTailLost{writeCache{store: honest}}
	case bugAckBeforePersist:
		return &ackBeforePersist{writeCache{store: honest}}
	case bugConflictNotTruncated:
		return conflictNotTruncated{honest}
	case bugConfStateNotPersist:
		return confStateNotPersisted{honest}
	case bugCompactPastApplied:
		return compactPastApplied{honest}
	case bugSnapshotKeepsLog:
		return snapshotKeepsLog{honest}
	case bugSnapshotDataIgnored:
		return snapshotDataIgnored{honest}
	}
	return honest
}

// confChangeOnAppend is whether the application of a node with bug applies configuration
// changes when they are appended (conf-change-on-append) rather than when committed.
//
// Mirrors membership taking effect on append — Raft thesis §4.1's rule, safe only with the
// rest of that design — in an application written against etcd's and raft-rs's
// apply-on-commit contract, so an uncommitted change that a new leader overwrites is in force
// anyway.
func confChangeOnAppend(bug string) bool { return bug == bugConfChangeOnAppend }

// withTransportBug is the transport of node id (of peers) with bug ("" for none): the honest
// one, or it wrapped in the bug.
func withTransportBug(bug string, id uint64, peers []uint64) transport {
	switch bug {
	case bugStaleTermAsCurrent:
		return staleTermAsCurrent{direct{}}
	case bugReplyToWrongPeer:
		return replyToWrongPeer{inner: direct{}, id: id, peers: peers}
	case bugNoProbeBackoff:
		return swallow{swallows: func(m pb.Message) bool { return m.Type == pb.MsgAppResp && m.Reject }}
	case bugNoHeartbeatRepair:
		return swallow{swallows: func(m pb.Message) bool { return m.Type == pb.MsgHeartbeatResp }}
	}
	return direct{}
}

// ---------------------------------------------------------------------------------------------
// Storage bugs

// voteNotPersisted (vote-not-persisted): the HardState is stored with Vote 0, so a restarted
// node has not voted in its term and may vote again.
//
// Mirrors votedFor kept in memory only, or left out of the persisted record: the double vote
// the Raft paper's persistence rule (Figure 2: "updated on stable storage before responding to
// RPCs") exists to prevent.
type voteNotPersisted struct{ *syncedStorage }

func (s voteNotPersisted) write(entries []pb.Entry, hs pb.HardState) error {
	hs.Vote = 0 // the bug
	return s.syncedStorage.write(entries, hs)
}

// termNotPersisted (term-not-persisted): the HardState is stored with the term it had before
// (so, from a fresh store, term 0); a restarted node goes back to that term.
//
// Mirrors currentTerm not written together with the vote: a restarted node regresses its term
// and accepts messages from a leader that was already deposed.
type termNotPersisted struct{ *syncedStorage }

func (s termNotPersisted) write(entries []pb.Entry, hs pb.HardState) error {
	if !raft.IsEmptyHardState(hs) {
		hs.Term = s.store.hardState().Term // the bug
	}
	return s.syncedStorage.write(entries, hs)
}

// unsyncedTailLost (unsynced-tail-lost): writes are synced only with a non-empty HardState; a
// restart loses the entries appended since.
//
// Mirrors an integration that ignores Ready.MustSync and fsyncs only on metadata changes: the
// lost-acknowledged-write class that "Protocol-Aware Recovery for Consensus-Based Storage"
// (FAST '18) finds in real systems.
type unsyncedTailLost struct{ writeCache }

func (s *unsyncedTailLost) raftStorage() *confStorage { return s.writeCache.store.raftStorage() }

func (s *unsyncedTailLost) write(entries []pb.Entry, hs pb.HardState) error {
	synced := !raft.IsEmptyHardState(hs) // the bug: entries alone are not synced
	if !synced {
		if err := s.writeCache.beforeWrite(); err != nil {
			return err
		}
	}
	if err := s.writeCache.store.write(entries, hs); err != nil {
		return err
	}
	if synced {
		s.writeCache.sync()
	}
	return nil
}

func (s *unsyncedTailLost) completeWrites() {}

func (s *unsyncedTailLost) restart() (*confStorage, error) { return s.writeCache.crash() }

// ackBeforePersist (ack-before-persist): a write returns before it is durable; it becomes
// durable at the node's next input, and a restart before that loses it. The loop, told the
// write is done, sends the Ready's messages (acks, votes) at once.
//
// Mirrors sending MsgAppResp and MsgVoteResp (raft-rs: Ready::persisted_messages) before the
// WAL write is fsynced, the classic pitfall of Raft integrations with asynchronous I/O.
type ackBeforePersist struct{ writeCache }

func (s *ackBeforePersist) raftStorage() *confStorage { return s.writeCache.store.raftStorage() }

func (s *ackBeforePersist) write(entries []pb.Entry, hs pb.HardState) error {
	if err := s.writeCache.beforeWrite(); err != nil {
		return err
	}
	return s.writeCache.store.write(entries, hs) // the bug: returns with the write in flight
}

func (s *ackBeforePersist) completeWrites() { s.writeCache.sync() }

func (s *ackBeforePersist) restart() (*confStorage, error) { return s.writeCache.crash() }

// conflictNotTruncated (conflict-not-truncated): an append that overwrites a conflicting
// suffix replaces the stored entries it covers but keeps the old ones beyond its last entry.
//
// Mirrors custom log stores (key-value or segment files) that write entries by index and
// forget to delete the tail on an overwrite, reviving entries a new leader had removed.
type conflictNotTruncated struct{ *syncedStorage }

func (s conflictNotTruncated) write(entries []pb.Entry, hs pb.HardState) error {
	kept, err := s.tailBeyond(entries)
	if err != nil {
		return err
	}
	if err := s.append(entries); err != nil {
		return err
	}
	if err := s.append(kept); err != nil { // the bug: the old tail is written back
		return err
	}
	return s.setHardState(hs)
}

// tailBeyond is what an append of entries deletes from the store: the stored entries past its
// last entry, when it starts inside the stored log.
func (s conflictNotTruncated) tailBeyond(entries []pb.Entry) ([]pb.Entry, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	last, err := s.store.LastIndex()
	if err != nil {
		return nil, err
	}
	if entries[0].Index > last {
		return nil, nil
	}
	return s.store.entriesFrom(entries[len(entries)-1].Index + 1)
}

// ---------------------------------------------------------------------------------------------
// Message bugs

// staleTermAsCurrent (stale-term-as-current): an incoming message from an older term (not 0:
// local messages and proposals carry none) is stamped with the receiver's term before it is
// stepped.
//
// Mirrors a transport or message handler that drops the term check (or rewrites the term),
// letting delayed votes and appends from an old term act in a new one.
type staleTermAsCurrent struct{ direct }

func (t staleTermAsCurrent) deliver(m pb.Message, term uint64) (pb.Message, bool) {
	if m.Term != 0 && m.Term < term {
		m.Term = term // the bug
	}
	return t.direct.deliver(m, term)
}

// swallow (no-probe-backoff, no-heartbeat-repair): the incoming messages swallows picks are
// discarded before they are stepped, so the leader never hears them and sends nothing in
// answer: rejected MsgAppResp (the leader never backs off and probes again) and
// MsgHeartbeatResp (a heartbeat round repairs no follower). Nothing the spec requires of the
// step is missing and no state differs: only the progress obligations catch them.
//
// Mirrors a leader that ignores a rejection (treats it as a failed RPC, never decrements Next)
// and heartbeats handled outside raft whose responses are never stepped (coalesced or
// liveness-only heartbeats): both leave a follower unrepaired.
type swallow struct {
	direct
	swallows func(pb.Message) bool
}

func (t swallow) deliver(m pb.Message, term uint64) (pb.Message, bool) {
	if t.swallows(m) {
		return m, false // the bug
	}
	return t.direct.deliver(m, term)
}

// replyToWrongPeer (reply-to-wrong-peer): responses (MsgAppResp, MsgVoteResp, MsgPreVoteResp,
// MsgHeartbeatResp) go to the next peer after the one etcd addressed, skipping the node itself.
// A cluster of fewer than 3 nodes has no wrong peer to pick.
//
// Mirrors mix-ups in a transport's peer address book or connection table, e.g. after a node is
// replaced or ids are remapped.
type replyToWrongPeer struct {
	inner direct
	id    uint64
	peers []uint64
}

func (t replyToWrongPeer) deliver(m pb.Message, term uint64) (pb.Message, bool) {
	return t.inner.deliver(m, term)
}

func (t replyToWrongPeer) send(sent []pb.Message, m pb.Message) []pb.Message {
	return t.inner.send(sent, t.misroute(m))
}

func (t replyToWrongPeer) misroute(m pb.Message) pb.Message {
	switch m.Type {
	case pb.MsgAppResp, pb.MsgVoteResp, pb.MsgPreVoteResp, pb.MsgHeartbeatResp:
	default:
		return m
	}
	if len(t.peers) < 3 {
		return m
	}
	at := 0
	for i, p := range t.peers {
		if p == m.To {
			at = i
		}
	}
	next := t.peers[(at+1)%len(t.peers)]
	if next == t.id {
		next = t.peers[(at+2)%len(t.peers)]
	}
	m.To = next
	return m
}

// ---------------------------------------------------------------------------------------------
// Membership and snapshot bugs (the application's writes)

// confStateNotPersisted (conf-state-not-persisted): the ConfState ApplyConfChange returns is
// never written, so the store keeps the configuration the node started with (or last
// installed from a snapshot), and a restart rebuilds the node in it.
//
// Mirrors conf state kept only in memory (or not saved with the snapshot): the class of etcd
// and TiKV bugs in which a restarted member comes back with a stale peer list.
type confStateNotPersisted struct{ *syncedStorage }

func (s confStateNotPersisted) setConfState(pb.ConfState) error {
	return nil // the bug
}

// compactPastApplied (compact-past-applied): compaction snapshots at the last index of the log
// instead of the applied index — with the state machine as it is at the applied index.
//
// Mirrors compacting past the applied index (what MemoryStorage.Compact's comment leaves to
// the application), which makes a snapshot of state the state machine never had and discards
// entries it still has to apply.
type compactPastApplied struct{ *syncedStorage }

func (s compactPastApplied) compact() error {
	last, err := s.store.LastIndex()
	if err != nil {
		return err
	}
	return s.compactAt(last) // the bug: not s.store.applied
}

// snapshotKeepsLog (snapshot-keeps-log): installing a snapshot moves the log's base to the
// snapshot but keeps the stored entries: an offset-indexed store (entry i at i - base) then
// holds the old entries at the indexes after the snapshot.
//
// Mirrors a storage whose ApplySnapshot rewrites the base entry (MemoryStorage keeps the
// snapshot's index and term in ents[0]) but forgets to truncate the rest, so stale entries
// survive the snapshot and conflict with the leader's log.
type snapshotKeepsLog struct{ *syncedStorage }

func (s snapshotKeepsLog) applySnapshot(snap pb.Snapshot) error {
	first, err := s.store.FirstIndex()
	if err != nil {
		return err
	}
	kept, err := s.store.entriesFrom(first)
	if err != nil {
		return err
	}
	if err := s.syncedStorage.applySnapshot(snap); err != nil {
		return err
	}
	for k := range kept {
		kept[k].Index = snap.Metadata.Index + 1 + uint64(k) // the bug: the old entries, at the new offset
	}
	return s.append(kept)
}

// snapshotDataIgnored (snapshot-data-ignored): installing a snapshot takes its metadata (log,
// commit index, configuration) but never loads its data into the state machine.
//
// Mirrors restoring raft's view from a snapshot's metadata without restoring the application's
// state from its payload: a follower caught up by snapshot misses every value in it.
type snapshotDataIgnored struct{ *syncedStorage }

func (s snapshotDataIgnored) applySnapshot(snap pb.Snapshot) error {
	kept := s.store.stateMachine
	if err := s.syncedStorage.applySnapshot(snap); err != nil {
		return err
	}
	s.store.stateMachine = kept // the bug
	return nil
}
