//! Log replication (Raft §5.3, §5.4.2): client proposals, appends and their answers,
//! heartbeats, the leader's commit index, and what a leader may send of its own accord.

use super::{Mutation, NodeState, Outbox};
use crate::flavour::RejectHint;
use crate::types::{
    AppendAnswer, Entry, LogIndex, Message, NodeId, Output, Payload, Role, Term, Value,
};

impl NodeState {
    /// A client asks this node to replicate `value`. A leader appends it; a follower that knows
    /// the leader forwards it; otherwise it is dropped (raft-rs/etcd `ErrProposalDropped`).
    pub fn client_request(&mut self, value: Value, out: &mut Outbox) {
        self.propose(self.id, value, out);
    }

    pub(super) fn propose(&mut self, origin: NodeId, value: Value, out: &mut Outbox) {
        match (self.role, self.leader) {
            (Role::Leader, _) if !self.config.contains(self.id) => {
                // A leader removed from its configuration takes no new proposals (raft-rs and
                // etcd `stepLeader`, `MsgProp`).
                out.outputs.push(Output::ProposalDropped {
                    node: self.id,
                    value,
                })
            }
            (Role::Leader, _) => {
                self.log.push(Entry::value(self.term, value));
                self.advance_leader_commit(out);
            }
            (Role::Follower, Some(leader)) => {
                let from = if out.flavour.forward_as_self {
                    self.id
                } else {
                    origin
                };
                out.send(from, leader, 0, Payload::Propose { value });
            }
            _ => out.outputs.push(Output::ProposalDropped {
                node: self.id,
                value,
            }),
        }
    }

    /// The leader's heartbeat timer fires: every peer gets a heartbeat with a commit index it can
    /// safely apply, `min(match index, commit)` (raft-rs `bcast_heartbeat`).
    /// With `Flavour::heartbeat_sends_appends` the timer asks for nothing in particular: the
    /// appends the leader sends are judged as any it sends of its own accord.
    pub fn heartbeat(&mut self, out: &mut Outbox) {
        if self.role != Role::Leader || out.flavour.heartbeat_sends_appends {
            return;
        }
        for peer in self.config.peers(self.id) {
            let matched = self.match_index.get(peer).copied().unwrap_or(0);
            let commit = matched.min(self.commit);
            out.send(self.id, peer, self.term, Payload::Heartbeat { commit });
        }
    }

    /// A follower's rule for an append from the leader of its term (raft-rs `handle_append_entries`
    /// and `maybe_append`, etcd `handleAppendEntries`).
    pub(super) fn handle_append_entries(
        &mut self,
        leader: NodeId,
        (prev_log_index, prev_log_term): (LogIndex, Term),
        entries: &[Entry],
        leader_commit: LogIndex,
        out: &mut Outbox,
    ) {
        let checked_below_commit =
            out.flavour.append_checks_below_commit && prev_log_index >= self.log.snapshot_index();
        if prev_log_index < self.commit && !checked_below_commit {
            // Stale append below the commit index: acknowledge what is committed.
            self.answer_append(leader, Ok(self.commit), out);
            return;
        }
        let log_matches = self.log.term_at(prev_log_index) == Some(prev_log_term)
            || (out.mutation == Some(Mutation::AppendWithoutLogCheck)
                && prev_log_index <= self.last_index());
        if log_matches {
            if let Some(offset) = self.log.find_conflict(prev_log_index, entries) {
                // Past the commit index (or, where the flavour checks appends below it, past
                // the previous entry, itself not compacted), so past any compacted prefix, and
                // at most one past the last matching entry.
                self.log
                    .append_at(prev_log_index + 1 + offset as LogIndex, &entries[offset..])
                    .expect("a conflict lies past the compacted prefix and at most one past the log's end");
            }
            let last_new = prev_log_index + entries.len() as LogIndex;
            self.commit = self.commit.max(leader_commit.min(last_new));
            self.answer_append(leader, Ok(last_new), out);
        } else {
            let hint = match out.flavour.reject_hint {
                RejectHint::LastIndex => (self.last_index(), 0),
                RejectHint::ConflictByTerm => self
                    .log
                    .find_conflict_by_term(prev_log_index, prev_log_term),
                RejectHint::BeforePrevious if prev_log_index > self.last_index() => {
                    (self.last_index(), 0)
                }
                RejectHint::BeforePrevious => (prev_log_index.saturating_sub(1), 0),
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
        let answer = match answer {
            Ok(index) => AppendAnswer::ack(index, commit),
            Err((index, hint)) => AppendAnswer::rejection(index, hint, commit),
        };
        out.send(
            self.id,
            leader,
            self.term,
            Payload::AppendEntriesResponse(answer),
        );
    }

    /// A leader learns that `peer` holds its log up to `index`. Answers from nodes outside the
    /// configuration are ignored (raft-rs and etcd find no progress for them).
    pub(super) fn handle_append_response(
        &mut self,
        peer: NodeId,
        reject: bool,
        index: LogIndex,
        out: &mut Outbox,
    ) {
        if self.role != Role::Leader || reject {
            return;
        }
        if let Some(matched) = self.match_index.get_mut(peer) {
            if index > *matched {
                *matched = index;
                self.advance_leader_commit(out);
            }
        }
    }

    /// A follower's rule for a heartbeat: no log check, the commit index moves up to what the
    /// leader vouches for, within the follower's log.
    pub(super) fn handle_heartbeat(&mut self, leader: NodeId, commit: LogIndex, out: &mut Outbox) {
        self.commit = self.commit.max(commit.min(self.last_index()));
        let commit = self.reported_commit(out);
        out.send(
            self.id,
            leader,
            self.term,
            Payload::HeartbeatResponse { commit },
        );
    }

    /// A leader commits the highest index its configuration's quorum has stored (itself
    /// included, at its last index) whose entry is from its own term (Raft §5.3, §5.4.2).
    pub(super) fn advance_leader_commit(&mut self, out: &mut Outbox) {
        if self.role != Role::Leader {
            return;
        }
        let acked = |id| {
            if id == self.id {
                Some(self.last_index())
            } else {
                self.match_index.get(id).copied()
            }
        };
        let quorum_index = if out.mutation == Some(Mutation::CommitByIncomingOnly) {
            self.config.voters.incoming.committed_index(acked)
        } else {
            self.config.committed_index(acked)
        };
        let own_term = self.log.term_at(quorum_index) == Some(self.term)
            || (out.mutation == Some(Mutation::CommitOldTermByCount)
                && quorum_index <= self.last_index());
        if quorum_index > self.commit && own_term {
            out.leader_commits
                .push((self.commit, quorum_index, self.config.clone()));
            self.commit = quorum_index;
        }
    }

    /// Checks that this node, in this state, may send `m` of its own accord: the messages a
    /// leader sends when it chooses (appends and probes). Returns the reason when it may not.
    pub fn may_send(&self, m: &Message) -> Result<(), String> {
        if !matches!(
            m.payload,
            Payload::AppendEntries { .. } | Payload::Snapshot { .. }
        ) {
            return Err(format!(
                "a {} is only sent in reply to an input, never of a node's own accord",
                m.payload.kind()
            ));
        }
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
        if !self.config.contains(m.to) {
            return Err(format!(
                "n{} is not in the configuration of leader n{}",
                m.to, self.id
            ));
        }
        if m.term != self.term {
            return Err(format!(
                "carries term {} but the leader's term is {}",
                m.term, self.term
            ));
        }
        let Payload::AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            commit,
        } = &m.payload
        else {
            let Payload::Snapshot { snapshot } = &m.payload else {
                unreachable!("checked above")
            };
            return self.may_send_snapshot(snapshot);
        };
        if let Some(reason) = self.compacted_append(*prev_log_index) {
            return Err(reason);
        }
        match self.log.term_at(*prev_log_index) {
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
            match self.log.entry(index) {
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

    /// Checks that this node, which led term `m.term` and has moved on (to a later term, or to
    /// follower in that term), may still send the append `m` of that term built from its current log
    /// and commit index: everything [`NodeState::may_send`] checks of a leader of that term
    /// with this node's log, commit index and configuration (flavours with
    /// `Flavour::stale_leader_sends_current_log`; that it led `m.term` is the caller's to
    /// know).
    pub fn may_send_for_past_term(&self, m: &Message) -> Result<(), String> {
        // Of its own term only once it stepped down to follower (a candidate of a term never
        // led it).
        if m.term > self.term || (m.term == self.term && self.role != Role::Follower) {
            return Err(format!(
                "carries term {} but n{} is at term {} as a {}",
                m.term, self.id, self.term, self.role
            ));
        }
        let mut as_then = self.clone();
        as_then.role = Role::Leader;
        as_then.term = m.term;
        as_then.may_send(m)
    }

    /// The appends a leader may choose to send in spec-only mode: to each peer of its
    /// configuration, from each previous index its log can vouch for, all entries after it, with
    /// the leader's commit index; and its snapshot to the peers that may need it.
    pub fn send_menu(&self, menu: &mut Vec<Message>) {
        if self.role != Role::Leader {
            return;
        }
        self.snapshot_menu(menu);
        for peer in self.config.peers(self.id) {
            for prev in self.first_append_prev()..=self.last_index() {
                let entries = self
                    .log
                    .entries_after(prev)
                    .expect("prev is between the snapshot index and the last index");
                menu.push(Message {
                    from: self.id,
                    to: peer,
                    term: self.term,
                    payload: Payload::AppendEntries {
                        prev_log_index: prev,
                        prev_log_term: self.log.term_at(prev).unwrap_or(0),
                        entries: entries.to_vec(),
                        commit: self.commit,
                    },
                });
            }
        }
    }
}
