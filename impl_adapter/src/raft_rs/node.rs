//! One raft-rs node: a `RawNode`, the `Ready` loop that persists its state through the node's
//! [`NodeStorage`] and hands its messages to the node's [`Transport`], the application that
//! applies committed entries (client values to its state machine, configuration changes with
//! `apply_conf_change`), and restarts.

use protobuf::Message as _;
use raft::eraftpb::{self, ConfChange, ConfChangeV2, EntryType, Message};
use raft::{Config, RawNode, Ready, StateRole};

use super::bugs::ConfChangeTiming;
use super::convert;
use super::storage::{self, NodeStorage, Persistence, RaftStorage};
use super::transport::{Outbox, Transport};
use crate::AdapterError;

/// The most `Ready`s one input may produce before the node counts as never quiescent (a
/// healthy step needs a handful; a raft-rs whose `has_ready` never turns false would otherwise
/// loop for ever).
pub const MAX_READY_ROUNDS: usize = 10_000;
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
    /// When the application applies configuration changes.
    conf_timing: ConfChangeTiming,
    /// With [`ConfChangeTiming::OnAppend`]: the last index whose configuration change was
    /// applied on append, so it is not applied again on commit.
    applied_on_append: u64,
    logger: slog::Logger,
}

/// The configuration every node runs with: deterministic (elections only by `campaign`, never by
/// ticks), pre-vote and check-quorum off, no limit on entries per append; `applied` is the
/// application's applied index, so nothing it applied is handed out again after a restart.
pub(crate) fn node_config(id: u64, pre_vote: bool, applied: u64) -> Config {
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
        applied,
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
        conf_timing: ConfChangeTiming,
        logger: slog::Logger,
    ) -> Result<Self, AdapterError> {
        let applied = storage.raft_storage().rl().applied;
        let raw = RawNode::new(
            &node_config(id, pre_vote, applied),
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
            conf_timing,
            applied_on_append: 0,
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

    /// Steps a message that arrived from the network. An answer from a node that has no
    /// progress here (outside the configuration) is refused by `RawNode::step` with
    /// `StepPeerNotFound` before raft-rs looks at it: that is the node ignoring it.
    pub fn receive(&mut self, m: Message) -> Result<(), raft::Error> {
        let Some(m) = self.transport.deliver(m, self.term()) else {
            return Ok(());
        };
        match self.raw.step(m) {
            Err(raft::Error::StepPeerNotFound) => Ok(()),
            other => other,
        }
    }

    /// Proposes a configuration change: a spec single change as a `ConfChange`, a joint change
    /// or a leave as a `ConfChangeV2` (see [`convert::conf_change_to_raft`]).
    pub fn propose_conf_change(
        &mut self,
        change: &raftcheck_spec::ConfChange,
    ) -> Result<(), raft::Error> {
        match convert::conf_change_to_raft(change) {
            convert::RaftConfChange::V1(cc) => self.raw.propose_conf_change(Vec::new(), cc),
            convert::RaftConfChange::V2(cc) => self.raw.propose_conf_change(Vec::new(), cc),
        }
    }

    /// With `conf-change-on-append`: the last index whose change was applied on append.
    pub fn applied_on_append(&self) -> u64 {
        self.applied_on_append
    }

    /// Crash and restart: everything in memory is lost (the `RawNode`, and messages that have
    /// not left), the node is rebuilt from what its storage holds durably.
    pub fn restart(&mut self) -> Result<(), AdapterError> {
        let survived = self.storage.restart()?;
        self.outbox.crash();
        let applied = survived.rl().applied;
        self.raw = RawNode::new(
            &node_config(self.id, self.pre_vote, applied),
            survived,
            &self.logger,
        )
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

    /// Handles every pending `Ready` until raft-rs is quiescent (at most [`MAX_READY_ROUNDS`]
    /// of them: a node that keeps producing them is an adapter fault, not a hang). Returns the messages sent.
    pub fn drain_ready(&mut self) -> Result<Vec<Message>, AdapterError> {
        let handled = self.handle_readies();
        // Collected even on an error, so that nothing is left over for the next event.
        let sent = self.outbox.take_sent();
        handled.map(|()| sent)
    }

    fn handle_readies(&mut self) -> Result<(), AdapterError> {
        let mut rounds = 0;
        while self.raw.has_ready() {
            if rounds == MAX_READY_ROUNDS {
                return Err(AdapterError::Fault(format!(
                    "n{} is still not quiescent after {rounds} Ready rounds",
                    self.id
                )));
            }
            rounds += 1;
            let rd = self.raw.ready();
            self.handle_ready(rd)?;
        }
        Ok(())
    }

    /// One `Ready`: its messages leave, its entries and hard state are written; once the writes
    /// are durable its persisted messages leave and raft-rs is told (`advance`), and the
    /// `LightReady`'s commit index is written and its messages leave. A snapshot is installed
    /// first; committed entries — of the `Ready` and of the `LightReady` — are applied before
    /// raft-rs hears that they are (`advance`, `advance_apply`).
    fn handle_ready(&mut self, mut rd: Ready) -> Result<(), AdapterError> {
        self.send_all(rd.take_messages());
        if !rd.snapshot().is_empty() {
            self.storage.apply_snapshot(rd.snapshot())?;
        }
        let committed = rd.take_committed_entries();
        self.storage.append(rd.entries())?;
        if self.conf_timing == ConfChangeTiming::OnAppend {
            let appended = rd.entries().to_vec();
            for e in &appended {
                if self.apply_conf_entry(e)? {
                    self.applied_on_append = e.index;
                }
            }
        }
        if let Some(hs) = rd.hs() {
            self.storage.set_hard_state(hs)?;
        }
        self.apply_committed(&committed)?;
        match self.storage.persist(rd.number()) {
            Persistence::Durable => {
                self.send_all(rd.take_persisted_messages());
                let mut light = self.raw.advance(rd);
                if let Some(commit) = light.commit_index() {
                    self.storage.set_commit(commit)?;
                }
                self.send_all(light.take_messages());
                let committed = light.take_committed_entries();
                self.apply_committed(&committed)?;
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

    /// The application applies committed entries in order: a client value to its state
    /// machine, a configuration change to raft-rs (`apply_conf_change`) and the resulting
    /// configuration to storage.
    fn apply_committed(&mut self, entries: &[eraftpb::Entry]) -> Result<(), AdapterError> {
        for e in entries {
            let value = match e.get_entry_type() {
                EntryType::EntryNormal => convert::data_to_value(e.get_data())
                    .map_err(|m| AdapterError::Fault(format!("n{}: {m}", self.id)))?,
                EntryType::EntryConfChange | EntryType::EntryConfChangeV2 => {
                    if e.index > self.applied_on_append {
                        self.apply_conf_entry(e)?;
                    }
                    None
                }
            };
            self.storage.apply_value(e.index, value)?;
        }
        Ok(())
    }

    /// Applies the configuration change `e` carries, if it carries one; true if it did.
    fn apply_conf_entry(&mut self, e: &eraftpb::Entry) -> Result<bool, AdapterError> {
        let decoded = match e.get_entry_type() {
            EntryType::EntryNormal => return Ok(false),
            EntryType::EntryConfChange => {
                ConfChange::parse_from_bytes(e.get_data()).map(|cc| self.raw.apply_conf_change(&cc))
            }
            EntryType::EntryConfChangeV2 => ConfChangeV2::parse_from_bytes(e.get_data())
                .map(|cc| self.raw.apply_conf_change(&cc)),
        };
        let conf_state = decoded
            .map_err(|err| AdapterError::Fault(format!("n{}: entry {}: {err}", self.id, e.index)))?
            .map_err(|err| AdapterError::Refused {
                input: format!("the configuration change at index {}", e.index),
                reason: err.to_string(),
            })?;
        self.storage.set_conf_state(&conf_state)?;
        Ok(true)
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
        let stored = self.storage.raft_storage().rl();
        (log.first_index()..=log.last_index())
            .map(|index| {
                let from_unstable = index
                    .checked_sub(unstable.offset)
                    .and_then(|k| unstable.entries.get(k as usize));
                from_unstable
                    .or_else(|| stored.entry(index))
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
