//! Mutations of a kept walk into the prefix of a new one. The walk replays the prefix (skipping
//! inputs the spec no longer offers, which re-resolves nothing but keeps the rest usable) and then
//! continues at random.

use raftcheck_spec::Input;

use crate::engine::random::SplitMix64;

/// A prefix derived from `path`: truncated at a random point, with one input sometimes deleted
/// or one from `other` (another kept walk) spliced in after the cut.
pub fn mutate(path: &[Input], other: Option<&[Input]>, rng: &mut SplitMix64) -> Vec<Input> {
    let cut = if path.is_empty() {
        0
    } else {
        path.len() / 2 + rng.below(path.len() / 2 + 1)
    };
    let mut prefix = path[..cut].to_vec();
    match rng.below(4) {
        0 if !prefix.is_empty() => {
            let at = rng.below(prefix.len());
            prefix.remove(at);
        }
        1 => {
            if let Some(other) = other.filter(|o| !o.is_empty()) {
                let from = rng.below(other.len());
                let to = (from + 1 + rng.below(4)).min(other.len());
                prefix.extend_from_slice(&other[from..to]);
            }
        }
        _ => {}
    }
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mutant_keeps_at_least_half_the_walk() {
        let path: Vec<Input> = (1..=8).map(|n| Input::Timeout { node: n }).collect();
        let mut rng = SplitMix64::new(1);
        for _ in 0..100 {
            let m = mutate(&path, Some(&path), &mut rng);
            assert!(m.len() >= 3 && m.len() <= 12, "{}", m.len());
        }
        assert!(mutate(&[], None, &mut rng).is_empty());
    }
}
