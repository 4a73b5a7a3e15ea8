//! A node's view of the cluster's membership: who votes, who only replicates, and the quorum
//! rules that follow (etcd raft `tracker.Config`, raft-rs `tracker::Configuration`).
//!
//! Every rule of the spec that asks "who are my peers?" or "has a quorum decided?" asks the
//! node's [`Configuration`]; nothing counts nodes `1..=n`. A node outside a configuration (a
//! spare, or a node removed) takes part in no decision of it.
//!
//! A configuration changes only when a node applies a committed [`ConfChange`]
//! ([`Configuration::apply`]), by the rules of etcd raft's and raft-rs's `confchange::Changer`,
//! which the two families share: a single change may change at most one voter; a joint change
//! copies the voters to the outgoing set and changes the incoming one; leaving makes the
//! demoted voters learners and drops the outgoing set.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use std::fmt;

use crate::quorum::{JointConfig, MajorityConfig, SortedUnion, VoteResult};
use crate::types::{Change, ChangeOp, ConfChange, LogIndex, NodeId};

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
    /// While joint: the leader leaves the joint configuration by itself once the entry that
    /// entered it is applied (etcd `Config.AutoLeave`, raft-rs `Configuration::auto_leave`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_leave: bool,
}

impl fmt::Display for Configuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids = |f: &mut fmt::Formatter<'_>, ids: &mut dyn Iterator<Item = NodeId>| {
            f.write_str("[")?;
            for (i, id) in ids.enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "n{id}")?;
            }
            f.write_str("]")
        };
        f.write_str("voters=")?;
        ids(f, &mut self.voters.incoming.ids())?;
        if self.is_joint() {
            f.write_str("&")?;
            ids(f, &mut self.voters.outgoing.ids())?;
        }
        if !self.learners.is_empty() {
            f.write_str(" learners=")?;
            ids(f, &mut self.learners.iter().copied())?;
        }
        if !self.learners_next.is_empty() {
            f.write_str(" learners-next=")?;
            ids(f, &mut self.learners_next.iter().copied())?;
        }
        if self.auto_leave {
            f.write_str(" auto-leave")?;
        }
        Ok(())
    }
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

    /// True when `id` may campaign: it is a voter of the configuration (raft-rs/etcd
    /// `promotable`). Learners and nodes outside it ignore their election timer.
    pub fn is_promotable(&self, id: NodeId) -> bool {
        self.is_voter(id)
    }

    /// The configuration after applying `change` (raft-rs/etcd `confchange::Changer`: `simple`,
    /// `enter_joint`, `leave_joint`), or why the change cannot be applied to this one.
    pub fn apply(&self, change: &ConfChange) -> Result<Configuration, String> {
        let mut next = self.clone();
        match change {
            ConfChange::Single { change } => {
                if self.is_joint() {
                    return Err("a single change cannot be applied to a joint configuration".into());
                }
                next.apply_change(change);
                let before = &self.voters.incoming;
                let after = &next.voters.incoming;
                let changed = before.ids().filter(|&id| !after.contains(id)).count()
                    + after.ids().filter(|&id| !before.contains(id)).count();
                if changed > 1 {
                    return Err(
                        "more than one voter changed without entering a joint configuration".into(),
                    );
                }
            }
            ConfChange::Joint {
                changes,
                auto_leave,
            } => {
                if self.is_joint() {
                    return Err("the configuration is already joint".into());
                }
                if self.voters.incoming.is_empty() {
                    return Err("a configuration without voters cannot be made joint".into());
                }
                next.voters.outgoing = self.voters.incoming.clone();
                for c in changes {
                    next.apply_change(c);
                }
                next.auto_leave = *auto_leave;
            }
            ConfChange::Leave => {
                if !self.is_joint() {
                    return Err("the configuration is not joint".into());
                }
                next.learners
                    .extend(std::mem::take(&mut next.learners_next));
                next.voters.outgoing = MajorityConfig::default();
                next.auto_leave = false;
            }
        }
        if next.voters.incoming.is_empty() {
            return Err("the change removes every voter".into());
        }
        Ok(next)
    }

    /// One change to the incoming side (etcd `makeVoter`, `makeLearner`, `remove`).
    fn apply_change(&mut self, change: &Change) {
        let id = change.node;
        match change.op {
            ChangeOp::AddVoter => {
                self.learners.remove(&id);
                self.learners_next.remove(&id);
                self.voters.incoming.insert(id);
            }
            ChangeOp::AddLearner => {
                if self.learners.contains(&id) {
                    return;
                }
                self.voters.incoming.remove(id);
                self.learners_next.remove(&id);
                if self.voters.outgoing.contains(id) {
                    // Still votes in the outgoing set; a learner once the joint config is left.
                    self.learners_next.insert(id);
                } else {
                    self.learners.insert(id);
                }
            }
            ChangeOp::Remove => {
                self.voters.incoming.remove(id);
                self.learners.remove(&id);
                self.learners_next.remove(&id);
            }
        }
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
            auto_leave: false,
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

    fn single(op: ChangeOp, node: NodeId) -> ConfChange {
        ConfChange::Single {
            change: Change { op, node },
        }
    }

    #[test]
    fn single_changes_add_promote_and_remove() {
        let c = Configuration::with_voters([1, 2, 3]);
        let learner = c.apply(&single(ChangeOp::AddLearner, 4)).unwrap();
        assert_eq!(learner.to_string(), "voters=[n1,n2,n3] learners=[n4]");
        let promoted = learner.apply(&single(ChangeOp::AddVoter, 4)).unwrap();
        assert_eq!(promoted, Configuration::with_voters([1, 2, 3, 4]));
        let removed = promoted.apply(&single(ChangeOp::Remove, 1)).unwrap();
        assert_eq!(removed, Configuration::with_voters([2, 3, 4]));
        let last = Configuration::with_voters([1]);
        assert!(last.apply(&single(ChangeOp::Remove, 1)).is_err());
    }

    #[test]
    fn joint_changes_enter_and_leave() {
        let c = Configuration::with_voters([1, 2, 3]);
        let swap = ConfChange::Joint {
            changes: vec![
                Change {
                    op: ChangeOp::AddVoter,
                    node: 4,
                },
                Change {
                    op: ChangeOp::AddLearner,
                    node: 3,
                },
            ],
            auto_leave: true,
        };
        let joint = c.apply(&swap).unwrap();
        assert_eq!(
            joint.to_string(),
            "voters=[n1,n2,n4]&[n1,n2,n3] learners-next=[n3] auto-leave"
        );
        assert!(joint.apply(&swap).is_err(), "already joint");
        assert!(joint.apply(&single(ChangeOp::AddVoter, 5)).is_err());
        let left = joint.apply(&ConfChange::Leave).unwrap();
        assert_eq!(left.to_string(), "voters=[n1,n2,n4] learners=[n3]");
        assert!(left.apply(&ConfChange::Leave).is_err(), "not joint");
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
