//! The whole cluster: nodes, the network between them, the budget of bounded inputs spent so
//! far, and the history variables the safety properties read.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::configuration::Configuration;
use crate::idmap::IdMap;
use crate::node::NodeState;
use crate::types::{Entry, LogIndex, Message, NodeId, Term, Value};

/// A state of the spec: everything that decides what can happen next, plus history.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ClusterState {
    /// The nodes, by id. Each works with its own configuration; a node may exist outside every
    /// configuration (a spare). Shared between states: a step changes one node (or none), so a
    /// state and its successors share the others, copied only when changed
    /// ([`ClusterState::node_mut`]).
    pub nodes: IdMap<Arc<NodeState>>,
    /// Messages in flight: a multiset kept sorted, so equal networks are equal vectors.
    pub network: Vec<Message>,
    /// How much of each bounded input has been used on the path to this state.
    pub spent: Spent,
    /// History variables: facts about the past that the safety properties need. Shared between
    /// states like the nodes: most steps change none of it.
    pub history: Arc<History>,
}

/// Counters for the inputs the bounds ration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Spent {
    /// Client values proposed so far (the next value is `values + 1`).
    pub values: Value,
    /// Restarts so far.
    pub restarts: u32,
    /// Heartbeats so far.
    pub heartbeats: u32,
    /// Messages dropped so far.
    pub drops: u32,
    /// Messages duplicated so far.
    pub duplicates: u32,
    /// Configuration changes proposed so far.
    pub conf_changes: u32,
    /// Compactions so far.
    pub snapshots: u32,
}

/// What has happened, as far as the safety properties need to know.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct History {
    /// Every election won, as (term, leader), sorted; a term twice means two leaders.
    pub elections: Vec<(Term, NodeId)>,
    /// The committed log as first learnt: for each index, the entry and the term of the node
    /// that first counted it committed. Later commits of the same index are compared with it.
    pub committed: Vec<(Entry, Term)>,
    /// Set when a transition moved some node's commit index backwards (other than a restart
    /// whose flavour forgets the commit index).
    pub commit_regressed: bool,
    /// The first commit by a leader that a majority of some voter set of its configuration did
    /// not hold, described.
    pub unquorate_commit: Option<String>,
    /// The nodes that have installed a snapshot from their leader, ascending.
    pub installed_snapshot: Vec<NodeId>,
    /// Some node led while outside its own configuration's voters and later stopped leading.
    pub removed_leader_stepped_down: bool,
}

impl ClusterState {
    /// The state every run starts from: nodes `1..=n`, fresh, each with the configuration in
    /// which all of them vote, and an empty network.
    pub fn initial(n: u64) -> Self {
        Self::with_spares(n, 0)
    }

    /// The initial state with `spares` more nodes, `n + 1..=n + spares`, outside the
    /// configuration: they start, like the voters, knowing the initial configuration (as a
    /// joining etcd or raft-rs node is started with the cluster's peers), in which they do not
    /// vote, so they take part in nothing until a configuration change adds them.
    pub fn with_spares(n: u64, spares: u64) -> Self {
        let config = Arc::new(Configuration::with_voters(1..=n));
        ClusterState {
            nodes: (1..=n + spares)
                .map(|id| (id, Arc::new(NodeState::new(id, config.clone()))))
                .collect(),
            network: Vec::new(),
            spent: Spent::default(),
            history: Arc::default(),
        }
    }

    /// A copy of this state to take a step from: nodes and history shared, and room in the
    /// network for the messages a step posts (about one per node), so that posting them does
    /// not grow the vector again.
    pub fn successor(&self) -> ClusterState {
        let mut network = Vec::with_capacity(self.network.len() + self.nodes.len() + 1);
        network.extend_from_slice(&self.network);
        ClusterState {
            nodes: self.nodes.clone(),
            network,
            spent: self.spent.clone(),
            history: self.history.clone(),
        }
    }

    /// The node with this id.
    ///
    /// # Panics
    ///
    /// If the cluster has no such node; [`ClusterState::has_node`] says whether it has.
    pub fn node(&self, id: NodeId) -> &NodeState {
        self.nodes
            .get(id)
            .unwrap_or_else(|| panic!("n{id} is not a node of this cluster"))
    }

    /// The node with this id, to change it (for building states by hand).
    ///
    /// # Panics
    ///
    /// If the cluster has no such node.
    pub fn node_mut(&mut self, id: NodeId) -> &mut NodeState {
        Arc::make_mut(
            self.nodes
                .get_mut(id)
                .unwrap_or_else(|| panic!("n{id} is not a node of this cluster")),
        )
    }

    /// The history, to change it (copied first if another state shares it).
    pub fn history_mut(&mut self) -> &mut History {
        Arc::make_mut(&mut self.history)
    }

    /// True when the node id names a node of this cluster.
    pub fn has_node(&self, id: NodeId) -> bool {
        self.nodes.contains(id)
    }

    /// Adds one copy of `m` to the network.
    pub fn post(&mut self, m: Message) {
        let at = self.network.partition_point(|x| x <= &m);
        self.network.insert(at, m);
    }

    /// Removes one copy of `m` from the network; false when there is none.
    pub fn take(&mut self, m: &Message) -> bool {
        match self.network.binary_search(m) {
            Ok(at) => {
                self.network.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// True when at least one copy of `m` is in flight.
    pub fn in_flight(&self, m: &Message) -> bool {
        self.network.binary_search(m).is_ok()
    }

    /// The distinct messages in flight, in order.
    pub fn distinct_in_flight(&self) -> impl Iterator<Item = &Message> {
        self.network
            .iter()
            .enumerate()
            .filter(|(i, m)| *i == 0 || self.network[i - 1] != **m)
            .map(|(_, m)| m)
    }

    /// Updates the history after node `id` moved from commit `old_commit` to its current one.
    pub(crate) fn record_commit(&mut self, id: NodeId, old_commit: LogIndex) {
        let node = &self.nodes[id];
        if node.commit < old_commit && !self.history.commit_regressed {
            Arc::make_mut(&mut self.history).commit_regressed = true;
        }
        for index in (old_commit + 1)..=node.commit {
            if index as usize > self.history.committed.len() {
                // A commit index that jumps over compacted entries (a snapshot installed) jumps
                // over entries committed, and recorded, before.
                let Some(entry) = node.entry(index) else {
                    break;
                };
                let recorded = (entry.clone(), node.term);
                Arc::make_mut(&mut self.history).committed.push(recorded);
            }
        }
    }

    /// Records the commits leader `leader` made in a step, each as (from, to, the configuration
    /// that decided it): the first newly committed entry that some voter set of that
    /// configuration does not hold in a majority of its members' logs (a log compacted past the
    /// index holds it) is kept in the history. The other nodes' logs are as the step left them:
    /// a step changes one node.
    pub(crate) fn record_leader_commits(
        &mut self,
        leader: NodeId,
        commits: &[(LogIndex, LogIndex, Arc<Configuration>)],
    ) {
        for (from, to, config) in commits {
            if self.history.unquorate_commit.is_some() {
                return;
            }
            if let Some(why) = self.unquorate(leader, *from, *to, config) {
                self.history_mut().unquorate_commit = Some(why);
            }
        }
    }

    fn unquorate(
        &self,
        leader: NodeId,
        from: LogIndex,
        to: LogIndex,
        config: &Configuration,
    ) -> Option<String> {
        let node = &self.nodes[leader];
        for index in (from + 1)..=to {
            let entry = node.entry(index)?;
            let holds = |id: NodeId| {
                self.nodes.get(id).is_some_and(|n| {
                    index <= n.log.snapshot_index() || n.entry(index) == Some(entry)
                })
            };
            for (name, set) in [
                ("incoming", &config.voters.incoming),
                ("outgoing", &config.voters.outgoing),
            ] {
                if set.is_empty() {
                    continue;
                }
                let holding = set.ids().filter(|&id| holds(id)).count();
                if holding < set.quorum() {
                    return Some(format!(
                        "n{leader} committed index {index} ({entry}) held by {holding} of the {} \
                         {name} voters of its configuration {}",
                        set.len(),
                        config
                    ));
                }
            }
        }
        None
    }

    /// Records that `leader` won the election for `term`.
    pub(crate) fn record_election(&mut self, term: Term, leader: NodeId) {
        let at = self
            .history
            .elections
            .partition_point(|x| *x <= (term, leader));
        if at == 0 || self.history.elections[at - 1] != (term, leader) {
            self.history_mut().elections.insert(at, (term, leader));
        }
    }
}
