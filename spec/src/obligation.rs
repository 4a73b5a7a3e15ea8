//! Progress obligations: the sends a node *must* make of its own accord in a step, so that an
//! implementation which sends nothing where it must act does not pass as conforming.
//!
//! Discretionary sends are judged by [`crate::RaftModel::may_send`] ("may the leader send
//! this"), which a silent leader never fails. An obligation is the other half, a bounded
//! liveness rule: after input `i` in state `s`, leader `n` must have sent peer `p` an append (or
//! a snapshot) of its term. Each rule states the exact conditions under which raft-rs 0.7 and
//! etcd raft 3.4 both send, whatever their hidden progress state (probe, replicate, paused,
//! inflights), and cites the code it follows; outside those conditions the spec says nothing.
//!
//! The rules hold for the flavours with the heartbeat input (raft-rs, etcd, etcd-3.6: v3.6's
//! `stepLeader` keeps them, only with `MsgAppFlowPaused` for `ProbeSent`). hashicorp/raft
//! retries from a replication goroutine of its own and is only validated from logs, where no
//! step is the last; the textbook flavour runs spec-only. Neither is judged by obligations.
//! PySyncObj answers a rejection on its next append timer, so with
//! `Flavour::rejection_waits_for_timer` the probe-backoff rule does not apply, and it sends
//! the rest of the log after an acknowledgement on that timer too, so the ack-resume rule
//! applies only with `Flavour::appends_follow_on`.
//!
//! A candidate's duty to ask every voter is not here: the vote requests of a campaign are part
//! of the timeout's deterministic outputs (`NodeState::timeout`), which the judge already
//! requires.

use std::fmt;

use crate::cluster::ClusterState;
use crate::node::NodeState;
use crate::types::{Input, Message, NodeId, Output, Payload, Role, Term};
use crate::RaftModel;

/// Which rule obliges the send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// A leader that receives a rejection it has not yet answered backs off and probes again in
    /// the same step (raft-rs `handle_append_response`: `pr.maybe_decr_to(..)` then
    /// `send_append`; etcd `stepLeader`, `MsgAppResp` with `Reject`: `pr.MaybeDecrTo` then
    /// `r.sendAppend`).
    ///
    /// Both call a rejection stale — and send nothing — when its rejected index is at or below
    /// the peer's match index (replicate state: `rejected <= matched`), or, in probe state, when
    /// it is not the index of the probe in flight (`next - 1 != rejected`). The second is
    /// hidden state; the spec knows the rejection is not stale only when nothing else of the
    /// leader's conversation with that peer in this term remains in flight, no message has been
    /// dropped on the path, the peer is still in the leader's term, and the leader never
    /// compacted (a leader sending a snapshot waits in snapshot state). Then the rejection is
    /// the last link of the chain of probes and answers, so the probe it answers is the one in
    /// flight, and the leader must send again — or nothing ever repairs the follower but a
    /// timer.
    ProbeBackoff,
    /// A leader that hears a heartbeat answer from a peer whose match index is below its last
    /// index sends it an append in the same step, whatever its progress state (raft-rs
    /// `handle_heartbeat_response`: `pr.resume()`, a full inflight window frees one slot, then
    /// `if pr.matched < last_index { send_append }`; etcd `stepLeader`, `MsgHeartbeatResp`:
    /// `pr.ProbeSent = false`, `Inflights.FreeFirstOne`, `if pr.Match < lastIndex() {
    /// r.sendAppend }`). Only snapshot state stays paused, so a leader that compacted is
    /// exempt.
    HeartbeatRepair,
    /// A leader that hears a fresh acknowledgement — above the peer's match index — from a peer
    /// that still lacks entries — below the leader's last index — sends it more in the same
    /// step, whatever its progress state (raft-rs `handle_append_response`: `maybe_update`, then
    /// a probing peer `become_replicate`s and a snapshot caught up `become_probe`s, then
    /// `bcast_append` on a new commit index, else `send_append` if the peer was paused, and
    /// `send_append_aggressively`; etcd `stepLeader`, `MsgAppResp`: `MaybeUpdate`,
    /// `BecomeReplicate` or `BecomeProbe`, `bcastAppend` or `sendAppend` if `oldPaused`, then
    /// `for r.maybeSendAppend(m.From, false)`; v3.6 the same with `CanBumpCommit`).
    ///
    /// In replicate state everything after the index may already be in flight, so a message
    /// of their conversation still in flight after the step meets the rule; a dropped message
    /// may have been among those, so it applies only where nothing was dropped; and an index
    /// below the leader's compaction point may find the peer still waiting in snapshot state,
    /// so it applies only to an index at or above it — where a peer in snapshot state has
    /// caught up and is probed again. Only the flavours with `Flavour::appends_follow_on`
    /// (the raft-rs and etcd progress tracker) send in the same step; PySyncObj waits for its
    /// append timer.
    AckResume,
}

impl Rule {
    /// The rule's name, as findings show it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::ProbeBackoff => "probe-backoff",
            Rule::HeartbeatRepair => "heartbeat-repair",
            Rule::AckResume => "ack-resume",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A send one step owes: `leader` must send `peer` an append or a snapshot of `term`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Obligation {
    /// The rule that obliges it.
    pub rule: Rule,
    /// The leader that owes the send.
    pub leader: NodeId,
    /// The peer it owes it to.
    pub peer: NodeId,
    /// The leader's term.
    pub term: Term,
    /// Why it is owed, in the spec state's numbers.
    pub because: String,
}

impl Obligation {
    /// True when the step met the obligation: `outputs` (what the implementation sent) hold an
    /// append or snapshot from the leader to the peer at its term — or, for
    /// [`Rule::ProbeBackoff`], `after` (the state after the step, with those outputs in flight)
    /// still holds a message of their conversation, which carries the chain on.
    pub fn met(&self, outputs: &[Output], after: &ClusterState) -> bool {
        let sent = outputs.iter().any(|o| match o {
            Output::Send { message } => self.repairs(message),
            _ => false,
        });
        let carried_on = || after.network.iter().any(|m| self.in_conversation(m));
        match self.rule {
            Rule::HeartbeatRepair => sent,
            Rule::ProbeBackoff => sent || carried_on(),
            Rule::AckResume => sent || carried_on() || !self.still_replicates(after),
        }
    }

    /// False when the step ended the leader's duty: it no longer leads the term, or the peer
    /// (or the leader itself) left its configuration as the step applied a change.
    fn still_replicates(&self, after: &ClusterState) -> bool {
        after.nodes.get(self.leader).is_some_and(|l| {
            l.role == Role::Leader
                && l.term == self.term
                && l.config.contains(self.peer)
                && l.config.contains(self.leader)
        })
    }

    /// An append or snapshot of the leader's term from the leader to the peer.
    fn repairs(&self, m: &Message) -> bool {
        m.from == self.leader
            && m.to == self.peer
            && m.term == self.term
            && matches!(
                m.payload,
                Payload::AppendEntries { .. } | Payload::Snapshot { .. }
            )
    }

    /// A message between the leader and the peer, of the leader's term, about replication.
    fn in_conversation(&self, m: &Message) -> bool {
        let between = (m.from == self.leader && m.to == self.peer)
            || (m.from == self.peer && m.to == self.leader);
        between
            && m.term == self.term
            && matches!(
                m.payload,
                Payload::AppendEntries { .. }
                    | Payload::AppendEntriesResponse(_)
                    | Payload::Heartbeat { .. }
                    | Payload::HeartbeatResponse { .. }
                    | Payload::Snapshot { .. }
            )
    }
}

impl fmt::Display for Obligation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "n{} owes n{} an append at term {} ({}: {})",
            self.leader, self.peer, self.term, self.rule, self.because
        )
    }
}

impl RaftModel {
    /// The sends that taking `input` in `before` obliges (lockstep only: in spec-only mode the
    /// spec's own send actions are a menu, not a duty). Empty when the flavour has no
    /// obligations (see the module documentation) or the input obliges nothing.
    pub fn obligations(&self, before: &ClusterState, input: &Input) -> Vec<Obligation> {
        if !self.obligations || !self.flavour.heartbeat_input {
            return Vec::new();
        }
        let Input::Receive { message: m } = input else {
            return Vec::new();
        };
        let Some(leader) = before.nodes.get(m.to) else {
            return Vec::new();
        };
        let Some(&matched) = leader.match_index.get(m.from) else {
            return Vec::new();
        };
        if leader.role != Role::Leader || m.term != leader.term {
            return Vec::new();
        }
        let owe = |rule, because| {
            vec![Obligation {
                rule,
                leader: leader.id,
                peer: m.from,
                term: leader.term,
                because,
            }]
        };
        let last = leader.last_index();
        if let Payload::AppendEntriesResponse(a) = &m.payload {
            if !a.reject
                && self.flavour.appends_follow_on
                && a.index > matched
                && a.index < last
                && a.index >= leader.log.snapshot_index()
                && before.spent.drops == 0
            {
                return owe(
                    Rule::AckResume,
                    format!(
                        "n{} acknowledged index {} above its match index {matched} and below \
                         the leader's last index {last}",
                        m.from, a.index
                    ),
                );
            }
        }
        if has_compacted(leader) {
            return Vec::new();
        }
        match &m.payload {
            Payload::HeartbeatResponse { .. } if matched < last => owe(
                Rule::HeartbeatRepair,
                format!(
                    "its match index for n{} is {matched} < last index {last}",
                    m.from
                ),
            ),
            Payload::AppendEntriesResponse(a)
                if a.reject
                    && !self.flavour.rejection_waits_for_timer
                    && a.index > matched
                    && before.spent.drops == 0
                    && before
                        .nodes
                        .get(m.from)
                        .is_some_and(|p| p.term == leader.term) =>
            {
                owe(
                    Rule::ProbeBackoff,
                    format!(
                        "n{} rejected index {} above its match index {matched}, and nothing else \
                         between them is in flight",
                        m.from, a.index
                    ),
                )
            }
            _ => Vec::new(),
        }
    }
}

/// True when the node took or installed a snapshot: as leader it may be waiting in snapshot
/// state for a peer, where raft-rs and etcd send nothing until the snapshot is reported.
fn has_compacted(node: &NodeState) -> bool {
    node.snapshot.is_some() || node.log.snapshot_index() > 0
}
