//! One node's state and its transitions: the pure `step` of the protocol, shaped like etcd's and
//! raft-rs's `Raft::step` so each rule can be read side by side with the implementation it
//! models. Nothing here does I/O; outgoing messages and events are pushed to a [`Outbox`].

use serde::{Deserialize, Serialize};

use crate::flavour::{Flavour, RejectHint};
use crate::types::{Entry, LogIndex, Message, NodeId, Output, Payload, Role, Term, Value};

/// The state of one node, exactly as much as the spec needs: the persistent state of Raft's
/// Figure 2 (term, vote, log), the commit index, and the volatile state that decides what the
/// node does next (role, known leader, votes counted, match indexes).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeState {
    /// The node's id (`1..=n`).
    pub id: NodeId,
    /// Current term.
    pub term: Term,
    /// Current role.
    pub role: Role,
    /// The candidate voted for in `term`, if any.
    pub vote: Option<NodeId>,
    /// The leader of `term` this node knows of, if any.
    pub leader: Option<NodeId>,
    /// The log; `log[i - 1]` is the entry at index `i`.
    pub log: Vec<Entry>,
    /// Index of the highest entry known to be committed.
    pub commit: LogIndex,
    /// Candidate or pre-candidate only: the (pre-)votes counted so far, by voter
    /// (`votes[id - 1]`), `Some(true)` for a grant. Empty in other roles.
    pub votes: Vec<Option<bool>>,
    /// Leader only: for each peer (`match_index[id - 1]`), the highest index known to be
    /// replicated there. Empty in other roles.
    pub match_index: Vec<LogIndex>,
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
}

/// A real vote or a pre-vote: the two requests share their rules except where noted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VoteKind {
    Vote,
    PreVote,
}

impl VoteKind {
    /// The answer to a request of this kind.
    fn response(self, reject: bool, (commit, commit_term): (LogIndex, Term)) -> Payload {
        match self {
            VoteKind::Vote => Payload::RequestVoteResponse {
                reject,
                commit,
                commit_term,
            },
            VoteKind::PreVote => Payload::RequestPreVoteResponse {
                reject,
                commit,
                commit_term,
            },
        }
    }
}

/// Where a transition puts what it emits, and the cluster facts it needs.
pub struct Outbox<'a> {
    /// The flavour in force.
    pub flavour: &'a Flavour,
    /// Cluster size.
    pub nodes: u64,
    /// Emitted outputs, in emission order.
    pub outputs: Vec<Output>,
    /// A deliberate spec bug in force (tests of the properties only).
    pub mutation: Option<Mutation>,
}

impl<'a> Outbox<'a> {
    /// An empty outbox for a cluster of `nodes` nodes.
    pub fn new(flavour: &'a Flavour, nodes: u64) -> Self {
        Outbox {
            flavour,
            nodes,
            outputs: Vec::new(),
            mutation: None,
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

    fn quorum(&self) -> usize {
        (self.nodes as usize) / 2 + 1
    }
}

impl NodeState {
    /// A node as it first starts: term 0, follower, empty log.
    pub fn new(id: NodeId) -> Self {
        NodeState {
            id,
            term: 0,
            role: Role::Follower,
            vote: None,
            leader: None,
            log: Vec::new(),
            commit: 0,
            votes: Vec::new(),
            match_index: Vec::new(),
        }
    }

    /// Index of the last entry (0 for an empty log).
    pub fn last_index(&self) -> LogIndex {
        self.log.len() as LogIndex
    }

    /// Term of the last entry (0 for an empty log).
    pub fn last_term(&self) -> Term {
        self.log.last().map_or(0, |e| e.term)
    }

    /// The entry at `index`, if the log has one there.
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        if index == 0 {
            None
        } else {
            self.log.get(index as usize - 1)
        }
    }

    /// The term at `index`: 0 at index 0, `None` past the end of the log.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == 0 {
            Some(0)
        } else {
            self.entry(index).map(|e| e.term)
        }
    }

    fn commit_term(&self) -> Term {
        self.term_at(self.commit).unwrap_or(0)
    }

    /// True when a log ending at (`last_index`, `last_term`) is at least as up to date as this
    /// node's (Raft §5.4.1).
    pub fn is_up_to_date(&self, last_index: LogIndex, last_term: Term) -> bool {
        last_term > self.last_term()
            || (last_term == self.last_term() && last_index >= self.last_index())
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
    }

    fn become_follower(&mut self, term: Term, leader: Option<NodeId>) {
        self.reset(term);
        self.leader = leader;
        self.role = Role::Follower;
    }

    fn become_leader(&mut self, out: &mut Outbox) {
        self.reset(self.term);
        self.role = Role::Leader;
        self.leader = Some(self.id);
        self.match_index = vec![0; out.nodes as usize];
        if out.flavour.leader_appends_empty_entry {
            self.log.push(Entry::empty(self.term));
        }
        out.outputs.push(Output::BecomeLeader {
            node: self.id,
            term: self.term,
        });
        self.advance_leader_commit(out);
    }

    /// The election timer fires (raft-rs `hup`, etcd `hup`): a pre-vote round if the flavour has
    /// pre-vote, the election itself otherwise. A leader ignores it.
    pub fn timeout(&mut self, out: &mut Outbox) {
        if self.role == Role::Leader {
            return;
        }
        if out.flavour.pre_vote {
            self.pre_campaign(out);
        } else {
            self.campaign(out);
        }
    }

    /// Becomes a pre-candidate — same term, same vote, no known leader, a fresh tally — and asks
    /// every peer whether it would vote for it at the next term (raft-rs `become_pre_candidate`
    /// and `campaign(CAMPAIGN_PRE_ELECTION)`, etcd `becomePreCandidate`, `campaign`).
    fn pre_campaign(&mut self, out: &mut Outbox) {
        self.role = Role::PreCandidate;
        self.leader = None;
        self.votes = vec![None; out.nodes as usize];
        if self.poll(self.id, true, out) {
            return;
        }
        let (commit, commit_term) = self.vote_commit_info(out);
        for peer in (1..=out.nodes).filter(|&p| p != self.id) {
            out.send(
                self.id,
                peer,
                self.term + 1,
                Payload::RequestPreVote {
                    last_log_index: self.last_index(),
                    last_log_term: self.last_term(),
                    commit,
                    commit_term,
                },
            );
        }
    }

    /// The commit index and its term, as vote messages carry them in this flavour.
    fn vote_commit_info(&self, out: &Outbox) -> (LogIndex, Term) {
        if out.flavour.vote_carries_commit {
            (self.commit, self.commit_term())
        } else {
            (0, 0)
        }
    }

    /// Becomes candidate for the next term, votes for itself and asks every peer for its vote
    /// (raft-rs and etcd `campaign`).
    fn campaign(&mut self, out: &mut Outbox) {
        self.reset(self.term + 1);
        self.role = Role::Candidate;
        self.vote = Some(self.id);
        self.votes = vec![None; out.nodes as usize];
        if self.poll(self.id, true, out) {
            return;
        }
        let (commit, commit_term) = self.vote_commit_info(out);
        for peer in (1..=out.nodes).filter(|&p| p != self.id) {
            out.send(
                self.id,
                peer,
                self.term,
                Payload::RequestVote {
                    last_log_index: self.last_index(),
                    last_log_term: self.last_term(),
                    commit,
                    commit_term,
                },
            );
        }
    }

    /// Records a (pre-)vote and acts on the tally: a won pre-vote starts the election, a won
    /// election makes the leader, a lost one a follower. Returns true when the round is decided.
    fn poll(&mut self, voter: NodeId, granted: bool, out: &mut Outbox) -> bool {
        let slot = &mut self.votes[voter as usize - 1];
        if slot.is_none() {
            *slot = Some(granted);
        }
        let granted = self.votes.iter().filter(|v| **v == Some(true)).count();
        let missing = self.votes.iter().filter(|v| v.is_none()).count();
        if granted >= out.quorum() {
            if self.role == Role::PreCandidate {
                self.campaign(out);
            } else {
                self.become_leader(out);
            }
            true
        } else if granted + missing < out.quorum() {
            self.become_follower(self.term, None);
            true
        } else {
            false
        }
    }

    /// The node crashes and restarts: it keeps what Raft persists (term, vote, log, and the
    /// commit index where the flavour says so) and starts as a follower that knows no leader.
    pub fn restart(&mut self, flavour: &Flavour) {
        self.role = Role::Follower;
        self.leader = None;
        self.votes.clear();
        self.match_index.clear();
        if !flavour.restart_keeps_commit {
            self.commit = 0;
        }
    }

    /// A client asks this node to replicate `value`. A leader appends it; a follower that knows
    /// the leader forwards it; otherwise it is dropped (raft-rs/etcd `ErrProposalDropped`).
    pub fn client_request(&mut self, value: Value, out: &mut Outbox) {
        self.propose(self.id, value, out);
    }

    fn propose(&mut self, origin: NodeId, value: Value, out: &mut Outbox) {
        match (self.role, self.leader) {
            (Role::Leader, _) => {
                self.log.push(Entry::value(self.term, value));
                self.advance_leader_commit(out);
            }
            (Role::Follower, Some(leader)) => {
                out.send(origin, leader, 0, Payload::Propose { value });
            }
            _ => out.outputs.push(Output::ProposalDropped {
                node: self.id,
                value,
            }),
        }
    }

    /// The leader's heartbeat timer fires: every peer gets a heartbeat with a commit index it can
    /// safely apply, `min(match index, commit)` (raft-rs `bcast_heartbeat`).
    pub fn heartbeat(&mut self, out: &mut Outbox) {
        if self.role != Role::Leader {
            return;
        }
        for peer in (1..=out.nodes).filter(|&p| p != self.id) {
            let commit = self.match_index[peer as usize - 1].min(self.commit);
            out.send(self.id, peer, self.term, Payload::Heartbeat { commit });
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
        if m.term > self.term {
            // A pre-vote request is about a future term, and a granted pre-vote carries that
            // future term: neither moves this node to it.
            let future_term = matches!(
                m.payload,
                Payload::RequestPreVote { .. }
                    | Payload::RequestPreVoteResponse { reject: false, .. }
            );
            if !future_term {
                let leader = match m.payload {
                    Payload::AppendEntries { .. } | Payload::Heartbeat { .. } => Some(m.from),
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
                last_log_index,
                last_log_term,
                commit,
                commit_term,
            } => self.handle_request_vote(
                VoteKind::Vote,
                m.from,
                m.term,
                *last_log_index,
                *last_log_term,
                (*commit, *commit_term),
                out,
            ),
            Payload::RequestPreVote {
                last_log_index,
                last_log_term,
                commit,
                commit_term,
            } => self.handle_request_vote(
                VoteKind::PreVote,
                m.from,
                m.term,
                *last_log_index,
                *last_log_term,
                (*commit, *commit_term),
                out,
            ),
            // Each kind of candidate counts only the answers to its own kind of request (raft-rs
            // `step_candidate`, etcd `stepCandidate`): a candidate ignores late pre-vote answers.
            Payload::RequestVoteResponse {
                reject,
                commit,
                commit_term,
            } => {
                if self.role == Role::Candidate {
                    self.poll(m.from, !reject, out);
                    self.maybe_commit_by_vote(*commit, *commit_term, out);
                }
            }
            Payload::RequestPreVoteResponse {
                reject,
                commit,
                commit_term,
            } => {
                if self.role == Role::PreCandidate {
                    self.poll(m.from, !reject, out);
                    self.maybe_commit_by_vote(*commit, *commit_term, out);
                }
            }
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
                        *prev_log_index,
                        *prev_log_term,
                        entries,
                        *commit,
                        out,
                    );
                }
            },
            Payload::AppendEntriesResponse { reject, index, .. } => {
                if self.role == Role::Leader && !reject {
                    let matched = &mut self.match_index[m.from as usize - 1];
                    if *index > *matched {
                        *matched = *index;
                        self.advance_leader_commit(out);
                    }
                }
            }
            Payload::Heartbeat { commit } => match self.role {
                Role::Leader => {}
                Role::PreCandidate | Role::Candidate | Role::Follower => {
                    self.become_follower(self.term, Some(m.from));
                    self.commit = self.commit.max((*commit).min(self.last_index()));
                    let commit = self.reported_commit(out);
                    out.send(
                        self.id,
                        m.from,
                        self.term,
                        Payload::HeartbeatResponse { commit },
                    );
                }
            },
            Payload::HeartbeatResponse { .. } => {}
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
        match m.payload {
            Payload::AppendEntries { .. } | Payload::Heartbeat { .. } if out.flavour.pre_vote => {
                out.send(
                    self.id,
                    m.from,
                    self.term,
                    Payload::AppendEntriesResponse {
                        reject: false,
                        index: 0,
                        reject_hint: 0,
                        hint_term: 0,
                        commit: 0,
                    },
                );
            }
            Payload::RequestPreVote { .. } => out.send(
                self.id,
                m.from,
                self.term,
                Payload::RequestPreVoteResponse {
                    reject: true,
                    commit: 0,
                    commit_term: 0,
                },
            ),
            _ => {}
        }
    }

    /// Answers a vote or pre-vote request (raft-rs `step`, `MsgRequestVote |
    /// MsgRequestPreVote`; etcd `Step`, `MsgVote, MsgPreVote`). A grant carries the request's
    /// term; only a real vote is recorded. A pre-vote for a term above this node's is granted
    /// even by a node that voted or knows a leader, as long as the log is up to date.
    #[allow(clippy::too_many_arguments)]
    fn handle_request_vote(
        &mut self,
        kind: VoteKind,
        candidate: NodeId,
        request_term: Term,
        last_log_index: LogIndex,
        last_log_term: Term,
        candidate_commit: (LogIndex, Term),
        out: &mut Outbox,
    ) {
        let can_vote = self.vote == Some(candidate)
            || (self.vote.is_none() && self.leader.is_none())
            || (kind == VoteKind::PreVote && request_term > self.term)
            || out.mutation == Some(Mutation::VoteTwice);
        let up_to_date = self.is_up_to_date(last_log_index, last_log_term)
            || out.mutation == Some(Mutation::VoteWithoutLogCheck);
        if can_vote && up_to_date {
            if kind == VoteKind::Vote {
                self.vote = Some(candidate);
            }
            out.send(
                self.id,
                candidate,
                request_term,
                kind.response(false, (0, 0)),
            );
        } else {
            let commit_info = self.vote_commit_info(out);
            out.send(
                self.id,
                candidate,
                self.term,
                kind.response(true, commit_info),
            );
            self.maybe_commit_by_vote(candidate_commit.0, candidate_commit.1, out);
        }
    }

    /// raft-rs `maybe_commit_by_vote`: a commit index learned from a vote message is adopted when
    /// this node holds the same entry there (so, by Log Matching, the same committed prefix).
    fn maybe_commit_by_vote(&mut self, commit: LogIndex, commit_term: Term, out: &Outbox) {
        if !out.flavour.vote_carries_commit || commit == 0 || commit_term == 0 {
            return;
        }
        if commit <= self.commit || self.role == Role::Leader {
            return;
        }
        if self.term_at(commit) == Some(commit_term) {
            self.commit = commit;
        }
    }

    fn handle_append_entries(
        &mut self,
        leader: NodeId,
        prev_log_index: LogIndex,
        prev_log_term: Term,
        entries: &[Entry],
        leader_commit: LogIndex,
        out: &mut Outbox,
    ) {
        if prev_log_index < self.commit {
            // Stale append below the commit index: acknowledge what is committed.
            self.answer_append(leader, Ok(self.commit), out);
            return;
        }
        let log_matches = self.term_at(prev_log_index) == Some(prev_log_term)
            || (out.mutation == Some(Mutation::AppendWithoutLogCheck)
                && prev_log_index <= self.last_index());
        if log_matches {
            for (offset, entry) in entries.iter().enumerate() {
                let index = prev_log_index + 1 + offset as LogIndex;
                if self.term_at(index) != Some(entry.term) {
                    self.log.truncate(index as usize - 1);
                    self.log.extend_from_slice(&entries[offset..]);
                    break;
                }
            }
            let last_new = prev_log_index + entries.len() as LogIndex;
            self.commit = self.commit.max(leader_commit.min(last_new));
            self.answer_append(leader, Ok(last_new), out);
        } else {
            let hint = match out.flavour.reject_hint {
                RejectHint::LastIndex => (self.last_index(), 0),
                RejectHint::ConflictByTerm => {
                    let mut hint = prev_log_index.min(self.last_index());
                    while self.term_at(hint).unwrap_or(0) > prev_log_term {
                        hint -= 1;
                    }
                    (hint, self.term_at(hint).unwrap_or(0))
                }
            };
            self.answer_append(leader, Err((prev_log_index, hint)), out);
        }
    }

    /// Sends the answer to an append: `Ok(index)` acknowledges the log up to `index`;
    /// `Err((prev_log_index, (reject_hint, hint_term)))` rejects it. Either carries the commit
    /// index the flavour reports.
    fn answer_append(
        &self,
        leader: NodeId,
        answer: Result<LogIndex, (LogIndex, (LogIndex, Term))>,
        out: &mut Outbox,
    ) {
        let commit = self.reported_commit(out);
        let (reject, index, (reject_hint, hint_term)) = match answer {
            Ok(index) => (false, index, (0, 0)),
            Err((index, hint)) => (true, index, hint),
        };
        out.send(
            self.id,
            leader,
            self.term,
            Payload::AppendEntriesResponse {
                reject,
                index,
                reject_hint,
                hint_term,
                commit,
            },
        );
    }

    /// A leader commits the highest index stored on a quorum (itself included) whose entry is
    /// from its own term (Raft §5.3, §5.4.2).
    fn advance_leader_commit(&mut self, out: &Outbox) {
        if self.role != Role::Leader {
            return;
        }
        let mut matched: Vec<LogIndex> = (1..=out.nodes)
            .map(|id| {
                if id == self.id {
                    self.last_index()
                } else {
                    self.match_index[id as usize - 1]
                }
            })
            .collect();
        matched.sort_unstable_by(|a, b| b.cmp(a));
        let quorum_index = matched[out.quorum() - 1];
        let own_term = self.term_at(quorum_index) == Some(self.term)
            || (out.mutation == Some(Mutation::CommitOldTermByCount)
                && quorum_index <= self.last_index());
        if quorum_index > self.commit && own_term {
            self.commit = quorum_index;
        }
    }

    /// Checks that this node, in this state, may send `m` of its own accord: the messages a
    /// leader sends when it chooses (appends and probes). Returns the reason when it may not.
    pub fn may_send(&self, m: &Message) -> Result<(), String> {
        let Payload::AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            commit,
        } = &m.payload
        else {
            return Err(format!(
                "a {} is only sent in reply to an input, never of a node's own accord",
                m.payload.kind()
            ));
        };
        if m.from != self.id {
            return Err(format!(
                "sent by n{} but from field says n{}",
                self.id, m.from
            ));
        }
        if self.role != Role::Leader {
            return Err(format!(
                "n{} is a {} at term {}; only a leader sends appends",
                self.id, self.role, self.term
            ));
        }
        if m.to == self.id {
            return Err(format!("n{} sends an append to itself", self.id));
        }
        if m.term != self.term {
            return Err(format!(
                "carries term {} but the leader's term is {}",
                m.term, self.term
            ));
        }
        match self.term_at(*prev_log_index) {
            None => {
                return Err(format!(
                    "prev_log_index {} is past the leader's last index {}",
                    prev_log_index,
                    self.last_index()
                ))
            }
            Some(t) if t != *prev_log_term => {
                return Err(format!(
                    "prev_log_term {} but the leader's entry {} has term {}",
                    prev_log_term, prev_log_index, t
                ))
            }
            Some(_) => {}
        }
        for (offset, entry) in entries.iter().enumerate() {
            let index = prev_log_index + 1 + offset as LogIndex;
            match self.entry(index) {
                Some(own) if own == entry => {}
                Some(own) => {
                    return Err(format!(
                        "entries[{offset}] is {entry} but the leader's entry {index} is {own}"
                    ))
                }
                None => {
                    return Err(format!(
                        "entries[{offset}] ({entry}) is past the leader's last index {}",
                        self.last_index()
                    ))
                }
            }
        }
        if *commit > self.commit {
            return Err(format!(
                "carries commit {} but the leader's commit index is {}",
                commit, self.commit
            ));
        }
        Ok(())
    }

    /// The appends a leader may choose to send in spec-only mode: to each peer, from each
    /// possible previous index, all entries after it, with the leader's commit index.
    pub fn send_menu(&self, nodes: u64, menu: &mut Vec<Message>) {
        if self.role != Role::Leader {
            return;
        }
        for peer in (1..=nodes).filter(|&p| p != self.id) {
            for prev in 0..=self.last_index() {
                menu.push(Message {
                    from: self.id,
                    to: peer,
                    term: self.term,
                    payload: Payload::AppendEntries {
                        prev_log_index: prev,
                        prev_log_term: self.term_at(prev).unwrap_or(0),
                        entries: self.log[prev as usize..].to_vec(),
                        commit: self.commit,
                    },
                });
            }
        }
    }
}
