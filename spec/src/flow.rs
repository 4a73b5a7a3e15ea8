//! Flow control within one step: how the appends one leader sends one peer in a single step
//! fit together.
//!
//! Which append a leader sends is its own choice ([`crate::RaftModel::may_send`] judges each
//! one alone), but the raft-rs and etcd families choose from a next index per peer that moves
//! as they send: in replicate state the leader advances it past the entries it just sent, before
//! it builds the next message (raft-rs `Progress::update_state` → `optimistic_update(last)`;
//! etcd 3.4 `maybeSendAppend` → `pr.OptimisticUpdate(last)`; v3.6 `UpdateOnEntriesSend`); in
//! probe state an append with entries pauses the peer, so nothing more follows in the step, and
//! an empty one leaves the next index where it was; a snapshot puts the peer in snapshot state,
//! which is paused until the snapshot is acknowledged or reported. So within one step each
//! further append to a peer starts exactly where the previous one ended — its previous index is
//! the previous append's last index — and nothing follows a snapshot.
//!
//! The rule catches the bug class of a next index that does not move past what was sent (an
//! off-by-one in the optimistic update): the leader resends entries still in flight, up to its
//! whole inflight window in one step, which no safety property and no state comparison ever
//! notices. It holds for the flavours with [`crate::Flavour::appends_follow_on`].

use std::collections::BTreeMap;

use crate::types::{LogIndex, Message, NodeId, Output, Payload, Term};
use crate::RaftModel;

/// Where a leader's conversation with one peer stands within the step.
enum Sent {
    /// The last append ended at this index: the next one must start there.
    AppendUpTo(LogIndex),
    /// A snapshot was sent: nothing may follow.
    Snapshot(LogIndex),
}

impl RaftModel {
    /// The sends among one step's `outputs` that break the follow-on rule of [`crate::flow`]:
    /// the first of each leader–peer conversation, with the reason (and how many more followed
    /// it, as a leader resending its whole inflight window repeats one message hundreds of
    /// times). Empty for flavours without [`crate::Flavour::appends_follow_on`].
    pub fn flow_violations<'o>(&self, outputs: &'o [Output]) -> Vec<(&'o Message, String)> {
        if !self.flavour.appends_follow_on {
            return Vec::new();
        }
        let mut sent: BTreeMap<(NodeId, NodeId, Term), Sent> = BTreeMap::new();
        // Per conversation: where its first violation is in `violations`, and how many followed.
        let mut found: BTreeMap<(NodeId, NodeId, Term), (usize, usize)> = BTreeMap::new();
        let mut violations: Vec<(&Message, String)> = Vec::new();
        for m in outputs.iter().filter_map(Output::sent) {
            let (start, now) = match &m.payload {
                Payload::AppendEntries {
                    prev_log_index,
                    entries,
                    ..
                } => (
                    *prev_log_index,
                    Sent::AppendUpTo(prev_log_index + entries.len() as LogIndex),
                ),
                Payload::Snapshot { snapshot } => (snapshot.index, Sent::Snapshot(snapshot.index)),
                _ => continue,
            };
            let key = (m.from, m.to, m.term);
            let why = match sent.get(&key) {
                Some(Sent::AppendUpTo(end))
                    if start != *end || matches!(now, Sent::Snapshot(_)) =>
                {
                    let what = if matches!(now, Sent::Snapshot(_)) {
                        "a snapshot".to_string()
                    } else {
                        format!("prev_log_index {start}")
                    };
                    Some(format!(
                        "follow-on: n{}'s previous append to n{} in this step ended at index \
                         {end}, so the next starts there (prev_log_index {end}), not with \
                         {what}: the next index moves past what is sent",
                        m.from, m.to
                    ))
                }
                Some(Sent::Snapshot(index)) => Some(format!(
                    "follow-on: n{} sent n{} a snapshot at index {index} in this step, which \
                     leaves the peer paused in snapshot state; nothing follows it",
                    m.from, m.to
                )),
                _ => None,
            };
            if let Some(why) = why {
                match found.get_mut(&key) {
                    Some((_, more)) => *more += 1,
                    None => {
                        found.insert(key, (violations.len(), 0));
                        violations.push((m, why));
                    }
                }
            }
            sent.insert(key, now);
        }
        for (at, more) in found.into_values() {
            if more > 0 {
                violations[at]
                    .1
                    .push_str(&format!("; and {more} more such sends in the step"));
            }
        }
        violations
    }
}

#[cfg(test)]
mod tests {
    use crate::types::{Entry, Message, Output, Payload};
    use crate::{Bounds, Flavour, Mode, RaftModel};

    fn append(to: u8, prev: u64, entries: usize) -> Output {
        Output::Send {
            message: Message {
                from: 1,
                to: to.into(),
                term: 2,
                payload: Payload::AppendEntries {
                    prev_log_index: prev,
                    prev_log_term: 1,
                    entries: (0..entries).map(|_| Entry::empty(2)).collect(),
                    commit: 0,
                },
            },
        }
    }

    fn model(flavour: Flavour) -> RaftModel {
        RaftModel::new(Bounds::default(), flavour, Mode::Lockstep)
    }

    #[test]
    fn appends_that_follow_on_pass() {
        let m = model(Flavour::raft_rs());
        // Replicate state: [2..3] then [4], then an empty append with the new commit index;
        // the other peer's conversation is its own.
        let outputs = [
            append(2, 1, 2),
            append(3, 0, 1),
            append(2, 3, 1),
            append(2, 4, 0),
        ];
        assert!(m.flow_violations(&outputs).is_empty());
    }

    #[test]
    fn an_append_that_resends_what_is_in_flight_is_named() {
        let m = model(Flavour::etcd());
        // The next index stayed at the last entry sent (optimistic update off by one): the
        // second append starts one entry back.
        let outputs = [append(2, 1, 2), append(2, 2, 1)];
        let violations = m.flow_violations(&outputs);
        assert_eq!(violations.len(), 1);
        assert!(std::ptr::eq(violations[0].0, outputs[1].sent().unwrap()));
        assert!(
            violations[0].1.contains("ended at index 3")
                && violations[0].1.contains("prev_log_index 2"),
            "{}",
            violations[0].1
        );
        // Resent again and again, as a whole inflight window: one finding that counts them.
        let window = [
            append(2, 1, 2),
            append(2, 2, 1),
            append(2, 2, 1),
            append(2, 2, 1),
        ];
        let violations = m.flow_violations(&window);
        assert_eq!(violations.len(), 1);
        assert!(
            violations[0]
                .1
                .ends_with("and 2 more such sends in the step"),
            "{}",
            violations[0].1
        );
    }

    #[test]
    fn nothing_follows_a_snapshot() {
        let m = model(Flavour::etcd_3_6());
        let snapshot = Output::Send {
            message: Message {
                from: 1,
                to: 2,
                term: 2,
                payload: Payload::Snapshot {
                    snapshot: std::sync::Arc::new(crate::types::Snapshot {
                        index: 3,
                        term: 1,
                        config: crate::Configuration::with_voters([1, 2, 3]),
                        values: vec![],
                    }),
                },
            },
        };
        let outputs = [snapshot, append(2, 3, 0)];
        let violations = m.flow_violations(&outputs);
        assert_eq!(violations.len(), 1);
        assert!(
            violations[0].1.contains("snapshot at index 3"),
            "{}",
            violations[0].1
        );
    }

    #[test]
    fn flavours_without_the_rule_are_not_judged_by_it() {
        let m = model(Flavour::pysyncobj());
        assert!(m
            .flow_violations(&[append(2, 1, 2), append(2, 1, 2)])
            .is_empty());
    }
}
