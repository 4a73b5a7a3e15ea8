//! Executing a fixed sequence of events: the common ground of recording a trace after `check`
//! found a problem and of `replay`. Execution stops at the first step where spec and
//! implementation part (or a safety property fails, or the next event no longer applies).

use raftcheck_adapter::{Adapter, ClusterSetup};
use raftcheck_spec::{properties, Action, ClusterState, ClusterView, Input, Output, RaftModel};
use stateright::Model;

use crate::engine::{judge, lockstep, DivergenceKind, Findings};
use crate::trace::Expect;

/// One executed step.
#[derive(Clone, Debug)]
pub struct ExecutedStep {
    /// The action taken: an input, or in spec-only mode a discretionary send.
    pub action: Action,
    /// What came out (the implementation's outputs in lockstep, the spec's in spec-only mode).
    pub outputs: Vec<Output>,
    /// The spec state after the step.
    pub spec: ClusterState,
    /// The implementation's abstract state after the step (lockstep, when observable).
    pub observed: Option<ClusterView>,
    /// What disagreed.
    pub findings: Findings,
    /// A safety property the spec state violates, with the detail.
    pub violation: Option<(String, String)>,
}

/// How an execution ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every event ran and agreed.
    Agree,
    /// Spec and implementation parted at `step` (0: the fresh cluster already differs).
    Divergence {
        /// The step.
        step: usize,
        /// The first kind of mismatch.
        kind: DivergenceKind,
    },
    /// The spec state after `step` violates a safety property.
    Violation {
        /// The step.
        step: usize,
        /// The property.
        property: String,
    },
    /// Event `step` cannot be taken in the state the previous events led to (e.g. the message it
    /// receives was never sent this time).
    NotApplicable {
        /// The step.
        step: usize,
        /// Why not.
        reason: String,
    },
}

impl Ending {
    /// The recorded form of this ending, if it has one.
    pub fn as_expect(&self) -> Option<Expect> {
        match self {
            Ending::Agree => Some(Expect::Agree),
            Ending::Divergence { step, kind } => Some(Expect::Divergence {
                step: *step,
                kind: *kind,
            }),
            Ending::Violation { step, property } => Some(Expect::Violation {
                step: *step,
                property: property.clone(),
            }),
            Ending::NotApplicable { .. } => None,
        }
    }

    /// True when the ending is an adapter fault.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            Ending::Divergence {
                kind: DivergenceKind::AdapterFault,
                ..
            }
        )
    }
}

/// A whole execution.
#[derive(Clone, Debug)]
pub struct Execution {
    /// The spec's initial state.
    pub initial: ClusterState,
    /// What was wrong with the fresh cluster already (lockstep only).
    pub initial_findings: Findings,
    /// The steps executed, up to and including the one where execution ended.
    pub steps: Vec<ExecutedStep>,
    /// How it ended.
    pub ending: Ending,
}

/// Runs `inputs` in lockstep on a fresh cluster, stopping at the first problem.
pub fn lockstep(model: &RaftModel, adapter: &mut dyn Adapter, inputs: &[Input]) -> Execution {
    lockstep_resolving(model, adapter, inputs, |_, input| input.clone())
}

/// Like [`lockstep()`], but each input is first passed through `resolve` with the spec state it
/// will be applied in; the executed steps record the resolved inputs.
pub fn lockstep_resolving(
    model: &RaftModel,
    adapter: &mut dyn Adapter,
    inputs: &[Input],
    resolve: impl Fn(&ClusterState, &Input) -> Input,
) -> Execution {
    let initial = model.initial_state();
    let setup = ClusterSetup {
        nodes: model.bounds.nodes,
    };
    let mut initial_findings = Findings::default();
    match adapter.reset(&setup).and_then(|_| adapter.observe()) {
        Ok(view) => judge::judge_state(&ClusterView::from(&initial), &view, &mut initial_findings),
        Err(e) => judge::record_apply_error(e, &mut initial_findings),
    }
    let mut execution = Execution {
        initial: initial.clone(),
        initial_findings,
        steps: Vec::new(),
        ending: Ending::Agree,
    };
    if let Some(kind) = execution.initial_findings.kind() {
        execution.ending = Ending::Divergence { step: 0, kind };
        return execution;
    }
    let mut state = initial;
    for (i, input) in inputs.iter().enumerate() {
        let step = i + 1;
        let input = &resolve(&state, input);
        if let Err(reason) = model.check_enabled(&state, input) {
            execution.ending = Ending::NotApplicable { step, reason };
            return execution;
        }
        let outcome = lockstep::step(model, adapter, &state, input);
        let violation = properties::violations(&outcome.next)
            .into_iter()
            .next()
            .map(|v| (v.property.to_string(), v.detail));
        let kind = outcome.findings.kind();
        execution.steps.push(ExecutedStep {
            action: Action::Input(input.clone()),
            outputs: outcome.outputs,
            spec: outcome.next.clone(),
            observed: outcome.observed,
            findings: outcome.findings,
            violation: violation.clone(),
        });
        if let Some(kind) = kind {
            execution.ending = Ending::Divergence { step, kind };
            return execution;
        }
        if let Some((property, _)) = violation {
            execution.ending = Ending::Violation { step, property };
            return execution;
        }
        state = outcome.next;
    }
    execution
}

/// The execution of an adapter that failed before the first step (it could not start, or its
/// fresh cluster could not be observed).
pub fn fault_at_start(model: &RaftModel, message: String) -> Execution {
    Execution {
        initial: model.initial_state(),
        initial_findings: Findings {
            fault: Some(message),
            ..Findings::default()
        },
        steps: Vec::new(),
        ending: Ending::Divergence {
            step: 0,
            kind: DivergenceKind::AdapterFault,
        },
    }
}

/// Runs spec actions on the spec alone, stopping at the first safety violation.
pub fn spec_only(model: &RaftModel, actions: &[Action]) -> Execution {
    let initial = model.initial_state();
    let mut execution = Execution {
        initial: initial.clone(),
        initial_findings: Findings::default(),
        steps: Vec::new(),
        ending: Ending::Agree,
    };
    let mut state = initial;
    for (i, action) in actions.iter().enumerate() {
        let step = i + 1;
        let (next, outputs) = match action {
            Action::Input(input) => {
                if let Err(reason) = model.check_enabled(&state, input) {
                    execution.ending = Ending::NotApplicable { step, reason };
                    return execution;
                }
                let t = model.apply(&state, input);
                let mut next = t.state;
                RaftModel::post_outputs(&mut next, &t.outputs);
                (next, t.outputs)
            }
            Action::Send(message) => {
                if let Err(reason) = model.may_send(&state, message) {
                    execution.ending = Ending::NotApplicable { step, reason };
                    return execution;
                }
                let next = model
                    .next_state(&state, action.clone())
                    .expect("a send always changes the network");
                (next, Vec::new())
            }
        };
        let violation = properties::violations(&next)
            .into_iter()
            .next()
            .map(|v| (v.property.to_string(), v.detail));
        execution.steps.push(ExecutedStep {
            action: action.clone(),
            outputs,
            spec: next.clone(),
            observed: None,
            findings: Findings::default(),
            violation: violation.clone(),
        });
        if let Some((property, _)) = violation {
            execution.ending = Ending::Violation { step, property };
            return execution;
        }
        state = next;
    }
    execution
}

impl Execution {
    /// The finding lines of the step where execution ended.
    pub fn final_findings(&self) -> Vec<String> {
        match &self.ending {
            Ending::Agree => Vec::new(),
            Ending::Divergence { step: 0, .. } => self.initial_findings.lines(),
            Ending::NotApplicable { step, reason } => {
                vec![format!("event {step} no longer applies: {reason}")]
            }
            _ => self
                .steps
                .last()
                .map(|s| {
                    let mut lines = s.findings.lines();
                    if let Some((property, detail)) = &s.violation {
                        lines.push(format!("{property}: {detail}"));
                    }
                    lines
                })
                .unwrap_or_default(),
        }
    }
}
