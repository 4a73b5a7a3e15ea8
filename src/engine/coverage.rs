//! Coverage: which inputs were driven into the implementation and which outputs it produced,
//! counted over every judged step, so a user can see what the bounds exercise — and what they
//! never reach.

use std::collections::BTreeMap;

use raftcheck_spec::{Bounds, Flavour, Input, Output};
use serde::Serialize;

/// The message kinds, in protocol order.
pub const MESSAGE_KINDS: [&str; 10] = [
    "RequestVote",
    "RequestVoteResponse",
    "RequestPreVote",
    "RequestPreVoteResponse",
    "AppendEntries",
    "AppendEntriesResponse",
    "Heartbeat",
    "HeartbeatResponse",
    "Propose",
    "Snapshot",
];

/// Counts of inputs driven and outputs observed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Judged steps by input label (`Timeout`, `Receive AppendEntries`, ...).
    pub inputs: BTreeMap<String, u64>,
    /// Implementation outputs by label (`Send RequestVote`, `BecomeLeader`, ...).
    pub outputs: BTreeMap<String, u64>,
}

/// The coverage label of an input: its kind, and for message inputs the message kind.
pub fn input_label(input: &Input) -> String {
    match input {
        Input::Receive { message } | Input::Drop { message } | Input::Duplicate { message } => {
            format!("{} {}", input.kind(), message.payload.kind())
        }
        other => other.kind().to_string(),
    }
}

/// The coverage label of an output.
pub fn output_label(output: &Output) -> String {
    match output {
        Output::Send { message } => format!("Send {}", message.payload.kind()),
        Output::BecomeLeader { .. } => "BecomeLeader".into(),
        Output::ProposalDropped { .. } => "ProposalDropped".into(),
    }
}

impl Coverage {
    /// Counts one judged step.
    pub fn record(&mut self, input: &Input, outputs: &[Output]) {
        *self.inputs.entry(input_label(input)).or_default() += 1;
        for output in outputs {
            *self.outputs.entry(output_label(output)).or_default() += 1;
        }
    }

    /// Adds another tally to this one.
    pub fn merge(&mut self, other: &Coverage) {
        for (k, v) in &other.inputs {
            *self.inputs.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.outputs {
            *self.outputs.entry(k.clone()).or_default() += v;
        }
    }

    /// The message kinds a flavour has (pre-vote messages only with pre-vote).
    pub fn message_kinds(flavour: &Flavour) -> Vec<&'static str> {
        MESSAGE_KINDS
            .into_iter()
            .filter(|k| flavour.pre_vote || !k.starts_with("RequestPreVote"))
            .collect()
    }

    /// Every input label the spec can offer under `flavour` and `bounds`, in a fixed order,
    /// each with whether the bounds allow it at all.
    pub fn possible_inputs(flavour: &Flavour, bounds: &Bounds) -> Vec<(String, bool)> {
        let kinds = Self::message_kinds(flavour);
        let mut labels = vec![("Timeout".to_string(), true)];
        // A message kind is reachable when its flavour has it and the bounds make it.
        let reachable = |kind: &str| match kind {
            "Heartbeat" | "HeartbeatResponse" => {
                flavour.heartbeat_input && !flavour.heartbeat_sends_appends
            }
            "Snapshot" => bounds.snapshots > 0,
            _ => true,
        };
        for &kind in &kinds {
            labels.push((format!("Receive {kind}"), reachable(kind)));
        }
        labels.push(("ClientRequest".into(), bounds.values > 0));
        labels.push((
            "Heartbeat".into(),
            flavour.heartbeat_input && bounds.heartbeats > 0,
        ));
        if flavour.lease_step_down {
            labels.push(("StepDown".into(), true));
        }
        labels.push(("Restart".into(), bounds.restarts > 0));
        labels.push(("ProposeConfChange".into(), bounds.conf_changes > 0));
        labels.push(("Compact".into(), bounds.snapshots > 0));
        for &kind in &kinds {
            labels.push((format!("Drop {kind}"), bounds.drops > 0 && reachable(kind)));
        }
        for &kind in &kinds {
            labels.push((
                format!("Duplicate {kind}"),
                bounds.duplicates > 0 && reachable(kind),
            ));
        }
        labels
    }

    /// Every output label of `flavour`, in a fixed order.
    pub fn possible_outputs(flavour: &Flavour) -> Vec<String> {
        let mut labels: Vec<String> = Self::message_kinds(flavour)
            .iter()
            .map(|k| format!("Send {k}"))
            .collect();
        labels.push("BecomeLeader".into());
        labels.push("ProposalDropped".into());
        labels
    }

    /// The inputs the bounds allow but no step exercised.
    pub fn missed_inputs(&self, flavour: &Flavour, bounds: &Bounds) -> Vec<String> {
        Self::possible_inputs(flavour, bounds)
            .into_iter()
            .filter(|(label, allowed)| *allowed && !self.inputs.contains_key(label))
            .map(|(label, _)| label)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftcheck_spec::{Message, Payload};

    #[test]
    fn labels_split_receives_by_message_kind() {
        let m = Message {
            from: 1,
            to: 2,
            term: 1,
            payload: Payload::Heartbeat { commit: 0 },
        };
        assert_eq!(
            input_label(&Input::Receive { message: m.clone() }),
            "Receive Heartbeat"
        );
        assert_eq!(input_label(&Input::Timeout { node: 1 }), "Timeout");
        assert_eq!(output_label(&Output::Send { message: m }), "Send Heartbeat");
    }

    #[test]
    fn merging_adds_counts_and_missed_lists_what_is_allowed_only() {
        let mut a = Coverage::default();
        a.record(&Input::Timeout { node: 1 }, &[]);
        let mut b = a.clone();
        b.record(&Input::Restart { node: 1 }, &[]);
        a.merge(&b);
        assert_eq!(a.inputs["Timeout"], 2);
        assert_eq!(a.inputs["Restart"], 1);
        let missed = a.missed_inputs(&Flavour::raft_rs(), &Bounds::default());
        assert!(missed.contains(&"Receive AppendEntries".to_string()));
        assert!(
            !missed.iter().any(|m| m.starts_with("Drop")),
            "drops are off by default"
        );
    }
}
