//! `raftcheck diff-impls FIRST SECOND`: where do two implementations (two versions of one, or
//! one with and without an injected bug) behave differently at the same bounds?
//!
//! The inputs are those `check --impl FIRST` would explore; see [`crate::engine::diff`]. When
//! they differ, the path is written as one lockstep trace per implementation (each against its
//! own flavour), so `raftcheck replay` shows each side step by step.

use std::path::PathBuf;
use std::time::Duration;

use raftcheck_adapter::{Adapter, AdapterError};
use raftcheck_spec::{Input, Mode, RaftModel};
use serde_json::json;

use crate::adapters::ImplChoice;
use crate::cli::{DiffArgs, Format};
use crate::engine::diff::{diff, Behaviour, DiffEnd, DiffOptions, DiffResult, Difference};
use crate::engine::execute_inputs;
use crate::record::{lockstep_trace, path_tag, prepare_out_dir, save_or_show};
use crate::{ExitStatus, UsageError};

/// Runs the comparison and prints the report.
pub fn run(args: &DiffArgs) -> Result<ExitStatus, UsageError> {
    let timeout = Duration::from_secs_f64(args.timeout);
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        return Err(UsageError(
            "--timeout must be a positive number of seconds".into(),
        ));
    }
    let choose = |name: &str, bug: Option<&str>| {
        ImplChoice::new(name, bug).map(|c| c.with_timeout(timeout).with_pre_vote(args.pre_vote))
    };
    let first_choice = choose(&args.first, args.inject_first.as_deref()).map_err(UsageError)?;
    let second_choice = choose(&args.second, args.inject.as_deref()).map_err(UsageError)?;
    let bounds = args.bounds.over(raftcheck_spec::Bounds::default());
    bounds
        .validate()
        .map_err(|e| UsageError(format!("--{} {}", e.bound.replace('_', "-"), e.problem)))?;
    prepare_out_dir(&args.out)?;

    let built = first_choice
        .build()
        .and_then(|a| second_choice.build().map(|b| (a, b)));
    let (mut first, mut second) = match built {
        Ok(pair) => pair,
        Err(e) => return Ok(adapter_error(&e)),
    };
    let model = RaftModel::new(bounds.clone(), first.flavour(), Mode::Lockstep);
    if !args.quiet && args.format == Format::Human {
        eprintln!(
            "raftcheck diff-impls: {} (in lockstep with the spec, flavour {}) against {} \
             (flavour {})",
            first_choice.label(),
            first.flavour(),
            second_choice.label(),
            second.flavour()
        );
        eprintln!("bounds: {}", crate::report::bounds_line(&bounds));
    }
    let options = DiffOptions {
        merge: !args.no_merge,
        progress_every: (!args.quiet && args.format == Format::Human)
            .then_some(Duration::from_secs(2)),
    };
    let result = match diff(&model, first.as_mut(), second.as_mut(), &options) {
        Ok(r) => r,
        Err(e) => return Ok(adapter_error(&e)),
    };
    let traces = match &result.end {
        DiffEnd::Differ(d) => {
            let mut files = Vec::new();
            let sides = [
                ("first", &first_choice, &mut first),
                ("second", &second_choice, &mut second),
            ];
            for (side, choice, adapter) in sides {
                let file = args.out.join(format!(
                    "diff-{}-vs-{}-{}-{side}.json",
                    first_choice.label(),
                    second_choice.label(),
                    path_tag(&d.path),
                ));
                record(&bounds, choice, adapter.as_mut(), &d.path, &file).map_err(UsageError)?;
                files.push(file);
            }
            files
        }
        _ => Vec::new(),
    };
    match args.format {
        Format::Human => print_human(&first_choice, &second_choice, &result, &traces),
        Format::Json => print_json(&first_choice, &second_choice, &result, &traces),
    }
    Ok(match result.end {
        DiffEnd::Same => ExitStatus::Agree,
        DiffEnd::Differ(_) => ExitStatus::Problem,
        DiffEnd::FirstDiverges(p) if p.outcome.is_fault() => ExitStatus::Fault,
        DiffEnd::FirstDiverges(_) => ExitStatus::Problem,
    })
}

fn adapter_error(e: &AdapterError) -> ExitStatus {
    eprintln!("raftcheck diff-impls: {e}");
    match e {
        AdapterError::Setup(_) => ExitStatus::Usage,
        _ => ExitStatus::Fault,
    }
}

/// Executes `path` on `adapter` (fresh) against its own flavour and writes the lockstep trace.
fn record(
    bounds: &raftcheck_spec::Bounds,
    choice: &ImplChoice,
    adapter: &mut dyn Adapter,
    path: &[Input],
    file: &std::path::Path,
) -> Result<(), String> {
    let model = RaftModel::new(bounds.clone(), adapter.flavour(), Mode::Lockstep);
    let execution = execute_inputs(&model, adapter, path);
    let expect = execution
        .outcome()
        .cloned()
        .ok_or_else(|| "executing the differing path again did not reach its end".to_string())?;
    save_or_show(&lockstep_trace(&model, choice, &execution, expect), file)
}

fn behaviour_lines(b: &Behaviour) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(outputs) = &b.outputs {
        if outputs.is_empty() {
            lines.push("(no outputs)".into());
        }
        lines.extend(outputs.iter().map(|o| o.to_string()));
    }
    if let Some(e) = &b.error {
        lines.push(format!("failed: {e}"));
    }
    lines
}

fn print_human(first: &ImplChoice, second: &ImplChoice, result: &DiffResult, traces: &[PathBuf]) {
    let (a, b) = (first.label(), second.label());
    match &result.end {
        DiffEnd::Same => println!(
            "result: same — {a} and {b} behave alike on every input sequence within the bounds"
        ),
        DiffEnd::FirstDiverges(p) => {
            println!(
                "result: {a} itself {} from its spec at step {} (run `raftcheck check --impl \
                 {}` first); no comparison past it",
                p.outcome.result(),
                p.path.len(),
                first.name
            );
            print_path(&p.path);
            for line in &p.lines {
                println!("  {line}");
            }
        }
        DiffEnd::Differ(d) => print_difference(&a, &b, d, traces),
    }
    let s = &result.stats;
    println!();
    println!("summary:");
    println!(
        "  states   {} product states, depth {} reached{}",
        s.states,
        s.depth,
        if s.complete { " (complete)" } else { "" }
    );
    println!(
        "  steps    {} inputs compared, {} implementation events, {:.1} s",
        s.steps, s.events, s.seconds
    );
}

fn print_path(path: &[Input]) {
    for (k, input) in path.iter().enumerate() {
        println!("  {:>3}. {input}", k + 1);
    }
}

fn print_difference(a: &str, b: &str, d: &Difference, traces: &[PathBuf]) {
    if d.path.is_empty() {
        println!("result: different — the fresh clusters of {a} and {b} differ");
    } else {
        println!(
            "result: different — {a} and {b} part after {} input(s):",
            d.path.len()
        );
        print_path(&d.path);
        println!("at the last input:");
        for (name, behaviour, only) in
            [(a, &d.first, &d.only_first), (b, &d.second, &d.only_second)]
        {
            println!("  {name}:");
            for line in behaviour_lines(behaviour) {
                let mark = if only.iter().any(|o| o.to_string() == line) {
                    "≠"
                } else {
                    " "
                };
                println!("   {mark} {line}");
            }
        }
    }
    if !d.state.is_empty() {
        println!("state after it ({a} | {b}):");
        for f in &d.state {
            println!("  {}: {} | {}", f.field, f.spec, f.implementation);
        }
    }
    for file in traces {
        println!("trace: {} (raftcheck replay shows it)", file.display());
    }
}

fn print_json(first: &ImplChoice, second: &ImplChoice, result: &DiffResult, traces: &[PathBuf]) {
    let end = match &result.end {
        DiffEnd::Same => json!({"result": "same"}),
        DiffEnd::FirstDiverges(p) => json!({
            "result": "first-diverges",
            "outcome": p.outcome.result(),
            "kind": p.outcome.kind_name(),
            "path": p.path,
            "findings": p.lines,
        }),
        DiffEnd::Differ(d) => json!({
            "result": "different",
            "path": d.path,
            "step": d.path.len(),
            "first": d.first,
            "second": d.second,
            "only_first": d.only_first,
            "only_second": d.only_second,
            "state": d.state.iter().map(|f| json!({
                "field": f.field, "first": f.spec, "second": f.implementation,
            })).collect::<Vec<_>>(),
            "traces": traces,
        }),
    };
    let mut report = json!({
        "first": first.label(),
        "second": second.label(),
        "stats": result.stats,
    });
    if let (Some(r), Some(e)) = (report.as_object_mut(), end.as_object()) {
        r.extend(e.clone());
    }
    println!("{report}");
}
