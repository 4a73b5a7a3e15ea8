//! One raft-rs node: a `RawNode` over a `MemStorage`, the `Ready` loop that persists its state
//! and collects its messages, and the integration bugs that can be injected into that loop.

use raft::eraftpb::{self, HardState, MessageType};
use raft::storage::MemStorage;
use raft::{Config, RawNode, StateRole, Storage};

use crate::inject::Bug;
use crate::AdapterError;

/// What a node's durable storage held before writes that are not yet durable; a restart goes
/// back to it. Only the injected persistence bugs create one.
#[derive(Clone, Debug)]
pub(crate) struct DurableCopy {
    pub hard_state: HardState,
    pub entries: Vec<eraftpb::Entry>,
}

/// A raft-rs node plus the integration code around it.
pub(crate) struct RaftNode {
    pub id: u64,
    pub peers: Vec<u64>,
    pub raw: RawNode<MemStorage>,
    pub storage: MemStorage,
    /// `Some` while some writes are not durable (injected bugs only).
    pub durable: Option<DurableCopy>,
    /// `ack-before-persist`: the number of the last `Ready` written but not yet reported
    /// persisted to raft-rs.
    pub unpersisted_ready: Option<u64>,
    bug: Option<Bug>,
    /// `Config::pre_vote` for this node (and again after every restart).
    pre_vote: bool,
    logger: slog::Logger,
}

/// The configuration every node runs with: deterministic (elections only by `campaign`, never by
/// ticks), pre-vote and check-quorum off, no limit on entries per append.
pub(crate) fn node_config(id: u64, pre_vote: bool) -> Config {
    Config {
        id,
        election_tick: 10,
        heartbeat_tick: 1,
        min_election_tick: 10,
        max_election_tick: 11,
        max_size_per_msg: raft::NO_LIMIT,
        max_inflight_msgs: 256,
        check_quorum: false,
        pre_vote,
        applied: 0,
        ..Config::default()
    }
}

fn fresh_storage(peers: &[u64]) -> MemStorage {
    MemStorage::new_with_conf_state((peers.to_vec(), vec![]))
}

fn fault(context: &str, e: raft::Error) -> AdapterError {
    AdapterError::Fault(format!("raft-rs {context}: {e}"))
}

impl RaftNode {
    /// A brand-new node with an empty log.
    pub fn new(
        id: u64,
        peers: Vec<u64>,
        bug: Option<Bug>,
        pre_vote: bool,
        logger: slog::Logger,
    ) -> Result<Self, AdapterError> {
        let storage = fresh_storage(&peers);
        let raw = RawNode::new(&node_config(id, pre_vote), storage.clone(), &logger)
            .map_err(|e| fault("refused the node configuration", e))?;
        Ok(RaftNode {
            id,
            peers,
            raw,
            storage,
            durable: None,
            unpersisted_ready: None,
            bug,
            pre_vote,
            logger,
        })
    }

    pub fn role(&self) -> StateRole {
        self.raw.raft.state
    }

    /// Crash and restart: everything in memory is lost, the node is rebuilt from what its storage
    /// holds durably.
    pub fn restart(&mut self) -> Result<(), AdapterError> {
        self.unpersisted_ready = None;
        if let Some(durable) = self.durable.take() {
            let storage = fresh_storage(&self.peers);
            {
                let mut core = storage.wl();
                core.append(&durable.entries)
                    .map_err(|e| fault("could not restore the durable log", e))?;
                core.set_hardstate(durable.hard_state);
            }
            self.storage = storage;
        }
        self.raw = RawNode::new(
            &node_config(self.id, self.pre_vote),
            self.storage.clone(),
            &self.logger,
        )
        .map_err(|e| fault("could not restart from its storage", e))?;
        Ok(())
    }

    /// `ack-before-persist`: the write started in an earlier step completes now.
    pub fn finish_pending_write(
        &mut self,
        sent: &mut Vec<eraftpb::Message>,
    ) -> Result<(), AdapterError> {
        if let Some(number) = self.unpersisted_ready.take() {
            self.durable = None;
            self.raw.on_persist_ready(number);
            self.drain_ready(sent)?;
        }
        Ok(())
    }

    /// Handles every pending `Ready` until raft-rs is quiescent, collecting the messages to send.
    pub fn drain_ready(&mut self, sent: &mut Vec<eraftpb::Message>) -> Result<(), AdapterError> {
        while self.raw.has_ready() {
            let mut rd = self.raw.ready();
            sent.extend(rd.take_messages());
            if !rd.snapshot().is_empty() {
                return Err(AdapterError::Unmodelled(
                    "raft-rs produced a snapshot; the spec does not model log compaction".into(),
                ));
            }
            let _ = rd.take_committed_entries();
            self.write(rd.entries(), rd.hs())?;
            if self.bug == Some(Bug::AckBeforePersist) {
                // Bug: the messages that must wait for persistence leave now, and raft-rs is
                // told the write is done only at this node's next event.
                sent.extend(rd.take_persisted_messages());
                self.unpersisted_ready = Some(rd.number());
                self.raw.advance_append_async(rd);
                self.raw.advance_apply();
                continue;
            }
            sent.extend(rd.take_persisted_messages());
            let mut light = self.raw.advance(rd);
            if let Some(commit) = light.commit_index() {
                self.write_commit(commit);
            }
            sent.extend(light.take_messages());
            let _ = light.take_committed_entries();
            self.raw.advance_apply();
        }
        if self.bug == Some(Bug::ReplyToWrongPeer) {
            for m in sent.iter_mut() {
                self.misroute_response(m);
            }
        }
        Ok(())
    }

    /// Persists a `Ready`'s entries and hard state, with the injected storage bug if any.
    fn write(
        &mut self,
        entries: &[eraftpb::Entry],
        hs: Option<&HardState>,
    ) -> Result<(), AdapterError> {
        let durable_now = match self.bug {
            Some(Bug::UnsyncedTailLost) => hs.is_some(),
            Some(Bug::AckBeforePersist) => false,
            _ => true,
        };
        if !durable_now && self.durable.is_none() {
            self.durable = Some(self.snapshot_storage());
        }
        let kept_tail = if self.bug == Some(Bug::ConflictNotTruncated) {
            self.tail_beyond(entries)
        } else {
            Vec::new()
        };
        let mut core = self.storage.wl();
        if !entries.is_empty() {
            core.append(entries)
                .map_err(|e| fault("storage refused entries", e))?;
        }
        if !kept_tail.is_empty() {
            // Bug: the old entries beyond the overwritten range stay in the store.
            core.append(&kept_tail)
                .map_err(|e| fault("storage refused entries", e))?;
        }
        if let Some(hs) = hs {
            let mut hs = hs.clone();
            match self.bug {
                Some(Bug::VoteNotPersisted) => hs.vote = 0,
                Some(Bug::TermNotPersisted) => hs.term = core.hard_state().term,
                _ => {}
            }
            core.set_hardstate(hs);
        }
        drop(core);
        if durable_now {
            self.durable = None;
        }
        Ok(())
    }

    fn write_commit(&mut self, commit: u64) {
        self.storage.wl().mut_hard_state().commit = commit;
        if self.bug == Some(Bug::UnsyncedTailLost) {
            // A HardState change: the buggy integration syncs now.
            self.durable = None;
        }
    }

    fn stored_entries(&self, from: u64) -> Vec<eraftpb::Entry> {
        let last = self.storage.last_index().unwrap_or(0);
        if from > last {
            return Vec::new();
        }
        self.storage
            .entries(from, last + 1, None, raft::GetEntriesContext::empty(false))
            .unwrap_or_default()
    }

    /// The stored entries an overwrite by `entries` would delete: those past the last new one,
    /// when the new ones start inside the stored log.
    fn tail_beyond(&self, entries: &[eraftpb::Entry]) -> Vec<eraftpb::Entry> {
        match (entries.first(), entries.last()) {
            (Some(first), Some(last)) if first.index <= self.storage.last_index().unwrap_or(0) => {
                self.stored_entries(last.index + 1)
            }
            _ => Vec::new(),
        }
    }

    fn snapshot_storage(&self) -> DurableCopy {
        // The read guard must be gone before `stored_entries`: raft-rs's `MemStorage::entries`
        // takes the write lock.
        let hard_state = self.storage.rl().hard_state().clone();
        DurableCopy {
            hard_state,
            entries: self.stored_entries(1),
        }
    }

    fn misroute_response(&self, m: &mut eraftpb::Message) {
        let is_response = matches!(
            m.get_msg_type(),
            MessageType::MsgAppendResponse
                | MessageType::MsgRequestVoteResponse
                | MessageType::MsgRequestPreVoteResponse
                | MessageType::MsgHeartbeatResponse
        );
        if !is_response || self.peers.len() < 3 {
            return;
        }
        // The next peer after the intended one, skipping this node.
        let at = self.peers.iter().position(|&p| p == m.to).unwrap_or(0);
        let mut next = self.peers[(at + 1) % self.peers.len()];
        if next == self.id {
            next = self.peers[(at + 2) % self.peers.len()];
        }
        m.to = next;
    }

    /// The log as raft-rs itself resolves it: up to `raft_log.last_index()`, each index from the
    /// unstable entries where they cover it and from storage otherwise (`RaftLog::term`'s rule).
    /// Unlike `RaftLog::entries` this never panics when an injected storage bug leaves storage
    /// and unstable entries inconsistent; an index neither holds is reported as an error.
    pub fn log_entries(&self) -> Result<Vec<eraftpb::Entry>, String> {
        let log = &self.raw.raft.r.raft_log;
        let unstable = &log.unstable;
        let stored = self.stored_entries(1);
        (1..=log.last_index())
            .map(|index| {
                let from_unstable = index
                    .checked_sub(unstable.offset)
                    .and_then(|k| unstable.entries.get(k as usize));
                from_unstable
                    .or_else(|| stored.get(index as usize - 1))
                    .cloned()
                    .ok_or_else(|| {
                        format!(
                            "n{}: log index {index} is neither stored nor unstable",
                            self.id
                        )
                    })
            })
            .collect()
    }

    /// The term this node is at (for the `stale-term-as-current` bug).
    pub fn term(&self) -> u64 {
        self.raw.raft.term
    }

    /// Whether `stale-term-as-current` is injected.
    pub fn stamps_stale_terms(&self) -> bool {
        self.bug == Some(Bug::StaleTermAsCurrent)
    }
}
