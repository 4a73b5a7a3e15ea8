//! The conformance judgement for one step (DESIGN.md §2): given what the spec says the step
//! does and what the implementation did, name the first kind of mismatch, in the order
//! input refused, unexpected output (a wrong reply is one), missing output, state mismatch,
//! adapter fault, implementation panicked — and keep every detail found, so a report shows the
//! whole picture of the step.

use raftcheck_adapter::AdapterError;
use raftcheck_spec::{ClusterState, ClusterView, FieldDiff, Input, Message, Output, RaftModel};
use serde::{Deserialize, Serialize};

use super::outcome::DivergenceKind;
use super::reply;

/// Everything wrong with one step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    /// The implementation refused the input: its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Outputs the spec does not allow, each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unexpected: Vec<String>,
    /// Messages the spec requires that came out different (a reply with other fields, or sent
    /// to another node): one finding each, explained.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wrong: Vec<String>,
    /// Outputs the spec requires that did not come.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// Progress obligations the step left unmet (`raftcheck_spec::obligation`): sends a node
    /// owed of its own accord and did not make. A missing output too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmet: Vec<String>,
    /// Set with `unmet` when nothing is left in flight after the step: the cluster is stuck,
    /// waiting on a timer though the spec says a node must still act.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stuck: bool,
    /// Fields where the abstract states differ.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<FieldDiff>,
    /// The adapter fault, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// The implementation's panic, if it panicked: `implementation panicked at FILE:LINE:
    /// MESSAGE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panic: Option<String>,
}

impl Findings {
    /// The first kind of divergence present, if any. A wrong message is an unexpected output.
    pub fn kind(&self) -> Option<DivergenceKind> {
        if self.refused.is_some() {
            Some(DivergenceKind::InputRefused)
        } else if !self.unexpected.is_empty() || !self.wrong.is_empty() {
            Some(DivergenceKind::UnexpectedOutput)
        } else if !self.missing.is_empty() || (!self.unmet.is_empty() && !self.stuck) {
            Some(DivergenceKind::MissingOutput)
        } else if !self.unmet.is_empty() {
            Some(DivergenceKind::Stuck)
        } else if !self.diff.is_empty() {
            Some(DivergenceKind::StateMismatch)
        } else if self.fault.is_some() {
            Some(DivergenceKind::AdapterFault)
        } else if self.panic.is_some() {
            Some(DivergenceKind::ImplementationPanicked)
        } else {
            None
        }
    }

    /// True when the implementation could not take the step at all (no point observing it).
    pub fn failed(&self) -> bool {
        self.fault.is_some() || self.panic.is_some()
    }

    /// Every finding as one human line each, in the order of the kinds.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(r) = &self.refused {
            lines.push(format!("input refused: {r}"));
        }
        lines.extend(
            self.unexpected
                .iter()
                .map(|u| format!("unexpected output: {u}")),
        );
        lines.extend(self.wrong.iter().cloned());
        lines.extend(self.missing.iter().map(|m| format!("missing output: {m}")));
        let owed = if self.stuck {
            "stuck"
        } else {
            "missing output"
        };
        lines.extend(self.unmet.iter().map(|o| format!("{owed}: {o}")));
        lines.extend(self.diff.iter().map(|d| format!("state mismatch: {d}")));
        if let Some(f) = &self.fault {
            lines.push(format!("adapter fault: {f}"));
        }
        if let Some(p) = &self.panic {
            lines.push(p.clone());
        }
        lines
    }

    /// Records an adapter error from `apply` or `observe`.
    pub fn record_error(&mut self, error: AdapterError) {
        match error {
            AdapterError::Refused { reason, .. } => self.refused = Some(reason),
            AdapterError::Unmodelled(what) => self.unexpected.push(what),
            AdapterError::Fault(what) | AdapterError::Setup(what) => self.fault = Some(what),
            panic @ AdapterError::Panicked { .. } => self.panic = Some(panic.to_string()),
        }
    }
}

/// Compares the implementation's outputs with the spec's transition from `before` under
/// `input`. Required outputs are matched first (as a multiset); a required message that came out
/// with other fields or to another node is one wrong message, explained; any other output must be
/// a send the spec allows the sender to make of its own accord in the state after the step
/// (`after`), and the sends of the step must fit together (`raftcheck_spec::flow`).
pub fn judge_outputs(
    model: &RaftModel,
    before: &ClusterState,
    input: &Input,
    required: &[Output],
    after: &ClusterState,
    actual: &[Output],
    findings: &mut Findings,
) {
    let mut required: Vec<Option<&Output>> = required.iter().map(Some).collect();
    let mut unexpected: Vec<(&Output, String)> = Vec::new();
    for output in actual {
        if let Some(slot) = required.iter_mut().find(|r| **r == Some(output)) {
            *slot = None;
            continue;
        }
        let verdict = match output {
            Output::Send { message } => model.may_send_in_step(before, after, message),
            Output::BecomeLeader { .. } => Err("the spec does not elect this node here".into()),
            Output::ProposalDropped { .. } => {
                Err("the spec accepts or forwards this proposal".into())
            }
        };
        if let Err(why) = verdict {
            unexpected.push((output, why));
        }
    }
    // Pair each required message still missing with an unexpected one from the same sender of
    // the same kind: that is one wrong message, not an unexpected and a missing one.
    for slot in &mut required {
        let Some(Output::Send { message: want }) = *slot else {
            continue;
        };
        let slot_of = |exact: bool| {
            unexpected.iter().position(|(o, _)| {
                matches!(o, Output::Send { message: got }
                    if same_message_slot(want, got) && (!exact || got.to == want.to))
            })
        };
        let pair = slot_of(true).or_else(|| slot_of(false));
        if let Some(at) = pair {
            let (got, _) = unexpected.remove(at);
            let Output::Send { message: got } = got else {
                unreachable!("paired with a send")
            };
            findings
                .wrong
                .push(reply::explain(before, input, want, got));
            *slot = None;
        }
    }
    findings.unexpected.extend(
        unexpected
            .into_iter()
            .map(|(o, why)| format!("{o} ({why})")),
    );
    // Each send may be allowed alone and still not fit the ones before it in the step.
    findings.unexpected.extend(
        model
            .flow_violations(actual)
            .into_iter()
            .map(|(m, why)| format!("Send {m} ({why})")),
    );
    findings
        .missing
        .extend(required.into_iter().flatten().map(|o| o.to_string()));
}

/// Judges the progress obligations of the step from `before` under `input`: each one the
/// implementation's `actual` outputs (now in flight in `after`) leave unmet is a finding, and
/// the step is stuck if nothing at all is left in flight.
pub fn judge_obligations(
    model: &RaftModel,
    before: &ClusterState,
    input: &Input,
    actual: &[Output],
    after: &ClusterState,
    findings: &mut Findings,
) {
    for obligation in model.obligations(before, input) {
        if !obligation.met(actual, after) {
            findings.unmet.push(obligation.to_string());
        }
    }
    findings.stuck = !findings.unmet.is_empty() && after.network.is_empty();
}

/// True when `got` stands where `want` should: the same sender and the same kind of message.
fn same_message_slot(want: &Message, got: &Message) -> bool {
    want.from == got.from && want.payload.kind() == got.payload.kind()
}

/// Compares the abstract states.
pub fn judge_state(spec: &ClusterView, implementation: &ClusterView, findings: &mut Findings) {
    findings.diff = spec.diff(implementation);
}
