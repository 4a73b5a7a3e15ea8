//! One node's state and its transitions: the pure `step` of the protocol, shaped like etcd's and
//! raft-rs's `Raft::step` so each rule can be read side by side with the implementation it
//! models. Nothing here does I/O; outgoing messages and events are pushed to an [`Outbox`].
//!
//! The rules are split by concern: this module holds the node's state, role changes, restarts
//! and the term handling every message goes through; `election` the (pre-)campaign, voting
//! and vote counting; `replication` proposals, appends, heartbeats and the leader's commit
//! index; `membership` configuration-change proposals and applying committed entries (the
//! application's side: the state machine and `apply_conf_change`); `snapshot` compaction,
//! sending and installing snapshots.

mod election;
mod membership;
mod replication;
mod snapshot;

pub use membership::conf_change_menu;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::configuration::Configuration;
use crate::flavour::Flavour;
use crate::idmap::IdMap;
use crate::log::Log;
use crate::types::{
    AppendAnswer, Entry, LogIndex, Message, NodeId, Output, Payload, Role, Snapshot, Term, Value,
};

/// The state of one node, exactly as much as the spec needs: the persistent state of Raft's
/// Figure 2 (term, vote, log), the commit index, the configuration the node works in, and the
/// volatile state that decides what the node does next (role, known leader, votes counted,
/// match indexes).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeState {
    /// The node's id.
    pub id: NodeId,
    /// Current term.
    pub term: Term,
    /// Current role.
    pub role: Role,
    /// The candidate voted for in `term`, if any.
    pub vote: Option<NodeId>,
    /// The leader of `term` this node knows of, if any.
    pub leader: Option<NodeId>,
    /// The log.
    pub log: Log,
    /// Index of the highest entry known to be committed.
    pub commit: LogIndex,
    /// The membership this node works with: whom it asks for votes, whom it replicates to, and
    /// what makes a quorum. Shared between the nodes and states that have the same one, since
    /// it changes only with the membership.
    pub config: Arc<Configuration>,
    /// Candidate or pre-candidate only: the (pre-)votes counted so far, by voter, `true` for a
    /// grant. Empty in other roles.
    pub votes: IdMap<bool>,
    /// Leader only: for each peer of its configuration, the highest index known to be
    /// replicated there. Empty in other roles.
    pub match_index: IdMap<LogIndex>,
    /// Index of the last entry the application has applied. Entries are applied as soon as
    /// they are committed, in the same step, so outside a step `applied == commit` (raft-rs/etcd
    /// `applied`; the application persists it with its state machine).
    pub applied: LogIndex,
    /// The application's state machine: the client values applied, in log order.
    pub state_machine: Vec<Value>,
    /// Leader only: the index of the last configuration change this leader may not yet have
    /// applied; a new one is refused while `pending_conf_index > applied` (raft-rs
    /// `pending_conf_index`, etcd `pendingConfIndex`). 0 in other roles.
    pub pending_conf_index: LogIndex,
    /// The last snapshot this node took (by compacting) or installed, if any. It is what the
    /// node sends as leader to a follower that needs compacted entries.
    pub snapshot: Option<Arc<Snapshot>>,
}

/// Deliberate spec bugs, each of which some safety property must catch.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// Voters ignore the up-to-date check (Raft §5.4.1): a stale candidate can win.
    VoteWithoutLogCheck,
    /// Voters grant every request, even a second one in the same term.
    VoteTwice,
    /// Leaders commit entries of earlier terms by counting replicas (Raft Figure 8).
    CommitOldTermByCount,
    /// Followers append without checking the previous entry.
    AppendWithoutLogCheck,
    /// A restart forgets the commit index although the flavour keeps it.
    RestartForgetsCommit,
    /// Leaders accept a configuration change while another is still pending.
    ConfChangeWhilePending,
    /// Leaders in a joint configuration commit by a majority of the incoming voters alone.
    CommitByIncomingOnly,
    /// Compaction snapshots the whole log, committed or not.
    CompactPastApplied,
}

/// Where a transition puts what it emits, and the facts of the run it needs.
pub struct Outbox<'a> {
    /// The flavour in force.
    pub flavour: &'a Flavour,
    /// Emitted outputs, in emission order.
    pub outputs: Vec<Output>,
    /// A deliberate spec bug in force (tests of the properties only).
    pub mutation: Option<Mutation>,
    /// Set when the step installed a snapshot on its node (for the history).
    pub installed_snapshot: bool,
    /// Every advance of a leader's commit index in the step, as (from, to, the configuration
    /// that decided it), for the history's quorum check.
    pub leader_commits: Vec<(LogIndex, LogIndex, Arc<Configuration>)>,
}

impl<'a> Outbox<'a> {
    /// An empty outbox.
    pub fn new(flavour: &'a Flavour) -> Self {
        Outbox {
            flavour,
            outputs: Vec::new(),
            mutation: None,
            installed_snapshot: false,
            leader_commits: Vec::new(),
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, term: Term, payload: Payload) {
        self.outputs.push(Output::Send {
            message: Message {
                from,
                to,
                term,
                payload,
            },
        });
    }
}

impl NodeState {
    /// A node as it first starts: term 0, follower, empty log, working in `config`.
    pub fn new(id: NodeId, config: impl Into<Arc<Configuration>>) -> Self {
        NodeState {
            id,
            term: 0,
            role: Role::Follower,
            vote: None,
            leader: None,
            log: Log::new(),
            commit: 0,
            config: config.into(),
            votes: IdMap::new(),
            match_index: IdMap::new(),
            applied: 0,
            state_machine: Vec::new(),
            pending_conf_index: 0,
            snapshot: None,
        }
    }

    /// True unless the node is a spare that nothing has reached yet: outside its configuration,
    /// still at term 0.
    pub fn takes_part(&self) -> bool {
        self.config.contains(self.id) || self.term > 0
    }

    /// Index of the last entry (0 for an empty log).
    pub fn last_index(&self) -> LogIndex {
        self.log.last_index()
    }

    /// Term of the last entry (0 for an empty log).
    pub fn last_term(&self) -> Term {
        self.log.last_term()
    }

    /// The entry at `index`, if the log holds one there.
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        self.log.entry(index)
    }

    /// The term at `index`: 0 at index 0, `None` past the end of the log (see [`Log::term_at`]).
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        self.log.term_at(index)
    }

    /// True when a log ending at (`last_index`, `last_term`) is at least as up to date as this
    /// node's (Raft §5.4.1).
    pub fn is_up_to_date(&self, last_index: LogIndex, last_term: Term) -> bool {
        self.log.is_up_to_date(last_index, last_term)
    }

    fn commit_term(&self) -> Term {
        self.log.term_at(self.commit).unwrap_or(0)
    }

    /// Moves to `term` (forgetting the vote if the term changes) and clears what belongs to a
    /// role (raft-rs/etcd `reset`).
    fn reset(&mut self, term: Term) {
        if self.term != term {
            self.term = term;
            self.vote = None;
        }
        self.leader = None;
        self.votes.clear();
        self.match_index.clear();
        self.pending_conf_index = 0;
    }

    fn become_follower(&mut self, term: Term, leader: Option<NodeId>) {
        self.reset(term);
        self.leader = leader;
        self.role = Role::Follower;
    }

    /// Takes office after winning an election: every peer of the configuration starts at match
    /// index 0, and the flavour's empty entry is appended (raft-rs/etcd `become_leader`).
    fn become_leader(&mut self, out: &mut Outbox) {
        self.reset(self.term);
        self.role = Role::Leader;
        self.leader = Some(self.id);
        self.match_index = self.config.peers(self.id).map(|p| (p, 0)).collect();
        // Any configuration change in the log may still be unapplied: none is accepted until
        // everything up to here is (raft-rs/etcd `becomeLeader`).
        self.pending_conf_index = self.last_index();
        if out.flavour.leader_appends_empty_entry {
            self.log.push(Entry::empty(self.term));
        }
        out.outputs.push(Output::BecomeLeader {
            node: self.id,
            term: self.term,
        });
        self.advance_leader_commit(out);
    }

    /// The node crashes and restarts: it keeps what Raft persists (term, vote, log, snapshot,
    /// and the commit index where the flavour says so) and what the application persists (its
    /// state machine, applied index and configuration), and starts as a follower that knows no
    /// leader. Without a durable commit index it restarts from its snapshot's index, which it
    /// knows to be committed.
    pub fn restart(&mut self, flavour: &Flavour) {
        self.role = Role::Follower;
        self.leader = None;
        self.votes.clear();
        self.match_index.clear();
        self.pending_conf_index = 0;
        if !flavour.restart_keeps_commit {
            self.commit = self.log.snapshot_index();
        }
    }

    /// A leader steps down to follower at its own term, knowing no leader and keeping its
    /// vote (hashicorp `checkLeaderLease` and `leaderLoop` on `stepDown`; see
    /// `Flavour::lease_step_down`). Any other role ignores it.
    pub fn step_down(&mut self) {
        if self.role == Role::Leader {
            self.become_follower(self.term, None);
        }
    }

    /// The node receives `m` (raft-rs/etcd `Raft::step`): term handling first, then the
    /// message's own rule for the node's role.
    pub fn receive(&mut self, m: &Message, out: &mut Outbox) {
        if let Payload::Propose { value } = m.payload {
            // Proposals travel outside the term discipline (term 0).
            self.propose(m.from, value, out);
            return;
        }
        if m.payload.is_response() && !self.config.contains(m.from) {
            // raft-rs and etcd `RawNode::step`: an answer from a node without progress here
            // (outside the configuration) is refused before the term is even looked at.
            return;
        }
        if let Payload::RequestVote { pre: false, .. } = m.payload {
            if out.flavour.vote_refused_while_leader_known
                && self.leader.is_some_and(|leader| leader != m.from)
            {
                // hashicorp `requestVote`: a known leader settles it, before the term is looked
                // at (see `Flavour::vote_refused_while_leader_known`).
                self.refuse_vote(m.from, false, out);
                return;
            }
        }
        if m.term > self.term {
            // A pre-vote request is about a future term, and a granted pre-vote carries that
            // future term: neither moves this node to it.
            let future_term = matches!(
                m.payload,
                Payload::RequestVote { pre: true, .. }
                    | Payload::RequestVoteResponse {
                        pre: true,
                        reject: false,
                        ..
                    }
            );
            if !future_term {
                let leader = match m.payload {
                    Payload::AppendEntries { .. }
                    | Payload::Heartbeat { .. }
                    | Payload::Snapshot { .. } => Some(m.from),
                    _ => None,
                };
                self.become_follower(m.term, leader);
            }
        } else if m.term < self.term {
            self.answer_stale(m, out);
            return;
        }
        match &m.payload {
            Payload::RequestVote {
                pre,
                last_log_index,
                last_log_term,
                commit,
                commit_term,
            } => self.handle_request_vote(
                m.from,
                m.term,
                *pre,
                (*last_log_index, *last_log_term),
                (*commit, *commit_term),
                out,
            ),
            Payload::RequestVoteResponse {
                pre,
                reject,
                commit,
                commit_term,
            } => self.handle_vote_response(m.from, *pre, *reject, (*commit, *commit_term), out),
            Payload::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                commit,
            } => match self.role {
                Role::Leader => {} // another leader in the same term: impossible, ignored
                Role::PreCandidate | Role::Candidate | Role::Follower => {
                    self.become_follower(self.term, Some(m.from));
                    self.handle_append_entries(
                        m.from,
                        (*prev_log_index, *prev_log_term),
                        entries,
                        *commit,
                        out,
                    );
                }
            },
            Payload::AppendEntriesResponse(a) => {
                self.handle_append_response(m.from, a.reject, a.index, out)
            }
            Payload::Heartbeat { commit } => match self.role {
                Role::Leader => {}
                Role::PreCandidate | Role::Candidate | Role::Follower => {
                    self.become_follower(self.term, Some(m.from));
                    self.handle_heartbeat(m.from, *commit, out);
                }
            },
            Payload::HeartbeatResponse { .. } => {}
            Payload::Snapshot { snapshot } => match self.role {
                Role::Leader => {}
                Role::PreCandidate | Role::Candidate | Role::Follower => {
                    self.become_follower(self.term, Some(m.from));
                    self.handle_snapshot(m.from, snapshot, out);
                }
            },
            Payload::Propose { .. } => unreachable!("handled above"),
        }
    }

    /// The commit index this node reports in responses, per the flavour.
    fn reported_commit(&self, out: &Outbox) -> LogIndex {
        if out.flavour.responses_carry_commit {
            self.commit
        } else {
            0
        }
    }

    /// A message from an older term (raft-rs and etcd `Step`, `m.term < term`). With pre-vote
    /// on, an append or heartbeat gets an empty `AppendEntriesResponse` at this node's term, so
    /// a deposed leader learns the newer term; a pre-vote request gets a refusal at this node's
    /// term. Everything else is ignored.
    fn answer_stale(&self, m: &Message, out: &mut Outbox) {
        if out.flavour.stale_requests_rejected {
            match m.payload {
                Payload::AppendEntries { prev_log_index, .. } => {
                    // hashicorp `appendEntries`: the response set up with the current term and
                    // the last index is sent as it is.
                    let commit = self.reported_commit(out);
                    out.send(
                        self.id,
                        m.from,
                        self.term,
                        Payload::AppendEntriesResponse(AppendAnswer::rejection(
                            prev_log_index,
                            (self.last_index(), 0),
                            commit,
                        )),
                    );
                    return;
                }
                Payload::RequestVote { pre: false, .. } => {
                    self.refuse_vote(m.from, false, out);
                    return;
                }
                _ => {}
            }
        }
        match m.payload {
            Payload::AppendEntries { .. } | Payload::Heartbeat { .. } if out.flavour.pre_vote => {
                out.send(
                    self.id,
                    m.from,
                    self.term,
                    Payload::AppendEntriesResponse(AppendAnswer::ack(0, 0)),
                );
            }
            Payload::RequestVote { pre: true, .. } => out.send(
                self.id,
                m.from,
                self.term,
                Payload::RequestVoteResponse {
                    pre: true,
                    reject: true,
                    commit: 0,
                    commit_term: 0,
                },
            ),
            _ => {}
        }
    }
}
