//! Elections: the election timer, (pre-)campaigns, answering vote requests and counting the
//! answers (Raft §5.2, §5.4.1; pre-vote, Raft thesis §9.6). A real vote and a pre-vote share
//! every rule here except where `pre` says otherwise.

use super::{Mutation, NodeState, Outbox};
use crate::quorum::VoteResult;
use crate::types::{LogIndex, NodeId, Payload, Role, Term};

impl NodeState {
    /// The election timer fires (raft-rs `hup`, etcd `hup`): a pre-vote round if the flavour has
    /// pre-vote, the election itself otherwise. A leader ignores it.
    pub fn timeout(&mut self, out: &mut Outbox) {
        if self.role == Role::Leader {
            return;
        }
        self.campaign(out.flavour.pre_vote, out);
    }

    /// Starts a round and asks every other voter of the configuration (raft-rs and etcd
    /// `campaign`).
    ///
    /// A pre-vote round (`pre`) makes a pre-candidate — same term, same vote, no known leader,
    /// a fresh tally — that asks whether it would get a vote at the next term (raft-rs
    /// `become_pre_candidate`, etcd `becomePreCandidate`). A real one makes a candidate for the
    /// next term that votes for itself.
    fn campaign(&mut self, pre: bool, out: &mut Outbox) {
        let request_term = if pre {
            self.role = Role::PreCandidate;
            self.leader = None;
            self.votes.clear();
            self.term + 1
        } else {
            self.reset(self.term + 1);
            self.role = Role::Candidate;
            self.vote = Some(self.id);
            self.term
        };
        if self.poll(self.id, true, out) {
            return;
        }
        let (commit, commit_term) = self.vote_commit_info(out);
        for peer in self.config.voting_peers(self.id) {
            out.send(
                self.id,
                peer,
                request_term,
                Payload::RequestVote {
                    pre,
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

    /// Records a (pre-)vote — the first answer of each voter counts (raft-rs `record_vote`,
    /// etcd `RecordVote`) — and acts on what the configuration's quorum makes of the tally: a
    /// won pre-vote starts the election, a won election makes the leader, a lost one a
    /// follower. Returns true when the round is decided.
    fn poll(&mut self, voter: NodeId, granted: bool, out: &mut Outbox) -> bool {
        self.votes.or_insert(voter, granted);
        match self.config.vote_result(|id| self.votes.get(id).copied()) {
            VoteResult::Won => {
                if self.role == Role::PreCandidate {
                    self.campaign(false, out);
                } else {
                    self.become_leader(out);
                }
                true
            }
            VoteResult::Lost => {
                self.become_follower(self.term, None);
                true
            }
            VoteResult::Pending => false,
        }
    }

    /// Answers a vote or pre-vote request (raft-rs `step`, `MsgRequestVote |
    /// MsgRequestPreVote`; etcd `Step`, `MsgVote, MsgPreVote`). A grant carries the request's
    /// term; only a real vote is recorded. A pre-vote for a term above this node's is granted
    /// even by a node that voted or knows a leader, as long as the log is up to date.
    pub(super) fn handle_request_vote(
        &mut self,
        candidate: NodeId,
        request_term: Term,
        pre: bool,
        (last_log_index, last_log_term): (LogIndex, Term),
        candidate_commit: (LogIndex, Term),
        out: &mut Outbox,
    ) {
        let can_vote = if out.flavour.vote_once_per_term && !pre {
            self.vote.is_none()
        } else {
            self.vote == Some(candidate) || (self.vote.is_none() && self.leader.is_none())
        };
        let can_vote = can_vote
            || (pre && request_term > self.term)
            || out.mutation == Some(Mutation::VoteTwice);
        let up_to_date = self.is_up_to_date(last_log_index, last_log_term)
            || out.mutation == Some(Mutation::VoteWithoutLogCheck);
        if can_vote && up_to_date {
            if !pre {
                self.vote = Some(candidate);
            }
            out.send(
                self.id,
                candidate,
                request_term,
                Payload::RequestVoteResponse {
                    pre,
                    reject: false,
                    commit: 0,
                    commit_term: 0,
                },
            );
        } else {
            self.refuse_vote(candidate, pre, out);
            self.maybe_commit_by_vote(candidate_commit, out);
        }
    }

    /// Refuses a (pre-)vote at this node's term, with the commit index the flavour puts in
    /// refusals; with `Flavour::vote_refusals_silent`, a real vote is refused by saying nothing.
    pub(super) fn refuse_vote(&self, candidate: NodeId, pre: bool, out: &mut Outbox) {
        if out.flavour.vote_refusals_silent && !pre {
            return;
        }
        let (commit, commit_term) = self.vote_commit_info(out);
        out.send(
            self.id,
            candidate,
            self.term,
            Payload::RequestVoteResponse {
                pre,
                reject: true,
                commit,
                commit_term,
            },
        );
    }

    /// Counts an answer to this node's own kind of request (raft-rs `step_candidate`, etcd
    /// `stepCandidate`): a candidate ignores late pre-vote answers, a pre-candidate
    /// ignores answers to real votes.
    pub(super) fn handle_vote_response(
        &mut self,
        voter: NodeId,
        pre: bool,
        reject: bool,
        voter_commit: (LogIndex, Term),
        out: &mut Outbox,
    ) {
        let asked = if pre {
            Role::PreCandidate
        } else {
            Role::Candidate
        };
        if self.role == asked {
            self.poll(voter, !reject, out);
            self.maybe_commit_by_vote(voter_commit, out);
        }
    }

    /// raft-rs `maybe_commit_by_vote`: a commit index learned from a vote message is adopted when
    /// this node holds the same entry there (so, by Log Matching, the same committed prefix). A
    /// (pre-)candidate that so commits a configuration change steps down to follower at its
    /// term, knowing no leader (`num_pending_conf` of the newly committed entries, then
    /// `become_follower(term, INVALID_ID)`: "we assume quorum won't change during election").
    fn maybe_commit_by_vote(&mut self, (commit, commit_term): (LogIndex, Term), out: &Outbox) {
        if !out.flavour.vote_carries_commit || commit == 0 || commit_term == 0 {
            return;
        }
        if commit <= self.commit || self.role == Role::Leader {
            return;
        }
        if self.term_at(commit) != Some(commit_term) {
            return;
        }
        let newly_committed = self.commit + 1..=commit;
        self.commit = commit;
        if matches!(self.role, Role::Candidate | Role::PreCandidate)
            && newly_committed
                .into_iter()
                .any(|i| self.log.entry(i).is_some_and(|e| e.conf.is_some()))
        {
            self.become_follower(self.term, None);
        }
    }
}
