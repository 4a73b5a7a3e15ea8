//! Recording problems as trace files: the path is executed once more from a fresh cluster (the
//! same executor every run uses) and written with its outcome, before the process goes on.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use raftcheck_format::v1;
use raftcheck_spec::{Action, Input, RaftModel};
use serde::Serialize;
use siphasher::sip::SipHasher13;

use crate::adapters::ImplChoice;
use crate::engine::{execute_inputs, Execution, Problem};
use crate::trace::{Trace, TraceEvent, TraceMode, FORMAT, VERSION};
use crate::UsageError;

/// Makes sure traces could be written into `out` before a run starts, so a problem found after
/// a long search is never lost to a mistyped or read-only directory. Creates nothing: `out`, or
/// the nearest of its ancestors that exists, must be a directory this process can write in.
pub fn prepare_out_dir(out: &Path) -> Result<(), UsageError> {
    let unusable = |why: String| {
        UsageError(format!(
            "traces cannot be written to {}: {why} (choose another directory with --out)",
            out.display()
        ))
    };
    let absolute = std::path::absolute(out).map_err(|e| unusable(e.to_string()))?;
    let existing = absolute
        .ancestors()
        .find(|a| a.exists())
        .ok_or_else(|| unusable("no part of the path exists".into()))?;
    if !existing.is_dir() {
        return Err(unusable(format!(
            "{} is not a directory",
            existing.display()
        )));
    }
    let probe = existing.join(format!(".raftcheck-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| unusable(format!("{}: {e}", existing.display())))?;
    // The probe's only job was to be written; failing to remove it changes nothing.
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Writes `trace` to `file`; if that fails, the error carries the whole trace so that whoever
/// reads it can still save it by hand.
pub(crate) fn save_or_show(trace: &Trace, file: &Path) -> Result<(), String> {
    trace.save(file).map_err(|e| {
        format!(
            "{e}\nthe trace, to save by hand as {}:\n{}",
            file.display(),
            trace.to_json()
        )
    })
}

/// A stable short name for a path, so re-running a check rewrites the same trace file. It hashes
/// the path in its trace-file form (`raftcheck_format::v1`), so a refactor of the spec's own types
/// does not rename the traces it writes.
pub fn path_tag(path: &[Input]) -> String {
    let wire: Vec<v1::Input> = path.iter().map(v1::Input::from).collect();
    tag_of(&wire)
}

/// [`path_tag`] for a path of spec actions (spec-only traces).
pub fn actions_tag(path: &[Action]) -> String {
    let wire: Vec<serde_json::Value> = path
        .iter()
        .map(|a| match a {
            Action::Input(input) => serde_json::json!({ "Input": v1::Input::from(input) }),
            Action::Send(m) => serde_json::json!({ "Send": v1::Message::from(m) }),
        })
        .collect();
    tag_of(&wire)
}

fn tag_of<T: Serialize>(wire: &[T]) -> String {
    let mut h = SipHasher13::new_with_keys(1, 2);
    serde_json::to_string(wire)
        .expect("paths serialise")
        .hash(&mut h);
    format!("{:08x}", h.finish() as u32)
}

/// A string safe in a file name.
pub(crate) fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The events of an execution, as a trace lists them.
pub fn events_of(execution: &Execution) -> Vec<TraceEvent> {
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
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The problem as the search found it.
    pub problem: Problem,
    /// Its path executed again, as recorded.
    pub execution: Execution,
    /// The trace file.
    pub file: PathBuf,
    /// False when executing the path again did not end the same way (nondeterminism).
    pub reproduced: bool,
}

/// The lockstep trace of `execution` of `choice` against `model`, recording `expect` as its
/// outcome.
pub fn lockstep_trace(
    model: &RaftModel,
    choice: &ImplChoice,
    execution: &Execution,
    expect: crate::engine::Outcome,
) -> Trace {
    Trace {
        format: FORMAT.into(),
        version: VERSION,
        mode: TraceMode::Lockstep,
        adapter: Some(choice.name.clone()),
        inject: choice.bug.map(|b| b.name().to_string()),
        flavour: model.flavour.clone(),
        bounds: model.bounds.clone(),
        events: events_of(execution),
        expect,
        findings: execution.final_findings(),
    }
}

/// Executes `problem`'s path again on a fresh adapter and writes the trace into `out`.
pub fn record_problem(
    model: &RaftModel,
    choice: &ImplChoice,
    problem: &Problem,
    out: &Path,
) -> Result<Recorded, String> {
    let execution = match choice.build() {
        Ok(mut adapter) => execute_inputs(model, adapter.as_mut(), &problem.path),
        Err(e) => Execution::failed_start(model, e),
    };
    let reproduced = execution.outcome() == Some(&problem.outcome);
    let expect = execution
        .outcome()
        .cloned()
        .ok_or_else(|| "re-running the path did not reach its end".to_string())?;
    let trace = lockstep_trace(model, choice, &execution, expect);
    let file = out.join(format!(
        "{}-{}-{}.json",
        choice.label(),
        problem.outcome.kind_name(),
        path_tag(&problem.path)
    ));
    save_or_show(&trace, &file)?;
    Ok(Recorded {
        problem: problem.clone(),
        execution,
        file,
        reproduced,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Outcome;

    #[test]
    fn trace_names_keep_their_tags() {
        // Pinned: the corpus's file names end in these tags.
        let vote_not_persisted = [Input::Timeout { node: 1 }, Input::Restart { node: 1 }];
        assert_eq!(path_tag(&vote_not_persisted), "316472bc");
    }

    #[test]
    fn path_tags_are_stable_and_distinct() {
        let a = vec![Input::Timeout { node: 1 }];
        let b = vec![Input::Timeout { node: 2 }];
        assert_eq!(path_tag(&a), path_tag(&a.clone()));
        assert_ne!(path_tag(&a), path_tag(&b));
        assert_eq!(path_tag(&a).len(), 8);
    }

    #[test]
    fn a_trace_that_cannot_be_written_is_shown_whole() {
        let trace = Trace {
            format: FORMAT.into(),
            version: VERSION,
            mode: TraceMode::Lockstep,
            adapter: Some("raft-rs".into()),
            inject: None,
            flavour: raftcheck_spec::Flavour::raft_rs(),
            bounds: raftcheck_spec::Bounds::default(),
            events: vec![TraceEvent {
                input: Some(Input::Timeout { node: 1 }),
                send: None,
                outputs: vec![],
            }],
            expect: Outcome::Agree,
            findings: vec![],
        };
        let blocker =
            std::env::temp_dir().join(format!("raftcheck-blocker-{}", std::process::id()));
        std::fs::write(&blocker, "").unwrap();
        let file = blocker.join("t.json");
        let err = save_or_show(&trace, &file).unwrap_err();
        std::fs::remove_file(&blocker).unwrap();
        assert!(err.contains("to save by hand as"), "{err}");
        let shown = &err[err.find('{').unwrap()..];
        assert_eq!(
            shown,
            trace.to_json(),
            "the whole trace, as it would have been written"
        );
    }

    #[test]
    fn slugs_are_file_safe() {
        assert_eq!(slug("election safety"), "election-safety");
    }
}
