//! Symmetry of node ids: a state with its node ids consistently renamed behaves like the state
//! itself, so a search needs only one state of each class of renamed states.
//!
//! The spec treats ids as names: no rule compares two ids other than for equality, and
//! everything kept in id order (the nodes, votes, match indexes, configurations, the network)
//! is re-sorted after renaming. A [`Renaming`] rewrites every id-holding field of a
//! [`ClusterState`]: node ids, votes, known leaders, votes counted and match indexes, every
//! configuration (a node's, a snapshot's, a configuration change's), message senders and
//! receivers, and the history (election winners, nodes that installed a snapshot).
//!
//! [`Symmetry`] is the group of renamings a model allows: any permutation of the initial
//! voters, and any permutation of the spares among themselves (a spare is told apart from a
//! voter by the initial configuration, which the `added-node-caught-up-by-snapshot` property
//! reads). [`Symmetry::representative`] picks the least renamed state of a state's class (the
//! states are totally ordered), so two states of one class have the same representative.
//!
//! One field is not renamed: [`crate::History::unquorate_commit`], a description written when
//! the first unquorate commit happened. Only whether it is set decides anything, so leaving its
//! text unchanged keeps a representative equivalent; it can only keep two renamed states apart.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::bounds::Bounds;
use crate::cluster::ClusterState;
use crate::configuration::Configuration;
use crate::idmap::IdMap;
use crate::log::Log;
use crate::node::NodeState;
use crate::quorum::{JointConfig, MajorityConfig};
use crate::types::{Change, ConfChange, Entry, Input, Message, NodeId, Payload, Snapshot};

/// Ids renamed: id `i` becomes `to[i]`. Ids outside the table stay as they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renaming {
    to: Vec<NodeId>,
}

impl Renaming {
    /// The renaming that sends `from[i]` to `onto[i]`, every other id to itself.
    ///
    /// # Panics
    ///
    /// If the two lists differ in length or are not permutations of each other.
    pub fn new(from: &[NodeId], onto: &[NodeId]) -> Self {
        assert_eq!(
            from.len(),
            onto.len(),
            "a renaming maps as many ids as it takes"
        );
        let mut a: Vec<NodeId> = from.to_vec();
        let mut b: Vec<NodeId> = onto.to_vec();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b, "a renaming permutes one set of ids");
        let top = from.iter().copied().max().unwrap_or(0) as usize;
        let mut to: Vec<NodeId> = (0..=top as NodeId).collect();
        for (&f, &o) in from.iter().zip(onto) {
            to[f as usize] = o;
        }
        Renaming { to }
    }

    /// True when every id stays.
    pub fn is_identity(&self) -> bool {
        self.to.iter().enumerate().all(|(i, &t)| i as NodeId == t)
    }

    /// The new name of `id`.
    pub fn id(&self, id: NodeId) -> NodeId {
        self.to.get(id as usize).copied().unwrap_or(id)
    }

    fn ids<'a>(
        &'a self,
        ids: impl Iterator<Item = NodeId> + 'a,
    ) -> impl Iterator<Item = NodeId> + 'a {
        ids.map(|id| self.id(id))
    }

    fn id_map<V: Clone>(&self, map: &IdMap<V>) -> IdMap<V> {
        map.iter().map(|(id, v)| (self.id(id), v.clone())).collect()
    }

    fn set(&self, set: &BTreeSet<NodeId>) -> BTreeSet<NodeId> {
        self.ids(set.iter().copied()).collect()
    }

    fn majority(&self, config: &MajorityConfig) -> MajorityConfig {
        MajorityConfig::new(self.ids(config.ids()))
    }

    /// `config` with its ids renamed.
    pub fn configuration(&self, config: &Configuration) -> Configuration {
        Configuration {
            voters: JointConfig {
                incoming: self.majority(&config.voters.incoming),
                outgoing: self.majority(&config.voters.outgoing),
            },
            learners: self.set(&config.learners),
            learners_next: self.set(&config.learners_next),
            auto_leave: config.auto_leave,
        }
    }

    fn change(&self, change: &Change) -> Change {
        Change {
            op: change.op,
            node: self.id(change.node),
        }
    }

    fn conf_change(&self, change: &ConfChange) -> ConfChange {
        match change {
            ConfChange::Single { change } => ConfChange::Single {
                change: self.change(change),
            },
            ConfChange::Joint {
                changes,
                auto_leave,
            } => ConfChange::Joint {
                changes: changes.iter().map(|c| self.change(c)).collect(),
                auto_leave: *auto_leave,
            },
            ConfChange::Leave => ConfChange::Leave,
        }
    }

    /// `entry` with the ids of its configuration change, if any, renamed.
    pub fn entry(&self, entry: &Entry) -> Entry {
        match &entry.conf {
            None => entry.clone(),
            Some(change) => Entry {
                term: entry.term,
                value: entry.value,
                conf: Some(Box::new(self.conf_change(change))),
            },
        }
    }

    fn entries(&self, entries: &[Entry]) -> Vec<Entry> {
        entries.iter().map(|e| self.entry(e)).collect()
    }

    fn log(&self, log: &Log) -> Log {
        if log.entries().iter().all(|e| e.conf.is_none()) {
            return log.clone();
        }
        let mut renamed = Log::new();
        renamed.restore(log.snapshot_index(), log.snapshot_term());
        for entry in log.entries() {
            renamed.push(self.entry(entry));
        }
        renamed
    }

    fn snapshot(&self, snapshot: &Snapshot) -> Snapshot {
        Snapshot {
            index: snapshot.index,
            term: snapshot.term,
            config: self.configuration(&snapshot.config),
            values: snapshot.values.clone(),
        }
    }

    /// `message` with its sender, receiver and carried ids renamed.
    pub fn message(&self, message: &Message) -> Message {
        let payload = match &message.payload {
            Payload::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                commit,
            } if entries.iter().any(|e| e.conf.is_some()) => Payload::AppendEntries {
                prev_log_index: *prev_log_index,
                prev_log_term: *prev_log_term,
                entries: self.entries(entries),
                commit: *commit,
            },
            Payload::Snapshot { snapshot } => Payload::Snapshot {
                snapshot: Arc::new(self.snapshot(snapshot)),
            },
            other => other.clone(),
        };
        Message {
            from: self.id(message.from),
            to: self.id(message.to),
            term: message.term,
            payload,
        }
    }

    /// `input` with the node it addresses, or the message it carries, renamed: the same input
    /// given to the renamed cluster.
    pub fn input(&self, input: &Input) -> Input {
        match input {
            Input::Timeout { node } => Input::Timeout {
                node: self.id(*node),
            },
            Input::Receive { message } => Input::Receive {
                message: self.message(message),
            },
            Input::Restart { node } => Input::Restart {
                node: self.id(*node),
            },
            Input::ClientRequest { node, value } => Input::ClientRequest {
                node: self.id(*node),
                value: *value,
            },
            Input::Heartbeat { node } => Input::Heartbeat {
                node: self.id(*node),
            },
            Input::Drop { message } => Input::Drop {
                message: self.message(message),
            },
            Input::Duplicate { message } => Input::Duplicate {
                message: self.message(message),
            },
            Input::ProposeConfChange { node, change } => Input::ProposeConfChange {
                node: self.id(*node),
                change: self.conf_change(change),
            },
            Input::StepDown { node } => Input::StepDown {
                node: self.id(*node),
            },
            Input::Compact { node } => Input::Compact {
                node: self.id(*node),
            },
        }
    }

    /// `node` with its own id and every id it holds renamed.
    pub fn node(&self, node: &NodeState) -> NodeState {
        NodeState {
            id: self.id(node.id),
            term: node.term,
            role: node.role,
            vote: node.vote.map(|id| self.id(id)),
            leader: node.leader.map(|id| self.id(id)),
            log: self.log(&node.log),
            commit: node.commit,
            config: Arc::new(self.configuration(&node.config)),
            votes: self.id_map(&node.votes),
            match_index: self.id_map(&node.match_index),
            applied: node.applied,
            state_machine: node.state_machine.clone(),
            pending_conf_index: node.pending_conf_index,
            snapshot: node.snapshot.as_ref().map(|s| Arc::new(self.snapshot(s))),
        }
    }

    /// `state` with every node id renamed, consistently, in every field (see the module
    /// documentation for the one description left as it is).
    pub fn state(&self, state: &ClusterState) -> ClusterState {
        let nodes = state
            .nodes
            .iter()
            .map(|(id, node)| (self.id(id), Arc::new(self.node(node))))
            .collect();
        self.state_with(state, nodes)
    }

    /// `state` renamed, given its nodes already renamed.
    fn state_with(&self, state: &ClusterState, nodes: IdMap<Arc<NodeState>>) -> ClusterState {
        let mut network: Vec<Message> = state.network.iter().map(|m| self.message(m)).collect();
        network.sort_unstable();
        let mut history = crate::History::clone(&state.history);
        for (_, leader) in &mut history.elections {
            *leader = self.id(*leader);
        }
        history.elections.sort_unstable();
        for installed in &mut history.installed_snapshot {
            *installed = self.id(*installed);
        }
        history.installed_snapshot.sort_unstable();
        if history.committed.iter().any(|(e, _)| e.conf.is_some()) {
            for (entry, _) in &mut history.committed {
                *entry = self.entry(entry);
            }
        }
        ClusterState {
            nodes,
            network,
            spent: state.spent.clone(),
            history: Arc::new(history),
        }
    }
}

/// The renamings of node ids under which a model's behaviour, and every property it checks,
/// are unchanged: permutations of the initial voters times permutations of the spares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symmetry {
    /// Every renaming of the group but the identity.
    renamings: Vec<Renaming>,
}

impl Symmetry {
    /// The group for a model with these bounds.
    pub fn for_bounds(bounds: &Bounds) -> Self {
        let voters: Vec<NodeId> = (1..=bounds.nodes).collect();
        let spares: Vec<NodeId> = (bounds.nodes + 1..=bounds.nodes + bounds.spares).collect();
        let mut renamings = Vec::new();
        for v in permutations(&voters) {
            for s in permutations(&spares) {
                let from: Vec<NodeId> = voters.iter().chain(&spares).copied().collect();
                let onto: Vec<NodeId> = v.iter().chain(&s).copied().collect();
                let renaming = Renaming::new(&from, &onto);
                if !renaming.is_identity() {
                    renamings.push(renaming);
                }
            }
        }
        Symmetry { renamings }
    }

    /// The number of renamings in the group, the identity included: the most states one
    /// representative stands for.
    pub fn order(&self) -> usize {
        self.renamings.len() + 1
    }

    /// Every renaming of the group but the identity.
    pub fn renamings(&self) -> &[Renaming] {
        &self.renamings
    }

    /// The least state, in the states' total order, among `state` renamed by each renaming of
    /// the group: the same state for every state of the class.
    pub fn representative(&self, state: &ClusterState) -> ClusterState {
        let mut least: Option<ClusterState> = None;
        for renaming in &self.renamings {
            let best = least.as_ref().unwrap_or(state);
            // States order by their nodes first: rename the rest only when the nodes do not
            // already lose.
            let nodes: IdMap<Arc<NodeState>> = state
                .nodes
                .iter()
                .map(|(id, node)| (renaming.id(id), Arc::new(renaming.node(node))))
                .collect();
            match nodes.cmp(&best.nodes) {
                std::cmp::Ordering::Greater => continue,
                std::cmp::Ordering::Less => least = Some(renaming.state_with(state, nodes)),
                std::cmp::Ordering::Equal => {
                    let renamed = renaming.state_with(state, nodes);
                    if renamed < *best {
                        least = Some(renamed);
                    }
                }
            }
        }
        least.unwrap_or_else(|| state.clone())
    }
}

/// Every ordering of `ids`, the given one first.
fn permutations(ids: &[NodeId]) -> Vec<Vec<NodeId>> {
    if ids.len() <= 1 {
        return vec![ids.to_vec()];
    }
    let mut all = Vec::new();
    for (i, &first) in ids.iter().enumerate() {
        let rest: Vec<NodeId> = ids
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, &id)| id)
            .collect();
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            all.push(tail);
        }
    }
    all
}

/// Stateright's symmetry reduction ([`stateright::CheckerBuilder::symmetry`], used by its
/// depth-first checker): the representative under every permutation of the cluster's node ids.
/// That group is right when the cluster has no spares; [`Symmetry::for_bounds`] is the group
/// for a model with spares.
impl stateright::Representative for ClusterState {
    fn representative(&self) -> Self {
        let ids: Vec<NodeId> = self.nodes.ids().collect();
        let group = Symmetry {
            renamings: permutations(&ids)
                .into_iter()
                .map(|onto| Renaming::new(&ids, &onto))
                .filter(|r| !r.is_identity())
                .collect(),
        };
        group.representative(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Input, Role};
    use crate::{Flavour, Mode, RaftModel};

    #[test]
    fn the_group_permutes_voters_and_spares_apart() {
        let bounds = Bounds {
            nodes: 3,
            spares: 1,
            ..Bounds::default()
        };
        assert_eq!(Symmetry::for_bounds(&bounds).order(), 6);
        assert_eq!(Symmetry::for_bounds(&Bounds::default()).order(), 6);
    }

    #[test]
    fn renaming_moves_every_id_of_a_step() {
        let model = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::SpecOnly);
        let mut s = model.initial_state();
        let step = model.apply(&s, &Input::Timeout { node: 1 });
        s = step.state;
        RaftModel::post_outputs(&mut s, &step.outputs);
        let swap = Renaming::new(&[1, 3], &[3, 1]);
        let r = swap.state(&s);
        assert_eq!(r.node(3).role, Role::Candidate);
        assert_eq!(r.node(3).vote, Some(3));
        assert_eq!(r.node(3).id, 3);
        assert!(r.network.iter().all(|m| m.from == 3));
        assert_eq!(swap.state(&r), s, "a swap undone");
    }

    #[test]
    fn renamed_states_share_a_representative() {
        let model = RaftModel::new(Bounds::default(), Flavour::etcd(), Mode::SpecOnly);
        let group = Symmetry::for_bounds(&model.bounds);
        let s0 = model.initial_state();
        let by = |n| model.apply(&s0, &Input::Timeout { node: n }).state;
        let (a, b) = (by(1), by(2));
        assert_ne!(a, b);
        assert_eq!(group.representative(&a), group.representative(&b));
        assert_eq!(
            group.representative(&s0),
            s0,
            "the initial state is its own"
        );
    }
}
