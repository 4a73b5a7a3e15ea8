//! The injectable bugs of [`crate::inject`], as wrappers around the honest seams of a raft-rs
//! node: storage bugs around [`SyncedStorage`], message bugs around [`Direct`]. raft-rs itself
//! and the `Ready` loop are untouched; a node with a bug is the honest loop over a wrapped seam.
//!
//! `ack-before-persist` needs both seams: its writes are asynchronous ([`DeferredWrites`], an
//! honest store) and its transport does not wait for them ([`AckBeforePersist`], the bug).

use raft::eraftpb::{ConfState, Entry, HardState, Message, MessageType, Snapshot};
use raft::Storage;

use super::storage::{
    DeferredWrites, NodeStorage, Persistence, RaftStorage, StoredState, SyncedStorage, WriteCache,
};
use super::transport::{Direct, Outbox, Transport};
use crate::inject::Bug;
use crate::AdapterError;

/// The storage of a node with `bug`: `honest` itself, or `honest` wrapped in the bug.
pub(crate) fn storage(bug: Option<Bug>, honest: SyncedStorage) -> Box<dyn NodeStorage> {
    match bug {
        Some(Bug::VoteNotPersisted) => Box::new(vote_not_persisted(honest)),
        Some(Bug::TermNotPersisted) => Box::new(term_not_persisted(honest)),
        Some(Bug::UnsyncedTailLost) => Box::new(UnsyncedTailLost::new(honest)),
        Some(Bug::AckBeforePersist) => Box::new(DeferredWrites::new(honest)),
        Some(Bug::ConflictNotTruncated) => Box::new(ConflictNotTruncated(honest)),
        Some(Bug::ConfStateNotPersisted) => Box::new(ConfStateNotPersisted(honest)),
        Some(Bug::CompactPastApplied) => Box::new(CompactPastApplied(honest)),
        Some(Bug::SnapshotKeepsLog) => Box::new(SnapshotKeepsLog(honest)),
        Some(Bug::SnapshotDataIgnored) => Box::new(SnapshotDataIgnored(honest)),
        Some(
            Bug::StaleTermAsCurrent
            | Bug::ReplyToWrongPeer
            | Bug::ConfChangeOnAppend
            | Bug::NoProbeBackoff
            | Bug::NoHeartbeatRepair,
        )
        | None => Box::new(honest),
    }
}

/// When the application of a node with `bug` applies configuration changes.
pub(crate) fn conf_change_timing(bug: Option<Bug>) -> ConfChangeTiming {
    match bug {
        Some(Bug::ConfChangeOnAppend) => ConfChangeTiming::OnAppend,
        _ => ConfChangeTiming::OnCommit,
    }
}

/// When the application calls `apply_conf_change` for a configuration entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConfChangeTiming {
    /// When the entry is committed and applied: the contract of raft-rs.
    OnCommit,
    /// `conf-change-on-append`: as soon as the entry is appended (`Ready::entries`); it is not
    /// applied again when committed.
    ///
    /// Mirrors membership taking effect on append — Raft thesis §4.1's rule, safe only with
    /// the rest of that design — in an application written against raft-rs's and etcd's
    /// apply-on-commit contract, so an uncommitted change that a new leader overwrites is in
    /// force anyway.
    OnAppend,
}

/// The transport of node `id` (of `peers`) with `bug`: the honest one, or it wrapped in the bug.
pub(crate) fn transport(bug: Option<Bug>, id: u64, peers: &[u64]) -> Box<dyn Transport> {
    match bug {
        Some(Bug::AckBeforePersist) => Box::new(AckBeforePersist(Direct)),
        Some(Bug::StaleTermAsCurrent) => Box::new(StaleTermAsCurrent(Direct)),
        Some(Bug::ReplyToWrongPeer) => Box::new(ReplyToWrongPeer {
            inner: Direct,
            id,
            peers: peers.to_vec(),
        }),
        Some(
            Bug::VoteNotPersisted
            | Bug::TermNotPersisted
            | Bug::UnsyncedTailLost
            | Bug::ConflictNotTruncated
            | Bug::ConfChangeOnAppend
            | Bug::ConfStateNotPersisted
            | Bug::CompactPastApplied
            | Bug::SnapshotKeepsLog
            | Bug::SnapshotDataIgnored,
        )
        | None => Box::new(Direct),
        Some(Bug::NoProbeBackoff) => Box::new(Swallow {
            inner: Direct,
            swallows: |m| m.get_msg_type() == MessageType::MsgAppendResponse && m.reject,
        }),
        Some(Bug::NoHeartbeatRepair) => Box::new(Swallow {
            inner: Direct,
            swallows: |m| m.get_msg_type() == MessageType::MsgHeartbeatResponse,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Storage bugs
// ---------------------------------------------------------------------------------------------

/// A store that writes every hard state through `rewrite(new, stored)` (`stored`: the hard
/// state written before): the shape of the two hard-state bugs below.
pub(crate) struct RewrittenHardState {
    store: SyncedStorage,
    rewrite: fn(&HardState, &HardState) -> HardState,
}

/// `vote-not-persisted`: the hard state is stored with vote 0, so a restarted node has not voted
/// in its term and may vote again.
///
/// Mirrors `votedFor` kept in memory only, or left out of the persisted record: the double-vote
/// bug the Raft paper's persistence rule (Figure 2: "updated on stable storage before responding
/// to RPCs") exists to prevent.
fn vote_not_persisted(store: SyncedStorage) -> RewrittenHardState {
    RewrittenHardState {
        store,
        rewrite: |new, _| HardState {
            vote: 0, // the bug
            ..new.clone()
        },
    }
}

/// `term-not-persisted`: the hard state is stored with the term it had before (so, from a fresh
/// store, term 0); a restarted node goes back to that term.
///
/// Mirrors `currentTerm` not written together with the vote: a restarted node regresses its
/// term and accepts messages from a leader that was already deposed.
fn term_not_persisted(store: SyncedStorage) -> RewrittenHardState {
    RewrittenHardState {
        store,
        rewrite: |new, stored| HardState {
            term: stored.term, // the bug
            ..new.clone()
        },
    }
}

impl NodeStorage for RewrittenHardState {
    fn raft_storage(&self) -> &RaftStorage {
        self.store.raft_storage()
    }

    fn append(&mut self, entries: &[Entry]) -> Result<(), AdapterError> {
        self.store.append(entries)
    }

    fn set_hard_state(&mut self, hs: &HardState) -> Result<(), AdapterError> {
        let stored = (self.rewrite)(hs, &self.store.hard_state());
        self.store.set_hard_state(&stored)
    }

    fn set_commit(&mut self, commit: u64) -> Result<(), AdapterError> {
        self.store.set_commit(commit)
    }
}

/// `unsynced-tail-lost`: writes are synced only when the hard state changes (a `Ready` with a
/// hard state, or an advanced commit index); a restart loses the entries appended since.
///
/// Mirrors an integration that ignores `Ready::must_sync` and fsyncs only on metadata changes:
/// the lost-acknowledged-write class that "Protocol-Aware Recovery for Consensus-Based Storage"
/// (FAST '18) finds in real systems.
pub(crate) struct UnsyncedTailLost {
    cache: WriteCache,
    /// Whether the `Ready` being written has a hard state.
    hard_state_written: bool,
}

impl UnsyncedTailLost {
    fn new(store: SyncedStorage) -> Self {
        UnsyncedTailLost {
            cache: WriteCache::new(store),
            hard_state_written: false,
        }
    }
}

impl NodeStorage for UnsyncedTailLost {
    fn raft_storage(&self) -> &RaftStorage {
        self.cache.raft_storage()
    }

    fn append(&mut self, entries: &[Entry]) -> Result<(), AdapterError> {
        self.cache.append(entries)
    }

    fn set_hard_state(&mut self, hs: &HardState) -> Result<(), AdapterError> {
        self.hard_state_written = true;
        self.cache.set_hard_state(hs)
    }

    fn set_commit(&mut self, commit: u64) -> Result<(), AdapterError> {
        self.cache.store.set_commit(commit)?;
        self.cache.sync(); // a hard state change: this integration syncs now
        Ok(())
    }

    fn persist(&mut self, _ready: u64) -> Persistence {
        // The bug: a `Ready` without a hard state is not synced, yet reported durable.
        if std::mem::take(&mut self.hard_state_written) {
            self.cache.sync();
        }
        Persistence::Durable
    }

    fn restart(&mut self) -> Result<RaftStorage, AdapterError> {
        self.hard_state_written = false;
        self.cache.crash()
    }

    fn durable_state(&self) -> Option<&StoredState> {
        self.cache.durable_state()
    }
}

/// `conflict-not-truncated`: an append that overwrites a conflicting suffix replaces the stored
/// entries it covers but keeps the old ones beyond its last entry.
///
/// Mirrors custom log stores (key-value or segment files) that write entries by index and
/// forget to delete the tail on an overwrite, reviving entries a new leader had removed.
pub(crate) struct ConflictNotTruncated(SyncedStorage);

impl ConflictNotTruncated {
    /// The stored entries an append of `entries` deletes: those past its last entry, when it
    /// starts inside the stored log.
    fn tail_beyond(&self, entries: &[Entry]) -> Vec<Entry> {
        let stored_last = self.0.raft_storage().last_index().unwrap_or(0);
        match (entries.first(), entries.last()) {
            (Some(first), Some(last)) if first.index <= stored_last => {
                self.0.entries_from(last.index + 1)
            }
            _ => Vec::new(),
        }
    }
}

impl NodeStorage for ConflictNotTruncated {
    fn raft_storage(&self) -> &RaftStorage {
        self.0.raft_storage()
    }

    fn append(&mut self, entries: &[Entry]) -> Result<(), AdapterError> {
        let kept = self.tail_beyond(entries);
        self.0.append(entries)?;
        // The bug: the old entries beyond the overwritten range are written back.
        self.0.append(&kept)
    }

    fn set_hard_state(&mut self, hs: &HardState) -> Result<(), AdapterError> {
        self.0.set_hard_state(hs)
    }

    fn set_commit(&mut self, commit: u64) -> Result<(), AdapterError> {
        self.0.set_commit(commit)
    }
}

/// The writes of the honest store `$inner` (a field of `$store`), for the bug stores below that
/// change only the application's side.
macro_rules! log_writes_through {
    ($inner:tt) => {
        fn raft_storage(&self) -> &RaftStorage {
            self.$inner.raft_storage()
        }

        fn append(&mut self, entries: &[Entry]) -> Result<(), AdapterError> {
            self.$inner.append(entries)
        }

        fn set_hard_state(&mut self, hs: &HardState) -> Result<(), AdapterError> {
            self.$inner.set_hard_state(hs)
        }

        fn set_commit(&mut self, commit: u64) -> Result<(), AdapterError> {
            self.$inner.set_commit(commit)
        }
    };
}

/// `conf-state-not-persisted`: the configuration `apply_conf_change` returns is never written,
/// so the store keeps the one the node started with (or last installed from a snapshot), and
/// a restart rebuilds the node in it.
///
/// Mirrors conf state kept only in memory (or not saved with the snapshot): the class of etcd
/// and TiKV bugs in which a restarted member comes back with a stale peer list.
pub(crate) struct ConfStateNotPersisted(SyncedStorage);

impl NodeStorage for ConfStateNotPersisted {
    log_writes_through!(0);

    fn set_conf_state(&mut self, _conf_state: &ConfState) -> Result<(), AdapterError> {
        Ok(()) // the bug
    }
}

/// `compact-past-applied`: compaction snapshots at the last index of the log instead of the
/// applied index — with the state machine as it is at the applied index.
///
/// Mirrors compacting past the applied index (what etcd's `MemoryStorage.Compact` guards
/// against for the commit index only), which makes a snapshot of state the state machine
/// never had and discards entries it still has to apply.
pub(crate) struct CompactPastApplied(SyncedStorage);

impl NodeStorage for CompactPastApplied {
    log_writes_through!(0);

    fn compact(&mut self) -> Result<(), AdapterError> {
        let store = self.0.raft_storage();
        let mut core = store.wl();
        let last = core.last_index(); // the bug: not `core.applied`
        core.compact(last)
            .map_err(|e| AdapterError::Fault(format!("could not compact: {e}")))
    }
}

/// `snapshot-keeps-log`: installing a snapshot moves the log's base to the snapshot but keeps
/// the stored entries: an offset-indexed store (entry `i` at `i - base`) then holds the old
/// entries at the indexes after the snapshot.
///
/// Mirrors a storage whose `ApplySnapshot` rewrites the base entry (etcd `MemoryStorage` keeps
/// the snapshot's index and term in `ents[0]`) but forgets to truncate the rest, so stale
/// entries survive the snapshot and conflict with the leader's log.
pub(crate) struct SnapshotKeepsLog(SyncedStorage);

impl NodeStorage for SnapshotKeepsLog {
    log_writes_through!(0);

    fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), AdapterError> {
        let kept = self.0.raft_storage().rl().entries.clone();
        self.0.apply_snapshot(snapshot)?;
        let base = snapshot.get_metadata().index;
        let shifted: Vec<Entry> = kept
            .into_iter()
            .enumerate()
            .map(|(k, e)| Entry {
                index: base + 1 + k as u64, // the bug: the old entries, at the new offset
                ..e
            })
            .collect();
        self.0.append(&shifted)
    }
}

/// `snapshot-data-ignored`: installing a snapshot takes its metadata (log, commit index,
/// configuration) but never loads its data into the state machine.
///
/// Mirrors restoring raft's view from a snapshot's metadata without restoring the
/// application's state from its payload: a follower caught up by snapshot misses every value
/// in it.
pub(crate) struct SnapshotDataIgnored(SyncedStorage);

impl NodeStorage for SnapshotDataIgnored {
    log_writes_through!(0);

    fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), AdapterError> {
        let kept = self.0.raft_storage().rl().state_machine.clone();
        self.0.apply_snapshot(snapshot)?;
        self.0.raft_storage().wl().state_machine = kept; // the bug
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Message bugs
// ---------------------------------------------------------------------------------------------

/// `ack-before-persist`: the messages that must wait for persistence (votes, append
/// acknowledgements) leave at once, while the writes they acknowledge are still in flight
/// ([`DeferredWrites`]: durable at the node's next event, lost by a restart before it).
///
/// Mirrors sending `Ready::persisted_messages` (etcd: `MsgAppResp`, `MsgVoteResp`) before the WAL
/// write is fsynced, the classic pitfall of Raft integrations with asynchronous I/O.
pub(crate) struct AckBeforePersist(Direct);

impl Transport for AckBeforePersist {
    fn deliver(&self, m: Message, term: u64) -> Option<Message> {
        self.0.deliver(m, term)
    }

    fn send(&self, m: Message, outbox: &mut Outbox) {
        self.0.send(m, outbox)
    }

    fn send_after_persist(&self, _ready: u64, messages: Vec<Message>, outbox: &mut Outbox) {
        for m in messages {
            self.0.send(m, outbox); // the bug: no waiting
        }
    }
}

/// `stale-term-as-current`: an incoming message from an older term (not 0: local messages and
/// proposals carry none) is stamped with the receiver's term before it is stepped.
///
/// Mirrors a transport or message handler that drops the term check (or rewrites the term),
/// letting delayed votes and appends from an old term act in a new one.
pub(crate) struct StaleTermAsCurrent(Direct);

impl Transport for StaleTermAsCurrent {
    fn deliver(&self, mut m: Message, term: u64) -> Option<Message> {
        if m.term != 0 && m.term < term {
            m.term = term; // the bug
        }
        self.0.deliver(m, term)
    }

    fn send(&self, m: Message, outbox: &mut Outbox) {
        self.0.send(m, outbox)
    }

    fn send_after_persist(&self, ready: u64, messages: Vec<Message>, outbox: &mut Outbox) {
        self.0.send_after_persist(ready, messages, outbox)
    }
}

/// `no-probe-backoff` and `no-heartbeat-repair`: the incoming messages `swallows` picks are
/// discarded before they are stepped, so the leader never hears them and sends nothing in
/// answer — rejected append responses (the leader never backs off and probes again) and
/// heartbeat responses (a heartbeat round repairs no follower). Nothing the spec requires of
/// the step is missing and no state differs: only the progress obligations catch them.
///
/// Mirror a leader that ignores a rejection (treats it as a failed RPC, never decrements next
/// index) and heartbeats handled outside raft whose responses are never stepped (coalesced or
/// liveness-only heartbeats): both leave a follower unrepaired.
pub(crate) struct Swallow {
    inner: Direct,
    swallows: fn(&Message) -> bool,
}

impl Transport for Swallow {
    fn deliver(&self, m: Message, term: u64) -> Option<Message> {
        if (self.swallows)(&m) {
            return None; // the bug
        }
        self.inner.deliver(m, term)
    }

    fn send(&self, m: Message, outbox: &mut Outbox) {
        self.inner.send(m, outbox)
    }

    fn send_after_persist(&self, ready: u64, messages: Vec<Message>, outbox: &mut Outbox) {
        self.inner.send_after_persist(ready, messages, outbox)
    }
}

/// `reply-to-wrong-peer`: responses (append, vote, pre-vote and heartbeat responses) go to the
/// next peer after the one raft-rs addressed, skipping the node itself. A cluster of fewer than
/// three nodes has no wrong peer to pick.
///
/// Mirrors mix-ups in a transport's peer address book or connection table, e.g. after a node is
/// replaced or ids are remapped.
pub(crate) struct ReplyToWrongPeer {
    inner: Direct,
    id: u64,
    peers: Vec<u64>,
}

impl ReplyToWrongPeer {
    fn misroute(&self, mut m: Message) -> Message {
        let is_response = matches!(
            m.get_msg_type(),
            MessageType::MsgAppendResponse
                | MessageType::MsgRequestVoteResponse
                | MessageType::MsgRequestPreVoteResponse
                | MessageType::MsgHeartbeatResponse
        );
        if !is_response || self.peers.len() < 3 {
            return m;
        }
        let at = self.peers.iter().position(|&p| p == m.to).unwrap_or(0);
        let mut next = self.peers[(at + 1) % self.peers.len()];
        if next == self.id {
            next = self.peers[(at + 2) % self.peers.len()];
        }
        m.to = next;
        m
    }
}

impl Transport for ReplyToWrongPeer {
    fn deliver(&self, m: Message, term: u64) -> Option<Message> {
        self.inner.deliver(m, term)
    }

    fn send(&self, m: Message, outbox: &mut Outbox) {
        self.inner.send(self.misroute(m), outbox)
    }

    fn send_after_persist(&self, ready: u64, messages: Vec<Message>, outbox: &mut Outbox) {
        let misrouted = messages.into_iter().map(|m| self.misroute(m)).collect();
        self.inner.send_after_persist(ready, misrouted, outbox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft_rs::node::RaftNode;

    const PEERS: [u64; 3] = [1, 2, 3];

    fn entry(index: u64, term: u64) -> Entry {
        Entry {
            index,
            term,
            ..Entry::default()
        }
    }

    fn terms(store: &dyn NodeStorage) -> Vec<u64> {
        store
            .raft_storage()
            .rl()
            .entries_from(1)
            .iter()
            .map(|e| e.term)
            .collect()
    }

    fn hard_state(term: u64, vote: u64) -> HardState {
        HardState {
            term,
            vote,
            ..HardState::default()
        }
    }

    fn stored_hard_state(store: &dyn NodeStorage) -> HardState {
        store.raft_storage().rl().hard_state.clone()
    }

    #[test]
    fn the_honest_store_keeps_every_write_across_a_restart() {
        let mut s = storage(None, SyncedStorage::new(&PEERS));
        s.append(&[entry(1, 1), entry(2, 1)]).unwrap();
        s.set_hard_state(&hard_state(1, 2)).unwrap();
        assert_eq!(s.persist(1), Persistence::Durable);
        s.set_commit(1).unwrap();
        s.restart().unwrap();
        assert_eq!(terms(&*s), vec![1, 1]);
        assert_eq!(
            stored_hard_state(&*s),
            HardState {
                commit: 1,
                ..hard_state(1, 2)
            }
        );
        assert!(s.durable_state().is_none() && s.write_in_flight().is_none());
    }

    #[test]
    fn hard_state_bugs_store_the_wrong_field() {
        let mut s = storage(Some(Bug::VoteNotPersisted), SyncedStorage::new(&PEERS));
        s.set_hard_state(&hard_state(1, 2)).unwrap();
        assert_eq!(stored_hard_state(&*s), hard_state(1, 0));
        let mut s = storage(Some(Bug::TermNotPersisted), SyncedStorage::new(&PEERS));
        s.set_hard_state(&hard_state(1, 2)).unwrap();
        assert_eq!(stored_hard_state(&*s), hard_state(0, 2));
    }

    #[test]
    fn conflict_not_truncated_keeps_the_old_tail() {
        for (bug, after) in [
            (None, vec![1, 2]),
            (Some(Bug::ConflictNotTruncated), vec![1, 2, 1]),
        ] {
            let mut s = storage(bug, SyncedStorage::new(&PEERS));
            s.append(&[entry(1, 1), entry(2, 1), entry(3, 1)]).unwrap();
            s.append(&[entry(2, 2)]).unwrap();
            assert_eq!(terms(&*s), after, "{bug:?}");
        }
    }

    #[test]
    fn unsynced_tail_lost_syncs_only_with_a_hard_state() {
        let mut s = storage(Some(Bug::UnsyncedTailLost), SyncedStorage::new(&PEERS));
        s.append(&[entry(1, 1)]).unwrap();
        s.set_hard_state(&hard_state(1, 1)).unwrap();
        assert_eq!(s.persist(1), Persistence::Durable);
        assert!(s.durable_state().is_none());
        s.append(&[entry(2, 1)]).unwrap();
        assert_eq!(s.persist(2), Persistence::Durable); // reported durable, yet not synced
        assert_eq!(s.durable_state().map(|d| d.entries.len()), Some(1));
        s.restart().unwrap();
        assert_eq!(terms(&*s), vec![1]);
        assert_eq!(stored_hard_state(&*s), hard_state(1, 1));
    }

    /// Node `id` of three, with `storage`'s writes deferred and `bug`'s transport.
    fn deferred_node(id: u64, bug: Option<Bug>) -> RaftNode {
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        let storage = Box::new(DeferredWrites::new(SyncedStorage::new(&PEERS)));
        RaftNode::new(
            id,
            storage,
            transport(bug, id, &PEERS),
            false,
            ConfChangeTiming::OnCommit,
            logger,
        )
        .unwrap()
    }

    fn vote_responses(sent: &[Message]) -> usize {
        sent.iter()
            .filter(|m| m.get_msg_type() == MessageType::MsgRequestVoteResponse)
            .count()
    }

    /// The honest loop over an asynchronous store: the vote leaves only once its write is
    /// durable, and a restart before that loses both. `ack-before-persist` is the same store
    /// behind a transport that does not wait.
    #[test]
    fn a_vote_waits_for_its_write_unless_acked_before_persist() {
        for bug in [None, Some(Bug::AckBeforePersist)] {
            let logger = slog::Logger::root(slog::Discard, slog::o!());
            let honest = storage(None, SyncedStorage::new(&PEERS));
            let mut candidate = RaftNode::new(
                1,
                honest,
                Box::new(Direct),
                false,
                ConfChangeTiming::OnCommit,
                logger,
            )
            .unwrap();
            candidate.raw.campaign().unwrap();
            let request = candidate
                .drain_ready()
                .unwrap()
                .into_iter()
                .find(|m| m.to == 2)
                .expect("a vote request to n2");

            let mut voter = deferred_node(2, bug);
            voter.receive(request.clone()).unwrap();
            let at_once = vote_responses(&voter.drain_ready().unwrap());
            assert!(voter.storage.write_in_flight().is_some(), "{bug:?}");
            let later = vote_responses(&voter.complete_writes().unwrap());
            assert_eq!(
                (at_once, later),
                if bug.is_none() { (0, 1) } else { (1, 0) }
            );
            assert_eq!(stored_hard_state(&*voter.storage).vote, 1);

            // A restart while the write is in flight: the vote is lost, and with the honest
            // transport it was never announced.
            let mut voter = deferred_node(2, bug);
            voter.receive(request).unwrap();
            let at_once = vote_responses(&voter.drain_ready().unwrap());
            voter.restart().unwrap();
            assert_eq!(vote_responses(&voter.complete_writes().unwrap()), 0);
            assert_eq!(at_once, usize::from(bug.is_some()), "{bug:?}");
            assert_eq!(voter.raw.raft.vote, 0, "{bug:?}");
        }
    }
}
