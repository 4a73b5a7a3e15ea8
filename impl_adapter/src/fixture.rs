//! The fixture adapter: the spec itself behind the [`Adapter`] trait, with a fixed policy for
//! the sends the spec leaves to the implementation and a settable [`Defect`].
//!
//! It exists to test the engine and the scenario harness exactly, without raft-rs: its
//! "implementation" is [`RaftModel::apply`] on its own copy of the cluster (lockstep mode), so
//! with no defect it agrees with the spec on every step by construction, and each defect is one
//! known deviation whose shortest trace is known in advance.
//!
//! # Discretionary sends
//!
//! The spec dictates replies; what a leader sends of its own accord is this adapter's choice,
//! fixed as follows (every message is one [`RaftModel::may_send`] accepts). "An append to `p`"
//! is an `AppendEntries` with `prev_log_index` = the leader's match index for `p`, every entry
//! after it, and the leader's commit index.
//!
//! - After a step in which a node becomes leader, appends an entry (a client value, directly or
//!   forwarded) or advances its commit index, it sends an append to every peer, in id order.
//! - After a step in which a leader receives a successful `AppendEntriesResponse` or a
//!   `HeartbeatResponse` of its term from `p` and still holds entries past its match index for
//!   `p`, it sends an append to `p` (so a heartbeat makes up for a lost append, as in raft-rs).
//!
//! A follower never rejects such an append (the match index is a prefix the two logs share),
//! and the exchange ends: an acknowledgement that leaves nothing to send sends nothing.
//!
//! # State and fingerprint
//!
//! The cluster is a [`ClusterState`] whose network stays empty (the engine owns the network).
//! [`FixtureAdapter::fingerprint`] hashes every node's whole spec state — including the votes
//! counted and the match indexes, which the observation leaves out — and the hidden state of
//! the defects (the step count, for [`Defect::HeartbeatLostAfter`]); the behaviour of the
//! adapter depends on nothing else.
//!
//! # Flavour
//!
//! Whatever flavour it is built with: [`FixtureAdapter::new`] takes it.

use std::hash::{Hash, Hasher};

use raftcheck_spec::{
    AppendAnswer, Bounds, ClusterState, ClusterView, Flavour, Input, Message, Mode, NodeId, Output,
    Payload, RaftModel, Role,
};
use siphasher::sip::SipHasher13;

use crate::{Adapter, AdapterError, ClusterSetup};

/// A deliberate deviation from the spec, each mirroring a real class of Raft bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Defect {
    /// A restarted node has forgotten its vote: the vote was kept in memory only (the
    /// vote-not-persisted class; Raft Figure 2 lists `votedFor` as persistent state). Shows as a
    /// state mismatch at the restart.
    VoteForgottenOnRestart,
    /// A follower overwriting a conflicting suffix writes the new entries over the old ones but
    /// does not delete the old entries beyond them (the conflict-not-truncated class of custom
    /// log stores). Shows as a state mismatch once a new leader overwrites a longer log.
    ConflictKept,
    /// Responses (vote, pre-vote, append and heartbeat responses) go to the next peer instead of
    /// the sender of the request (transport address-book mix-ups). Shows as an unexpected and a
    /// missing output at the first reply.
    ReplyToWrongPeer,
    /// A leader's appends carry its last log index as the commit index instead of its commit
    /// index (a leader that advertises what it has, not what a quorum has). Shows as an
    /// unexpected output at the first append after an election.
    CommitAhead,
    /// From the step with this 0-based number on, the leader's heartbeat timer is lost: a
    /// `Heartbeat` input does nothing (a ticker that stopped, a timer never re-armed). Shows as
    /// a missing output at the first heartbeat from then on.
    HeartbeatLostAfter(usize),
}

impl Defect {
    /// One of each kind (the heartbeat defect from step 0), for tests that try them all.
    pub const EACH: [Defect; 5] = [
        Defect::VoteForgottenOnRestart,
        Defect::ConflictKept,
        Defect::ReplyToWrongPeer,
        Defect::CommitAhead,
        Defect::HeartbeatLostAfter(0),
    ];

    /// A short name, as used in test output.
    pub fn name(self) -> String {
        match self {
            Defect::VoteForgottenOnRestart => "vote-forgotten-on-restart".into(),
            Defect::ConflictKept => "conflict-kept".into(),
            Defect::ReplyToWrongPeer => "reply-to-wrong-peer".into(),
            Defect::CommitAhead => "commit-ahead".into(),
            Defect::HeartbeatLostAfter(step) => format!("heartbeat-lost-after-{step}"),
        }
    }
}

impl std::fmt::Display for Defect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// The spec-backed fixture adapter.
pub struct FixtureAdapter {
    flavour: Flavour,
    defects: Vec<Defect>,
    /// The model applied, sized for the cluster of the last reset; `None` before the first.
    model: Option<RaftModel>,
    /// The cluster; its network is always empty.
    state: ClusterState,
    /// Inputs applied since the last reset.
    steps: usize,
}

impl FixtureAdapter {
    /// A fixture that agrees with the spec of `flavour` on every step.
    pub fn new(flavour: Flavour) -> Self {
        FixtureAdapter {
            flavour,
            defects: Vec::new(),
            model: None,
            state: ClusterState::initial(0),
            steps: 0,
        }
    }

    /// The same fixture with `defect` as well (defects combine; each acts on its own).
    #[must_use]
    pub fn with_defect(mut self, defect: Defect) -> Self {
        if !self.defects.contains(&defect) {
            self.defects.push(defect);
            self.defects.sort();
        }
        self
    }

    /// The defects in force, in order.
    pub fn defects(&self) -> &[Defect] {
        &self.defects
    }

    fn has(&self, defect: Defect) -> bool {
        self.defects.contains(&defect)
    }

    fn heartbeat_lost_from(&self) -> Option<usize> {
        self.defects.iter().find_map(|d| match d {
            Defect::HeartbeatLostAfter(step) => Some(*step),
            _ => None,
        })
    }

    fn check_addressed(&self, input: &Input) -> Result<(), AdapterError> {
        let n = self.state.nodes.len();
        if let Some(node) = input.target() {
            if !self.state.has_node(node) {
                return Err(AdapterError::Fault(format!(
                    "no node n{node} in a {n}-node cluster"
                )));
            }
        }
        if let Input::Receive { message } = input {
            if !self.state.has_node(message.from) {
                return Err(AdapterError::Refused {
                    input: input.to_string(),
                    reason: format!("n{} is not a peer of this {n}-node cluster", message.from),
                });
            }
        }
        Ok(())
    }

    fn step(&mut self, input: &Input) -> Result<Vec<Output>, AdapterError> {
        let Some(model) = &self.model else {
            return Err(AdapterError::Fault("apply before the first reset".into()));
        };
        self.check_addressed(input)?;
        let step = self.steps;
        self.steps += 1;
        if matches!(input, Input::Heartbeat { .. })
            && self.heartbeat_lost_from().is_some_and(|from| step >= from)
        {
            return Ok(Vec::new());
        }
        let before = self.state.clone();
        let transition = model.apply(&before, input);
        let mut after = transition.state;
        after.network.clear();
        let mut outputs = transition.outputs;

        if self.has(Defect::VoteForgottenOnRestart) {
            if let Input::Restart { node } = input {
                after.node_mut(*node).vote = None;
            }
        }
        if self.has(Defect::ConflictKept) {
            if let Input::Receive { message } = input {
                if matches!(message.payload, Payload::AppendEntries { .. }) {
                    keep_old_tail(&before, &mut after, message.to);
                }
            }
        }
        if self.has(Defect::ReplyToWrongPeer) {
            let n = after.nodes.len() as NodeId;
            for output in &mut outputs {
                if let Output::Send { message } = output {
                    if is_response(&message.payload) {
                        message.to = next_peer(message.to, message.from, n);
                    }
                }
            }
        }
        let commit_ahead = self.has(Defect::CommitAhead);
        for message in discretionary_sends(&before, &after, input) {
            let message = if commit_ahead {
                with_commit_ahead(&after, message)
            } else {
                message
            };
            outputs.push(Output::Send { message });
        }
        self.state = after;
        Ok(outputs)
    }
}

/// True for the messages that answer a request.
fn is_response(payload: &Payload) -> bool {
    matches!(
        payload,
        Payload::RequestVoteResponse { .. }
            | Payload::AppendEntriesResponse(_)
            | Payload::HeartbeatResponse { .. }
    )
}

/// The peer after `to` in id order, skipping the sender, wrapping around.
fn next_peer(to: NodeId, from: NodeId, n: NodeId) -> NodeId {
    let mut next = to % n + 1;
    if next == from {
        next = next % n + 1;
    }
    next
}

/// [`Defect::ConflictKept`]: when the step replaced a conflicting suffix of `node`'s log, the
/// old entries beyond the new ones come back.
fn keep_old_tail(before: &ClusterState, after: &mut ClusterState, node: NodeId) {
    let old = before.node(node).log.entries();
    let new = &mut after.node_mut(node).log;
    let (old_len, new_len) = (old.len(), new.entries().len());
    let shared = old_len.min(new_len);
    if old[..shared] != new.entries()[..shared] && old_len > new_len {
        for entry in &old[new_len..] {
            new.push(entry.clone());
        }
    }
}

/// [`Defect::CommitAhead`]: the append carries the leader's last index as its commit.
fn with_commit_ahead(state: &ClusterState, mut message: Message) -> Message {
    let last = state.node(message.from).last_index();
    if let Payload::AppendEntries { commit, .. } = &mut message.payload {
        *commit = last;
    }
    message
}

/// The appends the fixture's policy sends after `input` took the cluster from `before` to
/// `after` (see the module documentation).
fn discretionary_sends(before: &ClusterState, after: &ClusterState, input: &Input) -> Vec<Message> {
    let mut sends = Vec::new();
    for leader in after.nodes.values().filter(|n| n.role == Role::Leader) {
        let was = before.node(leader.id);
        let broadcast = was.role != Role::Leader
            || was.term != leader.term
            || leader.last_index() > was.last_index()
            || leader.commit > was.commit;
        let peers: Vec<NodeId> = if broadcast {
            leader.config.peers(leader.id).collect()
        } else {
            match input {
                Input::Receive { message }
                    if message.to == leader.id
                        && message.term == leader.term
                        && matches!(
                            message.payload,
                            Payload::AppendEntriesResponse(AppendAnswer { reject: false, .. })
                                | Payload::HeartbeatResponse { .. }
                        )
                        && leader.match_index.get(message.from).copied().unwrap_or(0)
                            < leader.last_index() =>
                {
                    vec![message.from]
                }
                _ => Vec::new(),
            }
        };
        for peer in peers {
            let prev = leader.match_index.get(peer).copied().unwrap_or(0);
            if let (true, Some(snapshot)) =
                (prev < leader.first_append_prev(), leader.snapshot.as_ref())
            {
                // The entries after `prev` are compacted: only the snapshot reaches back.
                sends.push(Message {
                    from: leader.id,
                    to: peer,
                    term: leader.term,
                    payload: Payload::Snapshot {
                        snapshot: std::sync::Arc::clone(snapshot),
                    },
                });
                continue;
            }
            sends.push(Message {
                from: leader.id,
                to: peer,
                term: leader.term,
                payload: Payload::AppendEntries {
                    prev_log_index: prev,
                    prev_log_term: leader.term_at(prev).unwrap_or(0),
                    entries: leader
                        .log
                        .entries_after(prev)
                        .expect("a leader's match index is within its log")
                        .to_vec(),
                    commit: leader.commit,
                },
            });
        }
    }
    sends
}

impl Adapter for FixtureAdapter {
    fn name(&self) -> String {
        "fixture".into()
    }

    fn flavour(&self) -> Flavour {
        self.flavour.clone()
    }

    fn reset(&mut self, setup: &ClusterSetup) -> Result<(), AdapterError> {
        let bounds = Bounds {
            nodes: setup.nodes,
            spares: setup.spares,
            ..Bounds::default()
        };
        bounds
            .validate()
            .map_err(|e| AdapterError::Fault(format!("cannot build this cluster: {e}")))?;
        self.model = Some(RaftModel::new(bounds, self.flavour.clone(), Mode::Lockstep));
        self.state = ClusterState::with_spares(setup.nodes, setup.spares);
        self.steps = 0;
        Ok(())
    }

    fn apply(&mut self, input: &Input) -> Result<Vec<Output>, AdapterError> {
        self.step(input)
    }

    fn observe(&mut self) -> Result<ClusterView, AdapterError> {
        if self.model.is_none() {
            return Err(AdapterError::Fault("observe before the first reset".into()));
        }
        Ok(ClusterView::from(&self.state))
    }

    fn fingerprint(&mut self) -> Result<Option<u64>, AdapterError> {
        let mut h = SipHasher13::new_with_keys(0x6669_7874_7572_6531, 0x6669_6e67_6572_7032);
        self.state.nodes.hash(&mut h);
        if let Some(from) = self.heartbeat_lost_from() {
            // Only whether the timer is lost yet matters, not how many steps ago.
            self.steps.min(from).hash(&mut h);
        }
        Ok(Some(h.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reset(flavour: Flavour) -> FixtureAdapter {
        let mut a = FixtureAdapter::new(flavour);
        a.reset(&ClusterSetup::new(3)).unwrap();
        a
    }

    fn sent(outputs: &[Output]) -> Vec<Message> {
        outputs.iter().filter_map(Output::sent).cloned().collect()
    }

    fn find(outputs: &[Output], kind: &str) -> Message {
        sent(outputs)
            .into_iter()
            .find(|m| m.payload.kind() == kind)
            .unwrap_or_else(|| panic!("no {kind} in {outputs:?}"))
    }

    /// Elects n1 with n2's vote; returns the outputs of the winning step.
    fn elect(a: &mut FixtureAdapter) -> Vec<Output> {
        let out = a.apply(&Input::Timeout { node: 1 }).unwrap();
        let rv = sent(&out).into_iter().find(|m| m.to == 2).unwrap();
        let out = a.apply(&Input::Receive { message: rv }).unwrap();
        let grant = find(&out, "RequestVoteResponse");
        a.apply(&Input::Receive { message: grant }).unwrap()
    }

    #[test]
    fn a_new_leader_sends_each_peer_its_whole_log() {
        let mut a = reset(Flavour::raft_rs());
        let out = elect(&mut a);
        assert_eq!(out[0], Output::BecomeLeader { node: 1, term: 1 });
        let appends: Vec<String> = sent(&out).iter().map(|m| m.to_string()).collect();
        assert_eq!(
            appends,
            vec![
                "AppendEntries n1→n2 t1 prev=(0,t0) entries=[t1:empty] commit=0",
                "AppendEntries n1→n3 t1 prev=(0,t0) entries=[t1:empty] commit=0",
            ]
        );
    }

    #[test]
    fn an_acknowledgement_that_leaves_nothing_to_send_sends_nothing() {
        let mut a = reset(Flavour::etcd());
        let out = elect(&mut a);
        let append = sent(&out).into_iter().find(|m| m.to == 2).unwrap();
        let out = a.apply(&Input::Receive { message: append }).unwrap();
        let ack = find(&out, "AppendEntriesResponse");
        // The ack commits index 1: every peer hears of the new commit index.
        let out = a
            .apply(&Input::Receive {
                message: ack.clone(),
            })
            .unwrap();
        assert_eq!(sent(&out).len(), 2);
        // The same ack again commits nothing and leaves nothing to send.
        let out = a.apply(&Input::Receive { message: ack }).unwrap();
        assert_eq!(out, vec![]);
    }

    #[test]
    fn replies_go_to_the_next_peer_with_the_defect() {
        assert_eq!(next_peer(1, 2, 3), 3);
        assert_eq!(next_peer(1, 3, 3), 2);
        assert_eq!(next_peer(3, 1, 3), 2);
        let mut a = reset(Flavour::raft_rs()).with_defect(Defect::ReplyToWrongPeer);
        let out = a.apply(&Input::Timeout { node: 1 }).unwrap();
        let rv = sent(&out).into_iter().find(|m| m.to == 2).unwrap();
        let out = a.apply(&Input::Receive { message: rv }).unwrap();
        assert_eq!(find(&out, "RequestVoteResponse").to, 3);
    }

    #[test]
    fn a_restart_forgets_the_vote_with_the_defect() {
        for (defect, vote) in [
            (None, Some(1)),
            (Some(Defect::VoteForgottenOnRestart), None),
        ] {
            let mut a = reset(Flavour::raft_rs());
            if let Some(d) = defect {
                a = a.with_defect(d);
            }
            a.apply(&Input::Timeout { node: 1 }).unwrap();
            a.apply(&Input::Restart { node: 1 }).unwrap();
            assert_eq!(a.observe().unwrap().nodes[0].vote, vote, "{defect:?}");
        }
    }

    #[test]
    fn the_heartbeat_defect_counts_in_the_fingerprint_only_until_it_acts() {
        let mut a = reset(Flavour::raft_rs()).with_defect(Defect::HeartbeatLostAfter(4));
        let mut fps = Vec::new();
        for _ in 0..6 {
            fps.push(a.fingerprint().unwrap());
            a.apply(&Input::Restart { node: 2 }).unwrap();
        }
        fps.push(a.fingerprint().unwrap());
        assert!(fps[..5].windows(2).all(|w| w[0] != w[1]), "{fps:?}");
        assert_eq!(fps[4], fps[5]);
        assert_eq!(fps[5], fps[6]);
    }

    #[test]
    fn bad_addresses_are_errors_not_panics() {
        let mut a = FixtureAdapter::new(Flavour::raft_rs());
        assert!(matches!(
            a.apply(&Input::Timeout { node: 1 }),
            Err(AdapterError::Fault(_))
        ));
        a.reset(&ClusterSetup::new(3)).unwrap();
        assert!(matches!(
            a.apply(&Input::Timeout { node: 4 }),
            Err(AdapterError::Fault(_))
        ));
        let stranger = Message {
            from: 9,
            to: 1,
            term: 1,
            payload: Payload::HeartbeatResponse { commit: 0 },
        };
        assert!(matches!(
            a.apply(&Input::Receive { message: stranger }),
            Err(AdapterError::Refused { .. })
        ));
        assert!(a.reset(&ClusterSetup::new(0)).is_err());
    }
}
