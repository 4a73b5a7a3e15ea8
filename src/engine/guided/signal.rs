//! The coverage signal of guided search, measured on the spec: which kinds of step a walk took
//! (the spec's transitions) and which abstract spec states and milestones it reached.
//!
//! A step's class is its input's kind (and message kind) together with the set of kinds of
//! output the step produced (so a `Timeout` that made a leader differs from one that did not).
//! A state gives features of two sorts ([`state_features`]): its shape, which keeps what makes
//! Raft's deep bugs possible and forgets the rest — each node's role, how far its term and log
//! lag the highest, its uncommitted tail, and whether two logs conflict at some index, nodes
//! sorted so that renaming them changes nothing — and milestones of how far the run got (the
//! highest term, the number of conflicting entries, the number of terms in the logs, the
//! highest commit and log length), each a feature of its own so that they add up rather than
//! multiply. Features are 64-bit hashes with a fixed function, so runs repeat.
//!
//! Pairs of consecutive step classes (AFL's edges) are left out: measured on the injected bugs
//! (`cargo bench --bench guided`), they made nearly every walk "new" and the corpus too large
//! to steer.

use std::collections::BTreeSet;

use raftcheck_spec::{ClusterState, Input, Output, Role};

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
    let mut hash = fnv(input.kind().as_bytes(), FNV_START);
    if let Input::Receive { message } | Input::Drop { message } | Input::Duplicate { message } =
        input
    {
        hash = fnv(message.payload.kind().as_bytes(), hash);
    }
    let mut kinds: Vec<&'static str> = outputs
        .iter()
        .map(|output| match output {
            Output::Send { message } => message.payload.kind(),
            Output::BecomeLeader { .. } => "BecomeLeader",
            Output::ProposalDropped { .. } => "ProposalDropped",
        })
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        hash = fnv(b"|", hash);
        hash = fnv(kind.as_bytes(), hash);
    }
    hash
}

/// Collects the features of one walk, in the order first seen.
#[derive(Clone, Debug, Default)]
pub struct WalkSignal {
    /// Distinct features of the walk, with the step (1-based) each first appeared at.
    pub features: Vec<(u64, usize)>,
    seen: BTreeSet<u64>,
    steps: usize,
}

impl WalkSignal {
    /// Records one judged step: its class, and the features of the state it reached (when
    /// given).
    pub fn record(&mut self, input: &Input, outputs: &[Output], next: Option<&ClusterState>) {
        self.steps += 1;
        self.add(step_class(input, outputs));
        if let Some(state) = next {
            for feature in state_features(state) {
                self.add(feature);
            }
        }
    }

    fn add(&mut self, feature: u64) {
        if self.seen.insert(feature) {
            self.features.push((feature, self.steps));
        }
    }
}

/// Caps a count so that an abstraction stays small: 0, 1, and "more".
fn cap(n: u64) -> u8 {
    n.min(2) as u8
}

/// The features of one spec state: its abstract shape, and milestones of how far the run got
/// (each a feature of its own, so they add up rather than multiply).
pub fn state_features(state: &ClusterState) -> [u64; 5] {
    let nodes: Vec<_> = state.nodes.values().collect();
    let top_term = nodes.iter().map(|n| n.term).max().unwrap_or(0);
    let top_index = nodes.iter().map(|n| n.log.last_index()).max().unwrap_or(0);
    let mut per_node: Vec<[u8; 4]> = nodes
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
                cap(n.log.last_index() - n.commit.min(n.log.last_index())),
            ]
        })
        .collect();
    per_node.sort_unstable();
    let mut conflicts = 0u64;
    for (i, a) in nodes.iter().enumerate() {
        for b in &nodes[i + 1..] {
            let shared = a.log.last_index().min(b.log.last_index());
            conflicts += (1..=shared)
                .filter(
                    |&index| match (a.log.term_at(index), b.log.term_at(index)) {
                        (Some(x), Some(y)) => x != y,
                        _ => false,
                    },
                )
                .count() as u64;
        }
    }
    let mut terms: Vec<u64> = nodes
        .iter()
        .flat_map(|n| n.log.entries().iter().map(|e| e.term))
        .collect();
    terms.sort_unstable();
    terms.dedup();
    let top_commit = nodes.iter().map(|n| n.commit).max().unwrap_or(0);
    let mut shape = fnv(b"shape", FNV_START);
    for node in &per_node {
        shape = fnv(node, shape);
    }
    shape = fnv(&[u8::from(conflicts > 0)], shape);
    let milestone = |name: &[u8], value: u64| fnv(&value.to_le_bytes(), fnv(name, FNV_START));
    [
        shape,
        milestone(b"term", top_term),
        milestone(b"conflicts", conflicts.min(4)),
        milestone(b"log terms", terms.len() as u64),
        milestone(b"commit", top_commit.min(8) * 16 + top_index.min(15)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    use raftcheck_spec::{Bounds, Entry, Flavour, Mode, RaftModel, Term};

    #[test]
    fn the_class_is_the_kind_of_step_and_a_walk_counts_a_feature_once() {
        let a = step_class(&Input::Timeout { node: 1 }, &[]);
        let b = step_class(&Input::Timeout { node: 2 }, &[]);
        assert_eq!(a, b, "the class is the kind of step, not the node");
        let leader = [Output::BecomeLeader { node: 1, term: 1 }];
        assert_ne!(a, step_class(&Input::Timeout { node: 1 }, &leader));
        let mut s = WalkSignal::default();
        s.record(&Input::Timeout { node: 1 }, &[], None);
        s.record(&Input::Timeout { node: 2 }, &[], None);
        s.record(&Input::Timeout { node: 2 }, &leader, None);
        assert_eq!(s.features.len(), 2);
        assert_eq!(s.features[1].1, 3, "first seen at the third step");
    }

    #[test]
    fn a_conflict_between_logs_is_new_coverage_and_renaming_nodes_is_not() {
        let model = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::Lockstep);
        let start = model.initial_state();
        let with = |logs: &[(u64, Term)]| {
            let mut state = start.clone();
            for &(node, term) in logs {
                state
                    .nodes
                    .get_mut(node)
                    .unwrap()
                    .log
                    .push(Entry::empty(term));
            }
            state_features(&state)
        };
        let one = with(&[(1, 1)]);
        assert_eq!(one, with(&[(2, 1)]), "the same shape on another node");
        let agreeing = with(&[(1, 1), (2, 1)]);
        let conflicting = with(&[(1, 1), (2, 2)]);
        assert_ne!(agreeing[0], conflicting[0], "the shape has the conflict");
        assert_ne!(
            agreeing[2], conflicting[2],
            "so does the conflicts milestone"
        );
        assert_ne!(
            agreeing[3], conflicting[3],
            "and the number of terms in the logs"
        );
        assert_ne!(state_features(&start), one);
    }
}
