//! `check --spec-only`: the spec alone as a Stateright model, every safety property checked on
//! every state, `sometimes` properties reported as reached or not.
//!
//! Breadth first, raftcheck walks the model itself (`breadth_first`): level by level on every
//! core, with Stateright's semantics — the same states counted, the same properties checked on
//! the same states — but deterministic whatever the thread count, half the memory (no
//! path kept per pending state, duplicates dropped as each chunk of a level is expanded) and
//! faster on one core too. Depth first, Stateright's own checker runs. Two adjustments to
//! Stateright 0.31, which both follow: its `target_max_depth(d)` counts the initial state as
//! depth 1 and skips states at depth `d`, so a bound of `depth` inputs is `depth + 2` there; and
//! the path it keeps for a property is whichever violating state was seen last (so neither
//! shortest nor, with threads, the same from run to run). Each path found is therefore replaced
//! by a shortest one from a small deterministic breadth-first search, bounded by its length.
//!
//! With symmetry reduction (`--symmetry`, a model made by [`RaftModel::with_symmetry`]) the
//! model hands Stateright only representatives of classes of states that differ by a renaming
//! of node ids ([`raftcheck_spec::symmetry`]). Stateright 0.31 applies its own
//! `CheckerBuilder::symmetry` in its depth-first checker only, so the model does the reduction
//! itself and both strategies use it. Every property is unchanged by those renamings, so a
//! class holds a violating state exactly when its representative does, and breadth first
//! reaches each class first at its least depth. The paths reported are paths of the model
//! without reduction (from the search below, which keeps one state per class as it goes),
//! so they replay from the initial state as they are.

use std::collections::HashSet;
use std::time::Instant;

use raftcheck_spec::{Action, ClusterState, RaftModel, Symmetry};
use serde::Serialize;
use stateright::{Checker, Expectation, Model, Property};

use super::fingerprint::{spec_fingerprint, PartHashes};

/// How Stateright walks the spec's state space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Breadth first: the first violation found is a shortest one.
    Bfs,
    /// Depth first: less memory.
    Dfs,
}

/// Stateright's `target_max_depth` for a bound of `depth` inputs: Stateright counts the initial
/// state as depth 1 and does not expand states at its target depth. The checker and the explorer
/// both use this, so they agree on what a depth bound means.
pub fn stateright_depth(depth: usize) -> usize {
    depth + 2
}

/// A property's result in a spec-only run.
#[derive(Clone, Debug, Serialize)]
pub struct PropertyResult {
    /// The property's name.
    pub name: String,
    /// `always` or `sometimes`.
    pub expectation: &'static str,
    /// For `always`: the path to a violating state; for `sometimes`: the path to an example.
    /// `None` when there is none within the bounds.
    #[serde(skip)]
    pub path: Option<Vec<Action>>,
    /// Length of that path.
    pub steps: Option<usize>,
}

impl PropertyResult {
    /// The result for `property`, with the path found for it, if any.
    fn new(property: &Property<RaftModel>, path: Option<Vec<Action>>) -> Self {
        PropertyResult {
            name: property.name.to_string(),
            expectation: match property.expectation {
                Expectation::Always => "always",
                Expectation::Sometimes => "sometimes",
                Expectation::Eventually => "eventually",
            },
            steps: path.as_ref().map(Vec::len),
            path,
        }
    }
}

/// The result of a spec-only run.
#[derive(Clone, Debug, Serialize)]
pub struct SpecOnlyOutcome {
    /// Unique states visited.
    pub unique_states: usize,
    /// States generated, repeats included.
    pub generated_states: usize,
    /// Deepest level explored.
    pub depth: usize,
    /// Wall time.
    pub seconds: f64,
    /// Every property, in the spec's order.
    pub properties: Vec<PropertyResult>,
}

impl SpecOnlyOutcome {
    /// The safety properties violated.
    pub fn violations(&self) -> impl Iterator<Item = &PropertyResult> {
        self.properties
            .iter()
            .filter(|p| p.expectation == "always" && p.path.is_some())
    }
}

/// Checks `model`: breadth first by `breadth_first`, depth first with Stateright's checker.
pub fn check(model: RaftModel, strategy: Strategy, threads: usize) -> SpecOnlyOutcome {
    let mut reference = model.clone();
    let group = reference.symmetry.take();
    let started = Instant::now();
    let depth = model.bounds.depth;
    let properties = model.properties();
    let mut outcome = match strategy {
        Strategy::Bfs => breadth_first(&model, &properties, threads.max(1)),
        Strategy::Dfs => {
            let builder = model
                .checker()
                .threads(threads.max(1))
                .target_max_depth(stateright_depth(depth));
            summarise(builder.spawn_dfs().join(), &properties, depth, started)
        }
    };
    for (result, property) in outcome.properties.iter_mut().zip(&properties) {
        if let Some(found) = &result.path {
            let shortest =
                shortest_path(&reference, group.as_ref(), property.condition, found.len())
                    .expect("a path of that length exists");
            result.steps = Some(shortest.len());
            result.path = Some(shortest);
        }
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    outcome
}

/// Fingerprints are hashes already: a set of them needs no second hash.
#[derive(Default)]
struct FingerprintHasher(u64);

impl std::hash::Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, fingerprint: u64) {
        self.0 = fingerprint;
    }
}

/// A set of fingerprints.
type Fingerprints = HashSet<u64, std::hash::BuildHasherDefault<FingerprintHasher>>;

/// One state of the breadth-first search's arena: its parent and the index of the action, among
/// the parent's, that led to it. 8 bytes; paths are rebuilt by replaying the indices.
#[derive(Clone, Copy)]
struct Visit {
    parent: u32,
    action: u32,
}

/// A child found while expanding a level: its parent's arena index, the action's index, its
/// fingerprint and the state (`None` past the depth bound, where it is counted only).
struct Found {
    parent: u32,
    action: u32,
    fingerprint: u64,
    state: Option<ClusterState>,
}

/// The first state of a level (in frontier order) that discovers each property, how many
/// children the level's states generated, and those of them new to the search so far — each
/// once, the first in order.
struct Expanded {
    discovered: Vec<(usize, u32)>,
    generated: usize,
    children: Vec<Found>,
}

/// Stateright's breadth-first checking of `model`, level by level on `threads` threads: the same
/// states counted (a state of depth `depth + 1` is counted but not checked, as with
/// [`stateright_depth`]), the same properties checked on the same states, and in the same
/// order on every run and thread count. A level's states are expanded in chunks in parallel;
/// their children are merged in frontier order, so the first state to reach a fingerprint is
/// always the same one, and each discovery is the first in breadth-first order, a shortest path.
/// Unlike Stateright's parallel search, a state is never reached first by a longer path, so more
/// threads change nothing but the time.
fn breadth_first(
    model: &RaftModel,
    properties: &[Property<RaftModel>],
    threads: usize,
) -> SpecOnlyOutcome {
    let started = Instant::now();
    let bound = model.bounds.depth;
    let initial: Vec<ClusterState> = model
        .init_states()
        .into_iter()
        .filter(|s| model.within_boundary(s))
        .collect();
    let mut visited: Fingerprints = initial.iter().map(spec_fingerprint).collect();
    let mut arena: Vec<Visit> = (0..initial.len())
        .map(|i| Visit {
            parent: u32::MAX,
            action: i as u32,
        })
        .collect();
    let mut frontier: Vec<(u32, ClusterState)> = initial
        .into_iter()
        .enumerate()
        .map(|(i, s)| (i as u32, s))
        .collect();
    let mut generated = frontier.len();
    let mut discoveries: Vec<Option<u32>> = vec![None; properties.len()];
    let mut depth = 0;
    for level in 0..=bound {
        if frontier.is_empty() || discoveries.iter().all(Option::is_some) {
            break;
        }
        depth = level;
        // Owned chunks, so that each worker also drops the states it expanded.
        let chunk = frontier.len().div_ceil(threads * 8).max(1);
        let mut states = std::mem::take(&mut frontier).into_iter();
        let pending: Vec<std::sync::Mutex<Vec<(u32, ClusterState)>>> = std::iter::from_fn(|| {
            let part: Vec<_> = states.by_ref().take(chunk).collect();
            (!part.is_empty()).then(|| std::sync::Mutex::new(part))
        })
        .collect();
        let next_job = std::sync::atomic::AtomicUsize::new(0);
        // The main thread merges each chunk's children, in chunk order, as soon as the chunk is
        // expanded, while the workers go on with later chunks. `visited` stays as it was for
        // the whole level (the workers read it); this level's new fingerprints go to `fresh`.
        let mut fresh = Fingerprints::default();
        let mut next = Vec::new();
        let (done, expanded_chunks) = std::sync::mpsc::channel::<(usize, Expanded)>();
        std::thread::scope(|scope| {
            for _ in 0..threads.min(pending.len()) {
                let done = done.clone();
                let (next_job, pending, visited) = (&next_job, &pending, &visited);
                scope.spawn(move || loop {
                    let k = next_job.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(states) = pending.get(k) else {
                        return;
                    };
                    let states = std::mem::take(&mut *states.lock().expect("chunk lock"));
                    let expanded = expand(model, properties, &states, visited, level == bound);
                    drop(states);
                    if done.send((k, expanded)).is_err() {
                        return;
                    }
                });
            }
            drop(done);
            // Chunks finished out of order wait here for their turn.
            let mut waiting: Vec<Option<Expanded>> = Vec::new();
            waiting.resize_with(pending.len(), || None);
            for k in 0..pending.len() {
                while waiting[k].is_none() {
                    // Every sender gone before chunk `k` arrived: a worker panicked, and the
                    // scope re-raises its panic.
                    let Ok((j, expanded)) = expanded_chunks.recv() else {
                        return;
                    };
                    waiting[j] = Some(expanded);
                }
                let expanded = waiting[k].take().expect("chunk k has arrived");
                for (property, at) in expanded.discovered {
                    discoveries[property].get_or_insert(at);
                }
                generated += expanded.generated;
                for child in expanded.children {
                    if !fresh.insert(child.fingerprint) {
                        continue;
                    }
                    arena.push(Visit {
                        parent: child.parent,
                        action: child.action,
                    });
                    if let Some(state) = child.state {
                        next.push(((arena.len() - 1) as u32, state));
                    }
                }
            }
        });
        visited.extend(fresh);
        frontier = next;
        if !frontier.is_empty() {
            depth = level + 1;
        }
    }
    let properties = properties
        .iter()
        .zip(&discoveries)
        .map(|(p, found)| {
            let path = found.map(|at| replay_path(model, &arena, at));
            PropertyResult::new(p, path)
        })
        .collect();
    SpecOnlyOutcome {
        unique_states: visited.len(),
        generated_states: generated,
        depth: depth.min(bound),
        seconds: started.elapsed().as_secs_f64(),
        properties,
    }
}

/// Checks every property on each of `states` and expands them, in order, keeping the children
/// that neither `visited` (the levels before) nor an earlier state of the chunk reached;
/// `last`: the children are past the depth bound, so only their fingerprints are kept.
fn expand(
    model: &RaftModel,
    properties: &[Property<RaftModel>],
    states: &[(u32, ClusterState)],
    visited: &Fingerprints,
    last: bool,
) -> Expanded {
    let mut expanded = Expanded {
        discovered: Vec::new(),
        generated: 0,
        children: Vec::new(),
    };
    let mut seen = Fingerprints::default();
    let mut actions = Vec::new();
    for (at, state) in states {
        for (k, property) in properties.iter().enumerate() {
            let holds = (property.condition)(model, state);
            let discovers = match property.expectation {
                Expectation::Always => !holds,
                Expectation::Sometimes => holds,
                Expectation::Eventually => false,
            };
            if discovers && !expanded.discovered.iter().any(|(p, _)| *p == k) {
                expanded.discovered.push((k, *at));
            }
        }
        model.actions(state, &mut actions);
        let parts = PartHashes::of(state);
        for (index, action) in actions.drain(..).enumerate() {
            let Some(child) = model.next_state(state, action) else {
                continue;
            };
            if !model.within_boundary(&child) {
                continue;
            }
            expanded.generated += 1;
            let fingerprint = parts.child_fingerprint(state, &child);
            if visited.contains(&fingerprint) || !seen.insert(fingerprint) {
                continue;
            }
            expanded.children.push(Found {
                parent: *at,
                action: index as u32,
                fingerprint,
                state: (!last).then(|| {
                    // A step leaves room in the network for more messages; a state kept for
                    // the next level does not need it.
                    let mut child = child;
                    child.network.shrink_to_fit();
                    child
                }),
            });
        }
    }
    expanded
}

/// The actions from an initial state to arena entry `at`, replayed from the action indices.
fn replay_path(model: &RaftModel, arena: &[Visit], at: u32) -> Vec<Action> {
    let mut indices = Vec::new();
    let mut node = at;
    while arena[node as usize].parent != u32::MAX {
        indices.push(arena[node as usize].action);
        node = arena[node as usize].parent;
    }
    indices.reverse();
    let mut state = model
        .init_states()
        .swap_remove(arena[node as usize].action as usize);
    let mut path = Vec::new();
    for index in indices {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let action = actions.swap_remove(index as usize);
        state = model
            .next_state(&state, action.clone())
            .expect("the action was taken before");
        path.push(action);
    }
    path
}

/// A shortest sequence of at most `max_inputs` spec actions from the initial state to a state
/// where `condition` holds, found breadth first in the model's action order (so the same on
/// every run). With `symmetry`, a state whose class was seen is not expanded again (sound for
/// a `condition` that renamings leave unchanged, as every property's is); the path is one of
/// `model`'s states all the same.
pub fn shortest_path(
    model: &RaftModel,
    symmetry: Option<&Symmetry>,
    condition: fn(&RaftModel, &ClusterState) -> bool,
    max_inputs: usize,
) -> Option<Vec<Action>> {
    let initial = model.initial_state();
    if condition(model, &initial) {
        return Some(Vec::new());
    }
    let mut parents: Vec<(usize, Option<Action>)> = vec![(0, None)];
    let class_of = |state: &ClusterState| match symmetry {
        Some(group) => spec_fingerprint(&group.representative(state)),
        None => spec_fingerprint(state),
    };
    let mut seen = HashSet::from([class_of(&initial)]);
    let mut frontier = vec![(0usize, initial)];
    let path_to = |parents: &[(usize, Option<Action>)], mut at: usize| {
        let mut path = Vec::new();
        while let Some(action) = &parents[at].1 {
            path.push(action.clone());
            at = parents[at].0;
        }
        path.reverse();
        path
    };
    for _ in 0..max_inputs {
        let mut next = Vec::new();
        for (at, state) in &frontier {
            if !model.within_boundary(state) {
                continue;
            }
            let mut actions = Vec::new();
            model.actions(state, &mut actions);
            for action in actions {
                let Some(child) = model.next_state(state, action.clone()) else {
                    continue;
                };
                if !seen.insert(class_of(&child)) {
                    continue;
                }
                parents.push((*at, Some(action)));
                let id = parents.len() - 1;
                if condition(model, &child) {
                    return Some(path_to(&parents, id));
                }
                next.push((id, child));
            }
        }
        frontier = next;
    }
    None
}

fn summarise(
    checker: impl Checker<RaftModel>,
    properties: &[Property<RaftModel>],
    depth_bound: usize,
    started: Instant,
) -> SpecOnlyOutcome {
    let discoveries = checker.discoveries();
    let properties = properties
        .iter()
        .map(|p| {
            let path = discoveries
                .get(p.name)
                .map(|path| path.clone().into_actions());
            PropertyResult::new(p, path)
        })
        .collect();
    SpecOnlyOutcome {
        unique_states: checker.unique_state_count(),
        generated_states: checker.state_count(),
        // Stateright counts the initial state as depth 1, and records the depth of states it
        // then skips for being at the bound.
        depth: checker.max_depth().saturating_sub(1).min(depth_bound),
        seconds: started.elapsed().as_secs_f64(),
        properties,
    }
}
