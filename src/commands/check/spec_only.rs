//! `check --spec-only`: the spec alone under Stateright; violations recorded as traces.

use std::path::PathBuf;

use raftcheck_spec::{Bounds, Flavour, Mode, RaftModel};
use serde_json::json;

use super::record::{events_of, path_tag, save_or_show, slug};
use super::summary::{plural, reached_lines};
use crate::cli::{CheckArgs, Format};
use crate::execute::{self, Execution};
use crate::report::{bounds_line, execution_table};
use crate::spec_only::{self, SpecOnlyOutcome};
use crate::trace::{Expect, Trace, TraceMode, FORMAT, VERSION};
use crate::{ExitStatus, UsageError};

/// Runs the spec-only check.
pub fn run(args: &CheckArgs, bounds: Bounds) -> Result<ExitStatus, UsageError> {
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
    // One thread unless asked: Stateright's single-threaded breadth-first search is a plain
    // queue, so every state is first reached by a shortest path and the run is reproducible.
    let threads = args.threads.unwrap_or(1);
    let human = args.format == Format::Human;
    let model = RaftModel::new(bounds, flavour.with_pre_vote(args.pre_vote), Mode::SpecOnly);
    if human {
        println!(
            "raftcheck check --spec-only: flavour {}, {} on {} thread{}",
            model.flavour,
            match args.strategy {
                crate::cli::Strategy::Bfs => "breadth first",
                crate::cli::Strategy::Dfs => "depth first",
            },
            threads,
            plural(threads)
        );
        println!("bounds: {}", bounds_line(&model.bounds));
        if threads > 1 {
            println!(
                "note: with several threads Stateright may reach a state first by a longer path \
                 and leave it unexpanded at the depth bound; counts can vary from run to run"
            );
        }
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
        if let Err(e) = save_or_show(&trace, &file) {
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
                "pre_vote": model.flavour.pre_vote,
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
    println!("  time     {}", crate::report::duration(outcome.seconds));
    let reached: Vec<(String, Option<usize>)> = outcome
        .properties
        .iter()
        .filter(|p| p.expectation == "sometimes")
        .map(|p| (p.name.clone(), p.steps))
        .collect();
    for (i, line) in reached_lines(&reached, "shortest path of length")
        .iter()
        .enumerate()
    {
        println!("  {:<8} {line}", if i == 0 { "reached" } else { "" });
    }
}
