//! The raft-rs adapter: the real `raft` crate (0.7), in-process, one `RawNode` over a
//! `MemStorage` per node.
//!
//! # Driving
//!
//! - Fresh cluster per [`Adapter::reset`]: each node's storage starts from
//!   `MemStorage::new_with_conf_state((peers, []))` — an empty log at index 0, term 0, no
//!   configuration entries — so there are no bootstrap entries to map away.
//! - Deterministic: elections only by `RawNode::campaign()` ([`Input::Timeout`]), never by
//!   `tick()` (raft-rs draws election timeouts from `thread_rng`); heartbeats only by
//!   `RawNode::ping()` ([`Input::Heartbeat`]). Check-quorum is off; pre-vote is off unless
//!   [`RaftRsAdapter::with_pre_vote`] turns it on (then a timeout's `campaign()` runs the
//!   pre-vote round first); messages carry any number of entries (`max_size_per_msg = NO_LIMIT`).
//! - After each input the node runs to quiescence: every `Ready` is handled (messages taken,
//!   entries appended and hard state stored, persisted messages taken, `advance`, the light
//!   ready's commit index stored and its messages taken) until `has_ready()` is false. Every
//!   message goes to the engine's network; nothing is delivered behind the checker's back.
//! - [`Input::Restart`] drops the `RawNode` and builds a new one on the same storage: term, vote,
//!   commit index and log survive; role, leader, votes and progress do not.
//! - [`Input::ClientRequest`] is `RawNode::propose` with the value as 8 big-endian bytes;
//!   raft-rs's `ProposalDropped` is the spec's [`Output::ProposalDropped`].
//! - A panic inside raft-rs (its `fatal!` assertions) is an [`AdapterError::Panicked`].
//!
//! # Abstraction to spec state, field by field
//!
//! | spec field | raft-rs source |
//! |---|---|
//! | `term`   | `raft.r.term` |
//! | `role`   | `raft.r.state` (`PreCandidate` ↦ the spec's pre-candidate; it occurs with pre-vote only) |
//! | `vote`   | `raft.r.vote`, 0 ↦ none |
//! | `leader` | `raft.r.leader_id`, 0 ↦ none |
//! | `log`    | `raft_log.entries(1..=last_index)`: each entry's term, and its data decoded as the client value (empty data ↦ the leader's empty entry). Index 1 is the first entry: nothing is mapped away, because there are no bootstrap entries. |
//! | `commit` | `raft_log.committed` |
//!
//! Nothing is left out of the comparison. Messages are translated losslessly ([`convert`]).
//!
//! # Flavour
//!
//! [`Flavour::raft_rs`]: the new leader's empty entry, commit indexes in vote messages
//! (`maybe_commit_by_vote`), rejection hints by term (`find_conflict_by_term`), commit indexes in
//! responses, commit index kept across restarts, heartbeats as an input; with
//! [`RaftRsAdapter::with_pre_vote`], the same with [`Flavour::pre_vote`].
//!
//! # Injected bugs
//!
//! A node is the honest `Ready` loop (`node.rs`) over two seams: its storage (`storage.rs`: the
//! durable writes, and what a restart rebuilds from) and its transport (`transport.rs`: how
//! messages come in and go out). With a [`Bug`] one seam, or both, is wrapped in that bug
//! (`bugs.rs`); raft-rs itself and the `Ready` loop are untouched. See [`crate::inject`].

mod bugs;
pub mod convert;
mod fingerprint;
mod node;
mod storage;
mod store;
mod transport;

use raftcheck_spec::{ClusterView, Flavour, Input, NodeView, Output, Renaming};

use crate::guard::catch_panic;
use crate::history::NodeHistories;
use crate::inject::Bug;
use crate::{Adapter, AdapterError, ClusterSetup};
use node::RaftNode;
use storage::SyncedStorage;

/// The in-process raft-rs adapter.
pub struct RaftRsAdapter {
    nodes: Vec<RaftNode>,
    /// The inputs each node has been driven through since it was built fresh. A node's state
    /// is a function of this sequence alone, which is what makes [`Adapter::replay_to`] cheap:
    /// only nodes whose history differs from the path's are rebuilt.
    history: NodeHistories,
    bug: Option<Bug>,
    pre_vote: bool,
    /// The voters of the initial configuration, `1..=voters`; the other nodes are spares.
    voters: u64,
    logger: slog::Logger,
}

impl RaftRsAdapter {
    /// An adapter for stock raft-rs integration code.
    pub fn new() -> Self {
        Self::with_bug(None)
    }

    /// An adapter whose integration code has `bug` (see [`crate::inject`]).
    pub fn with_bug(bug: Option<Bug>) -> Self {
        RaftRsAdapter {
            nodes: Vec::new(),
            history: NodeHistories::default(),
            bug,
            pre_vote: false,
            voters: 0,
            logger: slog::Logger::root(slog::Discard, slog::o!()),
        }
    }

    /// The same adapter with raft-rs's `Config::pre_vote` set as given; the flavour follows
    /// ([`Flavour::pre_vote`]).
    #[must_use]
    pub fn with_pre_vote(mut self, pre_vote: bool) -> Self {
        self.pre_vote = pre_vote;
        self
    }

    /// A brand-new node: the honest storage and transport, with the injected bug wrapped
    /// around them.
    fn fresh_node(&self, id: u64) -> Result<RaftNode, AdapterError> {
        let voters: Vec<u64> = (1..=self.voters).collect();
        let peers: Vec<u64> = (1..=self.history.len() as u64).collect();
        let storage = bugs::storage(self.bug, SyncedStorage::new(&voters));
        let transport = bugs::transport(self.bug, id, &peers);
        RaftNode::new(
            id,
            storage,
            transport,
            self.pre_vote,
            bugs::conf_change_timing(self.bug),
            self.logger.clone(),
        )
    }

    fn step(&mut self, input: &Input) -> Result<Vec<Output>, AdapterError> {
        let Some(target) = input.target() else {
            // Drops and duplicates happen in the engine's network, not in raft-rs.
            return Ok(Vec::new());
        };
        let count = self.nodes.len();
        let node = self
            .nodes
            .get_mut((target as usize).wrapping_sub(1))
            .ok_or_else(|| {
                AdapterError::Fault(format!("no node n{target} in a {count}-node cluster"))
            })?;
        let outputs = drive(node, input);
        self.history.record(input);
        outputs
    }

    fn build(&mut self, setup: &ClusterSetup) -> Result<(), AdapterError> {
        self.voters = setup.nodes;
        self.history = NodeHistories::new(setup.total());
        self.nodes.clear();
        for id in setup.ids() {
            let node = self.fresh_node(id)?;
            self.nodes.push(node);
        }
        Ok(())
    }

    fn goto(&mut self, setup: &ClusterSetup, path: &[Input]) -> Result<u64, AdapterError> {
        if self.nodes.len() as u64 != setup.total() || self.voters != setup.nodes {
            self.build(setup)?;
        }
        let plan = self.history.plan(path).map_err(AdapterError::Fault)?;
        let mut driven = 0;
        for step in plan {
            let i = step.node as usize - 1;
            if step.rebuild {
                self.nodes[i] = self.fresh_node(step.node)?;
                self.history.rebuilt(step.node);
            }
            for input in step.inputs {
                drive(&mut self.nodes[i], input).map_err(|e| {
                    AdapterError::Fault(format!("replaying {input} did not repeat: {e}"))
                })?;
                self.history.record(input);
                driven += 1;
            }
        }
        Ok(driven)
    }

    fn view(&self) -> Result<ClusterView, AdapterError> {
        if self.nodes.is_empty() {
            return Err(AdapterError::Fault(
                "there is no cluster to observe (none was built, or a fault discarded it)".into(),
            ));
        }
        let nodes = self
            .nodes
            .iter()
            .map(|node| {
                let core = &node.raw.raft.r;
                let entries = node.log_entries().map_err(AdapterError::Fault)?;
                let log = entries
                    .iter()
                    .map(convert::entry_from_raft)
                    .collect::<Result<_, _>>()
                    .map_err(|e| AdapterError::Fault(format!("n{}: {e}", node.id)))?;
                let snapshot_index = core.raft_log.first_index() - 1;
                let app = node.storage.raft_storage().rl();
                Ok(NodeView {
                    term: core.term,
                    role: convert::role_from_raft(core.state)?,
                    vote: (core.vote != 0).then_some(core.vote),
                    leader: (core.leader_id != 0).then_some(core.leader_id),
                    log,
                    commit: core.raft_log.committed,
                    snapshot_index,
                    snapshot_term: core.raft_log.term(snapshot_index).unwrap_or(0),
                    config: convert::config_from_raft(&node.raw.raft.prs().conf().to_conf_state()),
                    applied: app.applied,
                    state_machine: app.state_machine.clone(),
                })
            })
            .collect::<Result<_, AdapterError>>()?;
        Ok(ClusterView { nodes })
    }
}

impl RaftRsAdapter {
    /// Runs `f` with raft-rs panics turned into faults. After a fault the cluster is in an
    /// unknown state, so it is discarded: the next `replay_to` rebuilds every node.
    fn guarded<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, AdapterError>,
    ) -> Result<T, AdapterError> {
        let result = catch_panic(|| f(self))
            .map_err(AdapterError::from)
            .and_then(|r| r);
        if result.as_ref().is_err_and(AdapterError::is_fault) {
            self.nodes.clear();
            self.history = NodeHistories::default();
        }
        result
    }
}

impl Default for RaftRsAdapter {
    fn default() -> Self {
        Self::new()
    }
}

/// Drives one input into one node and runs it to quiescence.
fn drive(node: &mut RaftNode, input: &Input) -> Result<Vec<Output>, AdapterError> {
    let target = node.id;
    let refused = |e: raft::Error| AdapterError::Refused {
        input: input.to_string(),
        reason: e.to_string(),
    };
    let mut sent = match input {
        // A crash abandons the writes in flight.
        Input::Restart { .. } => Vec::new(),
        _ => node.complete_writes()?,
    };
    let mut outputs = Vec::new();
    let was_leader = node.role() == raft::StateRole::Leader;
    let dropped = |value| Output::ProposalDropped {
        node: target,
        value,
    };
    match input {
        Input::Timeout { .. } => node.raw.campaign().map_err(refused)?,
        Input::Receive { message } => {
            match (
                node.receive(convert::message_to_raft(message)),
                &message.payload,
            ) {
                (Ok(()), _) => {}
                (Err(raft::Error::ProposalDropped), raftcheck_spec::Payload::Propose { value }) => {
                    outputs.push(dropped(*value))
                }
                (Err(e), _) => return Err(refused(e)),
            }
        }
        Input::Restart { .. } => node.restart()?,
        Input::ClientRequest { value, .. } => {
            match node.raw.propose(vec![], convert::value_to_data(*value)) {
                Ok(()) => {}
                Err(raft::Error::ProposalDropped) => outputs.push(dropped(*value)),
                Err(e) => return Err(refused(e)),
            }
        }
        Input::Heartbeat { .. } => node.raw.ping(),
        Input::ProposeConfChange { change, .. } => {
            node.propose_conf_change(change).map_err(refused)?
        }
        Input::Compact { .. } => node.storage.compact()?,
        Input::StepDown { .. } => {
            // Never offered in the raft-rs flavour (no leader lease: check-quorum is off).
            return Err(AdapterError::Refused {
                input: input.to_string(),
                reason: "raft-rs with check-quorum off has no leader lease to step down on".into(),
            });
        }
        Input::Drop { .. } | Input::Duplicate { .. } => {}
    }
    sent.extend(node.drain_ready()?);
    if !was_leader && node.role() == raft::StateRole::Leader {
        outputs.insert(
            0,
            Output::BecomeLeader {
                node: target,
                term: node.term(),
            },
        );
    }
    for m in &sent {
        outputs.push(Output::Send {
            message: convert::message_from_raft(m)?,
        });
    }
    Ok(outputs)
}

impl Adapter for RaftRsAdapter {
    fn name(&self) -> String {
        "raft-rs".into()
    }

    fn flavour(&self) -> Flavour {
        Flavour::raft_rs().with_pre_vote(self.pre_vote)
    }

    fn reset(&mut self, setup: &ClusterSetup) -> Result<(), AdapterError> {
        self.guarded(|a| a.build(setup))
    }

    fn apply(&mut self, input: &Input) -> Result<Vec<Output>, AdapterError> {
        self.guarded(|a| a.step(input))
    }

    fn replay_to(&mut self, setup: &ClusterSetup, path: &[Input]) -> Result<u64, AdapterError> {
        self.guarded(|a| a.goto(setup, path))
    }

    fn observe(&mut self) -> Result<ClusterView, AdapterError> {
        catch_panic(|| self.view()).map_err(AdapterError::from)?
    }

    fn fingerprint(&mut self) -> Result<Option<u64>, AdapterError> {
        let identity = Renaming::new(&[], &[]);
        Ok(Some(fingerprint::fingerprint(&self.nodes, &identity)))
    }

    fn node_fingerprints(&mut self) -> Result<Option<Vec<u64>>, AdapterError> {
        Ok(Some(fingerprint::node_fingerprints(&self.nodes)))
    }

    fn renamed_fingerprints(
        &mut self,
        renamings: &[Renaming],
    ) -> Result<Option<Vec<u64>>, AdapterError> {
        let fingerprints = renamings
            .iter()
            .map(|renaming| fingerprint::fingerprint(&self.nodes, renaming))
            .collect();
        Ok(Some(fingerprints))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftcheck_spec::Message;

    fn sent(outputs: &[Output], kind: &str, to: u64) -> Message {
        outputs
            .iter()
            .find_map(|o| match o {
                Output::Send { message } if message.payload.kind() == kind && message.to == to => {
                    Some(message.clone())
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no {kind} to n{to} in {outputs:?}"))
    }

    /// An unsynced write after the storage already holds entries snapshots the durable state
    /// (the first such write once deadlocked on raft-rs's storage lock).
    #[test]
    fn unsynced_writes_over_a_stored_log_do_not_deadlock() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut a = RaftRsAdapter::with_bug(Some(Bug::UnsyncedTailLost));
            a.reset(&ClusterSetup::new(3)).unwrap();
            let out = a.apply(&Input::Timeout { node: 1 }).unwrap();
            let rv = sent(&out, "RequestVote", 2);
            let out = a.apply(&Input::Receive { message: rv }).unwrap();
            let grant = sent(&out, "RequestVoteResponse", 1);
            let out = a.apply(&Input::Receive { message: grant }).unwrap();
            let append = sent(&out, "AppendEntries", 2);
            let out = a.apply(&Input::Receive { message: append }).unwrap();
            let ack = sent(&out, "AppendEntriesResponse", 1);
            a.apply(&Input::Receive { message: ack }).unwrap();
            // The commit synced the log; this proposal is an unsynced write over it.
            a.apply(&Input::ClientRequest { node: 1, value: 1 })
                .unwrap();
            a.apply(&Input::Restart { node: 1 }).unwrap();
            tx.send(a.observe().unwrap()).unwrap();
        });
        let view = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the adapter finished (no deadlock)");
        // The proposal was never synced: the restart lost it, the committed entry survived.
        assert_eq!(view.nodes[0].log, vec![raftcheck_spec::Entry::empty(1)]);
    }
}
