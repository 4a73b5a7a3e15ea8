//! `check --spec-only`: the spec alone under Stateright, every safety property checked on every
//! state, `sometimes` properties reported as reached or not.
//!
//! Two adjustments to Stateright 0.31: its `target_max_depth(d)` counts the initial state as
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

use super::search::spec_fingerprint;

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

/// Checks `model` with Stateright.
pub fn check(model: RaftModel, strategy: Strategy, threads: usize) -> SpecOnlyOutcome {
    let mut reference = model.clone();
    let group = reference.symmetry.take();
    let started = Instant::now();
    let depth = model.bounds.depth;
    let properties = model.properties();
    let builder = model
        .checker()
        .threads(threads.max(1))
        .target_max_depth(stateright_depth(depth));
    let mut outcome = match strategy {
        Strategy::Bfs => summarise(builder.spawn_bfs().join(), &properties, depth, started),
        Strategy::Dfs => summarise(builder.spawn_dfs().join(), &properties, depth, started),
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
            PropertyResult {
                name: p.name.to_string(),
                expectation: match p.expectation {
                    Expectation::Always => "always",
                    Expectation::Sometimes => "sometimes",
                    Expectation::Eventually => "eventually",
                },
                steps: path.as_ref().map(Vec::len),
                path,
            }
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
