//! The coverage signal of guided search, measured on the spec: which kinds of step a walk took
//! (the spec's transitions), which pairs of consecutive kinds, and which abstract spec states it
//! reached.
//!
//! A step's class is its input label together with the set of output labels the step produced
//! (so `Receive AppendEntries` answered by a rejection differs from one that was accepted, and a
//! `Timeout` that made a leader differs from one that did not). A state's abstraction
//! ([`abstract_state`]) keeps what makes Raft's deep bugs possible and forgets the rest: each
//! node's role, how far its term lags the highest, its log's length and last term relative to
//! the others, its commit index, whether it knows a leader; whether two logs conflict at some
//! index; which kinds of message are in flight. Nodes are sorted, so renaming them changes
//! nothing. A feature is a class, a pair of consecutive classes, or an abstract state; features
//! are 64-bit hashes with a fixed function, so runs repeat.

use std::collections::BTreeSet;

use raftcheck_spec::{ClusterState, Input, Output, Role};

use crate::engine::coverage::{input_label, output_label};

/// FNV-1a over bytes: fixed between builds, unlike `DefaultHasher`.
fn fnv(bytes: &[u8], mut hash: u64) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01B3);
    }
    hash
}

const FNV_START: u64 = 0xCBF2_9CE4_8422_2325;

/// The class of one step.
pub fn step_class(input: &Input, outputs: &[Output]) -> u64 {
    let labels: BTreeSet<String> = outputs.iter().map(output_label).collect();
    let mut hash = fnv(input_label(input).as_bytes(), FNV_START);
    for label in labels {
        hash = fnv(b"|", hash);
        hash = fnv(label.as_bytes(), hash);
    }
    hash
}

/// Collects the features of one walk, in the order first seen.
#[derive(Clone, Debug, Default)]
pub struct WalkSignal {
    previous: Option<u64>,
    /// Distinct features of the walk, with the step (1-based) each first appeared at.
    pub features: Vec<(u64, usize)>,
    seen: BTreeSet<u64>,
    steps: usize,
}

impl WalkSignal {
    /// Records one judged step: its class, the pair it ends, and the abstract state it reached
    /// (when given).
    pub fn record(&mut self, input: &Input, outputs: &[Output], next: Option<&ClusterState>) {
        self.steps += 1;
        let class = step_class(input, outputs);
        self.add(class);
        if let Some(previous) = self.previous {
            self.add(fnv(&previous.to_le_bytes(), class.rotate_left(17)));
        }
        self.previous = Some(class);
        if let Some(state) = next {
            self.add(abstract_state(state));
        }
    }

    fn add(&mut self, feature: u64) {
        if self.seen.insert(feature) {
            self.features.push((feature, self.steps));
        }
    }
}

/// Caps a count so that an abstraction stays small: 0, 1, 2, and "more".
fn cap(n: u64) -> u8 {
    n.min(3) as u8
}

/// The abstract state of `state` as one feature (see the module documentation).
pub fn abstract_state(state: &ClusterState) -> u64 {
    let nodes: Vec<_> = state.nodes.values().collect();
    let top_term = nodes.iter().map(|n| n.term).max().unwrap_or(0);
    let top_index = nodes.iter().map(|n| n.log.last_index()).max().unwrap_or(0);
    let top_last_term = nodes.iter().map(|n| n.log.last_term()).max().unwrap_or(0);
    let mut per_node: Vec<[u8; 6]> = nodes
        .iter()
        .map(|n| {
            [
                match n.role {
                    Role::Follower => 0,
                    Role::PreCandidate => 1,
                    Role::Candidate => 2,
                    Role::Leader => 3,
                },
                cap(top_term - n.term),
                cap(top_index - n.log.last_index()),
                cap(top_last_term - n.log.last_term()),
                cap(n.log.last_index() - n.commit.min(n.log.last_index())),
                u8::from(n.leader.is_some()),
            ]
        })
        .collect();
    per_node.sort_unstable();
    let conflict = nodes.iter().enumerate().any(|(i, a)| {
        nodes[i + 1..].iter().any(|b| {
            let shared = a.log.last_index().min(b.log.last_index());
            (1..=shared).any(|index| match (a.log.term_at(index), b.log.term_at(index)) {
                (Some(x), Some(y)) => x != y,
                _ => false,
            })
        })
    });
    let in_flight: BTreeSet<&str> = state.network.iter().map(|m| m.payload.kind()).collect();
    let mut hash = fnv(b"state", FNV_START);
    for node in &per_node {
        hash = fnv(node, hash);
    }
    hash = fnv(&[u8::from(conflict)], hash);
    for kind in in_flight {
        hash = fnv(b"|", hash);
        hash = fnv(kind.as_bytes(), hash);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_change_the_class_and_pairs_are_features() {
        let a = step_class(&Input::Timeout { node: 1 }, &[]);
        let b = step_class(&Input::Timeout { node: 2 }, &[]);
        assert_eq!(a, b, "the class is the kind of step, not the node");
        let mut s = WalkSignal::default();
        s.record(&Input::Timeout { node: 1 }, &[], None);
        s.record(&Input::Timeout { node: 2 }, &[], None);
        // The class once, then the pair (Timeout, Timeout).
        assert_eq!(s.features.len(), 2);
        assert_eq!(s.features[1].1, 2);
    }
}
