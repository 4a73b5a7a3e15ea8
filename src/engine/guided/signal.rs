//! The coverage signal of guided search: which kinds of step a walk took, and which pairs of
//! consecutive kinds.
//!
//! A step's class is its input label together with the set of output labels the step produced
//! (so `Receive AppendEntries` answered by a rejection differs from one that was accepted, and a
//! `Timeout` that made a leader differs from one that did not). A feature is a class or a pair of
//! consecutive classes; features are 64-bit hashes with a fixed function, so runs repeat.

use std::collections::BTreeSet;

use raftcheck_spec::{Input, Output};

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
    /// Records one judged step.
    pub fn record(&mut self, input: &Input, outputs: &[Output]) {
        self.steps += 1;
        let class = step_class(input, outputs);
        self.add(class);
        if let Some(previous) = self.previous {
            self.add(fnv(&previous.to_le_bytes(), class.rotate_left(17)));
        }
        self.previous = Some(class);
    }

    fn add(&mut self, feature: u64) {
        if self.seen.insert(feature) {
            self.features.push((feature, self.steps));
        }
    }
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
        s.record(&Input::Timeout { node: 1 }, &[]);
        s.record(&Input::Timeout { node: 2 }, &[]);
        // The class once, then the pair (Timeout, Timeout).
        assert_eq!(s.features.len(), 2);
        assert_eq!(s.features[1].1, 2);
    }
}
