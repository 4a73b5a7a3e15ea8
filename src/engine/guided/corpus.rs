//! The corpus of guided search: walks that found a feature no earlier walk had, with how often
//! each feature has been hit, so that walks reaching rare features get more of the budget.

use std::collections::BTreeMap;

use raftcheck_spec::Input;

use super::signal::WalkSignal;
use crate::engine::random::SplitMix64;

/// One kept walk: its inputs up to the last step at which it found a new feature.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The inputs.
    pub path: Vec<Input>,
    /// The features this walk was first to reach.
    pub found: Vec<u64>,
}

/// The kept walks and the hit count of every feature seen.
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    /// Kept walks, in the order they were kept.
    pub entries: Vec<Entry>,
    hits: BTreeMap<u64, u64>,
}

impl Corpus {
    /// Distinct features seen so far.
    pub fn features(&self) -> usize {
        self.hits.len()
    }

    /// Adds a finished walk: counts its features and keeps it if it found a new one.
    pub fn add(&mut self, path: &[Input], signal: &WalkSignal) {
        let mut found = Vec::new();
        let mut last = 0;
        for &(feature, step) in &signal.features {
            let count = self.hits.entry(feature).or_default();
            if *count == 0 {
                found.push(feature);
                last = last.max(step);
            }
            *count += 1;
        }
        if !found.is_empty() {
            self.entries.push(Entry {
                path: path[..last.min(path.len())].to_vec(),
                found,
            });
        }
    }

    /// An entry's energy: high when the rarest feature it found is still rare.
    fn energy(&self, entry: &Entry) -> u64 {
        let rarest = entry
            .found
            .iter()
            .map(|f| self.hits.get(f).copied().unwrap_or(1))
            .min()
            .unwrap_or(1);
        (1024 / rarest.max(1)).max(1)
    }

    /// The entries' energies as a table to pick from: the corpus does not change during a
    /// batch of walks, so the table is built once per batch.
    pub fn energies(&self) -> Energies {
        let mut total = 0;
        let cumulative = self
            .entries
            .iter()
            .map(|entry| {
                total += self.energy(entry);
                total
            })
            .collect();
        Energies { cumulative }
    }

    /// Picks an entry with probability proportional to its energy, or `None` when empty.
    pub fn pick(&self, energies: &Energies, rng: &mut SplitMix64) -> Option<&Entry> {
        let total = *energies.cumulative.last()?;
        let target = rng.next_u64() % total;
        let at = energies.cumulative.partition_point(|&c| c <= target);
        self.entries.get(at)
    }
}

/// The running sums of the corpus entries' energies, in entry order.
#[derive(Clone, Debug, Default)]
pub struct Energies {
    cumulative: Vec<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_walk_only_for_a_new_feature_and_trims_it() {
        let mut corpus = Corpus::default();
        let path = vec![Input::Timeout { node: 1 }, Input::Timeout { node: 2 }];
        let mut one = WalkSignal::default();
        one.record(&path[0], &[], None);
        corpus.add(&path[..1], &one);
        assert_eq!(corpus.entries.len(), 1);
        corpus.add(&path[..1], &one);
        assert_eq!(corpus.entries.len(), 1, "nothing new the second time");
        let mut two = one.clone();
        two.record(
            &path[1],
            &[raftcheck_spec::Output::BecomeLeader { node: 2, term: 1 }],
            None,
        );
        corpus.add(&path, &two);
        assert_eq!(corpus.entries.len(), 2);
        assert_eq!(corpus.entries[1].path.len(), 2);
        let mut rng = SplitMix64::new(3);
        let energies = corpus.energies();
        assert!(corpus.pick(&energies, &mut rng).is_some());
        assert!(Corpus::default()
            .pick(&Corpus::default().energies(), &mut rng)
            .is_none());
    }
}
