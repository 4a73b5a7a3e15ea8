//! One node: an OS thread running a `RawNode` on a real clock, its `Ready` loop over the node's
//! [`Disk`], and its event log.
//!
//! Every trigger is logged before its consequences, and every trigger is followed by handling
//! every `Ready` it produced, so a step's consequences follow their trigger in the log:
//!
//! - `receive`: a message from the network, stepped into the `RawNode`;
//! - `client_request`: `RawNode::propose`;
//! - `timeout` / `heartbeat`: a tick that fires the election timer (a follower's or candidate's
//!   `election_elapsed` reaches its randomized timeout) or the leader's heartbeat timer; a tick
//!   that fires neither and produces no `Ready` is not logged, any other is logged as `tick`;
//! - `restart`: the first event of every incarnation but the first, followed by the state and the
//!   log the node came back with (and its commit index, if beyond the one it logged last).
//!
//! Consequences, from each `Ready`: `state` (term, role, vote and leader whenever one of them
//! changed), `send` for every message as it is handed to the network, `append` for the entries
//! written, `commit` when the commit index advances, `apply` for every committed entry the
//! application applies.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use raft::eraftpb::{Entry, Message};
use raft::{Config, RawNode, StateRole};
use raftcheck_adapter::raft_rs::convert;
use raftcheck_format::eventlog::{Event, EventKind, EventWriter, LogEntry, LogMessage, LogValue};

use crate::disk::{CacheStore, Disk};
use crate::Bug;

/// The election timeout in ticks (raft-rs draws each node's timeout from `[10, 20)`).
pub const ELECTION_TICK: usize = 10;
/// The leader's heartbeat interval in ticks.
pub const HEARTBEAT_TICK: usize = 3;

/// What the driver sends a node.
pub enum Input {
    /// A message from the network.
    Msg(Message),
    /// A client proposes this value.
    Propose(u64),
    /// Stop now, as `kill -9` would: nothing unsynced survives.
    Crash,
    /// The run is over.
    Stop,
}

/// What a node sends the driver.
pub enum ToDriver {
    /// A message for the network.
    Msg(Message),
    /// The node stopped by itself (raft-rs panicked, or the event log failed).
    Down {
        /// The node.
        id: u64,
        /// Why.
        reason: String,
    },
}

/// What is left of a node once its thread has stopped: its log writer and its disk.
pub struct Parked {
    /// The event log, which the next incarnation goes on writing.
    pub writer: EventWriter,
    /// The disk (the driver makes the crash lose what was not synced).
    pub disk: Disk,
    /// Events logged over all incarnations.
    pub events: u64,
    /// Messages that could not be logged in spec terms (should stay 0).
    pub unmodelled: u64,
    /// The commit index last logged.
    pub commit: u64,
}

/// How a node runs.
#[derive(Clone, Debug)]
pub struct NodeParams {
    /// The node's id.
    pub id: u64,
    /// The tick interval.
    pub tick: Duration,
    /// The injected bug, if any.
    pub bug: Option<Bug>,
    /// raft-rs's `Config::pre_vote`.
    pub pre_vote: bool,
    /// True for every incarnation but the first.
    pub restart: bool,
}

fn raft_config(id: u64, pre_vote: bool, applied: u64) -> Config {
    Config {
        id,
        election_tick: ELECTION_TICK,
        heartbeat_tick: HEARTBEAT_TICK,
        max_size_per_msg: raft::NO_LIMIT,
        max_inflight_msgs: 256,
        check_quorum: false,
        pre_vote,
        applied,
        ..Config::default()
    }
}

/// Starts a node's thread over `parked` (a fresh disk and writer, or what the last incarnation
/// left). The thread returns what it leaves when it stops.
pub fn spawn(
    params: NodeParams,
    parked: Parked,
    inbox: Receiver<Input>,
    out: Sender<ToDriver>,
) -> std::thread::JoinHandle<Parked> {
    std::thread::Builder::new()
        .name(format!("raft-n{}", params.id))
        .spawn(move || run(params, parked, inbox, out))
        .expect("spawn a node thread")
}

fn run(
    params: NodeParams,
    parked: Parked,
    inbox: Receiver<Input>,
    out: Sender<ToDriver>,
) -> Parked {
    let id = params.id;
    let mut node = match Node::new(params, parked, out.clone()) {
        Ok(node) => node,
        Err(failed) => {
            let (parked, e) = *failed;
            let _ = out.send(ToDriver::Down {
                id,
                reason: format!("could not start: {e:#}"),
            });
            return parked;
        }
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| node.run(&inbox)));
    let reason = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("{e:#}")),
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic".into());
            let mut crash = Event::new(id, EventKind::Crash);
            crash.extra = Some(serde_json::json!({ "panic": text }));
            let _ = node.log(crash);
            Some(format!("raft-rs panicked: {text}"))
        }
    };
    if let Some(reason) = reason {
        let _ = out.send(ToDriver::Down { id, reason });
    }
    node.park()
}

/// The (term, role, vote, leader) last logged.
type Shown = (u64, StateRole, u64, u64);

struct Node {
    id: u64,
    tick: Duration,
    bug: Option<Bug>,
    raw: RawNode<CacheStore>,
    disk: Disk,
    writer: EventWriter,
    out: Sender<ToDriver>,
    shown: Option<Shown>,
    commit: u64,
    events: u64,
    unmodelled: u64,
}

impl Node {
    fn new(
        params: NodeParams,
        parked: Parked,
        out: Sender<ToDriver>,
    ) -> Result<Self, Box<(Parked, anyhow::Error)>> {
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        let cache = parked.disk.cache();
        let applied = cache.rl().applied;
        let raw = match RawNode::new(
            &raft_config(params.id, params.pre_vote, applied),
            cache,
            &logger,
        ) {
            Ok(raw) => raw,
            Err(e) => {
                let e = anyhow::anyhow!("raft-rs refused to start: {e}");
                return Err(Box::new((parked, e)));
            }
        };
        let mut node = Node {
            id: params.id,
            tick: params.tick,
            bug: params.bug,
            raw,
            disk: parked.disk,
            writer: parked.writer,
            out,
            shown: None,
            commit: parked.commit,
            events: parked.events,
            unmodelled: parked.unmodelled,
        };
        if params.restart {
            if let Err(e) = node.announce_restart() {
                return Err(Box::new((node.park(), e)));
            }
        } else {
            node.shown = Some(node.current());
        }
        Ok(node)
    }

    fn park(self) -> Parked {
        Parked {
            writer: self.writer,
            disk: self.disk,
            events: self.events,
            unmodelled: self.unmodelled,
            commit: self.commit,
        }
    }

    fn log(&mut self, event: Event) -> anyhow::Result<()> {
        self.events += 1;
        self.writer.log(event).context("writing the event log")
    }

    /// `restart`, then the state and the log the node came back with.
    fn announce_restart(&mut self) -> anyhow::Result<()> {
        self.log(Event::new(self.id, EventKind::Restart))?;
        self.shown = None;
        self.log_state()?;
        let entries: Vec<Entry> = self.disk.cache().rl().entries.clone();
        if !entries.is_empty() {
            self.log_append(&entries)?;
        }
        // The commit index it came back with, where that is beyond what it logged before.
        let commit = self.raw.raft.raft_log.committed;
        self.log_commit(commit)?;
        self.handle_readies()
    }

    fn run(&mut self, inbox: &Receiver<Input>) -> anyhow::Result<()> {
        let mut next_tick = Instant::now() + self.tick;
        loop {
            let now = Instant::now();
            if now >= next_tick {
                self.on_tick()?;
                next_tick += self.tick;
                if next_tick < now {
                    next_tick = now + self.tick;
                }
                continue;
            }
            match inbox.recv_timeout(next_tick - now) {
                Ok(Input::Msg(m)) => self.on_message(m)?,
                Ok(Input::Propose(value)) => self.on_propose(value)?,
                Ok(Input::Crash) => {
                    self.log(Event::new(self.id, EventKind::Crash))?;
                    return Ok(());
                }
                Ok(Input::Stop) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    fn current(&self) -> Shown {
        let r = &self.raw.raft;
        (r.term, r.state, r.vote, r.leader_id)
    }

    fn on_tick(&mut self) -> anyhow::Result<()> {
        let r = &self.raw.raft;
        let kind = if r.state == StateRole::Leader {
            (r.heartbeat_elapsed() + 1 >= HEARTBEAT_TICK).then_some(EventKind::Heartbeat)
        } else {
            (r.election_elapsed + 1 >= r.randomized_election_timeout() && r.promotable())
                .then_some(EventKind::Timeout)
        };
        self.raw.tick();
        match kind {
            Some(kind) => self.log(Event::new(self.id, kind))?,
            None if self.raw.has_ready() => self.log(Event::new(self.id, EventKind::Tick))?,
            None => {}
        }
        self.handle_readies()?;
        if self.bug == Some(Bug::UnsyncedTailLost) {
            // The periodic fsync of the bug's lazily synced log.
            self.disk.sync_lazily();
        }
        Ok(())
    }

    fn on_message(&mut self, m: Message) -> anyhow::Result<()> {
        if let Some(mut msg) = self.log_message(&m) {
            msg.to = None;
            let mut e = Event::new(self.id, EventKind::Receive);
            e.msg = Some(msg);
            self.log(e)?;
        }
        // A step error (an answer from outside the configuration, a dropped proposal) is raft-rs
        // ignoring the message.
        let _ = self.raw.step(m);
        self.handle_readies()
    }

    fn on_propose(&mut self, value: u64) -> anyhow::Result<()> {
        let mut e = Event::new(self.id, EventKind::ClientRequest);
        e.value = Some(LogValue::Number(value));
        self.log(e)?;
        // `ProposalDropped` (no leader known, or a candidate): the spec drops it too.
        let _ = self.raw.propose(Vec::new(), convert::value_to_data(value));
        self.handle_readies()
    }

    /// The spec form of a raft-rs message, or `None` (counted) if it has none.
    fn log_message(&mut self, m: &Message) -> Option<LogMessage> {
        let spec = convert::message_from_raft(m)
            .ok()
            .and_then(|s| LogMessage::from_spec(&s));
        if spec.is_none() {
            self.unmodelled += 1;
            eprintln!(
                "n{}: a {:?} with no spec form is not logged",
                self.id,
                m.get_msg_type()
            );
        }
        spec
    }

    fn log_state(&mut self) -> anyhow::Result<()> {
        let now = self.current();
        if self.shown == Some(now) {
            return Ok(());
        }
        self.shown = Some(now);
        let (term, role, vote, leader) = now;
        let mut e = Event::new(self.id, EventKind::State);
        e.term = Some(term);
        e.role = Some(role_name(role).into());
        e.vote = Some(vote);
        e.leader = Some(leader);
        self.log(e)
    }

    fn log_append(&mut self, entries: &[Entry]) -> anyhow::Result<()> {
        let spec: Vec<LogEntry> = entries
            .iter()
            .map(|e| convert::entry_from_raft(e).map(|s| LogEntry::from_spec(&s)))
            .collect::<Result<_, _>>()
            .map_err(|m| anyhow::anyhow!("n{}: {m}", self.id))?;
        let mut e = Event::new(self.id, EventKind::Append);
        e.index = Some(entries[0].index);
        e.entries = Some(spec);
        self.log(e)
    }

    fn log_commit(&mut self, commit: u64) -> anyhow::Result<()> {
        if commit <= self.commit {
            return Ok(());
        }
        self.commit = commit;
        let mut e = Event::new(self.id, EventKind::Commit);
        e.index = Some(commit);
        self.log(e)
    }

    fn send_all(&mut self, messages: Vec<Message>) -> anyhow::Result<()> {
        for m in messages {
            if let Some(msg) = self.log_message(&m) {
                let mut e = Event::new(self.id, EventKind::Send);
                e.msg = Some(LogMessage { from: None, ..msg });
                self.log(e)?;
            }
            if self.out.send(ToDriver::Msg(m)).is_err() {
                anyhow::bail!("the driver is gone");
            }
        }
        Ok(())
    }

    /// The application applies committed entries: client values to its state machine.
    fn apply(&mut self, entries: &[Entry]) -> anyhow::Result<()> {
        for entry in entries {
            let value = convert::data_to_value(entry.get_data())
                .map_err(|m| anyhow::anyhow!("n{}: entry {}: {m}", self.id, entry.index))?;
            self.disk.applied(entry.index, value);
            let mut e = Event::new(self.id, EventKind::Apply);
            e.index = Some(entry.index);
            e.value = value.map(LogValue::Number);
            self.log(e)?;
        }
        Ok(())
    }

    /// Persisting: the stock loop syncs before the messages that wait for persistence leave and
    /// before raft-rs hears the writes are durable; `unsynced-tail-lost` sends them first and
    /// leaves the sync to its periodic fsync.
    fn persist_then_send(&mut self, persisted: Vec<Message>) -> anyhow::Result<()> {
        if self.bug == Some(Bug::UnsyncedTailLost) {
            self.send_all(persisted)?;
            self.disk.sync_lazily();
        } else {
            self.disk.sync();
            self.send_all(persisted)?;
        }
        Ok(())
    }

    fn handle_readies(&mut self) -> anyhow::Result<()> {
        while self.raw.has_ready() {
            let mut rd = self.raw.ready();
            self.log_state()?;
            // Messages that need not wait for this node's writes (a leader's appends).
            self.send_all(rd.take_messages())?;
            if !rd.snapshot().is_empty() {
                anyhow::bail!(
                    "n{}: raft-rs handed out a snapshot, never taken here",
                    self.id
                );
            }
            let committed = rd.take_committed_entries();
            if !rd.entries().is_empty() {
                self.disk.append(rd.entries());
                let entries = rd.entries().clone();
                self.log_append(&entries)?;
            }
            if let Some(hs) = rd.hs() {
                let hs = hs.clone();
                self.disk.set_hard_state(&hs);
                self.log_commit(hs.commit)?;
            }
            self.apply(&committed)?;
            let persisted = rd.take_persisted_messages();
            self.persist_then_send(persisted)?;
            let mut light = self.raw.advance(rd);
            if let Some(commit) = light.commit_index() {
                self.disk.set_commit(commit);
                self.log_commit(commit)?;
            }
            let committed = light.take_committed_entries();
            self.apply(&committed)?;
            self.persist_then_send(light.take_messages())?;
            self.raw.advance_apply();
        }
        Ok(())
    }
}

/// A raft-rs role as the event log names it.
fn role_name(role: StateRole) -> &'static str {
    match role {
        StateRole::Follower => "follower",
        StateRole::PreCandidate => "pre_candidate",
        StateRole::Candidate => "candidate",
        StateRole::Leader => "leader",
    }
}
