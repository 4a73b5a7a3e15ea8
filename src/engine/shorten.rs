//! Shortening a shrunk trace: shrinking leaves a 1-minimal path (no single input can go), which
//! for a random or guided walk is often twice as long as the shortest path to the same
//! divergence. This pass searches for that shortest path directly: a breadth-first lockstep
//! search from the initial state within bounds cut to the trace — the budgets it spends (terms,
//! values, restarts, heartbeats, drops, duplicates, configuration changes, compactions) and the
//! most messages it had in flight, so that the trace itself lies within them — up to one input
//! fewer than the trace, and within a budget of product states. Breadth-first, the first
//! divergence it meets is a shortest one within those bounds; it replaces the trace when it is of
//! the same kind.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use siphasher::sip::SipHasher13;

use raftcheck_adapter::{Adapter, AdapterError};
use raftcheck_spec::{Action, Bounds, ClusterState, Input, Mode, RaftModel};

use super::executor;
use super::outcome::Problem;
use super::pool::AdapterFactory;
use super::search::{search, SearchOptions};

/// What shortening did.
#[derive(Clone, Debug)]
pub struct Shortened {
    /// The shorter problem, if one was found.
    pub problem: Option<Problem>,
    /// The bounds searched.
    pub bounds: Bounds,
    /// Product states the search stored.
    pub states: u64,
    /// Whether the search covered its bounds completely (then no shorter trace of any kind
    /// exists within them).
    pub complete: bool,
}

/// The bounds a search for a shorter `path` needs: what the path spends, and one input fewer
/// than the path.
pub fn bounds_of(model: &RaftModel, problem: &Problem) -> Bounds {
    let walk = &model.bounds;
    let mut state = model.initial_state();
    let (mut top_term, mut in_flight) = (0, 0);
    for input in &problem.path {
        let step = executor::step(model, None, &state, &Action::Input(input.clone()));
        state = step.next;
        top_term = top_term.max(state.nodes.values().map(|n| n.term).max().unwrap_or(0));
        in_flight = in_flight.max(state.network.len());
    }
    let spent = &state.spent;
    Bounds {
        max_term: top_term.max(1),
        values: spent.values,
        restarts: spent.restarts,
        heartbeats: spent.heartbeats,
        drops: spent.drops,
        duplicates: spent.duplicates,
        conf_changes: spent.conf_changes,
        snapshots: spent.snapshots,
        max_in_flight: in_flight.max(1),
        depth: problem.path.len().saturating_sub(1),
        ..walk.clone()
    }
}

/// The bounds of the exhaustive mode's default check where they are tighter than `tight` (the
/// terms, values, restarts, heartbeats, messages in flight), with `tight`'s depth and the
/// configuration changes and compactions the trace spent: a smaller space, where the shortest
/// trace to a divergence usually is.
pub fn defaults_within(tight: &Bounds) -> Bounds {
    let floor = Bounds::default();
    Bounds {
        max_term: tight.max_term.min(floor.max_term),
        values: tight.values.min(floor.values),
        restarts: tight.restarts.min(floor.restarts),
        heartbeats: tight.heartbeats.min(floor.heartbeats),
        drops: tight.drops.min(floor.drops),
        duplicates: tight.duplicates.min(floor.duplicates),
        max_in_flight: tight.max_in_flight.min(floor.max_in_flight),
        ..tight.clone()
    }
}

/// The quietest bounds within `tight`: no restarts, heartbeats, drops or duplicates, at most one
/// value and two terms, with the configuration changes and compactions the trace spent — where
/// the shortest traces to bugs of membership and snapshots usually are.
pub fn quiet_within(tight: &Bounds) -> Bounds {
    Bounds {
        max_term: tight.max_term.min(2),
        values: tight.values.min(1),
        restarts: 0,
        heartbeats: 0,
        drops: 0,
        duplicates: 0,
        ..defaults_within(tight)
    }
}

/// Searches for a shorter trace to a divergence of the same kind as `problem`'s: within
/// [`quiet_within`], then [`defaults_within`] the trace's bounds, then within the trace's own
/// bounds ([`bounds_of`]), each search up to one input fewer than the shortest trace so far and
/// storing at most `max_states` product states; the shortest found wins.
pub fn shorten(
    model: &RaftModel,
    make_adapter: &AdapterFactory,
    problem: &Problem,
    max_states: u64,
    threads: usize,
) -> Result<Shortened, AdapterError> {
    let tight = bounds_of(model, problem);
    let mut shortened = Shortened {
        problem: None,
        bounds: tight.clone(),
        states: 0,
        complete: false,
    };
    if tight.depth == 0 {
        return Ok(shortened);
    }
    let mut tries = vec![quiet_within(&tight), defaults_within(&tight), tight];
    tries.dedup();
    for bounds in tries {
        let best = shortened
            .problem
            .as_ref()
            .map_or(problem.path.len(), |p| p.path.len());
        let bounds = Bounds {
            depth: best - 1,
            ..bounds
        };
        if bounds.depth == 0 {
            break;
        }
        let searched = RaftModel::new(bounds.clone(), model.flavour.clone(), Mode::Lockstep);
        let options = SearchOptions {
            threads,
            max_states: Some(max_states),
            ..SearchOptions::default()
        };
        let result = search(&searched, make_adapter, &options)?;
        shortened.states += result.stats.states;
        let found =
            result.problems.into_iter().next().filter(|found| {
                found.outcome.same_kind(&problem.outcome) && found.path.len() < best
            });
        if found.is_some() {
            shortened.problem = found;
            shortened.bounds = bounds;
            shortened.complete = result.stats.complete;
        }
    }
    Ok(shortened)
}

/// What shortcutting did.
#[derive(Clone, Debug)]
pub struct Shortcut {
    /// The shorter problem, if one was found.
    pub problem: Option<Problem>,
    /// Steps taken while searching.
    pub steps: u64,
}

/// The key under which two product states behave alike from here on: the nodes and the
/// network of the spec state (not what the path spent, nor its history, which only ration later
/// inputs and serve the properties; the path through a shortcut is executed again anyway) and
/// the implementation's fingerprint.
fn product_key(spec: &ClusterState, implementation: u64) -> u128 {
    let mut h = SipHasher13::new_with_keys(0x5348_4f52_5443_5554, 0x6b65_795f_7631_0000);
    spec.nodes.hash(&mut h);
    spec.network.hash(&mut h);
    (u128::from(h.finish()) << 64) | u128::from(implementation)
}

/// The spec states before each input of a path but the last, and the product key of each.
type Along = (Vec<ClusterState>, Vec<u128>);

/// The states along `path`; `None` when the adapter has no fingerprints or the path ends early.
fn states_along(
    model: &RaftModel,
    adapter: &mut dyn Adapter,
    path: &[Input],
) -> Result<Option<Along>, AdapterError> {
    if executor::start(model, adapter).kind().is_some() {
        return Ok(None);
    }
    let mut state = model.initial_state();
    let Some(fp) = adapter.fingerprint()? else {
        return Ok(None);
    };
    let (mut states, mut keys) = (vec![state.clone()], vec![product_key(&state, fp)]);
    for (k, input) in path.iter().enumerate().take(path.len().saturating_sub(1)) {
        let step = executor::step(
            model,
            Some(&mut *adapter),
            &state,
            &Action::Input(input.clone()),
        );
        if step.outcome(k + 1).is_some() {
            return Ok(None);
        }
        state = step.next;
        let Some(fp) = adapter.fingerprint()? else {
            return Ok(None);
        };
        keys.push(product_key(&state, fp));
        states.push(state.clone());
    }
    Ok(Some((states, keys)))
}

/// The path `candidate`, executed: kept when it ends, at its last input, in the same kind of
/// problem as `target`.
fn confirm(
    model: &RaftModel,
    adapter: &mut dyn Adapter,
    candidate: &[Input],
    target: &Problem,
) -> Option<Problem> {
    let execution = executor::execute_inputs(model, adapter, candidate);
    let outcome = execution.outcome()?.clone();
    let last = execution.steps.last()?;
    (outcome.same_kind(&target.outcome) && execution.steps.len() == candidate.len()).then(|| {
        Problem {
            lines: last.lines(),
            path: execution.inputs(),
            outcome,
        }
    })
}

/// Shortens `problem` by shortcuts: from each state on its path, a breadth-first search of up to
/// `depth` inputs for a product state (spec state and implementation fingerprint) that the path
/// reaches only later, or for the same kind of problem sooner; the path through the shortcut is
/// executed again and kept when it ends in the same kind of problem, and the search starts over
/// on it. Stops after `max_steps` steps of search. Needs an adapter with fingerprints.
pub fn shortcut(
    model: &RaftModel,
    adapter: &mut dyn Adapter,
    problem: &Problem,
    depth: usize,
    max_steps: u64,
) -> Result<Shortcut, AdapterError> {
    let setup = executor::setup(model);
    let mut current = problem.clone();
    let mut steps = 0u64;
    'restart: while let Some((states, keys)) = states_along(model, adapter, &current.path)? {
        let path = current.path.clone();
        let latest: HashMap<u128, usize> = keys.iter().enumerate().map(|(j, k)| (*k, j)).collect();
        for i in 0..states.len() {
            let take = |candidate: Vec<Input>, adapter: &mut dyn Adapter| {
                confirm(model, adapter, &candidate, &current)
            };
            if let Some(&j) = latest.get(&keys[i]).filter(|&&j| j > i) {
                // The path comes back to where it was: cut the loop out.
                let candidate = [&path[..i], &path[j..]].concat();
                if let Some(found) = take(candidate, adapter) {
                    current = found;
                    continue 'restart;
                }
            }
            let mut frontier: Vec<(Vec<Input>, ClusterState)> =
                vec![(Vec::new(), states[i].clone())];
            let mut seen: HashSet<u128> = HashSet::from([keys[i]]);
            for k in 1..=depth {
                // A detour of k inputs helps only if it replaces more than k.
                if i + k >= path.len() {
                    break;
                }
                let mut next = Vec::new();
                for (detour, state) in &frontier {
                    let prefix = [&path[..i], &detour[..]].concat();
                    for input in model.inputs(state) {
                        steps += 1;
                        if steps > max_steps {
                            break 'restart;
                        }
                        adapter.replay_to(&setup, &prefix)?;
                        let step = executor::step(
                            model,
                            Some(&mut *adapter),
                            state,
                            &Action::Input(input.clone()),
                        );
                        let mut longer = detour.clone();
                        longer.push(input);
                        if let Some(outcome) = step.outcome(i + k) {
                            if outcome.same_kind(&current.outcome) && i + k < path.len() {
                                let candidate = [&path[..i], &longer[..]].concat();
                                if let Some(found) = take(candidate, adapter) {
                                    current = found;
                                    continue 'restart;
                                }
                            }
                            continue;
                        }
                        let Some(fp) = adapter.fingerprint()? else {
                            break 'restart;
                        };
                        let key = product_key(&step.next, fp);
                        if !seen.insert(key) {
                            continue;
                        }
                        if let Some(&j) = latest.get(&key).filter(|&&j| j > i + k) {
                            let candidate = [&path[..i], &longer[..], &path[j..]].concat();
                            if let Some(found) = take(candidate, adapter) {
                                current = found;
                                continue 'restart;
                            }
                        }
                        if model.within_bounds(&step.next) {
                            next.push((longer, step.next));
                        }
                    }
                }
                frontier = next;
            }
        }
        break;
    }
    Ok(Shortcut {
        problem: (current.path.len() < problem.path.len()).then_some(current),
        steps,
    })
}
