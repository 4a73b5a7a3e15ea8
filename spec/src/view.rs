//! The observable state: what is compared between spec and implementation after every step, and
//! the field-by-field diff that names what differs.
//!
//! Compared on every node: term, role, vote, known leader, the whole log (term and value of each
//! entry, the empty leader entry marked as such) and commit index. Votes counted and match
//! indexes are *not* observable: they are the spec's bookkeeping, and an implementation's
//! differently shaped bookkeeping (raft-rs progress, etcd's tracker) shows through the messages
//! it sends and the states it reaches instead.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cluster::ClusterState;
use crate::node::NodeState;
use crate::types::{Entry, LogIndex, NodeId, Role, Term};

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
    /// The whole log, from index 1. (No log is compacted yet; the view gains the snapshot base
    /// when compaction is modelled.)
    pub log: Vec<Entry>,
    /// Commit index.
    pub commit: LogIndex,
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
        }
    }
}

impl From<&ClusterState> for ClusterView {
    fn from(s: &ClusterState) -> Self {
        ClusterView {
            nodes: s.nodes.values().map(NodeView::from).collect(),
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

impl ClusterView {
    /// The fields where `implementation` differs from `self` (the spec), node by node in id
    /// order, fields in the order term, role, vote, leader, log, commit.
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
            let mut push = |field: String, spec: String, imp: String| {
                diffs.push(FieldDiff {
                    field,
                    spec,
                    implementation: imp,
                })
            };
            if s.term != m.term {
                push(format!("n{n}.term"), s.term.to_string(), m.term.to_string());
            }
            if s.role != m.role {
                push(format!("n{n}.role"), s.role.to_string(), m.role.to_string());
            }
            if s.vote != m.vote {
                push(format!("n{n}.vote"), node_name(s.vote), node_name(m.vote));
            }
            if s.leader != m.leader {
                push(
                    format!("n{n}.leader"),
                    node_name(s.leader),
                    node_name(m.leader),
                );
            }
            for index in 0..s.log.len().max(m.log.len()) {
                let (a, b) = (s.log.get(index), m.log.get(index));
                if a != b {
                    push(
                        format!("n{n}.log[{}]", index + 1),
                        entry_name(a),
                        entry_name(b),
                    );
                }
            }
            if s.commit != m.commit {
                push(
                    format!("n{n}.commit"),
                    s.commit.to_string(),
                    m.commit.to_string(),
                );
            }
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
            role: Role::Follower,
            vote: None,
            leader: None,
            log,
            commit: 0,
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
