//! Per-node input histories: the basis of cheap backtracking and of a fingerprint any adapter
//! can offer.
//!
//! Adapters require that each node is deterministic and depends only on the inputs addressed to
//! it (a node never reads another node's memory; everything between nodes goes through the
//! engine's network). Then a node's state is a function of the sequence of inputs it has been
//! driven through since it was built fresh, which gives two things:
//!
//! - [`NodeHistories::plan`]: to reach the state after a path, only the nodes whose history is
//!   not a prefix of the path's must be rebuilt, and only the missing inputs applied;
//! - [`NodeHistories::fingerprint`]: hashing the histories is a sound fingerprint of hidden
//!   state. It merges product states reached by different interleavings of the same per-node
//!   inputs — weaker than a fingerprint of the real internal state, but available for free.

use std::hash::{Hash, Hasher};

use raftcheck_spec::Input;
use siphasher::sip::SipHasher13;

/// What to do to one node to bring it to the state a path leads to.
#[derive(Debug, PartialEq, Eq)]
pub struct NodePlan<'a> {
    /// The node (1-based).
    pub node: u64,
    /// True when the node must first be rebuilt fresh.
    pub rebuild: bool,
    /// The inputs to apply after that, in order.
    pub inputs: Vec<&'a Input>,
}

/// The inputs each node of a cluster has been driven through since it was built fresh.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeHistories {
    nodes: Vec<Vec<Input>>,
}

impl NodeHistories {
    /// Empty histories for a fresh cluster of `nodes` nodes.
    pub fn new(nodes: u64) -> Self {
        NodeHistories {
            nodes: vec![Vec::new(); nodes as usize],
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True for a cluster of no nodes (before the first reset).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Records that `input` was applied (to its target node; network-only inputs are ignored).
    /// Record inputs even when applying them failed: the node may have changed before failing.
    pub fn record(&mut self, input: &Input) {
        if let Some(node) = input.target() {
            if let Some(history) = self.nodes.get_mut((node as usize).wrapping_sub(1)) {
                history.push(input.clone());
            }
        }
    }

    /// Records that `node` was rebuilt fresh.
    pub fn rebuilt(&mut self, node: u64) {
        if let Some(history) = self.nodes.get_mut((node as usize).wrapping_sub(1)) {
            history.clear();
        }
    }

    /// The per-node work that brings the cluster from its current histories to the state after
    /// `path` (nodes needing nothing are left out). Errors name an input addressed to a node
    /// that does not exist.
    pub fn plan<'a>(&self, path: &'a [Input]) -> Result<Vec<NodePlan<'a>>, String> {
        Ok(inputs_by_node(self.nodes.len(), path)?
            .into_iter()
            .zip(&self.nodes)
            .enumerate()
            .filter_map(|(i, (wanted, have))| node_plan(i as u64 + 1, have, wanted))
            .collect())
    }

    /// The work that brings node `node` alone to the state after `wanted`, its own inputs
    /// (`None` when it is there already); the other nodes are left as they are. Errors name a
    /// node not in the cluster.
    pub fn plan_node<'a>(
        &self,
        node: u64,
        wanted: &'a [Input],
    ) -> Result<Option<NodePlan<'a>>, String> {
        let have = self
            .nodes
            .get((node as usize).wrapping_sub(1))
            .ok_or_else(|| format!("n{node} is not in the cluster"))?;
        Ok(node_plan(node, have, wanted.iter().collect()))
    }

    /// Every recorded input, node by node: a path that leads to the current state (nodes are
    /// independent, so any interleaving of their histories does).
    pub fn path(&self) -> Vec<Input> {
        self.nodes.iter().flatten().cloned().collect()
    }

    /// A fingerprint of node `node`'s history alone (0 for a node not in the cluster), stable
    /// across runs: a sound node fingerprint for any adapter.
    pub fn node_fingerprint(&self, node: u64) -> u64 {
        let mut h = SipHasher13::new_with_keys(0x6869_7374_6f72_7931, 0x6e6f_6465_6670_3031);
        node.hash(&mut h);
        self.nodes.get((node as usize).wrapping_sub(1)).hash(&mut h);
        h.finish()
    }

    /// A fingerprint of the histories, stable across runs.
    pub fn fingerprint(&self) -> u64 {
        let mut h = SipHasher13::new_with_keys(0x6869_7374_6f72_7931, 0x6669_6e67_6572_7031);
        self.nodes.hash(&mut h);
        h.finish()
    }
}

/// The inputs of `path` addressed to each of a cluster's `nodes` nodes, in path order (network-
/// only inputs left out). Errors name an input addressed to a node that does not exist.
pub fn inputs_by_node(nodes: usize, path: &[Input]) -> Result<Vec<Vec<&Input>>, String> {
    let mut wanted: Vec<Vec<&Input>> = vec![Vec::new(); nodes];
    for input in path {
        if let Some(node) = input.target() {
            wanted
                .get_mut((node as usize).wrapping_sub(1))
                .ok_or_else(|| format!("{input} addresses n{node}, not in the cluster"))?
                .push(input);
        }
    }
    Ok(wanted)
}

/// What brings node `node`, driven through `have`, to the state after `wanted`: the missing
/// inputs when `have` is a prefix of `wanted`, else a rebuild and all of them; `None` when it is
/// there already.
fn node_plan<'a>(node: u64, have: &[Input], wanted: Vec<&'a Input>) -> Option<NodePlan<'a>> {
    let keeps = have.len() <= wanted.len() && have.iter().zip(&wanted).all(|(a, b)| a == *b);
    let (rebuild, from) = if keeps {
        (false, have.len())
    } else {
        (true, 0)
    };
    let inputs = wanted[from..].to_vec();
    (rebuild || !inputs.is_empty()).then_some(NodePlan {
        node,
        rebuild,
        inputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(node: u64) -> Input {
        Input::Timeout { node }
    }

    #[test]
    fn a_fresh_cluster_plans_the_whole_path_without_rebuilds() {
        let h = NodeHistories::new(3);
        let path = vec![t(1), t(2), t(1)];
        let plan = h.plan(&path).unwrap();
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[0].node, 1);
        assert!(!plan[0].rebuild);
        assert_eq!(plan[0].inputs.len(), 2);
    }

    #[test]
    fn only_diverged_nodes_are_rebuilt() {
        let mut h = NodeHistories::new(3);
        for i in [t(1), t(2), Input::Restart { node: 3 }] {
            h.record(&i);
        }
        // Parent path: n1 and n2 timed out; n3 did nothing.
        let parent = vec![t(1), t(2)];
        let plan = h.plan(&parent).unwrap();
        assert_eq!(
            plan,
            vec![NodePlan {
                node: 3,
                rebuild: true,
                inputs: vec![]
            }]
        );
    }

    #[test]
    fn interleavings_of_the_same_node_inputs_share_a_fingerprint() {
        let mut a = NodeHistories::new(2);
        let mut b = NodeHistories::new(2);
        a.record(&t(1));
        a.record(&t(2));
        b.record(&t(2));
        b.record(&t(1));
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.record(&t(1));
        assert_ne!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn one_node_is_planned_alone() {
        let mut h = NodeHistories::new(3);
        for i in [t(1), t(2)] {
            h.record(&i);
        }
        assert_eq!(h.plan_node(1, &[t(1)]).unwrap(), None);
        let more = [t(1), t(1)];
        let plan = h.plan_node(1, &more).unwrap().unwrap();
        assert!(!plan.rebuild);
        assert_eq!(plan.inputs, vec![&t(1)]);
        let other = [Input::Restart { node: 2 }];
        assert!(h.plan_node(2, &other).unwrap().unwrap().rebuild);
        assert!(h.plan_node(4, &[]).is_err());
    }

    #[test]
    fn unknown_nodes_are_an_error() {
        let h = NodeHistories::new(2);
        assert!(h.plan(&[t(5)]).is_err());
    }
}
