//! The observable state: what is compared between spec and implementation after every step, and
//! the field-by-field diff that names what differs.
//!
//! Compared on every node: term, role, vote, known leader, the log (its snapshot base — the
//! index and term it is compacted up to — and every entry held after it: term and value, the
//! configuration change it carries, the empty entry marked as such), commit index, the
//! configuration in force, the applied index and the state machine's contents. Votes counted,
//! match indexes and the pending configuration index are *not* observable: they are the spec's bookkeeping, and an implementation's
//! differently shaped bookkeeping (raft-rs progress, etcd's tracker) shows through the messages
//! it sends and the states it reaches instead.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cluster::ClusterState;
use crate::configuration::Configuration;
use crate::node::NodeState;
use crate::types::{Entry, LogIndex, NodeId, Role, Term, Value};

/// One node's observable state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeView {
    /// Current term.
    pub term: Term,
    /// Current role.
    pub role: Role,
    /// Vote in the current term.
    pub vote: Option<NodeId>,
    /// The leader this node knows of.
    pub leader: Option<NodeId>,
    /// The entries held after the snapshot base: `log[k]` is the entry at index
    /// `snapshot_index + 1 + k` (the whole log from index 1 when nothing is compacted).
    pub log: Vec<Entry>,
    /// Commit index.
    pub commit: LogIndex,
    /// The index the log is compacted up to (0: nothing compacted).
    pub snapshot_index: LogIndex,
    /// The term at `snapshot_index` (0 when nothing is compacted).
    pub snapshot_term: Term,
    /// The configuration the node works with.
    pub config: Configuration,
    /// The applied index.
    pub applied: LogIndex,
    /// The state machine: the client values applied, in order.
    pub state_machine: Vec<Value>,
}

/// The observable state of a cluster: one view per node, in id order (`nodes[id - 1]` for the
/// initial cluster `1..=n`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClusterView {
    /// One view per node.
    pub nodes: Vec<NodeView>,
}

impl From<&NodeState> for NodeView {
    fn from(n: &NodeState) -> Self {
        NodeView {
            term: n.term,
            role: n.role,
            vote: n.vote,
            leader: n.leader,
            log: n.log.entries().to_vec(),
            commit: n.commit,
            snapshot_index: n.log.snapshot_index(),
            snapshot_term: n.log.snapshot_term(),
            config: (*n.config).clone(),
            applied: n.applied,
            state_machine: n.state_machine.clone(),
        }
    }
}

impl From<&ClusterState> for ClusterView {
    fn from(s: &ClusterState) -> Self {
        ClusterView {
            nodes: s.nodes.values().map(|n| NodeView::from(&**n)).collect(),
        }
    }
}

/// One field that differs between spec and implementation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// The field, e.g. `n2.term` or `n1.log[2]`.
    pub field: String,
    /// The spec's value, rendered.
    pub spec: String,
    /// The implementation's value, rendered.
    #[serde(rename = "impl")]
    pub implementation: String,
}

impl fmt::Display for FieldDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: spec {}, impl {}",
            self.field, self.spec, self.implementation
        )
    }
}

fn node_name(id: Option<NodeId>) -> String {
    id.map_or_else(|| "none".to_string(), |id| format!("n{id}"))
}

fn entry_name(entry: Option<&Entry>) -> String {
    entry.map_or_else(|| "missing".to_string(), |e| e.to_string())
}

impl NodeView {
    /// Index of the last entry held (the snapshot index when none is).
    pub fn last_index(&self) -> LogIndex {
        self.snapshot_index + self.log.len() as LogIndex
    }

    /// The entry held at `index`, if any.
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        index
            .checked_sub(self.snapshot_index + 1)
            .and_then(|k| self.log.get(k as usize))
    }

    /// The view of a node that has only ever known the initial configuration `config`, with
    /// these fields and nothing compacted or applied (a starting point for building views).
    pub fn fresh(config: Configuration) -> Self {
        NodeView {
            term: 0,
            role: Role::Follower,
            vote: None,
            leader: None,
            log: Vec::new(),
            commit: 0,
            snapshot_index: 0,
            snapshot_term: 0,
            config,
            applied: 0,
            state_machine: Vec::new(),
        }
    }
}

impl ClusterView {
    /// The fields where `implementation` differs from `self` (the spec), node by node in id
    /// order, fields in the order term, role, vote, leader, snapshot, log, commit, config,
    /// applied, state machine. Log entries are named by their index.
    pub fn diff(&self, implementation: &ClusterView) -> Vec<FieldDiff> {
        let mut diffs = Vec::new();
        if self.nodes.len() != implementation.nodes.len() {
            diffs.push(FieldDiff {
                field: "nodes".into(),
                spec: self.nodes.len().to_string(),
                implementation: implementation.nodes.len().to_string(),
            });
            return diffs;
        }
        for (i, (s, m)) in self.nodes.iter().zip(&implementation.nodes).enumerate() {
            let n = i + 1;
            let mut field = |name: &str, spec: String, imp: String| {
                if spec != imp {
                    diffs.push(FieldDiff {
                        field: format!("n{n}.{name}"),
                        spec,
                        implementation: imp,
                    })
                }
            };
            field("term", s.term.to_string(), m.term.to_string());
            field("role", s.role.to_string(), m.role.to_string());
            field("vote", node_name(s.vote), node_name(m.vote));
            field("leader", node_name(s.leader), node_name(m.leader));
            let base = |v: &NodeView| format!("({},t{})", v.snapshot_index, v.snapshot_term);
            field("snapshot", base(s), base(m));
            let first = s.snapshot_index.min(m.snapshot_index) + 1;
            for index in first..=s.last_index().max(m.last_index()) {
                let (a, b) = (s.entry(index), m.entry(index));
                if a != b {
                    field(&format!("log[{index}]"), entry_name(a), entry_name(b));
                }
            }
            field("commit", s.commit.to_string(), m.commit.to_string());
            field("config", s.config.to_string(), m.config.to_string());
            field("applied", s.applied.to_string(), m.applied.to_string());
            let machine = |v: &NodeView| format!("{:?}", v.state_machine);
            field("state_machine", machine(s), machine(m));
        }
        diffs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(term: Term, log: Vec<Entry>) -> NodeView {
        NodeView {
            term,
            log,
            ..NodeView::fresh(Configuration::with_voters([1, 2]))
        }
    }

    #[test]
    fn equal_views_have_no_diff() {
        let a = ClusterView {
            nodes: vec![view(1, vec![Entry::empty(1)])],
        };
        assert!(a.diff(&a.clone()).is_empty());
    }

    #[test]
    fn diff_names_each_field_that_differs() {
        let spec = ClusterView {
            nodes: vec![
                view(1, vec![]),
                view(3, vec![Entry::empty(1), Entry::value(1, 1)]),
            ],
        };
        let mut imp = spec.clone();
        imp.nodes[1].term = 4;
        imp.nodes[1].log.pop();
        imp.nodes[1].vote = Some(1);
        let diffs: Vec<String> = spec.diff(&imp).iter().map(|d| d.to_string()).collect();
        assert_eq!(
            diffs,
            vec![
                "n2.term: spec 3, impl 4",
                "n2.vote: spec none, impl n1",
                "n2.log[2]: spec t1:v1, impl missing",
            ]
        );
    }

    #[test]
    fn cluster_size_mismatch_is_one_diff() {
        let a = ClusterView {
            nodes: vec![view(0, vec![])],
        };
        let b = ClusterView { nodes: vec![] };
        assert_eq!(a.diff(&b).len(), 1);
    }
}
