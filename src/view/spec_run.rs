//! Running a trace on the spec alone, to learn the states a trace does not store.
//!
//! Spec-only and validation traces are spec behaviours: they run as `replay` runs them. A
//! lockstep trace is run the way the lockstep executor runs it, with the implementation's side
//! read from the trace instead of asked of an implementation: each input is applied to the
//! spec, and the outputs the implementation was recorded to emit are what enters the network
//! (so later receives of what it really sent apply). The run ends where the trace says it
//! ended; the implementation's state there is known only through the trace's findings.

use raftcheck_spec::{properties, Action, Mode, RaftModel};

use crate::engine::executor::Violation;
use crate::engine::{execute, Execution, Findings, NotApplicable, Outcome, Step};
use crate::trace::{Trace, TraceEvent, TraceMode};

/// The spec model a trace ran against, and the trace run on it.
pub fn execution_of(trace: &Trace) -> (RaftModel, Execution) {
    match trace.mode {
        TraceMode::Lockstep => {
            let model = RaftModel::new(trace.bounds.clone(), trace.flavour.clone(), Mode::Lockstep);
            let execution = lockstep(&model, trace);
            (model, execution)
        }
        TraceMode::SpecOnly => {
            let model = RaftModel::new(trace.bounds.clone(), trace.flavour.clone(), Mode::SpecOnly);
            let actions: Vec<Action> = trace.events.iter().map(action_of).collect();
            let execution = execute(&model, None, &actions, |_, a| a.clone());
            (model, execution)
        }
        TraceMode::Validation => {
            let model = RaftModel::new(trace.bounds.clone(), trace.flavour.clone(), Mode::Lockstep);
            let actions: Vec<Action> = trace.events.iter().map(action_of).collect();
            let execution = crate::validate::replay::execute(&model, &actions);
            (model, execution)
        }
    }
}

/// The spec action a trace event stands for.
fn action_of(e: &TraceEvent) -> Action {
    match (&e.input, &e.send) {
        (Some(input), _) => Action::Input(input.clone()),
        (None, Some(m)) => Action::Send(m.clone()),
        (None, None) => unreachable!("a loaded trace has an input or a send in every event"),
    }
}

/// A lockstep trace on the spec, with the recorded outputs as the implementation's.
fn lockstep(model: &RaftModel, trace: &Trace) -> Execution {
    let initial = model.initial_state();
    let mut execution = Execution {
        initial: initial.clone(),
        initial_findings: Findings::default(),
        steps: Vec::new(),
        end: Ok(trace.expect.clone()),
    };
    let last = match trace.expect.step() {
        Some(step) => step.min(trace.events.len()),
        None => trace.events.len(),
    };
    let mut state = initial;
    for (i, event) in trace.events.iter().take(last).enumerate() {
        let Some(input) = &event.input else {
            continue;
        };
        if let Err(reason) = model.check_enabled(&state, input) {
            execution.end = Err(NotApplicable {
                step: i + 1,
                reason,
            });
            return execution;
        }
        let mut next = model.apply(&state, input).state;
        RaftModel::post_outputs(&mut next, &event.outputs);
        let violation = properties::violations(model, &next)
            .into_iter()
            .next()
            .map(|v| Violation {
                property: v.property.to_string(),
                detail: v.detail,
            });
        state = next.clone();
        execution.steps.push(Step {
            action: Action::Input(input.clone()),
            outputs: event.outputs.clone(),
            next,
            observed: None,
            findings: Findings::default(),
            violation,
        });
    }
    if execution.end == Ok(Outcome::Agree) {
        if let Some((i, step)) = execution
            .steps
            .iter()
            .enumerate()
            .find(|(_, s)| s.violation.is_some())
        {
            let property = step.violation.as_ref().map(|v| v.property.clone());
            execution.end = Ok(Outcome::Violation {
                step: i + 1,
                property: property.unwrap_or_default(),
            });
        }
    }
    execution
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn corpus(name: &str) -> Trace {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("traces")
            .join(name);
        Trace::load(&path).unwrap()
    }

    #[test]
    fn a_lockstep_trace_runs_on_the_spec_to_its_recorded_end() {
        let trace = corpus("raft-rs-vote-not-persisted-state-mismatch-316472bc.json");
        let (_, execution) = execution_of(&trace);
        assert_eq!(execution.steps.len(), 2);
        assert_eq!(execution.end, Ok(trace.expect.clone()));
        // The spec's n1 after the restart still has its vote (the implementation forgot it).
        assert_eq!(execution.steps[1].next.node(1).vote, Some(1));
        // The two vote requests the implementation sent are in flight.
        assert_eq!(execution.steps[1].next.network.len(), 2);
    }

    #[test]
    fn a_trace_the_spec_cannot_take_ends_where_it_stops_applying() {
        let mut trace = corpus("raft-rs-vote-not-persisted-state-mismatch-316472bc.json");
        trace.events[0].outputs.clear();
        trace.events[1].input = Some(raftcheck_spec::Input::Receive {
            message: raftcheck_spec::Message {
                from: 1,
                to: 2,
                term: 1,
                payload: raftcheck_spec::Payload::vote_request(false, 0, 0),
            },
        });
        let (_, execution) = execution_of(&trace);
        let stuck = execution.end.unwrap_err();
        assert_eq!(stuck.step, 2);
        assert!(stuck.reason.contains("in flight"), "{}", stuck.reason);
    }
}
