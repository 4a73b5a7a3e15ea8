//! Random-walk checking: seeded walks, the first divergence shrunk and recorded.

use std::path::Path;

use raftcheck_spec::RaftModel;
use serde_json::{json, Value};

use super::record::{exit_for, record_problem, result_name, Recorded};
use super::summary::{coverage_json, plural, print_coverage, problem_headline};
use crate::adapters::ImplChoice;
use crate::engine::random::WalkStats;
use crate::engine::shrink::Shrunk;
use crate::engine::{random_walks, shrink, Problem, WalkOptions};
use crate::report::{bounds_line, execution_table};
use crate::{ExitStatus, UsageError};
use raftcheck_adapter::AdapterError;

/// A divergent walk, shrunk and recorded.
#[derive(Clone, Debug)]
pub struct Found {
    /// The walk's index.
    pub walk: usize,
    /// The step of the walk where it diverged.
    pub at_step: usize,
    /// How many candidates shrinking tried.
    pub attempts: usize,
    /// The shrunk problem's trace.
    pub recorded: Recorded,
}

/// The result of the walks.
#[derive(Clone, Debug)]
pub struct WalkRun {
    /// The counts.
    pub stats: WalkStats,
    /// The first divergent walk, if any.
    pub found: Option<Found>,
}

impl WalkRun {
    fn problems(&self) -> Vec<Problem> {
        self.found
            .iter()
            .map(|f| f.recorded.problem.clone())
            .collect()
    }

    /// `agree`, `divergence`, `violation` or `fault`.
    pub fn result(&self) -> &'static str {
        result_name(&self.problems())
    }

    /// The exit status.
    pub fn exit(&self) -> ExitStatus {
        exit_for(&self.problems())
    }
}

/// Runs the walks; shrinks and records the first divergence.
pub fn run(
    choice: &ImplChoice,
    model: &RaftModel,
    options: &WalkOptions,
    out: &Path,
) -> Result<WalkRun, UsageError> {
    let factory = || choice.build();
    let outcome = match random_walks(model, &factory, options) {
        Ok(outcome) => outcome,
        Err(AdapterError::Setup(m)) => return Err(UsageError(m)),
        Err(e) => {
            return Err(UsageError(format!(
                "the adapter could not start: {}",
                e.detail()
            )))
        }
    };
    let found = match outcome.found {
        None => None,
        Some(walk) => {
            let shrunk = match choice.build() {
                Ok(mut adapter) => shrink(
                    model,
                    adapter.as_mut(),
                    &walk.problem.path,
                    &walk.problem.kind,
                ),
                Err(_) => Shrunk {
                    path: walk.problem.path.clone(),
                    attempts: 0,
                },
            };
            let problem = Problem {
                path: shrunk.path,
                ..walk.problem.clone()
            };
            let recorded = record_problem(model, choice, &problem, out)
                .map_err(|e| UsageError(format!("could not write the trace: {e}")))?;
            Some(Found {
                walk: walk.walk,
                at_step: walk.problem.path.len(),
                attempts: shrunk.attempts,
                recorded,
            })
        }
    };
    Ok(WalkRun {
        stats: outcome.stats,
        found,
    })
}

/// The command that walks again.
pub fn rerun_command(choice: &ImplChoice, options: &WalkOptions) -> String {
    format!(
        "raftcheck check --impl '{}'{} --random --seed {} --steps {} --walks {}",
        choice.name,
        choice
            .bug
            .map(|b| format!(" --inject {b}"))
            .unwrap_or_default(),
        options.seed,
        options.steps,
        options.walks
    )
}

/// The first lines of the human report.
pub fn print_header(choice: &ImplChoice, model: &RaftModel, options: &WalkOptions) {
    println!(
        "raftcheck check --random: {} in lockstep with the spec (flavour {}), seed {}, {} walks \
         of up to {} inputs, {} thread{}",
        choice.label(),
        model.flavour,
        options.seed,
        options.walks,
        options.steps,
        options.threads,
        plural(options.threads)
    );
    println!("bounds: {}", bounds_line(&model.bounds));
}

/// The rest of the human report.
pub fn print_human(choice: &ImplChoice, model: &RaftModel, options: &WalkOptions, run: &WalkRun) {
    let stats = &run.stats;
    println!();
    match &run.found {
        None => println!(
            "result: agree — no divergence in {} walks ({} steps)",
            stats.walks, stats.steps
        ),
        Some(f) => {
            let r = &f.recorded;
            let len = r.problem.path.len();
            println!(
                "result: {} in walk {} at step {}; shrunk to {len} step{} ({} attempts):",
                problem_headline(&r.problem.kind),
                f.walk,
                f.at_step,
                plural(len),
                f.attempts
            );
            println!();
            print!("{}", execution_table(&r.execution));
            println!();
            println!("trace written to {}", r.file.display());
            println!("replay with: raftcheck replay {}", r.file.display());
            println!("walk again with: {}", rerun_command(choice, options));
        }
    }
    println!();
    println!("summary:");
    println!(
        "  walks    {} walks, {} lockstep steps, longest {} inputs",
        stats.walks, stats.steps, stats.longest
    );
    println!(
        "  speed    {:.0} steps/s, {} on {} thread{}",
        stats.steps as f64 / stats.seconds.max(1e-9),
        crate::report::duration(stats.seconds),
        options.threads,
        plural(options.threads)
    );
    print_coverage(model, &stats.coverage, stats.spec_states);
}

/// The JSON report.
pub fn json(choice: &ImplChoice, model: &RaftModel, options: &WalkOptions, run: &WalkRun) -> Value {
    let stats = &run.stats;
    let mut report = json!({
        "command": "check",
        "mode": "random",
        "impl": choice.name,
        "inject": choice.bug.map(|b| b.name()),
        "flavour": model.flavour.name,
        "pre_vote": model.flavour.pre_vote,
        "bounds": model.bounds,
        "seed": options.seed,
        "walks": stats.walks,
        "result": run.result(),
        "states": stats.spec_states,
        "steps": stats.steps,
        "events": stats.steps,
        "seconds": stats.seconds,
        "longest": stats.longest,
        "coverage": coverage_json(model, &stats.coverage, stats.spec_states),
    });
    if let Some(f) = &run.found {
        let r = &f.recorded;
        report["kind"] = json!(r.problem.kind_name());
        report["walk"] = json!(f.walk);
        report["found_at_step"] = json!(f.at_step);
        report["step"] = json!(r.problem.path.len());
        report["trace"] = json!(r.file.display().to_string());
        report["findings"] = json!(r.execution.final_findings());
    }
    report
}
