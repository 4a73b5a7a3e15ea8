//! Exhaustive lockstep checking: the breadth-first search, its traces and its report.

use std::path::Path;

use raftcheck_spec::RaftModel;
use serde_json::{json, Value};

use super::record::{exit_for, record_problem, result_name, start_fault, Recorded};
use super::summary::{coverage_json, plural, print_coverage, problem_headline, reached_lines};
use crate::adapters::ImplChoice;
use crate::engine::{search, DivergenceKind, Problem, ProblemKind, SearchOptions, SearchStats};
use crate::report::{bounds_line, execution_table};
use crate::{ExitStatus, UsageError};
use raftcheck_adapter::AdapterError;

/// The result of an exhaustive lockstep check, problems recorded.
#[derive(Clone, Debug)]
pub struct LockstepRun {
    /// The search's counts.
    pub stats: SearchStats,
    /// Every problem found, with its trace file.
    pub recorded: Vec<Recorded>,
}

impl LockstepRun {
    /// The problems, in the order found.
    pub fn problems(&self) -> Vec<Problem> {
        self.recorded.iter().map(|r| r.problem.clone()).collect()
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

/// Records each problem as a trace in `out`.
fn record_all(
    model: &RaftModel,
    choice: &ImplChoice,
    problems: &[Problem],
    out: &Path,
) -> Result<Vec<Recorded>, UsageError> {
    problems
        .iter()
        .map(|p| {
            record_problem(model, choice, p, out)
                .map_err(|e| UsageError(format!("could not write the trace: {e}")))
        })
        .collect()
}

/// Runs the search and records what it finds. `start_failure` is the error of an adapter that
/// could not even start; it becomes a fault at step 0 without searching.
pub fn run(
    choice: &ImplChoice,
    model: &RaftModel,
    start_failure: Option<&AdapterError>,
    options: &SearchOptions,
    out: &Path,
) -> Result<LockstepRun, UsageError> {
    let (stats, problems) = match start_failure {
        Some(e) => (SearchStats::default(), vec![start_fault(&e.detail())]),
        None => {
            let factory = || choice.build();
            match search(model, &factory, options) {
                Ok(outcome) => (outcome.stats, outcome.problems),
                Err(AdapterError::Setup(m)) => return Err(UsageError(m)),
                Err(e) => (SearchStats::default(), vec![start_fault(&e.detail())]),
            }
        }
    };
    let recorded = record_all(model, choice, &problems, out)?;
    Ok(LockstepRun { stats, recorded })
}

/// The first lines of the human report, printed before the search starts.
pub fn print_header(
    choice: &ImplChoice,
    model: &RaftModel,
    threads: usize,
    shard: Option<(usize, usize)>,
) {
    println!(
        "raftcheck check: {} in lockstep with the spec (flavour {}), {} thread{}",
        choice.label(),
        model.flavour,
        threads,
        plural(threads)
    );
    println!("bounds: {}", bounds_line(&model.bounds));
    if let Some((i, n)) = shard {
        println!("shard {i}/{n} of the state space");
    }
}

/// Prints a recorded problem: its kind, the table, where the trace is.
pub(crate) fn print_recorded(r: &Recorded) {
    let steps = r.problem.path.len();
    let what = match &r.problem.kind {
        ProblemKind::Divergence {
            kind: DivergenceKind::AdapterFault,
        } => "the implementation failed here",
        ProblemKind::Divergence { .. } => "spec and implementation part here",
        ProblemKind::Violation { .. } => "the spec itself is wrong",
    };
    println!(
        "result: {} at step {steps} — {what}:",
        problem_headline(&r.problem.kind)
    );
    println!();
    print!("{}", execution_table(&r.execution));
    if !r.reproduced {
        println!(
            "warning: re-running this path did not reproduce the problem exactly; the \
             implementation may be nondeterministic"
        );
    }
    println!();
    println!("trace written to {}", r.file.display());
    println!("replay with: raftcheck replay {}", r.file.display());
}

/// The rest of the human report.
pub fn print_human(model: &RaftModel, run: &LockstepRun, threads: usize) {
    let stats = &run.stats;
    println!();
    if run.recorded.is_empty() {
        if stats.complete {
            println!("result: agree — no divergence within the bounds");
        } else {
            println!("result: agree — no divergence in the part of the space explored");
        }
    }
    for (i, r) in run.recorded.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print_recorded(r);
    }
    println!();
    println!("summary:");
    println!(
        "  states   {} product states, {} spec states matched, depth {} reached{}",
        stats.states,
        stats.spec_states,
        stats.depth,
        if stats.complete { " (complete)" } else { "" }
    );
    println!(
        "  steps    {} lockstep steps, {} implementation events",
        stats.steps, stats.events
    );
    println!(
        "  speed    {:.0} implementation events/s, {} on {} thread{}",
        stats.events_per_second(),
        crate::report::duration(stats.seconds),
        threads,
        plural(threads)
    );
    for (i, line) in reached_lines(&stats.reached, "first at depth")
        .iter()
        .enumerate()
    {
        println!("  {:<8} {line}", if i == 0 { "reached" } else { "" });
    }
    print_coverage(model, &stats.coverage, stats.spec_states);
}

/// The JSON report.
pub fn json(choice: &ImplChoice, model: &RaftModel, run: &LockstepRun) -> Value {
    let stats = &run.stats;
    let problems: Vec<_> = run
        .recorded
        .iter()
        .map(|r| {
            json!({
                "result": result_name(std::slice::from_ref(&r.problem)),
                "kind": r.problem.kind_name(),
                "step": r.problem.path.len(),
                "trace": r.file.display().to_string(),
                "findings": r.execution.final_findings(),
            })
        })
        .collect();
    let reached: serde_json::Map<String, Value> = stats
        .reached
        .iter()
        .map(|(n, d)| (n.clone(), json!(d)))
        .collect();
    let mut report = json!({
        "command": "check",
        "mode": "lockstep",
        "impl": choice.name,
        "inject": choice.bug.map(|b| b.name()),
        "flavour": model.flavour.name,
        "pre_vote": model.flavour.pre_vote,
        "bounds": model.bounds,
        "result": run.result(),
        "states": stats.states,
        "spec_states": stats.spec_states,
        "steps": stats.steps,
        "events": stats.events,
        "events_per_second": stats.events_per_second(),
        "seconds": stats.seconds,
        "depth": stats.depth,
        "complete": stats.complete,
        "reached": reached,
        "coverage": coverage_json(model, &stats.coverage, stats.spec_states),
        "problems": problems,
    });
    if let Some(first) = run.recorded.first() {
        report["kind"] = json!(first.problem.kind_name());
        report["step"] = json!(first.problem.path.len());
        report["trace"] = json!(first.file.display().to_string());
    }
    report
}
