//! Mutations of a kept walk into the prefix of a new one. The walk replays the prefix (skipping
//! inputs the spec no longer offers, which keeps the rest usable) and then continues with inputs
//! its swarm picks.

use raftcheck_spec::{Input, NodeId};

use crate::engine::random::SplitMix64;

/// A prefix derived from `path`: truncated at a random point in its second half, then at most
/// one edit: an input deleted, a run of inputs from `other` (another kept walk) spliced in, two
/// neighbouring inputs swapped (deliveries reordered), a delivery turned into a drop of that
/// message or preceded by a duplicate of it, or a restart of one of the `nodes` inserted.
pub fn mutate(
    path: &[Input],
    other: Option<&[Input]>,
    nodes: NodeId,
    rng: &mut SplitMix64,
) -> Vec<Input> {
    let cut = if path.is_empty() {
        0
    } else {
        path.len() / 2 + rng.below(path.len() / 2 + 1)
    };
    let mut prefix = path[..cut].to_vec();
    let len = prefix.len();
    match rng.below(7) {
        0 if len > 0 => {
            prefix.remove(rng.below(len));
        }
        1 => {
            if let Some(other) = other.filter(|o| !o.is_empty()) {
                let from = rng.below(other.len());
                let to = (from + 1 + rng.below(4)).min(other.len());
                prefix.extend_from_slice(&other[from..to]);
            }
        }
        2 if len > 1 => {
            let at = rng.below(len - 1);
            prefix.swap(at, at + 1);
        }
        3 | 4 => {
            let receives: Vec<usize> = (0..len)
                .filter(|&i| matches!(prefix[i], Input::Receive { .. }))
                .collect();
            if !receives.is_empty() {
                let at = receives[rng.below(receives.len())];
                let Input::Receive { message } = prefix[at].clone() else {
                    unreachable!("a delivery")
                };
                if rng.below(2) == 0 {
                    prefix[at] = Input::Drop { message };
                } else {
                    prefix.insert(at, Input::Duplicate { message });
                }
            }
        }
        5 if nodes > 0 => {
            let node = 1 + rng.below(nodes as usize) as NodeId;
            prefix.insert(rng.below(len + 1), Input::Restart { node });
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
            let m = mutate(&path, Some(&path), 3, &mut rng);
            assert!(m.len() >= 3 && m.len() <= 12, "{}", m.len());
        }
        assert!(mutate(&[], None, 3, &mut rng).len() <= 1);
    }

    #[test]
    fn every_edit_happens() {
        let message = raftcheck_spec::Message {
            from: 1,
            to: 2,
            term: 1,
            payload: raftcheck_spec::Payload::RequestVote {
                pre: false,
                last_log_index: 0,
                last_log_term: 0,
                commit: 0,
                commit_term: 0,
            },
        };
        let path = vec![
            Input::Timeout { node: 1 },
            Input::Receive {
                message: message.clone(),
            },
            Input::Receive { message },
            Input::Timeout { node: 2 },
        ];
        let (mut drops, mut duplicates, mut restarts, mut swaps) = (0, 0, 0, 0);
        let mut rng = SplitMix64::new(2);
        for _ in 0..500 {
            let m = mutate(&path, None, 3, &mut rng);
            drops += usize::from(m.iter().any(|i| matches!(i, Input::Drop { .. })));
            duplicates += usize::from(m.iter().any(|i| matches!(i, Input::Duplicate { .. })));
            restarts += usize::from(m.iter().any(|i| matches!(i, Input::Restart { .. })));
            swaps += usize::from(m.len() >= 2 && matches!(m[0], Input::Receive { .. }));
        }
        assert!(drops > 0 && duplicates > 0 && restarts > 0 && swaps > 0);
    }
}
