//! Comparing two implementations: the same inputs, breadth first, into both, and the first
//! input after which what they did differs.
//!
//! The *first* implementation runs in lockstep with its own spec flavour, exactly as `check`
//! runs it: the spec offers the inputs (within the bounds, over the messages the first
//! implementation really sent) and judges every step. The *second* implementation is driven
//! through the same inputs beside it and compared with the first, not with a spec: after every
//! input, the outputs of both (as multisets: the order in which one step's messages come out is
//! not compared) and the observed state of both (every field `check` compares, through
//! [`ClusterView::diff`]). Breadth first, so the first difference found is one after the
//! fewest inputs. Product states are merged on the spec state and both implementations'
//! fingerprints, when both give one; otherwise the tree is explored.
//!
//! Three ends: the two are the same at these bounds; they differ (the path, and what each did
//! at its last input); or the first implementation diverges from its own spec, which makes the
//! inputs the spec offers after it meaningless (`check` it first).

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use raftcheck_adapter::{Adapter, AdapterError};
use raftcheck_spec::{Action, ClusterState, ClusterView, FieldDiff, Input, Output, RaftModel};
use serde::Serialize;
use siphasher::sip::SipHasher13;

use super::executor;
use super::fingerprint::spec_fingerprint;
use super::outcome::Problem;

/// How to compare.
#[derive(Clone, Debug)]
pub struct DiffOptions {
    /// Merge product states with equal fingerprints (when both adapters give them).
    pub merge: bool,
    /// Print a progress line to stderr this often (None: never).
    pub progress_every: Option<Duration>,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            merge: true,
            progress_every: None,
        }
    }
}

/// Counts from a comparison.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DiffStats {
    /// Distinct product states reached (spec state and both fingerprints).
    pub states: u64,
    /// Inputs compared.
    pub steps: u64,
    /// Inputs the two implementations were driven through, replays included.
    pub events: u64,
    /// Deepest level reached.
    pub depth: usize,
    /// Wall time.
    pub seconds: f64,
    /// True when the whole bounded space was compared without finding a difference.
    pub complete: bool,
}

/// What one implementation did at the input where the two differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Behaviour {
    /// Its outputs, sorted (`None` if it failed the input).
    pub outputs: Option<Vec<Output>>,
    /// Why it failed the input or its observation, if it did.
    pub error: Option<String>,
}

/// The first input after which the two implementations differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The inputs from a fresh cluster; the difference shows after the last one (or, for an
    /// empty path, in the fresh clusters).
    pub path: Vec<Input>,
    /// What the first implementation did at the last input.
    pub first: Behaviour,
    /// What the second implementation did there.
    pub second: Behaviour,
    /// The outputs only the first emitted, and only the second (multiset differences).
    pub only_first: Vec<Output>,
    /// See [`Difference::only_first`].
    pub only_second: Vec<Output>,
    /// The state fields where they differ after it (`spec` holds the first's value,
    /// `implementation` the second's).
    pub state: Vec<FieldDiff>,
}

/// How a comparison ended.
#[derive(Clone, Debug)]
pub enum DiffEnd {
    /// No difference within the bounds.
    Same,
    /// The first difference, after the fewest inputs.
    Differ(Difference),
    /// The first implementation diverges from its own spec here.
    FirstDiverges(Problem),
}

/// The result of a comparison.
#[derive(Clone, Debug)]
pub struct DiffResult {
    /// The counts.
    pub stats: DiffStats,
    /// How it ended.
    pub end: DiffEnd,
}

struct Entry {
    parent: u32,
    input: Option<Input>,
}

fn path_of(arena: &[Entry], mut node: u32) -> Vec<Input> {
    let mut path = Vec::new();
    while let Some(input) = &arena[node as usize].input {
        path.push(input.clone());
        node = arena[node as usize].parent;
    }
    path.reverse();
    path
}

fn product_key(spec: u64, first: u64, second: u64) -> u128 {
    let mut h = SipHasher13::new_with_keys(0x4449_4646_5f31, 0x696d_706c_735f_6670);
    (first, second).hash(&mut h);
    ((spec as u128) << 64) | h.finish() as u128
}

/// Compares `first` (in lockstep with `model`, which must be its flavour) and `second` on every
/// input sequence `model` offers up to its depth bound.
pub fn diff(
    model: &RaftModel,
    first: &mut dyn Adapter,
    second: &mut dyn Adapter,
    options: &DiffOptions,
) -> Result<DiffResult, AdapterError> {
    let started = Instant::now();
    let setup = executor::setup(model);
    let mut stats = DiffStats::default();
    let finish = |mut stats: DiffStats, end: DiffEnd| {
        stats.seconds = started.elapsed().as_secs_f64();
        DiffResult { stats, end }
    };

    // The fresh clusters: the first against its spec, then the two against each other.
    let findings = executor::start(model, first);
    if let Some(problem) = Problem::at_start(&findings) {
        return Ok(finish(stats, DiffEnd::FirstDiverges(problem)));
    }
    second.reset(&setup)?;
    let (first_view, second_view) = (first.observe()?, second.observe()?);
    let state = first_view.diff(&second_view);
    if !state.is_empty() {
        let same = Behaviour {
            outputs: Some(Vec::new()),
            error: None,
        };
        let difference = Difference {
            path: Vec::new(),
            first: same.clone(),
            second: same,
            only_first: Vec::new(),
            only_second: Vec::new(),
            state,
        };
        return Ok(finish(stats, DiffEnd::Differ(difference)));
    }

    let mut arena = vec![Entry {
        parent: 0,
        input: None,
    }];
    let mut visited: HashSet<u128> = HashSet::new();
    if options.merge {
        if let (Some(a), Some(b)) = (first.fingerprint()?, second.fingerprint()?) {
            visited.insert(product_key(spec_fingerprint(&model.initial_state()), a, b));
        }
    }
    stats.states = 1;
    let mut frontier: Vec<(u32, ClusterState)> = vec![(0, model.initial_state())];
    let mut last_progress = Instant::now();
    for depth in 0..model.bounds.depth {
        if frontier.is_empty() {
            break;
        }
        let mut next = Vec::new();
        for (node, state) in &frontier {
            if !model.within_bounds(state) {
                continue;
            }
            let path = path_of(&arena, *node);
            for input in model.inputs(state) {
                stats.events += first.replay_to(&setup, &path)?;
                stats.events += second.replay_to(&setup, &path)?;
                let mut child_path = path.clone();
                child_path.push(input.clone());
                let step = executor::step(
                    model,
                    Some(&mut *first),
                    state,
                    &Action::Input(input.clone()),
                );
                stats.steps += 1;
                stats.events += 2;
                if let Some(outcome) = step.outcome(child_path.len()) {
                    let problem = Problem {
                        path: child_path,
                        outcome,
                        lines: step.lines(),
                    };
                    return Ok(finish(stats, DiffEnd::FirstDiverges(problem)));
                }
                let observed = step
                    .observed
                    .clone()
                    .expect("a step that agrees with the spec was observed");
                if let Some(difference) = compare(&child_path, step.outputs, &observed, second) {
                    return Ok(finish(stats, DiffEnd::Differ(difference)));
                }
                let key = if options.merge {
                    match (first.fingerprint()?, second.fingerprint()?) {
                        (Some(a), Some(b)) => Some(product_key(spec_fingerprint(&step.next), a, b)),
                        _ => None,
                    }
                } else {
                    None
                };
                if key.is_some_and(|k| !visited.insert(k)) {
                    continue;
                }
                arena.push(Entry {
                    parent: *node,
                    input: Some(input),
                });
                stats.states = arena.len() as u64;
                next.push(((arena.len() - 1) as u32, step.next));
            }
            if let Some(every) = options.progress_every {
                if last_progress.elapsed() >= every {
                    last_progress = Instant::now();
                    eprintln!(
                        "[{:>6.1}s] depth {}: {} states, {} inputs compared",
                        started.elapsed().as_secs_f64(),
                        depth + 1,
                        arena.len(),
                        stats.steps
                    );
                }
            }
        }
        if !next.is_empty() {
            stats.depth = depth + 1;
        }
        frontier = next;
    }
    stats.complete = true;
    Ok(finish(stats, DiffEnd::Same))
}

/// Drives `second` through the last input of `path` and compares it with what the first did.
fn compare(
    path: &[Input],
    mut first_outputs: Vec<Output>,
    first_view: &ClusterView,
    second: &mut dyn Adapter,
) -> Option<Difference> {
    let input = path.last().expect("a non-empty path");
    first_outputs.sort();
    let first = Behaviour {
        outputs: Some(first_outputs.clone()),
        error: None,
    };
    let applied = second.apply(input).map(|mut outputs| {
        outputs.sort();
        outputs
    });
    let (second_outputs, view) = match applied {
        Ok(outputs) => match second.observe() {
            Ok(view) => (outputs, view),
            Err(e) => {
                let second = Behaviour {
                    outputs: Some(outputs),
                    error: Some(format!("observing it failed: {e}")),
                };
                return Some(failed(path, first, second, first_outputs));
            }
        },
        Err(e) => {
            let second = Behaviour {
                outputs: None,
                error: Some(e.to_string()),
            };
            return Some(failed(path, first, second, first_outputs));
        }
    };
    let (only_first, only_second) = multiset_difference(&first_outputs, &second_outputs);
    let state = first_view.diff(&view);
    if only_first.is_empty() && only_second.is_empty() && state.is_empty() {
        return None;
    }
    Some(Difference {
        path: path.to_vec(),
        first,
        second: Behaviour {
            outputs: Some(second_outputs),
            error: None,
        },
        only_first,
        only_second,
        state,
    })
}

fn failed(path: &[Input], first: Behaviour, second: Behaviour, outputs: Vec<Output>) -> Difference {
    Difference {
        path: path.to_vec(),
        first,
        only_first: outputs,
        only_second: second.outputs.clone().unwrap_or_default(),
        second,
        state: Vec::new(),
    }
}

/// The items only in `a` and only in `b`, both sorted, counting repeats.
fn multiset_difference(a: &[Output], b: &[Output]) -> (Vec<Output>, Vec<Output>) {
    let (mut i, mut j) = (0, 0);
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                only_a.push(x.clone());
                i += 1;
            }
            (Some(_), Some(y)) => {
                only_b.push(y.clone());
                j += 1;
            }
            (Some(x), None) => {
                only_a.push(x.clone());
                i += 1;
            }
            (None, Some(y)) => {
                only_b.push(y.clone());
                j += 1;
            }
            (None, None) => unreachable!("the loop condition"),
        }
    }
    (only_a, only_b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leader(node: u64) -> Output {
        Output::BecomeLeader { node, term: 1 }
    }

    #[test]
    fn multiset_difference_counts_repeats() {
        let a = vec![leader(1), leader(1), leader(2)];
        let b = vec![leader(1), leader(3)];
        assert_eq!(
            multiset_difference(&a, &b),
            (vec![leader(1), leader(2)], vec![leader(3)])
        );
        assert_eq!(multiset_difference(&a, &a), (vec![], vec![]));
    }
}
