//! The one outcome vocabulary: how a run of the spec (and an implementation) ended. Traces store
//! it as their expected result, searches report it with the path that leads there, and every
//! report — human, JSON, JUnit — prints it.

use std::fmt;

use raftcheck_adapter::AdapterError;
use raftcheck_spec::Input;
use serde::{Deserialize, Serialize};

use crate::ExitStatus;

/// The kinds of divergence, in the order they are judged within one step (DESIGN.md §2): input
/// refused, unexpected output (a wrong reply is one), missing output, state mismatch, and the
/// two ways an implementation can fail to take the step at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DivergenceKind {
    /// The spec allows the input but the implementation rejected it or returned an error.
    InputRefused,
    /// The implementation emitted something the spec does not allow in that state, or a reply
    /// other than the one the spec requires.
    UnexpectedOutput,
    /// The spec requires an output the implementation did not emit.
    MissingOutput,
    /// A node owed a send of its own accord (a progress obligation) and did not make it, and
    /// nothing is left in flight: the cluster waits on a timer though the spec says a node must
    /// still act. A missing output at a quiescent state.
    Stuck,
    /// The implementation's abstract state differs from the spec's.
    StateMismatch,
    /// The adapter failed: the implementation's process exited or hung, or it broke the adapter
    /// protocol.
    AdapterFault,
    /// The implementation itself panicked (a broken invariant inside the library).
    ImplementationPanicked,
}

impl DivergenceKind {
    /// The kebab-case name used in reports and trace files.
    pub fn name(self) -> &'static str {
        match self {
            DivergenceKind::InputRefused => "input-refused",
            DivergenceKind::UnexpectedOutput => "unexpected-output",
            DivergenceKind::MissingOutput => "missing-output",
            DivergenceKind::Stuck => "stuck",
            DivergenceKind::StateMismatch => "state-mismatch",
            DivergenceKind::AdapterFault => "adapter-fault",
            DivergenceKind::ImplementationPanicked => "implementation-panicked",
        }
    }

    /// True for the kinds where the implementation did not take the step at all (exit 3).
    pub fn is_fault(self) -> bool {
        matches!(
            self,
            DivergenceKind::AdapterFault | DivergenceKind::ImplementationPanicked
        )
    }
}

impl fmt::Display for DivergenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a run ended. Steps are 1-based; step 0 is the fresh cluster, before any input.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Outcome {
    /// Spec and implementation agreed on every step, and every safety property held.
    Agree,
    /// Spec and implementation part at `step`, with the first mismatch `kind`.
    Divergence {
        /// The step.
        step: usize,
        /// The first kind of mismatch there.
        kind: DivergenceKind,
    },
    /// The spec state after `step` violates the safety property `property` (a spec bug).
    Violation {
        /// The step.
        step: usize,
        /// The property's name.
        property: String,
    },
}

impl Outcome {
    /// The step where the run ended badly (`None` for agreement).
    pub fn step(&self) -> Option<usize> {
        match self {
            Outcome::Agree => None,
            Outcome::Divergence { step, .. } | Outcome::Violation { step, .. } => Some(*step),
        }
    }

    /// True for agreement.
    pub fn agrees(&self) -> bool {
        *self == Outcome::Agree
    }

    /// True when the implementation failed to take a step (adapter fault or panic).
    pub fn is_fault(&self) -> bool {
        matches!(self, Outcome::Divergence { kind, .. } if kind.is_fault())
    }

    /// The machine-readable result: `agree`, `divergence`, `violation` or `fault`.
    pub fn result(&self) -> &'static str {
        match self {
            Outcome::Agree => "agree",
            Outcome::Violation { .. } => "violation",
            _ if self.is_fault() => "fault",
            Outcome::Divergence { .. } => "divergence",
        }
    }

    /// The short kind: `agree`, the divergence kind's name, or `violation`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Outcome::Agree => "agree",
            Outcome::Divergence { kind, .. } => kind.name(),
            Outcome::Violation { .. } => "violation",
        }
    }

    /// The same kind of ending, wherever it happens: what shrinking preserves.
    pub fn same_kind(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Outcome::Agree, Outcome::Agree) => true,
            (Outcome::Divergence { kind: a, .. }, Outcome::Divergence { kind: b, .. }) => a == b,
            (Outcome::Violation { property: a, .. }, Outcome::Violation { property: b, .. }) => {
                a == b
            }
            _ => false,
        }
    }

    /// The headline of a report: `DIVERGENCE (state-mismatch)`, `ADAPTER FAULT`,
    /// `IMPLEMENTATION PANICKED`, `VIOLATION of ...`, or `agree`.
    pub fn headline(&self) -> String {
        match self {
            Outcome::Agree => "agree".into(),
            Outcome::Divergence {
                kind: DivergenceKind::AdapterFault,
                ..
            } => "ADAPTER FAULT".into(),
            Outcome::Divergence {
                kind: DivergenceKind::ImplementationPanicked,
                ..
            } => "IMPLEMENTATION PANICKED".into(),
            Outcome::Divergence { kind, .. } => format!("DIVERGENCE ({kind})"),
            Outcome::Violation { property, .. } => format!("VIOLATION of {property}"),
        }
    }

    /// The exit status of a run that ended so: 0 agree, 1 divergence or violation, 3 fault.
    pub fn exit_status(&self) -> ExitStatus {
        match self.result() {
            "agree" => ExitStatus::Agree,
            "fault" => ExitStatus::Fault,
            _ => ExitStatus::Problem,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Agree => f.write_str("agreement"),
            Outcome::Divergence { step, kind } => write!(f, "{kind} at step {step}"),
            Outcome::Violation { step, property } => {
                write!(f, "violation of {property} at step {step}")
            }
        }
    }
}

/// An event of a fixed sequence that cannot be taken in the state the earlier events led to (the
/// message it receives was never sent this time, a bound is spent, ...): the sequence is not a
/// run of this spec, so it has no outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotApplicable {
    /// The event's step.
    pub step: usize,
    /// Why it cannot be taken.
    pub reason: String,
}

impl fmt::Display for NotApplicable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the trace stops applying at step {} ({})",
            self.step, self.reason
        )
    }
}

/// A path to a problem and what the problem is: what searches and walks report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The inputs from the initial state; the problem shows at the last one (or, for an empty
    /// path, in the fresh cluster).
    pub path: Vec<Input>,
    /// How the path ends (never [`Outcome::Agree`]); its step is the path's length.
    pub outcome: Outcome,
    /// What is wrong, one line per finding.
    pub lines: Vec<String>,
}

impl Problem {
    /// What makes two problems "the same" for `--keep-going`: the kind and the first finding
    /// with numbers blanked out.
    pub fn signature(&self) -> String {
        let first = self.lines.first().map(String::as_str).unwrap_or("");
        let blanked: String = first
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect();
        format!("{}|{blanked}", self.outcome.kind_name())
    }

    /// The problem of a fresh cluster that already differs from the spec's initial state (step
    /// 0), if its findings show one.
    pub fn at_start(findings: &crate::engine::Findings) -> Option<Problem> {
        findings.kind().map(|kind| Problem {
            path: Vec::new(),
            outcome: Outcome::Divergence { step: 0, kind },
            lines: findings.lines(),
        })
    }

    /// The adapter failed with `error` on `path` (while being brought there, or before the
    /// first step): an implementation panic, or else an adapter fault.
    pub fn from_error(path: Vec<Input>, error: &AdapterError) -> Problem {
        match error {
            AdapterError::Panicked { .. } => Problem {
                outcome: Outcome::Divergence {
                    step: path.len(),
                    kind: DivergenceKind::ImplementationPanicked,
                },
                path,
                lines: vec![error.to_string()],
            },
            _ => Problem::fault(path, error.detail()),
        }
    }

    /// An adapter fault on `path` (the adapter failed while being brought there, or before the
    /// first step).
    pub fn fault(path: Vec<Input>, detail: String) -> Problem {
        Problem {
            outcome: Outcome::Divergence {
                step: path.len(),
                kind: DivergenceKind::AdapterFault,
            },
            path,
            lines: vec![format!("adapter fault: {detail}")],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_serialise_as_traces_record_them() {
        let cases = [
            (Outcome::Agree, r#"{"result":"agree"}"#),
            (
                Outcome::Divergence {
                    step: 2,
                    kind: DivergenceKind::StateMismatch,
                },
                r#"{"result":"divergence","step":2,"kind":"state-mismatch"}"#,
            ),
            (
                Outcome::Violation {
                    step: 4,
                    property: "election safety".into(),
                },
                r#"{"result":"violation","step":4,"property":"election safety"}"#,
            ),
        ];
        for (outcome, json) in cases {
            assert_eq!(serde_json::to_string(&outcome).unwrap(), json);
            assert_eq!(serde_json::from_str::<Outcome>(json).unwrap(), outcome);
        }
    }

    #[test]
    fn faults_and_panics_exit_3_divergences_1() {
        let at = |kind| Outcome::Divergence { step: 1, kind };
        assert_eq!(at(DivergenceKind::AdapterFault).result(), "fault");
        assert_eq!(at(DivergenceKind::ImplementationPanicked).result(), "fault");
        assert_eq!(
            at(DivergenceKind::ImplementationPanicked).exit_status(),
            ExitStatus::Fault
        );
        assert_eq!(at(DivergenceKind::MissingOutput).result(), "divergence");
        assert_eq!(
            at(DivergenceKind::MissingOutput).exit_status(),
            ExitStatus::Problem
        );
        assert_eq!(Outcome::Agree.exit_status(), ExitStatus::Agree);
    }

    #[test]
    fn same_kind_ignores_the_step_only() {
        let a = Outcome::Divergence {
            step: 3,
            kind: DivergenceKind::StateMismatch,
        };
        let b = Outcome::Divergence {
            step: 9,
            kind: DivergenceKind::StateMismatch,
        };
        let c = Outcome::Divergence {
            step: 3,
            kind: DivergenceKind::MissingOutput,
        };
        assert!(a.same_kind(&b) && !a.same_kind(&c) && !a.same_kind(&Outcome::Agree));
    }
}
