//! `raftcheck check`: exhaustive lockstep checking, or the spec alone with `--spec-only`.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use impl_adapter::AdapterError;
use serde::Serialize;
use serde_json::json;
use siphasher::sip::SipHasher13;
use spec::{Action, Bounds, Flavour, Mode, RaftModel};

use crate::adapters::ImplChoice;
use crate::cli::{CheckArgs, Format};
use crate::engine::{
    random_walks, search, shrink, Coverage, Problem, ProblemKind, SearchOptions, SearchStats,
    WalkOptions,
};
use crate::execute::{self, Execution};
use crate::report::{bounds_line, execution_table};
use crate::spec_only::{self, SpecOnlyOutcome};
use crate::trace::{Expect, Trace, TraceEvent, TraceMode, FORMAT, VERSION};
use crate::{ExitStatus, UsageError};

/// Runs `raftcheck check`.
pub fn run(args: &CheckArgs) -> Result<ExitStatus, UsageError> {
    if args.inject.as_deref() == Some("list") {
        for bug in impl_adapter::inject::Bug::ALL {
            println!("{}", bug.name());
        }
        return Ok(ExitStatus::Agree);
    }
    if args.random && args.spec_only {
        return Err(UsageError(
            "--random drives an implementation; it does not combine with --spec-only".into(),
        ));
    }
    if args.random && (args.walks == 0 || args.steps == 0) {
        return Err(UsageError("--walks and --steps must be at least 1".into()));
    }
    let bounds = if args.random {
        args.bounds.random_walk_bounds(args.steps)
    } else {
        args.bounds.bounds()
    };
    bounds.validate().map_err(|e| UsageError(e.to_string()))?;
    if args.threads == Some(0) {
        return Err(UsageError("--threads must be at least 1".into()));
    }
    if args.spec_only {
        check_spec_only(args, bounds)
    } else {
        check_lockstep(args, bounds)
    }
}

fn threads(args: &CheckArgs) -> usize {
    args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// A stable short name for a path, so re-running a check rewrites the same trace file.
fn path_tag<T: Serialize>(path: &[T]) -> String {
    let mut h = SipHasher13::new_with_keys(1, 2);
    serde_json::to_string(path)
        .expect("paths serialise")
        .hash(&mut h);
    format!("{:08x}", h.finish() as u32)
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn events_of(execution: &Execution) -> Vec<TraceEvent> {
    execution
        .steps
        .iter()
        .map(|s| match &s.action {
            Action::Input(input) => TraceEvent {
                input: Some(input.clone()),
                send: None,
                outputs: s.outputs.clone(),
            },
            Action::Send(m) => TraceEvent {
                input: None,
                send: Some(m.clone()),
                outputs: Vec::new(),
            },
        })
        .collect()
}

/// A problem written to disk.
struct Recorded {
    problem: Problem,
    execution: Execution,
    file: PathBuf,
    reproduced: bool,
}

fn record_problem(
    model: &RaftModel,
    choice: &ImplChoice,
    problem: &Problem,
    out: &Path,
) -> Result<Recorded, String> {
    let execution = match choice.build() {
        Ok(mut adapter) => execute::lockstep(model, adapter.as_mut(), &problem.path),
        Err(e) => execute::fault_at_start(model, e.detail()),
    };
    let reproduced = execution.ending.as_expect() == Some(expected_of(problem));
    let expect = execution
        .ending
        .as_expect()
        .ok_or_else(|| "re-running the path did not reach its end".to_string())?;
    let trace = Trace {
        format: FORMAT.into(),
        version: VERSION,
        mode: TraceMode::Lockstep,
        adapter: Some(choice.name.clone()),
        inject: choice.bug.map(|b| b.name().to_string()),
        flavour: model.flavour.clone(),
        bounds: model.bounds.clone(),
        events: events_of(&execution),
        expect,
        findings: execution.final_findings(),
    };
    let file = out.join(format!(
        "{}-{}-{}.json",
        choice.label(),
        problem.kind_name(),
        path_tag(&problem.path)
    ));
    trace.save(&file).map_err(|e| e.to_string())?;
    Ok(Recorded {
        problem: problem.clone(),
        execution,
        file,
        reproduced,
    })
}

/// The outcome a trace of `problem` should record.
fn expected_of(problem: &Problem) -> Expect {
    let step = problem.path.len();
    match &problem.kind {
        ProblemKind::Divergence { kind } => Expect::Divergence { step, kind: *kind },
        ProblemKind::Violation { property } => Expect::Violation {
            step,
            property: property.clone(),
        },
    }
}

fn result_name(problems: &[Problem]) -> &'static str {
    match problems.first().map(|p| &p.kind) {
        None => "agree",
        Some(ProblemKind::Violation { .. }) => "violation",
        Some(ProblemKind::Divergence {
            kind: crate::engine::DivergenceKind::AdapterFault,
        }) => "fault",
        Some(ProblemKind::Divergence { .. }) => "divergence",
    }
}

fn exit_for(problems: &[Problem]) -> ExitStatus {
    match result_name(problems) {
        "agree" => ExitStatus::Agree,
        "fault" => ExitStatus::Fault,
        _ => ExitStatus::Problem,
    }
}

fn check_lockstep(args: &CheckArgs, bounds: Bounds) -> Result<ExitStatus, UsageError> {
    if args.flavour.is_some() {
        return Err(UsageError(
            "--flavour applies to --spec-only; in lockstep the spec uses the flavour the \
             implementation's adapter declares"
                .into(),
        ));
    }
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        return Err(UsageError(
            "--timeout must be a positive number of seconds".into(),
        ));
    }
    let choice = ImplChoice::new(&args.implementation, args.inject.as_deref())
        .map_err(UsageError)?
        .with_timeout(Duration::from_secs_f64(args.timeout));
    let (flavour, start_fault) = match choice.build() {
        Ok(adapter) => (adapter.flavour(), None),
        Err(AdapterError::Setup(m)) => return Err(UsageError(m)),
        Err(e) => (Flavour::raft_rs(), Some(e)),
    };
    let model = RaftModel::new(bounds, flavour, Mode::Lockstep);
    if let Some(e) = start_fault {
        // The adapter cannot even start: report it as a fault at step 0, with its trace.
        let problem = Problem {
            path: Vec::new(),
            kind: ProblemKind::Divergence {
                kind: crate::engine::DivergenceKind::AdapterFault,
            },
            lines: vec![format!("adapter fault: {}", e.detail())],
        };
        return finish_lockstep(
            args,
            &choice,
            &model,
            SearchStats::default(),
            vec![problem],
            1,
        );
    }
    if args.random {
        return check_random(args, &choice, &model);
    }
    let threads = threads(args);
    let human = args.format == Format::Human;
    if human {
        println!(
            "raftcheck check: {} in lockstep with the spec (flavour {}), {} thread{}",
            choice.label(),
            model.flavour,
            threads,
            if threads == 1 { "" } else { "s" }
        );
        println!("bounds: {}", bounds_line(&model.bounds));
        if let Some(shard) = args.shard {
            println!("shard {}/{} of the state space", shard.index, shard.count);
        }
    }
    let options = SearchOptions {
        threads,
        merge: !args.no_merge,
        keep_going: args.keep_going,
        shard: args.shard.map(|s| (s.index, s.count)),
        progress_every: (!args.quiet).then_some(Duration::from_secs(2)),
    };
    let factory = || choice.build();
    let (stats, problems) = match search(&model, &factory, &options) {
        Ok(outcome) => (outcome.stats, outcome.problems),
        Err(AdapterError::Setup(m)) => return Err(UsageError(m)),
        Err(e) => {
            let problem = Problem {
                path: Vec::new(),
                kind: ProblemKind::Divergence {
                    kind: crate::engine::DivergenceKind::AdapterFault,
                },
                lines: vec![format!("adapter fault: {}", e.detail())],
            };
            (SearchStats::default(), vec![problem])
        }
    };
    finish_lockstep(args, &choice, &model, stats, problems, threads)
}

/// Writes a trace per problem, prints the report, and picks the exit status.
fn finish_lockstep(
    args: &CheckArgs,
    choice: &ImplChoice,
    model: &RaftModel,
    stats: SearchStats,
    problems: Vec<Problem>,
    threads: usize,
) -> Result<ExitStatus, UsageError> {
    let mut recorded = Vec::new();
    for problem in &problems {
        match record_problem(model, choice, problem, &args.out) {
            Ok(r) => recorded.push(r),
            Err(e) => {
                eprintln!("raftcheck: could not write the trace: {e}");
                return Ok(ExitStatus::Fault);
            }
        }
    }
    match args.format {
        Format::Human => print_lockstep_human(model, &stats, &recorded, threads),
        Format::Json => print_lockstep_json(choice, model, &stats, &recorded),
    }
    Ok(exit_for(&problems))
}

/// One line per `sometimes` property: reached at which depth (or by a path of how many steps).
fn reached_lines(reached: &[(String, Option<usize>)], unit: &str) -> Vec<String> {
    reached
        .iter()
        .map(|(name, n)| match n {
            Some(n) => format!("{name}: yes, {unit} {n}"),
            None => format!("{name}: not within the bounds"),
        })
        .collect()
}

/// Lines of `label count` pairs, wrapped at about 90 columns.
fn counted_lines(counts: &[(String, u64)]) -> Vec<String> {
    let mut lines = vec![String::new()];
    for (label, count) in counts {
        let item = format!("{label} {count}");
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + item.len() + 2 > 90 {
            lines.push(item);
        } else {
            if !line.is_empty() {
                line.push_str(", ");
            }
            line.push_str(&item);
        }
    }
    lines
}

/// The coverage section of the human report.
pub(crate) fn coverage_lines(model: &RaftModel, c: &Coverage, spec_states: u64) -> Vec<String> {
    let inputs: Vec<(String, u64)> = Coverage::possible_inputs(&model.flavour, &model.bounds)
        .into_iter()
        .filter(|(label, allowed)| *allowed || c.inputs.contains_key(label))
        .map(|(label, _)| {
            let n = c.inputs.get(&label).copied().unwrap_or(0);
            (label, n)
        })
        .collect();
    let outputs: Vec<(String, u64)> = Coverage::possible_outputs()
        .into_iter()
        .map(|label| {
            let n = c.outputs.get(&label).copied().unwrap_or(0);
            (label, n)
        })
        .collect();
    let mut lines = Vec::new();
    for (i, line) in counted_lines(&inputs).into_iter().enumerate() {
        lines.push(format!("{:<9}{line}", if i == 0 { "inputs" } else { "" }));
    }
    for (i, line) in counted_lines(&outputs).into_iter().enumerate() {
        lines.push(format!("{:<9}{line}", if i == 0 { "outputs" } else { "" }));
    }
    let missed = c.missed_inputs(&model.flavour, &model.bounds);
    if missed.is_empty() {
        lines.push("every input the bounds allow was exercised".into());
    } else {
        lines.push(format!("never exercised: {}", missed.join(", ")));
    }
    lines.push(format!(
        "{spec_states} distinct spec states matched by the implementation"
    ));
    lines
}

fn print_lockstep_human(
    model: &RaftModel,
    stats: &SearchStats,
    recorded: &[Recorded],
    threads: usize,
) {
    println!();
    if recorded.is_empty() {
        if stats.complete {
            println!("result: agree — no divergence within the bounds");
        } else {
            println!("result: agree — no divergence in the part of the space explored");
        }
    }
    for (i, r) in recorded.iter().enumerate() {
        if i > 0 {
            println!();
        }
        let steps = r.problem.path.len();
        match &r.problem.kind {
            ProblemKind::Divergence { kind } => println!(
                "result: DIVERGENCE ({kind}) at step {steps} — spec and implementation part here:"
            ),
            ProblemKind::Violation { property } => println!(
                "result: VIOLATION of {property} at step {steps} — the spec itself is wrong:"
            ),
        }
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
        "  speed    {:.0} implementation events/s, {:.1} s on {} thread{}",
        stats.events_per_second(),
        stats.seconds,
        threads,
        if threads == 1 { "" } else { "s" }
    );
    for (i, line) in reached_lines(&stats.reached, "first at depth")
        .iter()
        .enumerate()
    {
        println!("  {:<8} {line}", if i == 0 { "reached" } else { "" });
    }
    println!();
    println!("coverage:");
    for line in coverage_lines(model, &stats.coverage, stats.spec_states) {
        println!("  {line}");
    }
}

fn print_lockstep_json(
    choice: &ImplChoice,
    model: &RaftModel,
    stats: &SearchStats,
    recorded: &[Recorded],
) {
    let problems: Vec<_> = recorded
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
    let plain: Vec<Problem> = recorded.iter().map(|r| r.problem.clone()).collect();
    let mut report = json!({
        "command": "check",
        "mode": "lockstep",
        "impl": choice.name,
        "inject": choice.bug.map(|b| b.name()),
        "flavour": model.flavour.name,
        "bounds": model.bounds,
        "result": result_name(&plain),
        "states": stats.states,
        "spec_states": stats.spec_states,
        "steps": stats.steps,
        "events": stats.events,
        "events_per_second": stats.events_per_second(),
        "seconds": stats.seconds,
        "depth": stats.depth,
        "complete": stats.complete,
        "reached": stats.reached.iter().map(|(n, d)| (n.clone(), json!(d))).collect::<serde_json::Map<_, _>>(),
        "coverage": {
            "inputs": stats.coverage.inputs,
            "outputs": stats.coverage.outputs,
            "never_exercised": stats.coverage.missed_inputs(&model.flavour, &model.bounds),
            "spec_states": stats.spec_states,
        },
        "problems": problems,
    });
    if let Some(first) = recorded.first() {
        report["kind"] = json!(first.problem.kind_name());
        report["step"] = json!(first.problem.path.len());
        report["trace"] = json!(first.file.display().to_string());
    }
    println!("{report}");
}

fn check_random(
    args: &CheckArgs,
    choice: &ImplChoice,
    model: &RaftModel,
) -> Result<ExitStatus, UsageError> {
    let threads = threads(args);
    let human = args.format == Format::Human;
    let rerun = format!(
        "raftcheck check --impl '{}'{} --random --seed {} --steps {} --walks {}",
        choice.name,
        choice
            .bug
            .map(|b| format!(" --inject {b}"))
            .unwrap_or_default(),
        args.seed,
        args.steps,
        args.walks
    );
    if human {
        println!(
            "raftcheck check --random: {} in lockstep with the spec (flavour {}), seed {}, {} \
             walks of up to {} inputs, {} thread{}",
            choice.label(),
            model.flavour,
            args.seed,
            args.walks,
            args.steps,
            threads,
            if threads == 1 { "" } else { "s" }
        );
        println!("bounds: {}", bounds_line(&model.bounds));
    }
    let options = WalkOptions {
        seed: args.seed,
        steps: args.steps,
        walks: args.walks,
        threads,
    };
    let factory = || choice.build();
    let outcome = match random_walks(model, &factory, &options) {
        Ok(outcome) => outcome,
        Err(AdapterError::Setup(m)) => return Err(UsageError(m)),
        Err(e) => {
            eprintln!("raftcheck: {e}");
            return Ok(ExitStatus::Fault);
        }
    };
    let mut recorded = None;
    if let Some(found) = &outcome.found {
        let shrunk = match choice.build() {
            Ok(mut adapter) => shrink(
                model,
                adapter.as_mut(),
                &found.problem.path,
                &found.problem.kind,
            ),
            Err(_) => crate::engine::shrink::Shrunk {
                path: found.problem.path.clone(),
                attempts: 0,
            },
        };
        let problem = Problem {
            path: shrunk.path.clone(),
            ..found.problem.clone()
        };
        match record_problem(model, choice, &problem, &args.out) {
            Ok(r) => recorded = Some((found, shrunk, r)),
            Err(e) => {
                eprintln!("raftcheck: could not write the trace: {e}");
                return Ok(ExitStatus::Fault);
            }
        }
    }
    let stats = &outcome.stats;
    match args.format {
        Format::Human => {
            println!();
            match &recorded {
                None => println!(
                    "result: agree — no divergence in {} walks ({} steps)",
                    stats.walks, stats.steps
                ),
                Some((found, shrunk, r)) => {
                    println!(
                        "result: DIVERGENCE ({}) in walk {} at step {}; shrunk to {} step{} \
                         ({} attempts):",
                        r.problem.kind_name(),
                        found.walk,
                        found.problem.path.len(),
                        shrunk.path.len(),
                        if shrunk.path.len() == 1 { "" } else { "s" },
                        shrunk.attempts
                    );
                    println!();
                    print!("{}", execution_table(&r.execution));
                    println!();
                    println!("trace written to {}", r.file.display());
                    println!("replay with: raftcheck replay {}", r.file.display());
                    println!("walk again with: {rerun}");
                }
            }
            println!();
            println!("summary:");
            println!(
                "  walks    {} walks, {} lockstep steps, longest {} inputs",
                stats.walks, stats.steps, stats.longest
            );
            println!(
                "  speed    {:.0} steps/s, {:.1} s on {} thread{}",
                stats.steps as f64 / stats.seconds.max(1e-9),
                stats.seconds,
                threads,
                if threads == 1 { "" } else { "s" }
            );
            println!();
            println!("coverage:");
            for line in coverage_lines(model, &stats.coverage, stats.spec_states) {
                println!("  {line}");
            }
        }
        Format::Json => {
            let problems: Vec<Problem> =
                recorded.iter().map(|(_, _, r)| r.problem.clone()).collect();
            let mut report = json!({
                "command": "check",
                "mode": "random",
                "impl": choice.name,
                "inject": choice.bug.map(|b| b.name()),
                "flavour": model.flavour.name,
                "bounds": model.bounds,
                "seed": args.seed,
                "walks": stats.walks,
                "result": result_name(&problems),
                "states": stats.spec_states,
                "steps": stats.steps,
                "events": stats.steps,
                "seconds": stats.seconds,
                "longest": stats.longest,
                "coverage": {
                    "inputs": stats.coverage.inputs,
                    "outputs": stats.coverage.outputs,
                    "never_exercised": stats.coverage.missed_inputs(&model.flavour, &model.bounds),
                    "spec_states": stats.spec_states,
                },
            });
            if let Some((found, shrunk, r)) = &recorded {
                report["kind"] = json!(r.problem.kind_name());
                report["walk"] = json!(found.walk);
                report["found_at_step"] = json!(found.problem.path.len());
                report["step"] = json!(shrunk.path.len());
                report["trace"] = json!(r.file.display().to_string());
                report["findings"] = json!(r.execution.final_findings());
            }
            println!("{report}");
        }
    }
    let problems: Vec<Problem> = recorded.into_iter().map(|(_, _, r)| r.problem).collect();
    Ok(exit_for(&problems))
}

fn check_spec_only(args: &CheckArgs, bounds: Bounds) -> Result<ExitStatus, UsageError> {
    if args.inject.is_some() {
        return Err(UsageError(
            "--inject needs an implementation; it does not apply to --spec-only".into(),
        ));
    }
    let name = args.flavour.as_deref().unwrap_or("raft-rs");
    let flavour = Flavour::by_name(name).ok_or_else(|| {
        UsageError(format!(
            "unknown flavour '{name}'; known: {}",
            Flavour::NAMES.join(", ")
        ))
    })?;
    let threads = threads(args);
    let human = args.format == Format::Human;
    let model = RaftModel::new(bounds, flavour, Mode::SpecOnly);
    if human {
        println!(
            "raftcheck check --spec-only: flavour {}, {} on {} thread{}",
            model.flavour,
            match args.strategy {
                crate::cli::Strategy::Bfs => "breadth first",
                crate::cli::Strategy::Dfs => "depth first",
            },
            threads,
            if threads == 1 { "" } else { "s" }
        );
        println!("bounds: {}", bounds_line(&model.bounds));
    }
    let outcome = spec_only::check(model.clone(), args.strategy, threads);
    let mut written = Vec::new();
    for p in outcome.violations() {
        let actions = p.path.clone().unwrap_or_default();
        let execution = execute::spec_only(&model, &actions);
        let trace = Trace {
            format: FORMAT.into(),
            version: VERSION,
            mode: TraceMode::SpecOnly,
            adapter: None,
            inject: None,
            flavour: model.flavour.clone(),
            bounds: model.bounds.clone(),
            events: events_of(&execution),
            expect: execution.ending.as_expect().unwrap_or(Expect::Agree),
            findings: execution.final_findings(),
        };
        let file = args.out.join(format!(
            "spec-{}-{}-{}.json",
            model.flavour.name,
            slug(&p.name),
            path_tag(&actions)
        ));
        if let Err(e) = trace.save(&file) {
            eprintln!("raftcheck: could not write the trace: {e}");
            return Ok(ExitStatus::Fault);
        }
        written.push((p.name.clone(), execution, file));
    }
    match args.format {
        Format::Human => print_spec_only_human(&outcome, &written),
        Format::Json => {
            let violations: Vec<_> = written
                .iter()
                .map(|(name, execution, file)| {
                    json!({"property": name, "step": execution.steps.len(), "trace": file.display().to_string(),
                           "findings": execution.final_findings()})
                })
                .collect();
            let mut report = json!({
                "command": "check",
                "mode": "spec-only",
                "flavour": model.flavour.name,
                "bounds": model.bounds,
                "result": if written.is_empty() { "agree" } else { "violation" },
                "states": outcome.unique_states,
                "generated_states": outcome.generated_states,
                "events": outcome.generated_states,
                "seconds": outcome.seconds,
                "depth": outcome.depth,
                "properties": outcome.properties,
                "violations": violations,
            });
            if let Some((name, execution, file)) = written.first() {
                report["kind"] = json!("violation");
                report["property"] = json!(name);
                report["step"] = json!(execution.steps.len());
                report["trace"] = json!(file.display().to_string());
            }
            println!("{report}");
        }
    }
    Ok(if written.is_empty() {
        ExitStatus::Agree
    } else {
        ExitStatus::Problem
    })
}

fn print_spec_only_human(outcome: &SpecOnlyOutcome, written: &[(String, Execution, PathBuf)]) {
    println!();
    if written.is_empty() {
        println!("result: every safety property holds within the bounds");
        println!();
    }
    for (name, execution, file) in written {
        println!(
            "result: VIOLATION of {name} after {} steps:",
            execution.steps.len()
        );
        println!();
        print!("{}", execution_table(execution));
        println!();
        println!("trace written to {}", file.display());
        println!("replay with: raftcheck replay {}", file.display());
        println!();
    }
    println!("summary:");
    println!(
        "  states   {} unique ({} generated), depth {} reached",
        outcome.unique_states, outcome.generated_states, outcome.depth
    );
    println!("  time     {:.1} s", outcome.seconds);
    let reached: Vec<(String, Option<usize>)> = outcome
        .properties
        .iter()
        .filter(|p| p.expectation == "sometimes")
        .map(|p| (p.name.clone(), p.steps))
        .collect();
    for (i, line) in reached_lines(&reached, "example path of length")
        .iter()
        .enumerate()
    {
        println!("  {:<8} {line}", if i == 0 { "reached" } else { "" });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use spec::Input;

    #[test]
    fn path_tags_are_stable_and_distinct() {
        let a = vec![Input::Timeout { node: 1 }];
        let b = vec![Input::Timeout { node: 2 }];
        assert_eq!(path_tag(&a), path_tag(&a.clone()));
        assert_ne!(path_tag(&a), path_tag(&b));
        assert_eq!(path_tag(&a).len(), 8);
    }

    #[test]
    fn slugs_are_file_safe() {
        assert_eq!(slug("election safety"), "election-safety");
    }
}
