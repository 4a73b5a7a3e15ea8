//! The conformance judgement for one step (DESIGN.md §2): given what the spec says the step
//! does and what the implementation did, name the first kind of mismatch, in the order
//! input refused, unexpected output, missing output, state mismatch, adapter fault — and keep
//! every detail found, so a report shows the whole picture of the step.

use raftcheck_adapter::AdapterError;
use raftcheck_spec::{ClusterView, FieldDiff, Output, RaftModel, Transition};
use serde::{Deserialize, Serialize};

/// The kinds of divergence, in the order they are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DivergenceKind {
    /// The spec allows the input but the implementation rejected it or returned an error.
    InputRefused,
    /// The implementation emitted something the spec does not allow in that state.
    UnexpectedOutput,
    /// The spec requires an output the implementation did not emit.
    MissingOutput,
    /// The implementation's abstract state differs from the spec's.
    StateMismatch,
    /// The implementation crashed, hung or broke the adapter protocol.
    AdapterFault,
}

impl DivergenceKind {
    /// The kebab-case name used in reports and trace files.
    pub fn name(self) -> &'static str {
        match self {
            DivergenceKind::InputRefused => "input-refused",
            DivergenceKind::UnexpectedOutput => "unexpected-output",
            DivergenceKind::MissingOutput => "missing-output",
            DivergenceKind::StateMismatch => "state-mismatch",
            DivergenceKind::AdapterFault => "adapter-fault",
        }
    }
}

impl std::fmt::Display for DivergenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything wrong with one step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    /// The implementation refused the input: its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Outputs the spec does not allow, each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unexpected: Vec<String>,
    /// Outputs the spec requires that did not come.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// Fields where the abstract states differ.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<FieldDiff>,
    /// The adapter fault, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

impl Findings {
    /// The first kind of divergence present, if any.
    pub fn kind(&self) -> Option<DivergenceKind> {
        if self.refused.is_some() {
            Some(DivergenceKind::InputRefused)
        } else if !self.unexpected.is_empty() {
            Some(DivergenceKind::UnexpectedOutput)
        } else if !self.missing.is_empty() {
            Some(DivergenceKind::MissingOutput)
        } else if !self.diff.is_empty() {
            Some(DivergenceKind::StateMismatch)
        } else if self.fault.is_some() {
            Some(DivergenceKind::AdapterFault)
        } else {
            None
        }
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
        lines.extend(self.missing.iter().map(|m| format!("missing output: {m}")));
        lines.extend(self.diff.iter().map(|d| format!("state mismatch: {d}")));
        if let Some(f) = &self.fault {
            lines.push(format!("adapter fault: {f}"));
        }
        lines
    }
}

/// Compares the implementation's outputs with the spec's transition. Required outputs are
/// matched first (as a multiset); any other output must be a send the spec allows the sender to
/// make of its own accord in the state after the step.
pub fn judge_outputs(
    model: &RaftModel,
    transition: &Transition,
    actual: &[Output],
    findings: &mut Findings,
) {
    let mut required: Vec<Option<&Output>> = transition.outputs.iter().map(Some).collect();
    for output in actual {
        if let Some(slot) = required.iter_mut().find(|r| **r == Some(output)) {
            *slot = None;
            continue;
        }
        let verdict = match output {
            Output::Send { message } => model.may_send(&transition.state, message),
            Output::BecomeLeader { .. } => Err("the spec does not elect this node here".into()),
            Output::ProposalDropped { .. } => {
                Err("the spec accepts or forwards this proposal".into())
            }
        };
        if let Err(why) = verdict {
            findings.unexpected.push(format!("{output} ({why})"));
        }
    }
    findings
        .missing
        .extend(required.into_iter().flatten().map(|o| o.to_string()));
}

/// Records an adapter error from `apply` in the findings.
pub fn record_apply_error(error: AdapterError, findings: &mut Findings) {
    match error {
        AdapterError::Refused { reason, .. } => findings.refused = Some(reason),
        AdapterError::Unmodelled(what) => findings.unexpected.push(what),
        AdapterError::Fault(what) | AdapterError::Setup(what) => findings.fault = Some(what),
        // Reported as a fault for now (exit 3), with the panic's own words.
        panic @ AdapterError::Panicked { .. } => findings.fault = Some(panic.to_string()),
    }
}

/// Compares the abstract states.
pub fn judge_state(spec: &ClusterView, implementation: &ClusterView, findings: &mut Findings) {
    findings.diff = spec.diff(implementation);
}
