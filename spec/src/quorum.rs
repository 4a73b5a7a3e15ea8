//! Quorum arithmetic: when a set of voters has decided an election, and which log index a set
//! of voters has stored on a majority. Shaped like etcd raft's `quorum` package (and raft-rs's
//! `quorum` module): a [`MajorityConfig`] is one voter set deciding by simple majority, and a
//! [`JointConfig`] is the pair of voter sets of a joint configuration (Raft thesis §4.3), which
//! decides only what both of its halves decide.
//!
//! Nothing here knows about roles, terms or messages: callers pass a way to look up each voter's
//! recorded vote and acknowledged index (etcd's `AckedIndexer`, raft-rs's `check` closures).

use std::iter::Peekable;

use serde::{Deserialize, Serialize};

use crate::types::{LogIndex, NodeId};

/// The state of an election as far as a quorum can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VoteResult {
    /// Neither won nor lost yet: the outstanding votes can still go either way.
    Pending,
    /// Lost: even if every outstanding vote were a grant there would be no majority.
    Lost,
    /// Won: a majority granted.
    Won,
}

/// A set of voters deciding by simple majority (more than half of them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MajorityConfig {
    /// Ascending, each id once (a sorted vector hashes and clones faster than a tree).
    voters: Vec<NodeId>,
}

impl MajorityConfig {
    /// The voter set made of `ids` (duplicates count once).
    pub fn new(ids: impl IntoIterator<Item = NodeId>) -> Self {
        let mut voters: Vec<NodeId> = ids.into_iter().collect();
        voters.sort_unstable();
        voters.dedup();
        MajorityConfig { voters }
    }

    /// True when the set has no voters (the outgoing half of a configuration that is not joint).
    pub fn is_empty(&self) -> bool {
        self.voters.is_empty()
    }

    /// Number of voters.
    pub fn len(&self) -> usize {
        self.voters.len()
    }

    /// True when `id` is one of the voters.
    pub fn contains(&self, id: NodeId) -> bool {
        self.voters.binary_search(&id).is_ok()
    }

    /// Adds `id` (no change if it is a voter already).
    pub fn insert(&mut self, id: NodeId) {
        if let Err(at) = self.voters.binary_search(&id) {
            self.voters.insert(at, id);
        }
    }

    /// Removes `id` (no change if it is not a voter).
    pub fn remove(&mut self, id: NodeId) {
        if let Ok(at) = self.voters.binary_search(&id) {
            self.voters.remove(at);
        }
    }

    /// The voters in ascending id order.
    pub fn ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.voters.iter().copied()
    }

    /// The number of voters that make a majority: `len / 2 + 1`.
    pub fn quorum(&self) -> usize {
        self.voters.len() / 2 + 1
    }

    /// The outcome of an election given each voter's recorded vote (`Some(true)` a grant,
    /// `None` no answer yet). Only the set's voters are asked. By convention an empty set has won, so that the empty
    /// half of a [`JointConfig`] that is not joint never holds a decision up (etcd
    /// `MajorityConfig.VoteResult`).
    pub fn vote_result(&self, votes: impl Fn(NodeId) -> Option<bool>) -> VoteResult {
        if self.voters.is_empty() {
            return VoteResult::Won;
        }
        let (mut granted, mut missing) = (0, 0);
        for &id in &self.voters {
            match votes(id) {
                Some(true) => granted += 1,
                Some(false) => {}
                None => missing += 1,
            }
        }
        let quorum = self.quorum();
        if granted >= quorum {
            VoteResult::Won
        } else if granted + missing >= quorum {
            VoteResult::Pending
        } else {
            VoteResult::Lost
        }
    }

    /// The highest index acknowledged by a majority: the `quorum`-th largest of the voters'
    /// acknowledged indexes, a voter with none counting as 0. An empty set returns
    /// [`LogIndex::MAX`], so that it does not constrain the other half of a [`JointConfig`]
    /// (etcd `MajorityConfig.CommittedIndex`).
    pub fn committed_index(&self, acked: impl Fn(NodeId) -> Option<LogIndex>) -> LogIndex {
        if self.voters.is_empty() {
            return LogIndex::MAX;
        }
        let mut indexes: Vec<LogIndex> = self
            .voters
            .iter()
            .map(|&id| acked(id).unwrap_or(0))
            .collect();
        indexes.sort_unstable_by(|a, b| b.cmp(a));
        indexes[self.quorum() - 1]
    }
}

/// The voters of a configuration: the incoming set, and while a membership change is under way
/// (joint consensus) the outgoing set too. A decision needs a majority of every non-empty set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JointConfig {
    /// The voters of the configuration being entered (the only set when not joint).
    pub incoming: MajorityConfig,
    /// The voters of the configuration being left; empty when not joint.
    pub outgoing: MajorityConfig,
}

impl JointConfig {
    /// A configuration that is not joint: `ids` vote, no outgoing set.
    pub fn new(ids: impl IntoIterator<Item = NodeId>) -> Self {
        JointConfig {
            incoming: MajorityConfig::new(ids),
            outgoing: MajorityConfig::default(),
        }
    }

    /// True while an outgoing set exists.
    pub fn is_joint(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// True when `id` votes in either set.
    pub fn contains(&self, id: NodeId) -> bool {
        self.incoming.contains(id) || self.outgoing.contains(id)
    }

    /// Every voter of either set, once each, in ascending id order.
    pub fn ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        SortedUnion::new(self.incoming.ids(), self.outgoing.ids())
    }

    /// Won when both sets have won, lost when either has lost, pending otherwise (etcd
    /// `JointConfig.VoteResult`).
    pub fn vote_result(&self, votes: impl Fn(NodeId) -> Option<bool>) -> VoteResult {
        let incoming = self.incoming.vote_result(&votes);
        let outgoing = self.outgoing.vote_result(&votes);
        match (incoming, outgoing) {
            (a, b) if a == b => a,
            (VoteResult::Lost, _) | (_, VoteResult::Lost) => VoteResult::Lost,
            _ => VoteResult::Pending,
        }
    }

    /// The highest index acknowledged by a majority of both sets: the smaller of the two sets'
    /// committed indexes.
    pub fn committed_index(&self, acked: impl Fn(NodeId) -> Option<LogIndex>) -> LogIndex {
        self.incoming
            .committed_index(&acked)
            .min(self.outgoing.committed_index(&acked))
    }
}

/// The ascending, duplicate-free union of two ascending, duplicate-free id sequences.
pub(crate) struct SortedUnion<A: Iterator<Item = NodeId>, B: Iterator<Item = NodeId>> {
    a: Peekable<A>,
    b: Peekable<B>,
}

impl<A: Iterator<Item = NodeId>, B: Iterator<Item = NodeId>> SortedUnion<A, B> {
    pub(crate) fn new(a: A, b: B) -> Self {
        SortedUnion {
            a: a.peekable(),
            b: b.peekable(),
        }
    }
}

impl<A: Iterator<Item = NodeId>, B: Iterator<Item = NodeId>> Iterator for SortedUnion<A, B> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        match (self.a.peek(), self.b.peek()) {
            (Some(a), Some(b)) if a < b => self.a.next(),
            (Some(a), Some(b)) if a > b => self.b.next(),
            (Some(_), Some(_)) => {
                self.b.next();
                self.a.next()
            }
            (Some(_), None) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn votes(v: &[(NodeId, bool)]) -> impl Fn(NodeId) -> Option<bool> + '_ {
        move |id| v.iter().find(|(n, _)| *n == id).map(|(_, g)| *g)
    }

    fn acked(v: &[(NodeId, LogIndex)]) -> impl Fn(NodeId) -> Option<LogIndex> + '_ {
        move |id| v.iter().find(|(n, _)| *n == id).map(|(_, i)| *i)
    }

    #[test]
    fn voter_sets_are_sets() {
        let c = MajorityConfig::new([3, 1, 3, 2]);
        assert_eq!(c.ids().collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(c, MajorityConfig::new([1, 2, 3]));
        assert!(c.contains(2) && !c.contains(4));
        let u = SortedUnion::new([1, 3, 5].into_iter(), [2, 3, 6].into_iter());
        assert_eq!(u.collect::<Vec<_>>(), [1, 2, 3, 5, 6]);
    }

    #[test]
    fn majority_votes_in_odd_and_even_sets() {
        let three = MajorityConfig::new([1, 2, 3]);
        assert_eq!(three.quorum(), 2);
        assert_eq!(three.vote_result(votes(&[])), VoteResult::Pending);
        assert_eq!(three.vote_result(votes(&[(1, true)])), VoteResult::Pending);
        assert_eq!(
            three.vote_result(votes(&[(1, true), (2, true)])),
            VoteResult::Won
        );
        assert_eq!(
            three.vote_result(votes(&[(1, true), (2, false)])),
            VoteResult::Pending
        );
        assert_eq!(
            three.vote_result(votes(&[(1, true), (2, false), (3, false)])),
            VoteResult::Lost
        );

        // Four voters need three: two grants and two refusals is a loss, not a tie.
        let four = MajorityConfig::new([1, 2, 3, 4]);
        assert_eq!(four.quorum(), 3);
        assert_eq!(
            four.vote_result(votes(&[(1, true), (2, true)])),
            VoteResult::Pending
        );
        assert_eq!(
            four.vote_result(votes(&[(1, true), (2, true), (3, false), (4, false)])),
            VoteResult::Lost
        );
        assert_eq!(
            four.vote_result(votes(&[(1, true), (2, true), (4, true)])),
            VoteResult::Won
        );

        let one = MajorityConfig::new([7]);
        assert_eq!(one.vote_result(votes(&[(7, true)])), VoteResult::Won);
        assert_eq!(one.vote_result(votes(&[(7, false)])), VoteResult::Lost);
    }

    #[test]
    fn votes_from_outside_the_set_do_not_count() {
        let c = MajorityConfig::new([1, 2, 3]);
        assert_eq!(
            c.vote_result(votes(&[(1, true), (4, true), (5, true)])),
            VoteResult::Pending
        );
    }

    #[test]
    fn the_empty_set_has_won_and_commits_everything() {
        let empty = MajorityConfig::default();
        assert_eq!(empty.vote_result(votes(&[(1, false)])), VoteResult::Won);
        assert_eq!(empty.committed_index(acked(&[(1, 3)])), LogIndex::MAX);
    }

    #[test]
    fn majority_committed_index() {
        let three = MajorityConfig::new([1, 2, 3]);
        assert_eq!(three.committed_index(acked(&[(1, 5), (2, 3), (3, 1)])), 3);
        assert_eq!(three.committed_index(acked(&[(1, 5)])), 0, "one of three");
        assert_eq!(three.committed_index(acked(&[(1, 5), (3, 4)])), 4);
        // Acks of non-voters are never asked for.
        assert_eq!(three.committed_index(acked(&[(1, 5), (9, 5)])), 0);

        // Even sizes: three of four must hold the index.
        let four = MajorityConfig::new([1, 2, 3, 4]);
        assert_eq!(
            four.committed_index(acked(&[(1, 9), (2, 8), (3, 2), (4, 1)])),
            2
        );
        let two = MajorityConfig::new([1, 2]);
        assert_eq!(two.committed_index(acked(&[(1, 9), (2, 4)])), 4);
    }

    #[test]
    fn a_configuration_that_is_not_joint_is_its_incoming_majority() {
        let c = JointConfig::new([1, 2, 3]);
        assert!(!c.is_joint());
        for v in [
            &[][..],
            &[(1, true), (2, true)][..],
            &[(1, false), (2, false)][..],
        ] {
            assert_eq!(c.vote_result(votes(v)), c.incoming.vote_result(votes(v)));
        }
        assert_eq!(c.committed_index(acked(&[(1, 4), (2, 2), (3, 0)])), 2);
    }

    #[test]
    fn joint_votes_need_both_majorities() {
        // Moving from {1, 2, 3} to {3, 4, 5}.
        let c = JointConfig {
            incoming: MajorityConfig::new([3, 4, 5]),
            outgoing: MajorityConfig::new([1, 2, 3]),
        };
        assert!(c.is_joint());
        assert_eq!(c.ids().collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
        // A majority of the outgoing set alone is not enough.
        assert_eq!(
            c.vote_result(votes(&[(1, true), (2, true)])),
            VoteResult::Pending
        );
        assert_eq!(
            c.vote_result(votes(&[(1, true), (2, true), (4, true)])),
            VoteResult::Pending
        );
        assert_eq!(
            c.vote_result(votes(&[(1, true), (3, true), (4, true)])),
            VoteResult::Won
        );
        // Losing either half loses the election, even while the other half has won.
        assert_eq!(
            c.vote_result(votes(&[(1, true), (2, true), (4, false), (5, false)])),
            VoteResult::Lost
        );
        assert_eq!(
            c.vote_result(votes(&[(1, false), (2, false), (4, true)])),
            VoteResult::Lost
        );
    }

    #[test]
    fn joint_committed_index_is_the_smaller_half() {
        let c = JointConfig {
            incoming: MajorityConfig::new([3, 4, 5]),
            outgoing: MajorityConfig::new([1, 2, 3]),
        };
        // Outgoing commits 7 (1, 2), incoming only 3 (3, 4).
        let a = [(1, 7), (2, 7), (3, 3), (4, 3), (5, 0)];
        assert_eq!(c.committed_index(acked(&a)), 3);
        // Even-sized halves: {1, 2} and {1, 2, 3, 4}.
        let c = JointConfig {
            incoming: MajorityConfig::new([1, 2, 3, 4]),
            outgoing: MajorityConfig::new([1, 2]),
        };
        let a = [(1, 9), (2, 5), (3, 6), (4, 1)];
        assert_eq!(c.committed_index(acked(&a)), 5);
    }
}
