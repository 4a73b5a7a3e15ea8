//! One lockstep step: drive an input into spec and implementation side by side and judge.

use raftcheck_adapter::Adapter;
use raftcheck_spec::{ClusterState, ClusterView, Input, Output, RaftModel};

use super::judge::{judge_outputs, judge_state, record_apply_error, Findings};

/// What happened in one lockstep step.
#[derive(Clone, Debug)]
pub struct StepOutcome {
    /// What the implementation emitted (empty when it refused the input or failed).
    pub outputs: Vec<Output>,
    /// Everything that disagrees; empty when the step conforms.
    pub findings: Findings,
    /// The spec state after the step, with the implementation's messages in the network.
    pub next: ClusterState,
    /// The implementation's abstract state after the step, if it could be observed.
    pub observed: Option<ClusterView>,
}

impl StepOutcome {
    /// True when spec and implementation agree on this step.
    pub fn agrees(&self) -> bool {
        self.findings.kind().is_none()
    }
}

/// Applies `input` to the spec in `state` and to the implementation (which must be in the
/// matching state), and judges the step.
pub fn step(
    model: &RaftModel,
    adapter: &mut dyn Adapter,
    state: &ClusterState,
    input: &Input,
) -> StepOutcome {
    let transition = model.apply(state, input);
    let mut findings = Findings::default();
    let outputs = match adapter.apply(input) {
        Ok(outputs) => {
            judge_outputs(model, &transition, &outputs, &mut findings);
            outputs
        }
        Err(e) => {
            record_apply_error(e, &mut findings);
            Vec::new()
        }
    };
    let observed = if findings.fault.is_none() {
        match adapter.observe() {
            Ok(view) => {
                judge_state(&ClusterView::from(&transition.state), &view, &mut findings);
                Some(view)
            }
            Err(e) => {
                record_apply_error(e, &mut findings);
                None
            }
        }
    } else {
        None
    };
    let mut next = transition.state;
    RaftModel::post_outputs(&mut next, &outputs);
    StepOutcome {
        outputs,
        findings,
        next,
        observed,
    }
}
