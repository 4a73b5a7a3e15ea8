//! `raftcheck ci`: the conformance gate. Replays the trace corpus, runs the configured checks,
//! prints one table, and writes what CI systems read.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use raftcheck_spec::RaftModel;
use serde_json::json;

use super::check::{exhaustive, prepare, random};
use super::replay::{ending_text, replay, Verdict};
use crate::adapters::ImplChoice;
use crate::cli::{CiArgs, Format};
use crate::config::{CheckConfig, CiConfig};
use crate::engine::{SearchOptions, WalkOptions};
use crate::execute::Ending;
use crate::junit::{github_annotations, junit_xml, GateItem, ItemKind, ItemStatus};
use crate::trace::Trace;
use crate::{ExitStatus, UsageError};

/// The trace files of the corpus, sorted.
fn corpus(dir: &Path) -> Result<Vec<PathBuf>, UsageError> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| {
        UsageError(format!(
            "cannot read the trace corpus {}: {e}",
            dir.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

fn replay_item(file: &Path, timeout: Duration) -> GateItem {
    let started = Instant::now();
    let name = file.display().to_string();
    let item = |status, summary: String, details: Vec<String>, report| GateItem {
        kind: ItemKind::Replay,
        name: name.clone(),
        status,
        summary,
        details,
        file: Some(name.clone()),
        seconds: started.elapsed().as_secs_f64(),
        report,
    };
    let trace = match Trace::load(file) {
        Ok(t) => t,
        Err(e) => return item(ItemStatus::Invalid, e.to_string(), Vec::new(), json!(null)),
    };
    let r = match replay(trace, timeout) {
        Ok(r) => r,
        Err(e) => return item(ItemStatus::Invalid, e.0, Vec::new(), json!(null)),
    };
    let observed = ending_text(&r.execution.ending);
    let report = json!({
        "expected": r.trace.expect,
        "observed": r.execution.ending.as_expect(),
        "verdict": r.verdict,
    });
    match r.verdict {
        Verdict::Holds => item(
            ItemStatus::Ok,
            format!("{observed}, as recorded"),
            Vec::new(),
            report,
        ),
        Verdict::Fixed => item(
            ItemStatus::Fixed,
            format!(
                "recorded {}; every step agrees now — fixed? (re-record with raftcheck replay \
                 --update {name})",
                r.trace.expect
            ),
            Vec::new(),
            report,
        ),
        Verdict::Changed => item(
            if r.execution.ending.is_fault() {
                ItemStatus::Fault
            } else {
                ItemStatus::Failed
            },
            format!("recorded {}; now {observed}", r.trace.expect),
            r.execution.final_findings(),
            report,
        ),
    }
}

fn check_item(check: &CheckConfig, config: &CiConfig, threads: usize, quiet: bool) -> GateItem {
    let started = Instant::now();
    let name = check.display_name();
    let invalid = |message: String| GateItem {
        kind: ItemKind::Check,
        name: name.clone(),
        status: ItemStatus::Invalid,
        summary: message,
        details: Vec::new(),
        file: None,
        seconds: started.elapsed().as_secs_f64(),
        report: json!(null),
    };
    if !quiet {
        eprintln!("running check: {name}");
    }
    let bound_args = config.bounds.overridden_by(&check.bounds);
    let bounds = match &check.random {
        Some(r) => bound_args.random_walk_bounds(r.steps),
        None => bound_args.bounds(),
    };
    if let Err(e) = bounds.validate() {
        return invalid(e.to_string());
    }
    let choice = match ImplChoice::new(&check.implementation, check.inject.as_deref()) {
        Ok(c) => c
            .with_timeout(Duration::from_secs_f64(config.timeout))
            .with_pre_vote(check.pre_vote),
        Err(e) => return invalid(e),
    };
    let (model, failure) = match prepare(&choice, bounds) {
        Ok(p) => p,
        Err(e) => return invalid(e.0),
    };
    let out = config.out_dir();
    let result = match (&check.random, &failure) {
        (Some(r), None) => {
            let options = WalkOptions {
                seed: r.seed,
                steps: r.steps,
                walks: r.walks,
                threads,
            };
            random::run(&choice, &model, &options, out).map(|run| {
                let report = random::json(&choice, &model, &options, &run);
                let recorded = run.found.map(|f| f.recorded);
                (
                    run.stats.steps,
                    report,
                    recorded.into_iter().collect::<Vec<_>>(),
                )
            })
        }
        _ => {
            let options = SearchOptions {
                threads,
                progress_every: (!quiet).then_some(Duration::from_secs(10)),
                ..SearchOptions::default()
            };
            exhaustive::run(&choice, &model, failure.as_ref(), &options, out).map(|run| {
                let report = exhaustive::json(&choice, &model, &run);
                (run.stats.states, report, run.recorded)
            })
        }
    };
    match result {
        Err(e) => invalid(e.0),
        Ok((count, report, recorded)) => {
            finish_check(name, &model, count, report, recorded, started)
        }
    }
}

fn finish_check(
    name: String,
    model: &RaftModel,
    count: u64,
    report: serde_json::Value,
    recorded: Vec<super::check::record::Recorded>,
    started: Instant,
) -> GateItem {
    let seconds = started.elapsed().as_secs_f64();
    let (status, summary, details, file) = match recorded.first() {
        None => (
            ItemStatus::Ok,
            format!(
                "agree: {count} {} in {} ({})",
                if report["mode"] == "random" {
                    "steps"
                } else {
                    "states"
                },
                crate::report::duration(seconds),
                crate::report::bounds_line(&model.bounds)
            ),
            Vec::new(),
            None,
        ),
        Some(r) => {
            let fault = r.execution.ending.is_fault();
            let where_ = match &r.execution.ending {
                Ending::Divergence { step, kind } => format!("{kind} at step {step}"),
                other => ending_text(other),
            };
            (
                if fault {
                    ItemStatus::Fault
                } else {
                    ItemStatus::Failed
                },
                format!("{where_}: {}", r.file.display()),
                r.execution.final_findings(),
                Some(r.file.display().to_string()),
            )
        }
    };
    GateItem {
        kind: ItemKind::Check,
        name,
        status,
        summary,
        details,
        file,
        seconds,
        report,
    }
}

/// The exit status of the gate.
pub fn gate_status(items: &[GateItem], fail_on_fixed: bool) -> ExitStatus {
    let any = |s: ItemStatus| items.iter().any(|i| i.status == s);
    if any(ItemStatus::Failed) || (fail_on_fixed && any(ItemStatus::Fixed)) {
        ExitStatus::Problem
    } else if any(ItemStatus::Fault) {
        ExitStatus::Fault
    } else if any(ItemStatus::Invalid) {
        ExitStatus::Usage
    } else {
        ExitStatus::Agree
    }
}

fn print_table(items: &[GateItem]) {
    let width = items
        .iter()
        .map(|i| i.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("  {:<7} {:<7} {:<width$}  result", "status", "kind", "item");
    for item in items {
        println!(
            "  {:<7} {:<7} {:<width$}  {}",
            item.status.label(),
            item.kind.name(),
            item.name,
            item.summary
        );
        if item.status != ItemStatus::Ok {
            for d in &item.details {
                println!("  {:<7} {:<7} {:<width$}    {d}", "", "", "");
            }
        }
    }
}

/// Runs `raftcheck ci`.
pub fn run(args: &CiArgs) -> Result<ExitStatus, UsageError> {
    let started = Instant::now();
    let (config, file) = CiConfig::load(args.config.as_deref()).map_err(UsageError)?;
    if !config.checks.is_empty() {
        super::check::record::prepare_out_dir(config.out_dir())?;
    }
    let threads = config.threads.unwrap_or_else(super::check::default_threads);
    let traces = corpus(&config.traces)?;
    let human = args.format == Format::Human;
    if human {
        println!(
            "raftcheck ci: {} trace{} in {}, {} check{} ({})",
            traces.len(),
            if traces.len() == 1 { "" } else { "s" },
            config.traces.display(),
            config.checks.len(),
            if config.checks.len() == 1 { "" } else { "s" },
            file.map_or_else(
                || "built-in configuration".to_string(),
                |f| format!("configuration {}", f.display())
            )
        );
    }
    let timeout = Duration::from_secs_f64(config.timeout);
    let mut items: Vec<GateItem> = traces.iter().map(|t| replay_item(t, timeout)).collect();
    for check in &config.checks {
        items.push(check_item(check, &config, threads, args.quiet || !human));
    }
    let status = gate_status(&items, args.fail_on_fixed);
    let count = |s: ItemStatus| items.iter().filter(|i| i.status == s).count();
    let seconds = started.elapsed().as_secs_f64();
    if let Some(path) = &args.junit {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| UsageError(format!("{}: {e}", dir.display())))?;
        }
        std::fs::write(path, junit_xml(&items, args.fail_on_fixed))
            .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    }
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        for line in github_annotations(&items, args.fail_on_fixed) {
            println!("{line}");
        }
    }
    match args.format {
        Format::Human => {
            println!();
            print_table(&items);
            println!();
            let verdict = if status == ExitStatus::Agree {
                "pass"
            } else {
                "FAIL"
            };
            println!(
                "result: {verdict} — {} ok, {} regressed, {} fixed?, {} fault{}, {} error{} in \
                 {seconds:.1} s",
                count(ItemStatus::Ok),
                count(ItemStatus::Failed),
                count(ItemStatus::Fixed),
                count(ItemStatus::Fault),
                if count(ItemStatus::Fault) == 1 {
                    ""
                } else {
                    "s"
                },
                count(ItemStatus::Invalid),
                if count(ItemStatus::Invalid) == 1 {
                    ""
                } else {
                    "s"
                },
            );
            if let Some(path) = &args.junit {
                println!("JUnit report written to {}", path.display());
            }
        }
        Format::Json => {
            let report = json!({
                "command": "ci",
                "result": if status == ExitStatus::Agree { "pass" } else { "fail" },
                "seconds": seconds,
                "counts": {
                    "ok": count(ItemStatus::Ok),
                    "failed": count(ItemStatus::Failed),
                    "fixed": count(ItemStatus::Fixed),
                    "fault": count(ItemStatus::Fault),
                    "invalid": count(ItemStatus::Invalid),
                },
                "items": items,
            });
            println!("{report}");
        }
    }
    Ok(status)
}
