//! `raftcheck validate LOG...`: explain a real run's event logs with the spec, report the first
//! event nothing explains (with a replayable trace) and the run summary.

use std::path::PathBuf;

use serde_json::json;

use crate::cli::{Format, ValidateArgs};
use crate::engine::Outcome;
use crate::record::{prepare_out_dir, save_or_show};
use crate::report::node_line;
use crate::trace::{Trace, TraceMode, FORMAT, VERSION};
use crate::validate::explain::node_view;
use crate::validate::{validate, Error, Request, Validation};
use crate::{ExitStatus, UsageError};

/// Runs `raftcheck validate`.
pub fn run(args: &ValidateArgs) -> Result<ExitStatus, UsageError> {
    let request = Request {
        files: args.logs.clone(),
        flavour: args.flavour.clone(),
        pre_vote: args.pre_vote,
        max_frontier: args.max_frontier,
        unlogged: args.unlogged,
        immediate: args.immediate,
        election_timeout_us: args.election_timeout_ms.map(|ms| ms * 1000),
    };
    let v = match validate(&request) {
        Ok(v) => v,
        Err(Error::Log(e)) => return Err(UsageError(format!("malformed event log: {e}"))),
        Err(Error::Usage(e)) => return Err(UsageError(e)),
    };
    let trace_file = if v.outcome.agrees() {
        None
    } else {
        prepare_out_dir(&args.out)?;
        let file = args.out.join(trace_name(&v));
        save_or_show(&trace_of(&v), &file).map_err(UsageError)?;
        Some(file)
    };
    if let Some(out) = &args.html {
        let trace = trace_of(&v);
        let file = trace_file.clone().unwrap_or_else(|| args.logs[0].clone());
        crate::view::write_page(out, &crate::view::page_of_trace(&trace, &file))?;
        eprintln!("view written to {}", out.display());
    }
    match args.format {
        Format::Human => print!("{}", human(&v, trace_file.as_ref())),
        Format::Json => println!("{}", report_json(&v, trace_file.as_ref())),
    }
    Ok(v.outcome.exit_status())
}

/// The lines a divergence or violation is explained with (also the trace's findings).
pub fn finding_lines(v: &Validation) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(d) = &v.divergence {
        lines.push(format!(
            "event {} ({}): {}",
            d.number,
            v.logs.locate(d.at),
            serde_json::to_string(&d.event).unwrap_or_default()
        ));
        lines.push(d.miss.reason.clone());
        lines.extend(d.miss.diff.iter().map(|f| format!("differs: {f}")));
    }
    if let (Outcome::Violation { property, .. }, Some(detail)) = (&v.outcome, &v.violation) {
        lines.push(format!("{property}: {detail}"));
    }
    lines
}

fn trace_name(v: &Validation) -> String {
    let stem = v.logs.files[0]
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "log".into());
    let parent = v.logs.files[0]
        .parent()
        .and_then(|p| p.file_name())
        .map(|p| format!("{}-", p.to_string_lossy()))
        .unwrap_or_default();
    let step = v.outcome.step().unwrap_or(0);
    format!("validate-{parent}{stem}-e{step}.json")
}

fn trace_of(v: &Validation) -> Trace {
    Trace {
        format: FORMAT.into(),
        version: VERSION,
        mode: TraceMode::Validation,
        adapter: None,
        inject: None,
        flavour: v.model.flavour.clone(),
        bounds: v.model.bounds.clone(),
        events: v.path.clone(),
        expect: Outcome::Agree,
        findings: finding_lines(v),
    }
}

fn human(v: &Validation, trace: Option<&PathBuf>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let h = &v.logs.header;
    let _ = writeln!(
        out,
        "validate: {} log file(s), {} nodes, flavour {}{}{}, {} events",
        v.logs.files.len(),
        h.nodes.len(),
        v.model.flavour.name,
        if v.model.flavour.pre_vote {
            " with pre-vote"
        } else {
            ""
        },
        if h.immediate == Some(true) {
            ", immediate"
        } else {
            ""
        },
        v.logs.len()
    );
    match (&v.outcome, &v.divergence) {
        (Outcome::Agree, _) => {
            let _ = writeln!(
                out,
                "agree: every event is a behaviour of the spec; every safety property holds"
            );
        }
        (_, Some(d)) => {
            let _ = writeln!(
                out,
                "{}: event {} ({}) is explained by no spec behaviour",
                v.outcome.kind_name(),
                d.number,
                v.logs.locate(d.at)
            );
            let _ = writeln!(
                out,
                "  event: {}",
                serde_json::to_string(&d.event).unwrap_or_default()
            );
            let _ = writeln!(out, "  {}", d.miss.reason);
            let path = d.closest.path();
            let recent = path.len().saturating_sub(5);
            let _ = writeln!(
                out,
                "  the spec behaviour's last steps ({} in all):",
                path.len()
            );
            for (k, e) in path.iter().enumerate().skip(recent) {
                let action = match (&e.input, &e.send) {
                    (Some(input), _) => input.to_string(),
                    (None, Some(m)) => format!("Send {m}"),
                    (None, None) => String::new(),
                };
                let _ = writeln!(out, "    {:>5}  {action}", k + 1);
            }
            let initial = v.model.initial_config();
            let _ = writeln!(
                out,
                "  spec states possible just before ({} of {}), node n{}:",
                d.before.len(),
                d.possible,
                d.event.node
            );
            for h in &d.before {
                let _ = writeln!(
                    out,
                    "    {}",
                    node_line(&node_view(&h.state, d.event.node), &initial)
                );
            }
            let _ = writeln!(out, "  the closest, every node:");
            for n in d.closest.state.nodes.values() {
                let _ = writeln!(
                    out,
                    "    n{}: {}",
                    n.id,
                    node_line(&node_view(&d.closest.state, n.id), &initial)
                );
            }
            if !d.miss.diff.is_empty() {
                let _ = writeln!(out, "  differences from the closest:");
                for f in &d.miss.diff {
                    let _ = writeln!(out, "    {f}");
                }
            }
        }
        (Outcome::Violation { property, step }, None) => {
            let _ = writeln!(
                out,
                "violation: {property} after event {step}: {}",
                v.violation.as_deref().unwrap_or_default()
            );
        }
        (Outcome::Divergence { .. }, None) => unreachable!("a divergence has its details"),
    }
    let rate = v.explained as f64 / v.seconds.max(1e-9);
    let _ = writeln!(
        out,
        "explained {} events in {:.2} s ({:.0} events/s); search: {} spec steps, at most {} \
         hypothes{} at once{}, {} unlogged inputs inserted",
        v.explained,
        v.seconds,
        rate,
        v.cost.spec_steps,
        v.cost.max_frontier,
        if v.cost.max_frontier == 1 { "is" } else { "es" },
        if v.cost.truncated > 0 {
            format!(" ({} dropped at the limit)", v.cost.truncated)
        } else {
            String::new()
        },
        v.cost.unlogged_inserted
    );
    for at in &v.logs.torn {
        let _ = writeln!(
            out,
            "note: {} is a line cut short by a crash; ignored",
            v.logs.locate(*at)
        );
    }
    if v.unmatched_receives > 0 {
        let _ = writeln!(
            out,
            "note: {} receives had no matching send logged before them",
            v.unmatched_receives
        );
    }
    if v.never_logged > 0 {
        let _ = writeln!(
            out,
            "note: {} replies the spec requires were never logged (cut off by a crash or the \
             end of the log)",
            v.never_logged
        );
    }
    let _ = writeln!(out, "summary:");
    for line in v.summary.lines() {
        let _ = writeln!(out, "  {line}");
    }
    if let Some(t) = trace {
        let _ = writeln!(
            out,
            "trace: {} (`raftcheck replay` re-runs the spec behaviour up to the event)",
            t.display()
        );
        let _ = writeln!(out, "see it with: raftcheck view {}", t.display());
    }
    out
}

fn report_json(v: &Validation, trace: Option<&PathBuf>) -> serde_json::Value {
    json!({
        "command": "validate",
        "logs": v.logs.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "flavour": v.model.flavour.name,
        "pre_vote": v.model.flavour.pre_vote,
        "result": v.outcome.result(),
        "outcome": v.outcome,
        "events": v.logs.len(),
        "explained": v.explained,
        "seconds": v.seconds,
        "events_per_second": v.explained as f64 / v.seconds.max(1e-9),
        "search": {
            "spec_steps": v.cost.spec_steps,
            "max_hypotheses": v.cost.max_frontier,
            "dropped_hypotheses": v.cost.truncated,
            "unlogged_inserted": v.cost.unlogged_inserted,
        },
        "unmatched_receives": v.unmatched_receives,
        "torn_lines": v.logs.torn.iter().map(|at| v.logs.locate(*at)).collect::<Vec<_>>(),
        "never_logged": v.never_logged,
        "findings": finding_lines(v),
        "trace": trace.map(|t| t.display().to_string()),
        "summary": v.summary.to_json(),
    })
}
