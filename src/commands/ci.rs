//! `raftcheck ci`: the conformance gate. Replays the trace corpus, runs the configured checks,
//! prints one table, and writes what CI systems read.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;

use super::replay::{replay, Verdict};
use crate::cli::{CiArgs, Format};
use crate::config::{CheckConfig, CiConfig};
use crate::junit::{github_annotations, junit_xml, GateItem, ItemKind, ItemStatus};
use crate::run::{model_of, run as run_plan, Report};
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
    let observed = r.execution.end_text();
    let report = json!({
        "expected": r.trace.expect,
        "observed": r.execution.outcome(),
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
            if r.execution.is_fault() {
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

/// The items of one configured check: one per pre-vote configuration it covers, or one invalid
/// item when it cannot be planned.
fn check_items(
    check: &CheckConfig,
    config: &CiConfig,
    file: Option<&Path>,
    quiet: bool,
) -> Vec<GateItem> {
    let progress = (!quiet).then_some(Duration::from_secs(10));
    match check.request(config, file, progress).plans() {
        Err(e) => vec![GateItem {
            kind: ItemKind::Check,
            name: check.display_name(),
            status: ItemStatus::Invalid,
            summary: e.0,
            details: Vec::new(),
            file: None,
            seconds: 0.0,
            report: json!(null),
        }],
        Ok(plans) => plans
            .into_iter()
            .map(|plan| {
                let started = Instant::now();
                if !quiet {
                    eprintln!("running check: {}", plan.name);
                }
                let report =
                    model_of(&plan).and_then(|(model, failure)| run_plan(&plan, &model, failure));
                match report {
                    Err(e) => GateItem {
                        kind: ItemKind::Check,
                        name: plan.name.clone(),
                        status: ItemStatus::Invalid,
                        summary: e.0,
                        details: Vec::new(),
                        file: None,
                        seconds: started.elapsed().as_secs_f64(),
                        report: json!(null),
                    },
                    Ok(report) => finish_check(plan.name.clone(), &report, started),
                }
            })
            .collect(),
    }
}

fn finish_check(name: String, report: &Report, started: Instant) -> GateItem {
    let seconds = started.elapsed().as_secs_f64();
    let (status, summary, details, file) = match report.problems.first() {
        None => (
            ItemStatus::Ok,
            format!(
                "agree: {} {} in {} ({})",
                if report.mode == "random" {
                    report.steps()
                } else {
                    report.states()
                },
                if report.mode == "random" {
                    "steps"
                } else {
                    "states"
                },
                crate::report::duration(seconds),
                crate::report::bounds_line(&report.bounds)
            ),
            Vec::new(),
            None,
        ),
        Some(found) => (
            if found.outcome.is_fault() {
                ItemStatus::Fault
            } else {
                ItemStatus::Failed
            },
            format!("{}: {}", found.outcome, found.trace.display()),
            found.findings.clone(),
            Some(found.trace.display().to_string()),
        ),
    };
    GateItem {
        kind: ItemKind::Check,
        name,
        status,
        summary,
        details,
        file,
        seconds,
        report: serde_json::to_value(report).expect("a report serialises"),
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
        crate::record::prepare_out_dir(config.out_dir())?;
    }
    let traces = corpus(&config.traces)?;
    let human = args.format == Format::Human;
    let checks: usize = config.checks.iter().map(CheckConfig::items).sum();
    if human {
        println!(
            "raftcheck ci: {} trace{} in {}, {} check{} ({})",
            traces.len(),
            if traces.len() == 1 { "" } else { "s" },
            config.traces.display(),
            checks,
            if checks == 1 { "" } else { "s" },
            file.as_ref().map_or_else(
                || "built-in configuration".to_string(),
                |f| format!("configuration {}", f.display())
            )
        );
    }
    let timeout = Duration::from_secs_f64(config.timeout);
    let mut items: Vec<GateItem> = traces.iter().map(|t| replay_item(t, timeout)).collect();
    for check in &config.checks {
        items.extend(check_items(
            check,
            &config,
            file.as_deref(),
            args.quiet || !human,
        ));
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
