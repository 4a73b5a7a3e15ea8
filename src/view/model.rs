//! The view model: what the page draws, as plain serde data.
//!
//! A view has one lane per node and one row per event (row 0 is the fresh cluster). Each row
//! names its event, the lane it acts on, its outputs, and the new state of every node the step
//! changed (the page carries the others forward), with the changed fields and log entries
//! marked. Messages are paired from send to receive: each send is one message, a receive takes
//! the oldest copy in flight of an equal message, a duplicate adds a copy of it (so its second
//! delivery is marked), a drop takes a copy away. Where the run ends badly the view carries the
//! divergence (spec and implementation side by side, every differing field named) or the
//! violated property and the nodes it names.

use std::collections::{BTreeMap, VecDeque};

use raftcheck_format::v1;
use raftcheck_spec::{
    Action, ClusterState, ClusterView, Configuration, Input, Message, NodeView, Output, RaftModel,
};
use serde::Serialize;

use crate::engine::{Execution, NotApplicable, Outcome};
use crate::report::{bounds_line, initial_config};
use crate::trace::{Trace, TraceMode};

/// The value of the view model's `format` field, checked by the page's script.
pub const FORMAT: &str = "raftcheck-view";
/// The view model's version, checked by the page's script.
pub const VERSION: u32 = 1;

/// Everything the page draws.
#[derive(Clone, Debug, Serialize)]
pub struct ViewModel {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// [`VERSION`].
    pub version: u32,
    /// What the trace is and how it ended.
    pub header: Header,
    /// The node ids, one lane each, in order.
    pub nodes: Vec<u64>,
    /// Row 0 (the fresh cluster) and one row per event taken.
    pub rows: Vec<Row>,
    /// Every message sent or delivered, by id.
    pub messages: Vec<MessageView>,
    /// Where spec and implementation part, if they do.
    pub divergence: Option<Divergence>,
    /// The safety property the spec breaks, if it does.
    pub violation: Option<ViolationView>,
}

/// What the trace is and how it ended.
#[derive(Clone, Debug, Serialize)]
pub struct Header {
    /// The trace file.
    pub file: String,
    /// `lockstep`, `spec-only` or `validation`.
    pub mode: TraceMode,
    /// The adapter, in lockstep.
    pub adapter: Option<String>,
    /// The injected bug, if any.
    pub inject: Option<String>,
    /// The spec flavour's name.
    pub flavour: String,
    /// The bounds, as flags.
    pub bounds: String,
    /// The outcome the trace recorded.
    pub recorded: String,
    /// The outcome shown: `DIVERGENCE (state-mismatch)`, `VIOLATION of ...`, `agree`, ...
    pub headline: String,
    /// `agree`, `divergence`, `violation`, `fault`, or `stuck` (the trace stops applying).
    pub result: String,
    /// The findings where the run ends, one line each.
    pub findings: Vec<String>,
    /// Anything else a reader should know (the trace stops applying, ...).
    pub notes: Vec<String>,
}

/// One row: the fresh cluster (step 0) or one event.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The step number (0 for the fresh cluster).
    pub step: usize,
    /// The event, as reports print it.
    pub event: String,
    /// The event's kind: `Start`, an input kind (`Timeout`, `Receive`, ...), `Send` (a spec
    /// action), `Unexplained` (a log event no spec behaviour explains) or `Stuck`.
    pub kind: String,
    /// The node the event acts on, if one.
    pub lane: Option<u64>,
    /// The message the event receives, drops, duplicates or (a spec action) sends.
    pub message: Option<usize>,
    /// What came out.
    pub outputs: Vec<OutputView>,
    /// The nodes the step changed, with their new state.
    pub changed: Vec<NodeChange>,
    /// `divergent`, `violation`, or none.
    pub mark: Option<&'static str>,
}

/// An output of a step.
#[derive(Clone, Debug, Serialize)]
pub struct OutputView {
    /// As reports print it.
    pub text: String,
    /// The message, for a send.
    pub message: Option<usize>,
}

/// A node's new state at a row.
#[derive(Clone, Debug, Serialize)]
pub struct NodeChange {
    /// The node.
    pub node: u64,
    /// Its state.
    pub state: NodeCell,
}

/// One node's state, rendered, with what changed since the row before.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NodeCell {
    /// `follower`, `pre-candidate`, `candidate`, `leader`.
    pub role: String,
    /// Current term.
    pub term: u64,
    /// The vote, `n2` or `none`.
    pub vote: String,
    /// The leader known, `n1` or `none`.
    pub leader: String,
    /// Commit index.
    pub commit: u64,
    /// Applied index.
    pub applied: u64,
    /// The snapshot base `(index,tTerm)` when something is compacted.
    pub snapshot: Option<String>,
    /// The configuration, when it is not the initial one.
    pub config: Option<String>,
    /// The state machine's values.
    pub state_machine: Vec<u64>,
    /// The entries held.
    pub log: Vec<EntryCell>,
    /// Entries the previous state held past this log's end (truncated, or lost on restart).
    pub removed: usize,
    /// The fields that changed: `role`, `term`, `vote`, `leader`, `commit`, `applied`,
    /// `snapshot`, `config`, `state_machine`, `log`.
    pub changed: Vec<&'static str>,
}

/// One log entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryCell {
    /// Its index.
    pub index: u64,
    /// Its term.
    pub term: u64,
    /// `t1:v1`, `t2:empty`, `t3:conf(...)`.
    pub text: String,
    /// New at this index since the row before.
    pub changed: bool,
}

/// A message: where it was sent, delivered, dropped, duplicated.
#[derive(Clone, Debug, Serialize)]
pub struct MessageView {
    /// Its id.
    pub id: usize,
    /// Sender.
    pub from: u64,
    /// Receiver.
    pub to: u64,
    /// Kind, e.g. `RequestVote`.
    pub kind: &'static str,
    /// As reports print it.
    pub text: String,
    /// Its fields as the trace file spells them.
    pub fields: serde_json::Value,
    /// The step that sent it; `None` for a message received that no step of the trace sent.
    pub sent: Option<usize>,
    /// Every delivery.
    pub delivered: Vec<Delivery>,
    /// Steps at which a copy was dropped.
    pub dropped: Vec<usize>,
    /// Steps at which a copy was duplicated.
    pub duplicated: Vec<usize>,
}

/// A delivery of a message.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    /// The step that received it.
    pub step: usize,
    /// A copy made by a duplicate (the message was delivered before).
    pub duplicate: bool,
}

/// Where spec and implementation part.
#[derive(Clone, Debug, Serialize)]
pub struct Divergence {
    /// The step (its row).
    pub step: usize,
    /// The kind, e.g. `state-mismatch`, or `unexplained` for a validation.
    pub kind: String,
    /// Every finding, one line each.
    pub findings: Vec<String>,
    /// Every state field that differs.
    pub fields: Vec<DiffField>,
    /// Spec and implementation side by side, for each node with a differing field.
    pub sides: Vec<Sides>,
    /// The outputs the spec requires at the step (lockstep).
    pub spec_outputs: Vec<Compared>,
    /// The outputs the implementation emitted at the step (lockstep).
    pub impl_outputs: Vec<Compared>,
}

/// A differing field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffField {
    /// The field, e.g. `n1.vote`.
    pub field: String,
    /// The node it belongs to.
    pub node: Option<u64>,
    /// The spec's value.
    pub spec: String,
    /// The implementation's value.
    #[serde(rename = "impl")]
    pub implementation: String,
}

/// One node's fields, spec beside implementation.
#[derive(Clone, Debug, Serialize)]
pub struct Sides {
    /// The node.
    pub node: u64,
    /// Field by field.
    pub fields: Vec<SideField>,
}

/// One field, spec beside implementation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SideField {
    /// The field, without the node (`vote`, `log[2]`).
    pub name: String,
    /// The spec's value.
    pub spec: String,
    /// The implementation's value (the spec's where no difference was found).
    #[serde(rename = "impl")]
    pub implementation: String,
    /// True where they differ.
    pub differs: bool,
}

/// An output on one side of a divergent step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Compared {
    /// As reports print it.
    pub text: String,
    /// True when the other side has it too.
    pub matched: bool,
}

/// A safety property the spec breaks.
#[derive(Clone, Debug, Serialize)]
pub struct ViolationView {
    /// The step (its row).
    pub step: usize,
    /// The property.
    pub property: String,
    /// What breaks it.
    pub detail: String,
    /// The nodes the detail names: the states that break it.
    pub nodes: Vec<u64>,
}

/// Builds the view of `execution`, a run of `trace` on `model`, read from file `file`;
/// `findings` are what was wrong where it ended (the trace's, or the execution's own).
pub fn build(
    trace: &Trace,
    file: &str,
    model: &RaftModel,
    execution: &Execution,
    findings: &[String],
) -> ViewModel {
    let initial_view = ClusterView::from(&execution.initial);
    let initial = initial_config(&initial_view);
    let nodes: Vec<u64> = (1..=initial_view.nodes.len() as u64).collect();
    let mut network = Network::default();
    let start_cells = initial_view
        .nodes
        .iter()
        .map(|v| cell(v, None, &initial))
        .collect::<Vec<_>>();
    let mut rows = vec![Row {
        step: 0,
        event: "fresh cluster".into(),
        kind: "Start".into(),
        lane: None,
        message: None,
        outputs: Vec::new(),
        changed: nodes
            .iter()
            .zip(start_cells)
            .map(|(&node, state)| NodeChange { node, state })
            .collect(),
        mark: None,
    }];
    let mut before = initial_view;
    for (i, step) in execution.steps.iter().enumerate() {
        let number = i + 1;
        let (event, kind, lane, message) = match &step.action {
            Action::Input(input) => {
                let message = match input {
                    Input::Receive { message } => Some(network.receive(message, number)),
                    Input::Drop { message } => Some(network.drop(message, number)),
                    Input::Duplicate { message } => Some(network.duplicate(message, number)),
                    _ => None,
                };
                let lane = input.target().or(match input {
                    Input::Drop { message } | Input::Duplicate { message } => Some(message.to),
                    _ => None,
                });
                (input.to_string(), input.kind().to_string(), lane, message)
            }
            Action::Send(m) => (
                format!("Send {m}"),
                "Send".to_string(),
                Some(m.from),
                Some(network.send(m, number)),
            ),
        };
        let outputs = step
            .outputs
            .iter()
            .map(|o| OutputView {
                text: o.to_string(),
                message: o.sent().map(|m| network.send(m, number)),
            })
            .collect();
        let after = ClusterView::from(&step.next);
        let changed = after
            .nodes
            .iter()
            .zip(&before.nodes)
            .enumerate()
            .filter(|(_, (now, was))| now != was)
            .map(|(k, (now, was))| NodeChange {
                node: k as u64 + 1,
                state: cell(now, Some(was), &initial),
            })
            .collect();
        rows.push(Row {
            step: number,
            event,
            kind,
            lane,
            message,
            outputs,
            changed,
            mark: None,
        });
        before = after;
    }
    let mut notes = Vec::new();
    if let Ok(end) = &execution.end {
        let validation_ends_early = trace.mode == TraceMode::Validation;
        if *end != trace.expect && !validation_ends_early {
            notes.push(format!(
                "the trace recorded {}; this run of it gives {end}, which is what is shown",
                trace.expect
            ));
        }
    }
    let mut divergence = None;
    let mut violation = None;
    let (headline, result) = match &execution.end {
        Ok(Outcome::Divergence { step, kind }) => {
            divergence = Some(divergence_at(
                model,
                execution,
                *step,
                kind.name(),
                findings,
            ));
            let outcome = &execution.end.as_ref().expect("matched Ok");
            (outcome.headline(), outcome.result().to_string())
        }
        Ok(Outcome::Violation { step, property }) => {
            let detail = execution
                .steps
                .get(step.wrapping_sub(1))
                .and_then(|s| s.violation.as_ref())
                .map(|v| v.detail.clone())
                .or_else(|| findings.first().cloned())
                .unwrap_or_default();
            violation = Some(ViolationView {
                step: *step,
                nodes: nodes_named(&detail, nodes.len() as u64),
                property: property.clone(),
                detail,
            });
            (format!("VIOLATION of {property}"), "violation".to_string())
        }
        Ok(Outcome::Agree) if trace.mode == TraceMode::Validation && !findings.is_empty() => {
            // A validation trace ends where the log's next event is explained by no spec
            // behaviour: that event is a row of its own.
            let step = rows.len();
            let (event, lane) = unexplained_event(findings);
            rows.push(Row {
                step,
                event,
                kind: "Unexplained".into(),
                lane,
                message: None,
                outputs: Vec::new(),
                changed: Vec::new(),
                mark: None,
            });
            divergence = Some(divergence_at(
                model,
                execution,
                step,
                "unexplained",
                findings,
            ));
            (
                "DIVERGENCE (the log's next event is explained by no spec behaviour)".to_string(),
                "divergence".to_string(),
            )
        }
        Ok(Outcome::Agree) => ("agree".to_string(), "agree".to_string()),
        Err(NotApplicable { step, reason }) => {
            let event = trace
                .events
                .get(step - 1)
                .map(|e| match (&e.input, &e.send) {
                    (Some(input), _) => input.to_string(),
                    (None, Some(m)) => format!("Send {m}"),
                    (None, None) => String::new(),
                })
                .unwrap_or_default();
            rows.push(Row {
                step: *step,
                event: format!("{event} (cannot be taken: {reason})"),
                kind: "Stuck".into(),
                lane: None,
                message: None,
                outputs: Vec::new(),
                changed: Vec::new(),
                mark: Some("stuck"),
            });
            notes.push(format!(
                "the spec cannot take event {step} of this trace ({reason}); the view ends there"
            ));
            (
                format!("the trace stops applying at step {step}"),
                "stuck".to_string(),
            )
        }
    };
    if let Some(d) = &divergence {
        if let Some(row) = rows.get_mut(d.step) {
            row.mark = Some("divergent");
        }
    }
    if let Some(v) = &violation {
        if let Some(row) = rows.get_mut(v.step) {
            row.mark = Some("violation");
        }
    }
    ViewModel {
        format: FORMAT,
        version: VERSION,
        header: Header {
            file: file.to_string(),
            mode: trace.mode,
            adapter: trace.adapter.clone(),
            inject: trace.inject.clone(),
            flavour: model.flavour.name.clone(),
            // A validation's bounds are unbounded: the log, not a bound, decides its length.
            bounds: match trace.mode {
                TraceMode::Validation => String::new(),
                _ => bounds_line(&model.bounds),
            },
            recorded: trace.expect.to_string(),
            headline,
            result,
            findings: findings.to_vec(),
            notes,
        },
        nodes,
        rows,
        messages: network.messages,
        divergence,
        violation,
    }
}

/// Pairs sends with receives: the copies of each message in flight, oldest first.
#[derive(Default)]
struct Network {
    messages: Vec<MessageView>,
    in_flight: BTreeMap<Message, VecDeque<usize>>,
}

impl Network {
    fn new_message(&mut self, m: &Message, sent: Option<usize>) -> usize {
        let id = self.messages.len();
        self.messages.push(MessageView {
            id,
            from: m.from,
            to: m.to,
            kind: m.payload.kind(),
            text: m.to_string(),
            fields: serde_json::to_value(v1::Message::from(m)).expect("messages serialise"),
            sent,
            delivered: Vec::new(),
            dropped: Vec::new(),
            duplicated: Vec::new(),
        });
        id
    }

    /// A send at `step`: a new message, one copy in flight.
    fn send(&mut self, m: &Message, step: usize) -> usize {
        let id = self.new_message(m, Some(step));
        self.in_flight.entry(m.clone()).or_default().push_back(id);
        id
    }

    /// The oldest copy of `m` in flight, taken out (a message never sent in the trace gets a
    /// message of its own).
    fn take(&mut self, m: &Message) -> usize {
        match self.in_flight.get_mut(m).and_then(VecDeque::pop_front) {
            Some(id) => id,
            None => self.new_message(m, None),
        }
    }

    fn receive(&mut self, m: &Message, step: usize) -> usize {
        let id = self.take(m);
        let message = &mut self.messages[id];
        let duplicate = !message.delivered.is_empty();
        message.delivered.push(Delivery { step, duplicate });
        id
    }

    fn drop(&mut self, m: &Message, step: usize) -> usize {
        let id = self.take(m);
        self.messages[id].dropped.push(step);
        id
    }

    fn duplicate(&mut self, m: &Message, step: usize) -> usize {
        let copies = self.in_flight.entry(m.clone()).or_default();
        let id = match copies.front() {
            Some(&id) => id,
            None => {
                let id = self.new_message(m, None);
                self.in_flight.entry(m.clone()).or_default().push_back(id);
                id
            }
        };
        self.in_flight.entry(m.clone()).or_default().push_back(id);
        self.messages[id].duplicated.push(step);
        id
    }
}

fn node_name(id: Option<u64>) -> String {
    id.map_or_else(|| "none".to_string(), |id| format!("n{id}"))
}

fn snapshot_base(v: &NodeView) -> String {
    format!("({},t{})", v.snapshot_index, v.snapshot_term)
}

/// A node's state rendered, with what changed since `before`.
pub fn cell(v: &NodeView, before: Option<&NodeView>, initial: &Configuration) -> NodeCell {
    let mut changed = Vec::new();
    if let Some(b) = before {
        let fields: [(&'static str, bool); 9] = [
            ("role", b.role != v.role),
            ("term", b.term != v.term),
            ("vote", b.vote != v.vote),
            ("leader", b.leader != v.leader),
            ("commit", b.commit != v.commit),
            ("applied", b.applied != v.applied),
            (
                "snapshot",
                (b.snapshot_index, b.snapshot_term) != (v.snapshot_index, v.snapshot_term),
            ),
            ("config", b.config != v.config),
            ("state_machine", b.state_machine != v.state_machine),
        ];
        changed.extend(fields.iter().filter(|(_, c)| *c).map(|(f, _)| *f));
    }
    let log: Vec<EntryCell> = v
        .log
        .iter()
        .enumerate()
        .map(|(k, e)| {
            let index = v.snapshot_index + k as u64 + 1;
            EntryCell {
                index,
                term: e.term,
                text: e.to_string(),
                changed: before.is_some_and(|b| b.entry(index) != Some(e)),
            }
        })
        .collect();
    let removed = before.map_or(0, |b| {
        b.last_index()
            .saturating_sub(v.last_index().max(b.snapshot_index)) as usize
    });
    if log.iter().any(|e| e.changed) || removed > 0 {
        changed.push("log");
    }
    NodeCell {
        role: v.role.to_string(),
        term: v.term,
        vote: node_name(v.vote),
        leader: node_name(v.leader),
        commit: v.commit,
        applied: v.applied,
        snapshot: (v.snapshot_index > 0).then(|| snapshot_base(v)),
        config: (v.config != *initial).then(|| v.config.to_string()),
        state_machine: v.state_machine.clone(),
        log,
        removed,
        changed,
    }
}

/// The divergence at `step` (a row; past the last step for a validation's unexplained event).
fn divergence_at(
    model: &RaftModel,
    execution: &Execution,
    step: usize,
    kind: &str,
    findings: &[String],
) -> Divergence {
    let mut fields: Vec<DiffField> = Vec::new();
    for d in findings.iter().filter_map(|l| parse_diff(l)) {
        if !fields.contains(&d) {
            fields.push(d);
        }
    }
    let state: &ClusterState = match step.checked_sub(1).and_then(|k| execution.steps.get(k)) {
        Some(s) => &s.next,
        None => execution
            .steps
            .last()
            .map_or(&execution.initial, |s| &s.next),
    };
    let view = ClusterView::from(state);
    let mut touched: Vec<u64> = fields.iter().filter_map(|f| f.node).collect();
    touched.dedup();
    touched.sort_unstable();
    touched.dedup();
    let sides = touched
        .into_iter()
        .filter_map(|n| {
            let spec = view.nodes.get((n as usize).checked_sub(1)?)?;
            Some(Sides {
                node: n,
                fields: side_fields(n, spec, &fields),
            })
        })
        .collect();
    let (spec_outputs, impl_outputs) = compare_outputs(model, execution, step);
    Divergence {
        step,
        kind: kind.to_string(),
        findings: findings.to_vec(),
        fields,
        sides,
        spec_outputs,
        impl_outputs,
    }
}

/// A state difference from a finding line: `state mismatch: n1.vote: spec n1, impl none` (a
/// lockstep finding) or `differs: ...` (a validation's).
pub fn parse_diff(line: &str) -> Option<DiffField> {
    let rest = line
        .strip_prefix("state mismatch: ")
        .or_else(|| line.strip_prefix("differs: "))?;
    let (field, values) = rest.split_once(": spec ")?;
    let (spec, implementation) = values.rsplit_once(", impl ")?;
    let node = field
        .strip_prefix('n')
        .and_then(|r| r.split('.').next())
        .and_then(|n| n.parse().ok());
    Some(DiffField {
        field: field.to_string(),
        node,
        spec: spec.to_string(),
        implementation: implementation.to_string(),
    })
}

/// Node `n`'s fields as the state comparison names and renders them (`FieldDiff`), the
/// implementation's value taken from `diffs` where one differs.
fn side_fields(n: u64, spec: &NodeView, diffs: &[DiffField]) -> Vec<SideField> {
    let mut rows: Vec<(String, String)> = vec![
        ("term".into(), spec.term.to_string()),
        ("role".into(), spec.role.to_string()),
        ("vote".into(), node_name(spec.vote)),
        ("leader".into(), node_name(spec.leader)),
        ("snapshot".into(), snapshot_base(spec)),
    ];
    for index in spec.snapshot_index + 1..=spec.last_index() {
        let entry = spec
            .entry(index)
            .map_or("missing".into(), |e| e.to_string());
        rows.push((format!("log[{index}]"), entry));
    }
    rows.extend([
        ("commit".to_string(), spec.commit.to_string()),
        ("config".to_string(), spec.config.to_string()),
        ("applied".to_string(), spec.applied.to_string()),
        (
            "state_machine".to_string(),
            format!("{:?}", spec.state_machine),
        ),
    ]);
    let prefix = format!("n{n}.");
    let mine: Vec<(&str, &DiffField)> = diffs
        .iter()
        .filter_map(|d| d.field.strip_prefix(&prefix).map(|name| (name, d)))
        .collect();
    let mut fields: Vec<SideField> = rows
        .into_iter()
        .map(
            |(name, value)| match mine.iter().find(|(f, _)| *f == name) {
                Some((_, d)) => SideField {
                    name,
                    spec: d.spec.clone(),
                    implementation: d.implementation.clone(),
                    differs: true,
                },
                None => SideField {
                    name,
                    implementation: value.clone(),
                    spec: value,
                    differs: false,
                },
            },
        )
        .collect();
    for (name, d) in mine {
        if !fields.iter().any(|f| f.name == name) {
            fields.push(SideField {
                name: name.to_string(),
                spec: d.spec.clone(),
                implementation: d.implementation.clone(),
                differs: true,
            });
        }
    }
    fields
}

/// Lockstep: the outputs the spec requires at `step` beside those the implementation emitted.
fn compare_outputs(
    model: &RaftModel,
    execution: &Execution,
    step: usize,
) -> (Vec<Compared>, Vec<Compared>) {
    let Some(taken) = step.checked_sub(1).and_then(|k| execution.steps.get(k)) else {
        return (Vec::new(), Vec::new());
    };
    let Action::Input(input) = &taken.action else {
        return (Vec::new(), Vec::new());
    };
    let before = match step {
        1 => &execution.initial,
        _ => &execution.steps[step - 2].next,
    };
    if model.check_enabled(before, input).is_err() {
        return (Vec::new(), Vec::new());
    }
    let required: Vec<Output> = model.apply(before, input).outputs;
    let mark = |side: &[Output], other: &[Output]| -> Vec<Compared> {
        let mut left: Vec<Option<&Output>> = other.iter().map(Some).collect();
        side.iter()
            .map(|o| {
                let matched = match left.iter_mut().find(|x| **x == Some(o)) {
                    Some(slot) => {
                        *slot = None;
                        true
                    }
                    None => false,
                };
                Compared {
                    text: o.to_string(),
                    matched,
                }
            })
            .collect()
    };
    (
        mark(&required, &taken.outputs),
        mark(&taken.outputs, &required),
    )
}

/// The nodes `n1`..`nN` a text names, in order, once each.
fn nodes_named(text: &str, count: u64) -> Vec<u64> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices('n') {
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let digits: String = text[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let (true, Ok(n)) = (boundary, digits.parse::<u64>()) {
            let after = text[i + 1 + digits.len()..].chars().next();
            if (1..=count).contains(&n)
                && !after.is_some_and(|c| c.is_ascii_alphabetic())
                && !found.contains(&n)
            {
                found.push(n);
            }
        }
    }
    found
}

/// A validation's unexplained event, from the first finding (`event N (FILE:LINE): {...}`):
/// its text and its node.
fn unexplained_event(findings: &[String]) -> (String, Option<u64>) {
    let first = findings.first().cloned().unwrap_or_default();
    let node = first
        .split_once("): ")
        .and_then(|(_, json)| serde_json::from_str::<serde_json::Value>(json).ok())
        .and_then(|v| v.get("node").and_then(serde_json::Value::as_u64));
    (format!("log {first}"), node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TraceEvent;
    use raftcheck_spec::{Bounds, Entry, Flavour, Payload, Role};

    fn vote(from: u64, to: u64) -> Message {
        Message {
            from,
            to,
            term: 1,
            payload: Payload::vote_request(false, 0, 0),
        }
    }

    fn trace_of(events: Vec<TraceEvent>, expect: Outcome, findings: Vec<String>) -> Trace {
        Trace {
            format: crate::trace::FORMAT.into(),
            version: crate::trace::VERSION,
            mode: TraceMode::Lockstep,
            adapter: Some("raft-rs".into()),
            inject: None,
            flavour: Flavour::raft_rs(),
            bounds: Bounds {
                duplicates: 1,
                drops: 1,
                ..Bounds::default()
            },
            events,
            expect,
            findings,
        }
    }

    fn input(input: Input, outputs: Vec<Output>) -> TraceEvent {
        TraceEvent {
            input: Some(input),
            send: None,
            outputs,
        }
    }

    fn view_of(trace: &Trace) -> ViewModel {
        let (model, execution) = super::super::spec_run::execution_of(trace);
        build(trace, "t.json", &model, &execution, &trace.findings)
    }

    /// n1 times out and asks n2 and n3; the request to n2 is duplicated and delivered twice,
    /// the one to n3 dropped.
    fn network_trace() -> Trace {
        let send = |m: Message| Output::Send { message: m };
        let granted = Message {
            from: 2,
            to: 1,
            term: 1,
            payload: Payload::RequestVoteResponse {
                pre: false,
                reject: false,
                commit: 0,
                commit_term: 0,
            },
        };
        trace_of(
            vec![
                input(
                    Input::Timeout { node: 1 },
                    vec![send(vote(1, 2)), send(vote(1, 3))],
                ),
                input(
                    Input::Duplicate {
                        message: vote(1, 2),
                    },
                    vec![],
                ),
                input(
                    Input::Receive {
                        message: vote(1, 2),
                    },
                    vec![send(granted.clone())],
                ),
                input(
                    Input::Receive {
                        message: vote(1, 2),
                    },
                    vec![send(granted)],
                ),
                input(
                    Input::Drop {
                        message: vote(1, 3),
                    },
                    vec![],
                ),
            ],
            Outcome::Agree,
            vec![],
        )
    }

    #[test]
    fn messages_pair_each_send_with_its_receives() {
        let view = view_of(&network_trace());
        assert_eq!(view.rows.len(), 6, "row 0 and five events");
        let to_n2 = &view.messages[0];
        assert_eq!((to_n2.from, to_n2.to, to_n2.sent), (1, 2, Some(1)));
        let steps: Vec<(usize, bool)> = to_n2
            .delivered
            .iter()
            .map(|d| (d.step, d.duplicate))
            .collect();
        assert_eq!(
            steps,
            [(3, false), (4, true)],
            "the second delivery is the copy"
        );
        assert_eq!(to_n2.duplicated, [2]);
        let to_n3 = &view.messages[1];
        assert_eq!((to_n3.to, to_n3.sent), (3, Some(1)));
        assert!(to_n3.delivered.is_empty());
        assert_eq!(to_n3.dropped, [5]);
        // The two grants n2 sent are messages of their own, in flight at the end.
        assert_eq!(view.messages.len(), 4);
        assert_eq!(view.messages[2].sent, Some(3));
        assert_eq!(view.messages[3].sent, Some(4));
        assert_eq!(view.rows[3].message, Some(0));
        assert_eq!(view.rows[5].message, Some(1));
        assert_eq!(
            view.rows[2].lane,
            Some(2),
            "a duplicate sits on the receiver's lane"
        );
        assert_eq!(view.rows[1].outputs[1].message, Some(1));
    }

    #[test]
    fn only_changed_nodes_and_fields_are_listed() {
        let view = view_of(&network_trace());
        assert_eq!(
            view.rows[0].changed.len(),
            3,
            "the fresh cluster shows every node"
        );
        let timeout = &view.rows[1];
        assert_eq!(timeout.changed.len(), 1);
        assert_eq!(timeout.changed[0].node, 1);
        assert_eq!(timeout.changed[0].state.changed, ["role", "term", "vote"]);
        assert_eq!(timeout.changed[0].state.role, "candidate");
        let receive = &view.rows[3];
        assert_eq!(receive.changed[0].node, 2);
        assert_eq!(receive.changed[0].state.changed, ["term", "vote"]);
        assert!(
            view.rows[2].changed.is_empty(),
            "a duplicate changes no node"
        );
    }

    #[test]
    fn changed_entries_are_marked() {
        let initial = Configuration::with_voters([1, 2, 3]);
        let was = NodeView {
            term: 2,
            role: Role::Follower,
            log: vec![Entry::empty(1), Entry::value(1, 1), Entry::value(1, 2)],
            ..NodeView::fresh(initial.clone())
        };
        let now = NodeView {
            log: vec![Entry::empty(1), Entry::value(2, 3)],
            ..was.clone()
        };
        let c = cell(&now, Some(&was), &initial);
        let marks: Vec<(u64, bool)> = c.log.iter().map(|e| (e.index, e.changed)).collect();
        assert_eq!(marks, [(1, false), (2, true)], "entry 2 was replaced");
        assert_eq!(c.removed, 1, "entry 3 was truncated");
        assert_eq!(c.changed, ["log"]);
        assert_eq!(c.config, None, "the initial configuration is not shown");
        let fresh = cell(&now, None, &initial);
        assert!(fresh.log.iter().all(|e| !e.changed) && fresh.changed.is_empty());
    }

    #[test]
    fn the_divergent_step_names_every_differing_field_side_by_side() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("traces/raft-rs-vote-not-persisted-state-mismatch-316472bc.json");
        let trace = Trace::load(&path).unwrap();
        let view = view_of(&trace);
        assert_eq!(view.rows[2].mark, Some("divergent"));
        let d = view.divergence.expect("a divergence");
        assert_eq!((d.step, d.kind.as_str()), (2, "state-mismatch"));
        assert_eq!(
            d.fields,
            [DiffField {
                field: "n1.vote".into(),
                node: Some(1),
                spec: "n1".into(),
                implementation: "none".into(),
            }]
        );
        let n1 = &d.sides[0];
        assert_eq!(n1.node, 1);
        let vote = n1.fields.iter().find(|f| f.name == "vote").unwrap();
        assert!(vote.differs && vote.spec == "n1" && vote.implementation == "none");
        let term = n1.fields.iter().find(|f| f.name == "term").unwrap();
        assert!(!term.differs && term.spec == "1" && term.implementation == "1");
        assert!(d.spec_outputs.is_empty() && d.impl_outputs.is_empty());
        assert_eq!(view.header.headline, "DIVERGENCE (state-mismatch)");
    }

    #[test]
    fn outputs_are_compared_at_an_unexpected_output() {
        // n2 answers n1's vote request by refusing it, where the spec grants.
        let mut reply = Message {
            from: 2,
            to: 1,
            term: 1,
            payload: Payload::RequestVoteResponse {
                pre: false,
                reject: true,
                commit: 0,
                commit_term: 0,
            },
        };
        let trace = trace_of(
            vec![
                input(
                    Input::Timeout { node: 1 },
                    vec![Output::Send {
                        message: vote(1, 2),
                    }],
                ),
                input(
                    Input::Receive {
                        message: vote(1, 2),
                    },
                    vec![Output::Send {
                        message: reply.clone(),
                    }],
                ),
            ],
            Outcome::Divergence {
                step: 2,
                kind: crate::engine::DivergenceKind::UnexpectedOutput,
            },
            vec!["wrong reply: n2 must grant".into()],
        );
        let d = view_of(&trace).divergence.unwrap();
        if let Payload::RequestVoteResponse { reject, .. } = &mut reply.payload {
            *reject = false;
        }
        assert_eq!(
            d.spec_outputs,
            [Compared {
                text: format!("Send {reply}"),
                matched: false
            }]
        );
        assert_eq!(d.impl_outputs.len(), 1);
        assert!(!d.impl_outputs[0].matched && d.impl_outputs[0].text.contains("rejected"));
        assert_eq!(d.findings, ["wrong reply: n2 must grant"]);
    }

    #[test]
    fn diff_lines_parse_and_other_lines_do_not() {
        let d = parse_diff("state mismatch: n2.state_machine: spec [1, 2], impl [1]").unwrap();
        assert_eq!(
            (
                d.field.as_str(),
                d.node,
                d.spec.as_str(),
                d.implementation.as_str()
            ),
            ("n2.state_machine", Some(2), "[1, 2]", "[1]")
        );
        let d = parse_diff("differs: n3.log[2]: spec t1:v1, impl missing").unwrap();
        assert_eq!((d.node, d.field.as_str()), (Some(3), "n3.log[2]"));
        assert!(parse_diff("unexpected output: Send ...").is_none());
        assert!(parse_diff("state mismatch: nodes: spec 3, impl 2")
            .unwrap()
            .node
            .is_none());
    }

    #[test]
    fn violations_name_the_nodes_that_break_them() {
        assert_eq!(nodes_named("n1 and n3 both lead term 2", 3), [1, 3]);
        assert_eq!(nodes_named("n12 n0 none n2x n2", 3), [2]);
    }
}
