//! The node memo (feature `node_step`): every node transition a child has computed, so that a
//! step seen before is answered without the child.
//!
//! The protocol requires that a node's behaviour depends only on the inputs addressed to it,
//! and a `node_step` child gives each node a fingerprint of its hidden state. A node is then
//! identified by its id, its observed view and its fingerprint: two nodes equal in all three
//! give the same outputs and reach equal nodes for every input. Exhaustive search meets the same
//! node in the same state over and over — in a 3-node cluster at the default bounds, a few
//! thousand distinct (node, input) pairs stand behind hundreds of thousands of product-state
//! steps — so remembering each transition once turns almost every step into a table lookup.
//!
//! [`Logical`] is the cluster as raftcheck knows it: for each node, the inputs it has been
//! driven through and its state after each prefix. The child's nodes may lag behind it; they
//! are brought up to date (by `reset_node` and `replay`) only when a step misses the memo.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use raftcheck_spec::{Input, NodeView, Output};
use siphasher::sip128::{Hasher128, SipHasher13};

use crate::ClusterSetup;

/// Transitions remembered at most; past it the memo starts afresh (each entry is one node's
/// step: its input, outputs and the view after).
pub const MEMO_LIMIT: usize = 1 << 20;

/// One node's state as the child reported it.
#[derive(Debug, PartialEq, Eq)]
pub struct NodeState {
    /// The node's id, view and fingerprint, hashed: the memo's key for this state.
    pub key: u128,
    /// What the node looks like.
    pub view: NodeView,
}

impl NodeState {
    /// The state of node `node` with `view` and the child's `fingerprint` for it.
    pub fn new(node: u64, fingerprint: &str, view: NodeView) -> Self {
        let mut h = SipHasher13::new_with_keys(0x6e6f_6465_6d65_6d6f, 0x7374_6174_656b_6579);
        node.hash(&mut h);
        fingerprint.hash(&mut h);
        view.hash(&mut h);
        NodeState {
            key: h.finish128().as_u128(),
            view,
        }
    }
}

/// One remembered step of one node.
#[derive(Debug)]
pub struct Transition {
    /// Everything the step emitted, in order.
    pub outputs: Vec<Output>,
    /// The node after it.
    pub next: Arc<NodeState>,
}

/// How often the memo answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MemoStats {
    /// Steps answered from the memo.
    pub hits: u64,
    /// Steps the child computed (each one then remembered).
    pub misses: u64,
    /// Inputs the child replayed to bring a node up to date before computing a step.
    pub replayed: u64,
}

impl MemoStats {
    /// Inputs the implementation itself was driven through: the steps it computed and the
    /// replays before them.
    pub fn driven(&self) -> u64 {
        self.misses + self.replayed
    }
}

/// The remembered transitions, by the state they leave and the input.
#[derive(Debug, Default)]
pub struct NodeMemo {
    transitions: HashMap<u128, HashMap<Input, Arc<Transition>>>,
    len: usize,
    /// The cluster the transitions were computed in.
    setup: Option<ClusterSetup>,
    /// How often it answered.
    pub stats: MemoStats,
}

impl NodeMemo {
    /// The step of `input` from the state with key `from`, if remembered.
    pub fn get(&mut self, from: u128, input: &Input) -> Option<Arc<Transition>> {
        let found = self.transitions.get(&from)?.get(input).cloned();
        if found.is_some() {
            self.stats.hits += 1;
        }
        found
    }

    /// Remembers the step of `input` from `from`.
    pub fn insert(&mut self, from: u128, input: Input, transition: Arc<Transition>) {
        self.stats.misses += 1;
        if self.len >= MEMO_LIMIT {
            self.transitions.clear();
            self.len = 0;
        }
        if self
            .transitions
            .entry(from)
            .or_default()
            .insert(input, transition)
            .is_none()
        {
            self.len += 1;
        }
    }

    /// Forgets everything unless it was computed in a cluster of `setup`.
    pub fn keep_for(&mut self, setup: &ClusterSetup) {
        if self.setup.as_ref() != Some(setup) {
            self.transitions.clear();
            self.len = 0;
            self.setup = Some(setup.clone());
        }
    }

    /// Number of transitions remembered.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One node of the [`Logical`] cluster: its inputs and its state after each prefix of them.
#[derive(Clone, Debug)]
struct NodeLine {
    inputs: Vec<Input>,
    /// `states[k]` is the state after `inputs[..k]`; one more than there are inputs.
    states: Vec<Arc<NodeState>>,
}

/// The cluster as raftcheck knows it, ahead of the child's.
#[derive(Clone, Debug)]
pub struct Logical {
    /// The cluster built.
    pub setup: ClusterSetup,
    nodes: Vec<NodeLine>,
}

impl Logical {
    /// A fresh cluster of `setup` whose nodes start in `initial` (in id order).
    pub fn new(setup: ClusterSetup, initial: &[Arc<NodeState>]) -> Self {
        Logical {
            setup,
            nodes: initial
                .iter()
                .map(|s| NodeLine {
                    inputs: Vec::new(),
                    states: vec![s.clone()],
                })
                .collect(),
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True for a cluster of no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Node `node`'s current state (`node` is 1-based and in the cluster).
    pub fn current(&self, node: u64) -> &Arc<NodeState> {
        self.line(node).states.last().expect("a node has a state")
    }

    /// The inputs node `node` has been driven through.
    pub fn inputs(&self, node: u64) -> &[Input] {
        &self.line(node).inputs
    }

    /// Records that `input` took node `node` to `next`.
    pub fn push(&mut self, node: u64, input: Input, next: Arc<NodeState>) {
        let line = self.line_mut(node);
        line.inputs.push(input);
        line.states.push(next);
    }

    /// Takes node `node` back to its state after the longest prefix of its inputs that `wanted`
    /// starts with; returns that prefix's length.
    pub fn rewind_to_common_prefix(&mut self, node: u64, wanted: &[&Input]) -> usize {
        let line = self.line_mut(node);
        let common = line
            .inputs
            .iter()
            .zip(wanted)
            .take_while(|(a, b)| a == *b)
            .count();
        line.inputs.truncate(common);
        line.states.truncate(common + 1);
        common
    }

    /// Every node's current view, in id order.
    pub fn views(&self) -> Vec<NodeView> {
        self.nodes
            .iter()
            .map(|l| l.states.last().expect("a node has a state").view.clone())
            .collect()
    }

    /// A fingerprint of the whole cluster: its nodes' keys, in id order.
    pub fn fingerprint(&self) -> u64 {
        let mut h = SipHasher13::new_with_keys(0x6c6f_6769_6361_6c31, 0x636c_7573_7465_7231);
        for line in &self.nodes {
            line.states
                .last()
                .expect("a node has a state")
                .key
                .hash(&mut h);
        }
        h.finish128().h1
    }

    fn line(&self, node: u64) -> &NodeLine {
        &self.nodes[(node - 1) as usize]
    }

    fn line_mut(&mut self, node: u64) -> &mut NodeLine {
        &mut self.nodes[(node - 1) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(term: u64) -> NodeView {
        NodeView {
            term,
            ..NodeView::fresh(raftcheck_spec::Configuration::with_voters(1..=3))
        }
    }

    fn state(node: u64, fp: &str, term: u64) -> Arc<NodeState> {
        Arc::new(NodeState::new(node, fp, view(term)))
    }

    #[test]
    fn a_state_is_its_node_view_and_fingerprint() {
        let a = state(1, "f", 0);
        assert_eq!(a.key, state(1, "f", 0).key);
        assert_ne!(a.key, state(2, "f", 0).key, "another node");
        assert_ne!(a.key, state(1, "g", 0).key, "other hidden state");
        assert_ne!(a.key, state(1, "f", 1).key, "another view");
    }

    #[test]
    fn a_remembered_step_is_found_by_state_and_input() {
        let mut memo = NodeMemo::default();
        let from = state(1, "f", 0);
        let t = Input::Timeout { node: 1 };
        assert!(memo.get(from.key, &t).is_none());
        let next = state(1, "g", 1);
        memo.insert(
            from.key,
            t.clone(),
            Arc::new(Transition {
                outputs: Vec::new(),
                next: next.clone(),
            }),
        );
        assert_eq!(memo.get(from.key, &t).unwrap().next, next);
        assert!(memo.get(next.key, &t).is_none());
        assert!(memo.get(from.key, &Input::Restart { node: 1 }).is_none());
        assert_eq!(
            memo.stats,
            MemoStats {
                hits: 1,
                misses: 1,
                replayed: 0
            }
        );
        memo.keep_for(&ClusterSetup::new(3));
        assert!(memo.is_empty(), "a new setup starts afresh");
    }

    #[test]
    fn rewinding_keeps_the_common_prefix_and_its_states() {
        let initial = [state(1, "a", 0), state(2, "a", 0)];
        let mut logical = Logical::new(ClusterSetup::new(2), &initial);
        let (t, r) = (Input::Timeout { node: 1 }, Input::Restart { node: 1 });
        logical.push(1, t.clone(), state(1, "b", 1));
        logical.push(1, r.clone(), state(1, "c", 1));
        assert_eq!(logical.rewind_to_common_prefix(1, &[&t, &t]), 1);
        assert_eq!(logical.current(1).key, state(1, "b", 1).key);
        assert_eq!(logical.rewind_to_common_prefix(1, &[]), 0);
        assert_eq!(logical.current(1).key, initial[0].key);
        assert_eq!(logical.inputs(1), &[] as &[Input]);
        let before = logical.fingerprint();
        logical.push(2, Input::Timeout { node: 2 }, state(2, "b", 1));
        assert_ne!(logical.fingerprint(), before);
    }
}
