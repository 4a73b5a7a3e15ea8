//! `check --spec-only`: the spec alone under Stateright, every safety property checked on every
//! state, `sometimes` properties reported as reached or not.

use std::time::Instant;

use serde::Serialize;
use spec::{Action, RaftModel};
use stateright::{Checker, Expectation, Model, Property};

use crate::cli::Strategy;

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
    let started = Instant::now();
    let depth = model.bounds.depth;
    let properties = model.properties();
    let builder = model
        .checker()
        .threads(threads.max(1))
        .target_max_depth(depth);
    match strategy {
        Strategy::Bfs => summarise(builder.spawn_bfs().join(), &properties, started),
        Strategy::Dfs => summarise(builder.spawn_dfs().join(), &properties, started),
    }
}

fn summarise(
    checker: impl Checker<RaftModel>,
    properties: &[Property<RaftModel>],
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
        depth: checker.max_depth(),
        seconds: started.elapsed().as_secs_f64(),
        properties,
    }
}
