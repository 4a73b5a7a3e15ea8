//! `raftcheck replay FILE`: re-execute a trace's events against spec and implementation, print
//! the step-by-step table, and say whether the recorded outcome still holds.

use std::time::Duration;

use raftcheck_adapter::AdapterError;
use raftcheck_spec::{Action, Flavour, Mode, RaftModel};
use serde::Serialize;
use serde_json::json;

use crate::adapters::ImplChoice;
use crate::cli::{Format, ReplayArgs};
use crate::engine::{execute, execute_inputs, Execution, NotApplicable, Outcome};
use crate::report::execution_table;
use crate::trace::{Trace, TraceMode};
use crate::{ExitStatus, UsageError};

/// How a replay compares with the recorded outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The recorded outcome happened again.
    Holds,
    /// A recorded divergence or violation did not happen: the bug may be fixed.
    Fixed,
    /// Something else happened: a new divergence, another step or kind, or the trace no
    /// longer applies.
    Changed,
}

/// The replay of one trace.
pub struct Replay {
    /// The trace as loaded.
    pub trace: Trace,
    /// The execution.
    pub execution: Execution,
    /// The verdict.
    pub verdict: Verdict,
    /// A note when the adapter now declares another flavour than the one recorded.
    pub flavour_note: Option<String>,
    /// The flavour the replay ran with (the adapter's current one in lockstep).
    pub flavour: Flavour,
}

/// Replays a loaded trace. `Err` is a usage error (unknown adapter or bug named in the trace).
pub fn replay(trace: Trace, timeout: Duration) -> Result<Replay, UsageError> {
    let (execution, flavour) = match trace.mode {
        TraceMode::Lockstep => {
            let name = trace.adapter.as_deref().unwrap_or_default();
            let choice = ImplChoice::new(name, trace.inject.as_deref())
                .map_err(UsageError)?
                .with_timeout(timeout)
                .with_pre_vote(trace.flavour.pre_vote);
            match choice.build() {
                Ok(mut adapter) => {
                    let flavour = adapter.flavour();
                    let model =
                        RaftModel::new(trace.bounds.clone(), flavour.clone(), Mode::Lockstep);
                    let inputs: Vec<_> = trace.inputs().cloned().collect();
                    (execute_inputs(&model, adapter.as_mut(), &inputs), flavour)
                }
                Err(AdapterError::Setup(m)) => return Err(UsageError(m)),
                Err(e) => {
                    let model =
                        RaftModel::new(trace.bounds.clone(), trace.flavour.clone(), Mode::Lockstep);
                    (Execution::failed_start(&model, e), trace.flavour.clone())
                }
            }
        }
        TraceMode::Validation => {
            let model = RaftModel::new(trace.bounds.clone(), trace.flavour.clone(), Mode::Lockstep);
            let actions: Vec<Action> = trace.events.iter().map(action_of).collect();
            (
                crate::validate::replay::execute(&model, &actions),
                trace.flavour.clone(),
            )
        }
        TraceMode::SpecOnly => {
            let model = RaftModel::new(trace.bounds.clone(), trace.flavour.clone(), Mode::SpecOnly);
            let actions: Vec<Action> = trace.events.iter().map(action_of).collect();
            (
                execute(&model, None, &actions, |_, a| a.clone()),
                trace.flavour.clone(),
            )
        }
    };
    let flavour_note = (flavour != trace.flavour).then(|| {
        format!(
            "note: the trace was recorded with flavour {:?}; the adapter now declares {:?}, \
             which this replay uses",
            trace.flavour, flavour
        )
    });
    let verdict = verdict(&trace.expect, &execution.end);
    Ok(Replay {
        trace,
        execution,
        verdict,
        flavour_note,
        flavour,
    })
}

/// The spec action a trace event stands for.
fn action_of(e: &crate::trace::TraceEvent) -> Action {
    match (&e.input, &e.send) {
        (Some(input), _) => Action::Input(input.clone()),
        (None, Some(m)) => Action::Send(m.clone()),
        (None, None) => unreachable!("validated on load"),
    }
}

/// Compares what happened with what was recorded.
pub fn verdict(expected: &Outcome, end: &Result<Outcome, NotApplicable>) -> Verdict {
    match end {
        Ok(outcome) if outcome == expected => Verdict::Holds,
        Ok(Outcome::Agree) => Verdict::Fixed,
        _ => Verdict::Changed,
    }
}

/// `replay --update`: rewrites the trace with the execution just seen.
fn update(file: &std::path::Path, r: &Replay) -> Result<ExitStatus, UsageError> {
    let Some(expect) = r.execution.outcome().cloned() else {
        return Err(UsageError(format!(
            "{}: not updated: {}",
            file.display(),
            r.execution.end_text()
        )));
    };
    let updated = Trace {
        events: crate::record::events_of(&r.execution),
        expect,
        findings: r.execution.final_findings(),
        flavour: r.flavour.clone(),
        ..r.trace.clone()
    };
    updated.save(file).map_err(|e| UsageError(e.to_string()))?;
    if r.verdict == Verdict::Holds {
        println!(
            "{}: unchanged, recorded outcome holds: {}",
            file.display(),
            updated.expect
        );
    } else {
        println!(
            "{}: updated: recorded {}, now {}",
            file.display(),
            r.trace.expect,
            updated.expect
        );
    }
    Ok(ExitStatus::Agree)
}

/// `replay --html`: the replay's own execution drawn as a page (see `raftcheck view`).
pub fn write_view(
    out: &std::path::Path,
    file: &std::path::Path,
    r: &Replay,
) -> Result<(), UsageError> {
    let mode = match r.trace.mode {
        TraceMode::SpecOnly => Mode::SpecOnly,
        TraceMode::Lockstep | TraceMode::Validation => Mode::Lockstep,
    };
    let model = RaftModel::new(r.trace.bounds.clone(), r.flavour.clone(), mode);
    let page = crate::view::page_of_execution(&r.trace, file, &model, &r.execution);
    crate::view::write_page(out, &page)?;
    eprintln!("view written to {}", out.display());
    Ok(())
}

/// Runs `raftcheck replay`.
pub fn run(args: &ReplayArgs) -> Result<ExitStatus, UsageError> {
    let trace = Trace::load(&args.file).map_err(|e| UsageError(e.to_string()))?;
    let r = replay(trace, Duration::from_secs_f64(args.timeout))?;
    if let Some(out) = &args.html {
        write_view(out, &args.file, &r)?;
    }
    if args.update {
        return update(&args.file, &r);
    }
    let status = match r.verdict {
        Verdict::Holds => ExitStatus::Agree,
        Verdict::Changed if r.execution.is_fault() => ExitStatus::Fault,
        Verdict::Fixed | Verdict::Changed => ExitStatus::Problem,
    };
    let file = args.file.display().to_string();
    match args.format {
        Format::Json => {
            let report = json!({
                "command": "replay",
                "trace": file,
                "mode": r.trace.mode,
                "adapter": r.trace.adapter,
                "inject": r.trace.inject,
                "expected": r.trace.expect,
                "observed": r.execution.outcome(),
                "observed_text": r.execution.end_text(),
                "verdict": r.verdict,
                "result": r.execution.outcome().map_or("divergence", Outcome::result),
                "steps": r.execution.steps.len(),
                "findings": r.execution.final_findings(),
            });
            println!("{report}");
        }
        Format::Human => {
            let who = match (&r.trace.adapter, &r.trace.inject) {
                (Some(a), Some(b)) => format!("{a} with {b} injected"),
                (Some(a), None) => a.clone(),
                (None, _) => "the spec alone".into(),
            };
            println!(
                "raftcheck replay {file}: {} events against {who}",
                r.trace.events.len()
            );
            if let Some(note) = &r.flavour_note {
                println!("{note}");
            }
            println!();
            print!("{}", execution_table(&r.execution));
            println!();
            match r.verdict {
                Verdict::Holds => {
                    println!("recorded outcome holds: {}", r.trace.expect)
                }
                Verdict::Fixed => println!(
                    "the trace no longer diverges: the recorded {} did not happen, every step \
                     agrees now (fixed?)",
                    r.trace.expect
                ),
                Verdict::Changed => println!(
                    "outcome changed: recorded {}, now {}",
                    r.trace.expect,
                    r.execution.end_text()
                ),
            }
        }
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::DivergenceKind;

    #[test]
    fn verdicts() {
        let at = |step| Outcome::Divergence {
            step,
            kind: DivergenceKind::StateMismatch,
        };
        let stuck = Err(NotApplicable {
            step: 2,
            reason: "gone".into(),
        });
        assert_eq!(verdict(&at(2), &Ok(at(2))), Verdict::Holds);
        assert_eq!(verdict(&at(2), &Ok(Outcome::Agree)), Verdict::Fixed);
        assert_eq!(verdict(&at(2), &Ok(at(3))), Verdict::Changed);
        assert_eq!(verdict(&at(2), &stuck), Verdict::Changed);
        assert_eq!(
            verdict(&Outcome::Agree, &Ok(Outcome::Agree)),
            Verdict::Holds
        );
        assert_eq!(verdict(&Outcome::Agree, &Ok(at(2))), Verdict::Changed);
    }
}
