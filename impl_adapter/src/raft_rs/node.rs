//! One raft-rs node: a `RawNode`, the `Ready` loop that persists its state through the node's
//! [`NodeStorage`] and hands its messages to the node's [`Transport`], and restarts.

use raft::eraftpb::{self, Message};
use raft::{Config, RawNode, Ready, StateRole};

use super::storage::{self, NodeStorage, Persistence, RaftStorage};
use super::transport::{Outbox, Transport};
use crate::AdapterError;

/// A raft-rs node plus the integration code around it.
pub(crate) struct RaftNode {
    pub id: u64,
    pub raw: RawNode<RaftStorage>,
    /// Where the `Ready` loop writes, and what a restart rebuilds from.
    pub storage: Box<dyn NodeStorage>,
    /// How messages come in and go out.
    transport: Box<dyn Transport>,
    /// Messages handed to the transport and not yet collected.
    pub outbox: Outbox,
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

impl RaftNode {
    /// A node over `storage` (fresh, or holding what a node persisted) and `transport`.
    pub fn new(
        id: u64,
        storage: Box<dyn NodeStorage>,
        transport: Box<dyn Transport>,
        pre_vote: bool,
        logger: slog::Logger,
    ) -> Result<Self, AdapterError> {
        let raw = RawNode::new(
            &node_config(id, pre_vote),
            storage.raft_storage().clone(),
            &logger,
        )
        .map_err(|e| storage::fault("refused the node configuration", e))?;
        Ok(RaftNode {
            id,
            raw,
            storage,
            transport,
            outbox: Outbox::default(),
            pre_vote,
            logger,
        })
    }

    pub fn role(&self) -> StateRole {
        self.raw.raft.state
    }

    /// The term this node is at.
    pub fn term(&self) -> u64 {
        self.raw.raft.term
    }

    /// Steps a message that arrived from the network.
    pub fn receive(&mut self, m: Message) -> Result<(), raft::Error> {
        let m = self.transport.deliver(m, self.term());
        self.raw.step(m)
    }

    /// Crash and restart: everything in memory is lost (the `RawNode`, and messages that have
    /// not left), the node is rebuilt from what its storage holds durably.
    pub fn restart(&mut self) -> Result<(), AdapterError> {
        let survived = self.storage.restart()?;
        self.outbox.crash();
        self.raw = RawNode::new(&node_config(self.id, self.pre_vote), survived, &self.logger)
            .map_err(|e| storage::fault("could not restart from its storage", e))?;
        Ok(())
    }

    /// As an event begins: writes in flight that have become durable are reported to raft-rs,
    /// the messages that waited for them leave, and the node runs to quiescence. Returns the
    /// messages sent.
    pub fn complete_writes(&mut self) -> Result<Vec<Message>, AdapterError> {
        match self.storage.completed() {
            None => Ok(Vec::new()),
            Some(ready) => {
                self.raw.on_persist_ready(ready);
                self.outbox.persisted(ready);
                self.drain_ready()
            }
        }
    }

    /// Handles every pending `Ready` until raft-rs is quiescent. Returns the messages sent.
    pub fn drain_ready(&mut self) -> Result<Vec<Message>, AdapterError> {
        let handled = self.handle_readies();
        // Collected even on an error, so that nothing is left over for the next event.
        let sent = self.outbox.take_sent();
        handled.map(|()| sent)
    }

    fn handle_readies(&mut self) -> Result<(), AdapterError> {
        while self.raw.has_ready() {
            let rd = self.raw.ready();
            self.handle_ready(rd)?;
        }
        Ok(())
    }

    /// One `Ready`: its messages leave, its entries and hard state are written; once the writes
    /// are durable its persisted messages leave and raft-rs is told (`advance`), and the
    /// `LightReady`'s commit index is written and its messages leave. Committed entries are not
    /// applied anywhere (there is no state machine).
    fn handle_ready(&mut self, mut rd: Ready) -> Result<(), AdapterError> {
        self.send_all(rd.take_messages());
        if !rd.snapshot().is_empty() {
            return Err(AdapterError::Unmodelled(
                "raft-rs produced a snapshot; the spec does not model log compaction".into(),
            ));
        }
        let _ = rd.take_committed_entries();
        self.storage.append(rd.entries())?;
        if let Some(hs) = rd.hs() {
            self.storage.set_hard_state(hs)?;
        }
        match self.storage.persist(rd.number()) {
            Persistence::Durable => {
                self.send_all(rd.take_persisted_messages());
                let mut light = self.raw.advance(rd);
                if let Some(commit) = light.commit_index() {
                    self.storage.set_commit(commit)?;
                }
                self.send_all(light.take_messages());
                let _ = light.take_committed_entries();
            }
            Persistence::InFlight => {
                // raft-rs hears of the writes when they complete (`complete_writes`); the
                // messages that depend on them wait as long.
                let persisted = rd.take_persisted_messages();
                self.transport
                    .send_after_persist(rd.number(), persisted, &mut self.outbox);
                self.raw.advance_append_async(rd);
            }
        }
        self.raw.advance_apply();
        Ok(())
    }

    fn send_all(&mut self, messages: Vec<Message>) {
        for m in messages {
            self.transport.send(m, &mut self.outbox);
        }
    }

    /// The log as raft-rs itself resolves it: up to `raft_log.last_index()`, each index from the
    /// unstable entries where they cover it and from storage otherwise (`RaftLog::term`'s rule).
    /// Unlike `RaftLog::entries` this never panics when an injected storage bug leaves storage
    /// and unstable entries inconsistent; an index neither holds is reported as an error.
    pub fn log_entries(&self) -> Result<Vec<eraftpb::Entry>, String> {
        let log = &self.raw.raft.r.raft_log;
        let unstable = &log.unstable;
        let stored = storage::stored_entries(self.storage.raft_storage(), 1);
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
}
