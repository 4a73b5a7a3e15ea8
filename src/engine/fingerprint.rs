//! Fingerprints of spec states: a 64-bit hash, stable across runs, that the searches keep in
//! place of the states they have seen.
//!
//! A fingerprint is built from parts: each node is hashed on its own, and the state's hash
//! covers those node hashes, the history's hash, the network and the spent budget. A step
//! changes the node it is taken at (a send from the spec's menu changes none), and a state
//! shares every node it did not change with the state it came from ([`ClusterState::node_mut`]
//! copies on write). So [`PartHashes`] of a parent, computed once, give each of its children's
//! fingerprints with one node hashed instead of all: a node (or history) that is the very same
//! shared value as the parent's has the parent's hash. That needs no bookkeeping in the spec,
//! only that a shared value is never changed in place, which `Arc` guarantees.

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

use foldhash::quality::FixedState;
use raftcheck_spec::{ClusterState, NodeId};

/// The seed of the outer hash (over the parts). Both hashes are foldhash's quality hash with a
/// fixed seed: the same on every run (on every 64-bit little-endian machine), and much faster
/// than SipHash on the many small writes a derived `Hash` makes.
const STATE_SEED: u64 = 0x5345_4152_4348_5f31;
/// The seed of each part's own hash.
const PART_SEED: u64 = 0x5041_5254_5f48_4153;

/// A fingerprint of a spec state, stable across runs.
pub fn spec_fingerprint(state: &ClusterState) -> u64 {
    PartHashes::of(state).fingerprint(state)
}

/// One part's own hash.
fn part_hash<T: Hash>(part: &T) -> u64 {
    FixedState::with_seed(PART_SEED).hash_one(part)
}

/// The hashes of one state's shared parts: its nodes, in id order, and its history.
#[derive(Clone, Debug, Default)]
pub struct PartHashes {
    nodes: Vec<u64>,
    history: u64,
}

impl PartHashes {
    /// Hashes every part of `state`.
    pub fn of(state: &ClusterState) -> Self {
        PartHashes {
            nodes: state.nodes.values().map(|n| part_hash(&**n)).collect(),
            history: part_hash(&*state.history),
        }
    }

    /// The fingerprint of `state`, whose part hashes these are.
    pub fn fingerprint(&self, state: &ClusterState) -> u64 {
        combine(
            state,
            state
                .nodes
                .iter()
                .zip(&self.nodes)
                .map(|((id, _), &hash)| (id, hash)),
            self.history,
        )
    }

    /// The fingerprint of `child`, a state that may share parts with `parent`, whose part
    /// hashes these are: a part shared with the parent is not hashed again.
    pub fn child_fingerprint(&self, parent: &ClusterState, child: &ClusterState) -> u64 {
        if parent.nodes.len() != child.nodes.len() || parent.nodes.len() != self.nodes.len() {
            return spec_fingerprint(child);
        }
        let nodes = parent
            .nodes
            .iter()
            .zip(child.nodes.iter())
            .zip(&self.nodes)
            .map(|(((pid, p), (cid, c)), &hash)| {
                let shared = pid == cid && Arc::ptr_eq(p, c);
                (cid, if shared { hash } else { part_hash(&**c) })
            });
        let history = if Arc::ptr_eq(&parent.history, &child.history) {
            self.history
        } else {
            part_hash(&*child.history)
        };
        combine(child, nodes, history)
    }
}

/// The outer hash: the nodes' ids and hashes, the history's hash, the network, the spent budget.
fn combine(state: &ClusterState, nodes: impl Iterator<Item = (NodeId, u64)>, history: u64) -> u64 {
    let mut h = FixedState::with_seed(STATE_SEED).build_hasher();
    h.write_usize(state.nodes.len());
    for (id, hash) in nodes {
        h.write_u64(id);
        h.write_u64(hash);
    }
    h.write_u64(history);
    state.network.hash(&mut h);
    state.spent.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use raftcheck_spec::{Bounds, Flavour, Mode, RaftModel};
    use stateright::Model;

    use super::*;

    /// Every child's fingerprint from its parent's part hashes is its fingerprint from
    /// scratch, over the first levels of the spec-only state space; and distinct states there
    /// have distinct fingerprints.
    #[test]
    fn child_fingerprints_equal_fingerprints_from_scratch() {
        let model = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::SpecOnly);
        let mut level = model.init_states();
        let mut seen = std::collections::HashMap::new();
        let mut checked = 0;
        for _ in 0..5 {
            let mut next = Vec::new();
            for parent in &level {
                let parts = PartHashes::of(parent);
                let mut actions = Vec::new();
                model.actions(parent, &mut actions);
                for action in actions {
                    let Some(child) = model.next_state(parent, action) else {
                        continue;
                    };
                    let fp = parts.child_fingerprint(parent, &child);
                    assert_eq!(fp, spec_fingerprint(&child));
                    checked += 1;
                    if let Some(other) = seen.insert(fp, child.clone()) {
                        assert_eq!(other, child, "two states share fingerprint {fp:#x}");
                    } else {
                        next.push(child);
                    }
                }
            }
            level = next;
        }
        assert!(checked > 1000, "only {checked} children checked");
    }

    /// A changed node changes the fingerprint even when the parent's hashes are reused.
    #[test]
    fn a_changed_node_is_hashed_again() {
        let parent = ClusterState::initial(3);
        let parts = PartHashes::of(&parent);
        let mut child = parent.clone();
        child.node_mut(2).term = 5;
        assert_ne!(
            parts.child_fingerprint(&parent, &child),
            spec_fingerprint(&parent)
        );
        assert_eq!(
            parts.child_fingerprint(&parent, &child),
            spec_fingerprint(&child)
        );
    }
}
