//! Snapshots and log compaction (Raft §7).
//!
//! A node's application compacts its log at its applied index ([`NodeState::compact`]): the
//! snapshot holds the state machine, the configuration in force there and the index and term
//! of the last entry it covers, and the log keeps only the entries after it. A leader can
//! replicate by appends only from an index whose term its log still knows — its snapshot
//! index or later; a follower that needs anything before that can be caught up only by the
//! leader's snapshot, which it installs or, when it is stale, answers with its commit index
//! (raft-rs `handle_snapshot` / `restore`, etcd `handleSnapshot` / `restore`).

use std::sync::Arc;

use super::{Mutation, NodeState, Outbox};
use crate::types::{AppendAnswer, LogIndex, Message, NodeId, Payload, Snapshot};

impl NodeState {
    /// The lowest previous index an append from this node can carry: its snapshot index, the
    /// last index whose term it still knows.
    pub fn first_append_prev(&self) -> LogIndex {
        self.log.snapshot_index()
    }

    /// Why an append from `prev_log_index` cannot come from this node, when its log has
    /// compacted that index away.
    pub(super) fn compacted_append(&self, prev_log_index: LogIndex) -> Option<String> {
        (prev_log_index < self.first_append_prev()).then(|| {
            format!(
                "prev_log_index {} is inside the leader's compacted prefix (up to {}); only a \
                 snapshot reaches that far back",
                prev_log_index,
                self.first_append_prev()
            )
        })
    }

    /// True when compacting would change something: entries are applied past the snapshot.
    pub fn can_compact(&self) -> bool {
        self.applied > self.log.snapshot_index()
    }

    /// The application takes a snapshot at its applied index and compacts the log there (etcd
    /// `MemoryStorage.CreateSnapshot` + `Compact`; the raft-rs adapter's storage does the same).
    pub fn compact(&mut self, out: &Outbox) {
        let mut at = self.applied;
        let mut values = self.state_machine.clone();
        if out.mutation == Some(Mutation::CompactPastApplied) {
            // The broken variant snapshots the whole log, as if all of it were applied.
            at = self.last_index();
            let pending = self.log.entries_after(self.applied).unwrap_or_default();
            values.extend(pending.iter().filter_map(|e| e.value));
        }
        let Some(term) = self.log.term_at(at) else {
            return;
        };
        if self.log.compact(at).is_err() {
            return;
        }
        self.snapshot = Some(Arc::new(Snapshot {
            index: at,
            term,
            config: (*self.config).clone(),
            values,
        }));
    }

    /// A follower's rule for a snapshot from the leader of its term: install it, or, when it
    /// is stale, not for this node, or already matched by the log, ignore it — and answer with
    /// an acknowledgement of the last index (installed) or of the commit index (ignored).
    /// Neither family puts its commit index in this answer.
    pub(super) fn handle_snapshot(
        &mut self,
        leader: NodeId,
        snapshot: &Snapshot,
        out: &mut Outbox,
    ) {
        let index = if self.restore(snapshot, out) {
            self.last_index()
        } else {
            self.commit
        };
        out.send(
            self.id,
            leader,
            self.term,
            Payload::AppendEntriesResponse(AppendAnswer::ack(index, 0)),
        );
    }

    /// raft-rs/etcd `restore`: true when the snapshot replaced the log, the commit and applied
    /// indexes, the state machine and the configuration.
    fn restore(&mut self, snapshot: &Snapshot, out: &mut Outbox) -> bool {
        if snapshot.index <= self.commit {
            return false;
        }
        let config = &snapshot.config;
        let member = config.voters.incoming.contains(self.id)
            || config.learners.contains(&self.id)
            || (!out.flavour.snapshot_ignores_outgoing && config.voters.outgoing.contains(self.id));
        if !member {
            return false;
        }
        if self.log.term_at(snapshot.index) == Some(snapshot.term) {
            // The log already holds the snapshot's last entry: only the commit index moves.
            self.commit = snapshot.index;
            return false;
        }
        self.log.restore(snapshot.index, snapshot.term);
        self.commit = snapshot.index;
        self.applied = snapshot.index;
        self.state_machine = snapshot.values.clone();
        self.config = Arc::new(snapshot.config.clone());
        self.snapshot = Some(Arc::new(snapshot.clone()));
        out.installed_snapshot = true;
        true
    }

    /// Checks a snapshot this node, a leader, sends of its own accord: it must be the snapshot
    /// the leader holds. (Addressing and term are checked with the appends.)
    pub(super) fn may_send_snapshot(&self, snapshot: &Snapshot) -> Result<(), String> {
        match &self.snapshot {
            None => Err(format!(
                "n{} sends a snapshot but has never taken or installed one",
                self.id
            )),
            Some(own) if **own != *snapshot => Err(format!(
                "the snapshot sent is {snapshot} but n{}'s snapshot is {own}",
                self.id
            )),
            Some(_) => Ok(()),
        }
    }

    /// Spec-only mode: the leader's snapshot, to each peer it does not know to hold its index.
    pub(super) fn snapshot_menu(&self, menu: &mut Vec<Message>) {
        let Some(snapshot) = &self.snapshot else {
            return;
        };
        for peer in self.config.peers(self.id) {
            if self.match_index.get(peer).copied().unwrap_or(0) < snapshot.index {
                menu.push(Message {
                    from: self.id,
                    to: peer,
                    term: self.term,
                    payload: Payload::Snapshot {
                        snapshot: Arc::clone(snapshot),
                    },
                });
            }
        }
    }
}
