//! A node's view of the cluster's membership: who votes, who only replicates, and the quorum
//! rules that follow (etcd raft `tracker.Config`, raft-rs `tracker::Configuration`).
//!
//! Every rule of the spec that asks "who are my peers?" or "has a quorum decided?" asks the
//! node's [`Configuration`]; nothing counts nodes `1..=n`. A node outside a configuration (a
//! spare, or a node removed) takes part in no decision of it.
//!
//! Today every configuration is the initial one — all nodes vote, no learners, not joint —
//! because the spec has no membership changes yet; the joint and learner parts are here so
//! that those changes only add rules.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::quorum::{JointConfig, SortedUnion, VoteResult};
use crate::types::{LogIndex, NodeId};

/// Voters (incoming and, while joint, outgoing) and learners.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Configuration {
    /// The voters. Quorum decisions need a majority of each non-empty set.
    pub voters: JointConfig,
    /// Nodes that receive the log but never vote and never count toward a quorum.
    pub learners: BTreeSet<NodeId>,
    /// While joint: nodes that vote in the outgoing set and become learners when the joint
    /// configuration is left (a voter demoted to learner). A node is never in both `learners`
    /// and `learners_next` (etcd `Config.LearnersNext`).
    pub learners_next: BTreeSet<NodeId>,
}

impl Configuration {
    /// A configuration that is not joint, in which `ids` vote and no node learns.
    pub fn with_voters(ids: impl IntoIterator<Item = NodeId>) -> Self {
        Configuration {
            voters: JointConfig::new(ids),
            ..Configuration::default()
        }
    }

    /// True while a membership change is under way (an outgoing voter set exists).
    pub fn is_joint(&self) -> bool {
        self.voters.is_joint()
    }

    /// True when `id` votes (in the incoming or the outgoing set).
    pub fn is_voter(&self, id: NodeId) -> bool {
        self.voters.contains(id)
    }

    /// True when `id` is a learner now or will be one when the joint configuration is left.
    pub fn is_learner(&self, id: NodeId) -> bool {
        self.learners.contains(&id) || self.learners_next.contains(&id)
    }

    /// True when `id` belongs to the configuration as a voter or a learner.
    pub fn contains(&self, id: NodeId) -> bool {
        self.is_voter(id) || self.is_learner(id)
    }

    /// Every voter of either set, once each, ascending. A candidate asks these for votes.
    pub fn voter_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.voters.ids()
    }

    /// Every member — voters and learners — once each, ascending. A leader replicates to these.
    pub fn members(&self) -> impl Iterator<Item = NodeId> + '_ {
        let learners = self.learners.union(&self.learners_next).copied();
        SortedUnion::new(self.voters.ids(), learners)
    }

    /// The members other than `id`, ascending: whom node `id` replicates to when it leads.
    pub fn peers(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.members().filter(move |&p| p != id)
    }

    /// The voters other than `id`, ascending: whom node `id` asks for votes.
    pub fn voting_peers(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.voter_ids().filter(move |&p| p != id)
    }

    /// The outcome of an election given each node's recorded vote (`None`: no answer yet): a
    /// majority of every voter set decides; votes of learners and of nodes outside the
    /// configuration are never asked for.
    pub fn vote_result(&self, votes: impl Fn(NodeId) -> Option<bool>) -> VoteResult {
        self.voters.vote_result(votes)
    }

    /// The highest index that a majority of every voter set has acknowledged, given each node's
    /// acknowledged index (`None` for a voter that has acknowledged nothing). Learners never
    /// count. [`LogIndex::MAX`] for a configuration without voters.
    pub fn committed_index(&self, acked: impl Fn(NodeId) -> Option<LogIndex>) -> LogIndex {
        self.voters.committed_index(acked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quorum::MajorityConfig;

    fn votes(v: &[(NodeId, bool)]) -> impl Fn(NodeId) -> Option<bool> + '_ {
        move |id| v.iter().find(|(n, _)| *n == id).map(|(_, g)| *g)
    }

    #[test]
    fn members_peers_and_voters() {
        let c = Configuration {
            learners: [4].into(),
            ..Configuration::with_voters([1, 2, 3])
        };
        assert!(!c.is_joint());
        assert_eq!(c.members().collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(c.peers(2).collect::<Vec<_>>(), [1, 3, 4]);
        assert_eq!(c.voting_peers(2).collect::<Vec<_>>(), [1, 3]);
        assert!(c.is_voter(3) && !c.is_voter(4) && c.is_learner(4));
        assert!(c.contains(4) && !c.contains(5));
    }

    #[test]
    fn learners_never_count() {
        let c = Configuration {
            learners: [4, 5].into(),
            ..Configuration::with_voters([1, 2, 3])
        };
        // Three grants, but only one from a voter.
        assert_eq!(
            c.vote_result(votes(&[(1, true), (4, true), (5, true)])),
            VoteResult::Pending
        );
        assert_eq!(
            c.vote_result(votes(&[(1, true), (2, true), (4, false), (5, false)])),
            VoteResult::Won
        );
        // The learners hold index 9, the voters 1 and 0: nothing past 1 is committed.
        let acked = |id: NodeId| match id {
            1 => Some(1),
            4 | 5 => Some(9),
            _ => None,
        };
        assert_eq!(c.committed_index(acked), 0);
        let acked = |id: NodeId| match id {
            1 | 2 => Some(1),
            _ => Some(9),
        };
        assert_eq!(c.committed_index(acked), 1);
    }

    #[test]
    fn joint_configuration_with_a_demoted_voter() {
        // Leaving {1, 2, 3} for {1, 2, 4}, with 3 demoted to learner.
        let c = Configuration {
            voters: JointConfig {
                incoming: MajorityConfig::new([1, 2, 4]),
                outgoing: MajorityConfig::new([1, 2, 3]),
            },
            learners: BTreeSet::new(),
            learners_next: [3].into(),
        };
        assert!(c.is_joint());
        assert!(c.is_voter(3), "an outgoing voter still votes");
        assert_eq!(c.members().collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(c.voting_peers(1).collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(
            c.vote_result(votes(&[(1, true), (3, true)])),
            VoteResult::Pending,
            "the incoming set has one grant of three"
        );
        assert_eq!(
            c.vote_result(votes(&[(1, true), (3, true), (4, true)])),
            VoteResult::Won
        );
        let acked = |id: NodeId| Some([0, 5, 2, 5, 2][id as usize]);
        // Outgoing {1:5, 2:2, 3:5} commits 5, incoming {1:5, 2:2, 4:2} only 2.
        assert_eq!(c.committed_index(acked), 2);
    }

    #[test]
    fn even_sized_configurations() {
        let c = Configuration::with_voters([1, 2, 3, 4]);
        assert_eq!(
            c.vote_result(votes(&[(1, true), (2, true), (3, false)])),
            VoteResult::Pending
        );
        assert_eq!(
            c.vote_result(votes(&[(1, true), (2, true), (3, false), (4, false)])),
            VoteResult::Lost
        );
        let acked = |id: NodeId| Some([0, 4, 4, 1, 1][id as usize]);
        assert_eq!(c.committed_index(acked), 1, "two of four is no majority");
    }
}
