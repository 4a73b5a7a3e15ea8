//! The coverage signal of guided search, measured on the spec: which kinds of step a walk took
//! (the spec's transitions) and which abstract spec states and milestones it reached.
//!
//! A step's class is its input's kind (and message kind) together with the set of kinds of
//! output the step produced (so a `Timeout` that made a leader differs from one that did not).
//! A state gives milestones of how far the run got ([`state_features`]): the highest term, the
//! number of entries on which two logs conflict, the highest commit index with the longest log;
//! none names a node, so renaming nodes changes nothing. Features are 64-bit hashes with a fixed
//! function, so runs repeat.
//!
//! Finer signals were measured on the injected bugs (`cargo bench --bench guided`, 5 seeds)
//! and left out: pairs of consecutive step classes (AFL's edges) and the kinds of message in
//! flight made nearly every walk "new" and the corpus too large to steer (guided 0.4x random
//! on time to find); an abstract shape of the state (each node's role, term lag, log lag,
//! uncommitted tail, sorted) and the number of terms in the logs cost more than they steered
//! (1.5x with them, 2.7x without).

use std::collections::BTreeSet;

use raftcheck_spec::{ClusterState, Input, Output};

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

/// The milestones of one spec state: how far the run got, each a feature of its own so that
/// they add up rather than multiply — the highest term, the number of log entries on which two
/// nodes conflict (up to four), and the highest commit index with the longest log.
pub fn state_features(state: &ClusterState) -> [u64; 3] {
    let nodes: Vec<_> = state.nodes.values().collect();
    let top_term = nodes.iter().map(|n| n.term).max().unwrap_or(0);
    let top_index = nodes.iter().map(|n| n.log.last_index()).max().unwrap_or(0);
    let top_commit = nodes.iter().map(|n| n.commit).max().unwrap_or(0);
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
    let milestone = |name: &[u8], value: u64| fnv(&value.to_le_bytes(), fnv(name, FNV_START));
    [
        milestone(b"term", top_term),
        milestone(b"conflicts", conflicts.min(4)),
        milestone(b"commit", top_commit.min(15) * 16 + top_index.min(15)),
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
    fn a_conflict_between_logs_is_a_milestone_and_renaming_nodes_is_not() {
        let model = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::Lockstep);
        let start = model.initial_state();
        let with = |logs: &[(u64, Term)]| {
            let mut state = start.clone();
            for &(node, term) in logs {
                state.node_mut(node).log.push(Entry::empty(term));
            }
            state_features(&state)
        };
        let one = with(&[(1, 1)]);
        assert_eq!(one, with(&[(2, 1)]), "the same milestones on another node");
        let agreeing = with(&[(1, 1), (2, 1)]);
        let conflicting = with(&[(1, 1), (2, 2)]);
        assert_eq!(agreeing[0], conflicting[0]);
        assert_ne!(agreeing[1], conflicting[1], "the conflict is a milestone");
        assert_ne!(state_features(&start)[2], one[2], "so is a longer log");
    }
}
