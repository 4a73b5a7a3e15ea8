//! The one executor: every way raftcheck runs the spec — breadth-first search, random walks,
//! replay, recording and shrinking — takes its steps here.
//!
//! A step applies one action to the spec and, in lockstep, the same input to the implementation;
//! observes the implementation; judges outputs and state (DESIGN.md §2); and checks the safety
//! properties on the spec state reached. [`start`] judges the fresh cluster (step 0), [`step`]
//! takes one step from a given state, and [`execute`] runs a fixed sequence to its end.
//!
//! An adapter is optional: without one the spec runs alone (spec-only traces), and actions may
//! include a leader's discretionary sends.

use raftcheck_adapter::{Adapter, AdapterError, ClusterSetup};
use raftcheck_spec::{properties, Action, ClusterState, ClusterView, Input, Output, RaftModel};

use super::judge::{judge_obligations, judge_outputs, judge_state, Findings};
use super::outcome::{DivergenceKind, NotApplicable, Outcome};

/// A safety property the spec state violates, with what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The property's name.
    pub property: String,
    /// What is wrong.
    pub detail: String,
}

/// One step taken and judged.
#[derive(Clone, Debug)]
pub struct Step {
    /// The action taken: an input, or (spec alone) a discretionary send.
    pub action: Action,
    /// What came out: the implementation's outputs in lockstep (empty when it refused the input
    /// or failed), the spec's own outputs when it runs alone.
    pub outputs: Vec<Output>,
    /// The spec state after the step, with the messages that came out in its network.
    pub next: ClusterState,
    /// The implementation's abstract state after the step, if it could be observed.
    pub observed: Option<ClusterView>,
    /// Everything the implementation did differently; empty when it conforms.
    pub findings: Findings,
    /// The first safety property the spec state after the step violates, if any.
    pub violation: Option<Violation>,
}

impl Step {
    /// How a run ends at this step (numbered `number`), or `None` when it goes on: a divergence
    /// comes first, then a violation.
    pub fn outcome(&self, number: usize) -> Option<Outcome> {
        if let Some(kind) = self.findings.kind() {
            Some(Outcome::Divergence { step: number, kind })
        } else {
            self.violation.as_ref().map(|v| Outcome::Violation {
                step: number,
                property: v.property.clone(),
            })
        }
    }

    /// What is wrong at this step, one line per finding.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = self.findings.lines();
        if let Some(v) = &self.violation {
            lines.push(format!("{}: {}", v.property, v.detail));
        }
        lines
    }
}

/// The spec's setup for an adapter's fresh cluster.
pub fn setup(model: &RaftModel) -> ClusterSetup {
    ClusterSetup {
        nodes: model.bounds.nodes,
        spares: model.bounds.spares,
    }
}

/// Step 0: builds a fresh cluster in the adapter and judges it against the spec's initial
/// state.
pub fn start(model: &RaftModel, adapter: &mut dyn Adapter) -> Findings {
    let mut findings = Findings::default();
    match adapter.reset(&setup(model)).and_then(|_| adapter.observe()) {
        Ok(view) => judge_state(
            &ClusterView::from(&model.initial_state()),
            &view,
            &mut findings,
        ),
        Err(e) => findings.record_error(e),
    }
    findings
}

/// Takes `action` from `state`: in the spec, and when an adapter is given (which must be in the
/// matching state) in the implementation, judged. `action` must be enabled in `state` (the
/// model offered it, or [`enabled`] said so).
pub fn step(
    model: &RaftModel,
    adapter: Option<&mut dyn Adapter>,
    state: &ClusterState,
    action: &Action,
) -> Step {
    let mut findings = Findings::default();
    let (outputs, next, observed) = match (action, adapter) {
        (Action::Input(input), Some(adapter)) => {
            let transition = model.apply(state, input);
            let outputs = match adapter.apply(input) {
                Ok(outputs) => {
                    judge_outputs(
                        model,
                        state,
                        input,
                        &transition.outputs,
                        &transition.state,
                        &outputs,
                        &mut findings,
                    );
                    outputs
                }
                Err(e) => {
                    findings.record_error(e);
                    Vec::new()
                }
            };
            let observed = if findings.failed() {
                None
            } else {
                match adapter.observe() {
                    Ok(view) => {
                        judge_state(&ClusterView::from(&transition.state), &view, &mut findings);
                        Some(view)
                    }
                    Err(e) => {
                        findings.record_error(e);
                        None
                    }
                }
            };
            let mut next = transition.state;
            RaftModel::post_outputs(&mut next, &outputs);
            if !findings.failed() {
                judge_obligations(model, state, input, &outputs, &next, &mut findings);
            }
            (outputs, next, observed)
        }
        (Action::Input(input), None) => {
            let transition = model.apply(state, input);
            let mut next = transition.state;
            RaftModel::post_outputs(&mut next, &transition.outputs);
            (transition.outputs, next, None)
        }
        (Action::Send(message), adapter) => {
            if adapter.is_some() {
                findings.fault = Some(format!(
                    "Send {message} is a spec action; an implementation chooses its own sends"
                ));
            }
            let mut next = state.clone();
            next.post(message.clone());
            (Vec::new(), next, None)
        }
    };
    let violation = properties::violations(model, &next)
        .into_iter()
        .next()
        .map(|v| Violation {
            property: v.property.to_string(),
            detail: v.detail,
        });
    Step {
        action: action.clone(),
        outputs,
        next,
        observed,
        findings,
        violation,
    }
}

/// Checks that `action` may be taken in `state`; the error says why not.
pub fn enabled(model: &RaftModel, state: &ClusterState, action: &Action) -> Result<(), String> {
    match action {
        Action::Input(input) => model.check_enabled(state, input),
        Action::Send(message) => model.may_send(state, message),
    }
}

/// A fixed sequence of actions run to its end.
#[derive(Clone, Debug)]
pub struct Execution {
    /// The spec's initial state.
    pub initial: ClusterState,
    /// What was wrong with the fresh cluster already (lockstep only).
    pub initial_findings: Findings,
    /// The steps taken, up to and including the one where the run ended.
    pub steps: Vec<Step>,
    /// How it ended, or the event that could not be taken.
    pub end: Result<Outcome, NotApplicable>,
}

impl Execution {
    /// The outcome, if every event could be taken.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.end.as_ref().ok()
    }

    /// True when the implementation failed (adapter fault or panic).
    pub fn is_fault(&self) -> bool {
        self.outcome().is_some_and(Outcome::is_fault)
    }

    /// The inputs taken, in order.
    pub fn inputs(&self) -> Vec<Input> {
        self.steps
            .iter()
            .filter_map(|s| match &s.action {
                Action::Input(input) => Some(input.clone()),
                Action::Send(_) => None,
            })
            .collect()
    }

    /// What was wrong where the run ended, one line per finding.
    pub fn final_findings(&self) -> Vec<String> {
        match &self.end {
            Ok(Outcome::Agree) => Vec::new(),
            Ok(Outcome::Divergence { step: 0, .. }) => self.initial_findings.lines(),
            Ok(_) => self.steps.last().map(Step::lines).unwrap_or_default(),
            Err(NotApplicable { step, reason }) => {
                vec![format!("event {step} no longer applies: {reason}")]
            }
        }
    }

    /// What happened, for people: the outcome, or where the sequence stopped applying.
    pub fn end_text(&self) -> String {
        match &self.end {
            Ok(outcome) => outcome.to_string(),
            Err(stuck) => stuck.to_string(),
        }
    }

    /// The execution of an adapter that failed with `error` before the first step (it could
    /// not start).
    pub fn failed_start(model: &RaftModel, error: AdapterError) -> Execution {
        let mut initial_findings = Findings::default();
        initial_findings.record_error(error);
        let kind = initial_findings
            .kind()
            .unwrap_or(DivergenceKind::AdapterFault);
        Execution {
            initial: model.initial_state(),
            initial_findings,
            steps: Vec::new(),
            end: Ok(Outcome::Divergence { step: 0, kind }),
        }
    }
}

/// Runs `actions` from the initial state — on a fresh cluster of `adapter` in lockstep, or on the
/// spec alone — and stops at the first problem or at an event that cannot be taken. Each action
/// is first passed through `resolve` with the state it will be taken in (shrinking adapts
/// inputs to earlier removals); the steps record the resolved actions.
pub fn execute(
    model: &RaftModel,
    mut adapter: Option<&mut dyn Adapter>,
    actions: &[Action],
    resolve: impl Fn(&ClusterState, &Action) -> Action,
) -> Execution {
    let initial = model.initial_state();
    let initial_findings = match &mut adapter {
        Some(adapter) => start(model, &mut **adapter),
        None => Findings::default(),
    };
    let mut execution = Execution {
        initial: initial.clone(),
        initial_findings,
        steps: Vec::new(),
        end: Ok(Outcome::Agree),
    };
    if let Some(kind) = execution.initial_findings.kind() {
        execution.end = Ok(Outcome::Divergence { step: 0, kind });
        return execution;
    }
    let mut state = initial;
    for (i, action) in actions.iter().enumerate() {
        let number = i + 1;
        let action = resolve(&state, action);
        if let Err(reason) = enabled(model, &state, &action) {
            execution.end = Err(NotApplicable {
                step: number,
                reason,
            });
            return execution;
        }
        let now: Option<&mut dyn Adapter> = match &mut adapter {
            Some(adapter) => Some(&mut **adapter),
            None => None,
        };
        let taken = step(model, now, &state, &action);
        let outcome = taken.outcome(number);
        state = taken.next.clone();
        execution.steps.push(taken);
        if let Some(outcome) = outcome {
            execution.end = Ok(outcome);
            return execution;
        }
    }
    execution
}

/// [`execute`] for inputs, as they are, in lockstep.
pub fn execute_inputs(model: &RaftModel, adapter: &mut dyn Adapter, inputs: &[Input]) -> Execution {
    let actions: Vec<Action> = inputs.iter().cloned().map(Action::Input).collect();
    execute(model, Some(adapter), &actions, |_, a| a.clone())
}
