//! Trace files: a recorded run as JSON, readable by people and replayable by `raftcheck replay`.
//!
//! A trace names everything needed to re-run it — format version, mode, adapter and injected
//! bug, flavour, bounds — then lists the events in order (each input with the outputs the
//! implementation emitted, or in spec-only mode a spec action), and ends with the expected
//! outcome: agreement, or the divergence or violation with its step and kind.
//!
//! ```json
//! {
//!   "format": "raftcheck-trace",
//!   "version": 1,
//!   "mode": "lockstep",
//!   "adapter": "raft-rs",
//!   "inject": "vote-not-persisted",
//!   "flavour": { "name": "raft-rs", ... },
//!   "bounds": { "nodes": 3, ... },
//!   "events": [
//!     { "input": { "input": "timeout", "node": 1 }, "outputs": [ ... ] },
//!     { "input": { "input": "restart", "node": 1 }, "outputs": [] }
//!   ],
//!   "expect": { "result": "divergence", "step": 2, "kind": "state-mismatch" },
//!   "findings": [ "state mismatch: n1.vote: spec n1, impl none" ]
//! }
//! ```
//!
//! Loading checks the format, the version and every cross-field rule, and a malformed file
//! gets an error naming the position (JSON line and column, or the event number) and what was
//! expected.

use std::path::{Path, PathBuf};

use raftcheck_format::v1;
use raftcheck_spec::{Bounds, Flavour, Input, Message, Output};
use serde::{Deserialize, Serialize};

use crate::engine::outcome::Outcome;

/// The value of the `format` field.
pub const FORMAT: &str = "raftcheck-trace";
/// The trace format version this build writes and reads.
pub const VERSION: u32 = 1;

/// Lockstep with an implementation, or the spec alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraceMode {
    /// Spec and implementation side by side.
    Lockstep,
    /// The spec alone (a safety violation found by `check --spec-only`).
    SpecOnly,
    /// The spec behaviour that explains an event log (`raftcheck validate`) up to where the
    /// validation ended: spec inputs and the discretionary sends the log showed. The findings
    /// say what the log did next that no spec behaviour explains.
    Validation,
}

/// One recorded event. Written and read as a [`v1::Event`] (`raftcheck_format`), so trace files
/// keep their bytes whatever the spec's types look like.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "v1::Event", into = "v1::Event")]
pub struct TraceEvent {
    /// The input the checker chose.
    pub input: Option<Input>,
    /// Spec-only mode: a message a leader sent of its own accord (a spec action).
    pub send: Option<Message>,
    /// What came out: the implementation's outputs in lockstep, the spec's in spec-only mode.
    pub outputs: Vec<Output>,
}

impl From<v1::Event> for TraceEvent {
    fn from(event: v1::Event) -> Self {
        let (input, send, outputs) = event.into_spec();
        TraceEvent {
            input,
            send,
            outputs,
        }
    }
}

impl From<TraceEvent> for v1::Event {
    fn from(event: TraceEvent) -> Self {
        v1::Event::from_spec(event.input.as_ref(), event.send.as_ref(), &event.outputs)
    }
}

/// A trace file's contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trace {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version ([`VERSION`]).
    pub version: u32,
    /// Lockstep or spec-only.
    pub mode: TraceMode,
    /// The adapter (`raft-rs`, ...); absent in spec-only traces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    /// The injected bug, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inject: Option<String>,
    /// The spec flavour the run used.
    pub flavour: Flavour,
    /// The bounds the run used.
    pub bounds: Bounds,
    /// The events, in order.
    pub events: Vec<TraceEvent>,
    /// The recorded outcome.
    pub expect: Outcome,
    /// What was wrong, one line per finding (for people; replay recomputes it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
}

/// Why a trace file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid trace.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Where and what.
        message: String,
    },
}

impl Trace {
    /// Parses and validates a trace from JSON text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Trace, TraceError> {
        let invalid = |message: String| TraceError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        // Check the format marker first so a wrong kind of file gets a plain answer.
        let raw: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            invalid(format!(
                "not valid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ))
        })?;
        match raw.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(invalid(format!(
                    "\"format\" is \"{other}\", expected \"{FORMAT}\""
                )))
            }
            None => {
                return Err(invalid(format!(
                    "missing \"format\": \"{FORMAT}\"; this is not a raftcheck trace"
                )))
            }
        }
        match raw.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == VERSION as u64 => {}
            Some(v) => {
                return Err(invalid(format!(
                "trace format version {v} is not supported; this raftcheck reads version {VERSION}"
            )))
            }
            None => return Err(invalid("missing or non-numeric \"version\"".into())),
        }
        let trace: Trace = serde_json::from_str(text)
            .map_err(|e| invalid(format!("at line {}, column {}: {e}", e.line(), e.column())))?;
        trace.validate().map_err(invalid)?;
        Ok(trace)
    }

    /// Reads and validates a trace file.
    pub fn load(path: &Path) -> Result<Trace, TraceError> {
        let text = std::fs::read_to_string(path).map_err(|source| TraceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Writes the trace as pretty JSON, creating the directory if needed.
    pub fn save(&self, path: &Path) -> Result<(), TraceError> {
        let io = |source| TraceError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(path, self.to_json()).map_err(io)
    }

    /// The trace as JSON text laid out for people and for diffs: one top-level field per line,
    /// one event per line.
    pub fn to_json(&self) -> String {
        let value = serde_json::to_value(self).expect("a trace always serialises");
        let serde_json::Value::Object(fields) = value else {
            unreachable!("a trace serialises to an object")
        };
        let compact = |v: &serde_json::Value| serde_json::to_string(v).expect("JSON values print");
        let mut lines = Vec::new();
        for (key, value) in &fields {
            let rendered = match value {
                serde_json::Value::Array(items) if !items.is_empty() => {
                    let items: Vec<String> = items
                        .iter()
                        .map(|i| format!("    {}", compact(i)))
                        .collect();
                    format!("[\n{}\n  ]", items.join(",\n"))
                }
                other => compact(other),
            };
            lines.push(format!(
                "  {}: {rendered}",
                compact(&serde_json::Value::from(key.as_str()))
            ));
        }
        format!("{{\n{}\n}}\n", lines.join(",\n"))
    }

    /// The cross-field rules serde cannot express.
    fn validate(&self) -> Result<(), String> {
        self.bounds
            .validate()
            .map_err(|e| format!("\"bounds\": \"{}\" {}", e.bound, e.problem))?;
        match (self.mode, &self.adapter) {
            (TraceMode::Lockstep, None) => {
                return Err("a lockstep trace needs \"adapter\"".into());
            }
            (TraceMode::SpecOnly | TraceMode::Validation, Some(_)) => {
                return Err("a spec-only or validation trace has no \"adapter\"".into());
            }
            _ => {}
        }
        if self.mode != TraceMode::Lockstep && self.inject.is_some() {
            return Err("a spec-only or validation trace has no \"inject\"".into());
        }
        for (i, event) in self.events.iter().enumerate() {
            let at = format!("event {} (\"events\"[{i}])", i + 1);
            match (&event.input, &event.send, self.mode) {
                (Some(_), None, _) => {}
                (None, Some(_), TraceMode::SpecOnly | TraceMode::Validation) => {}
                (None, Some(_), TraceMode::Lockstep) => {
                    return Err(format!(
                        "{at}: \"send\" events exist only in spec-only and validation traces; expected \"input\""
                    ))
                }
                (Some(_), Some(_), _) => {
                    return Err(format!(
                        "{at}: has both \"input\" and \"send\"; expected one"
                    ))
                }
                (None, None, _) => {
                    return Err(format!("{at}: expected an \"input\" (or \"send\")"))
                }
            }
            let nodes = self.bounds.nodes + self.bounds.spares;
            let bad_node = |id: u64| id == 0 || id > nodes;
            let ids: Vec<u64> = match (&event.input, &event.send) {
                (Some(input), _) => {
                    let mut ids: Vec<u64> = input.target().into_iter().collect();
                    if let Input::Receive { message }
                    | Input::Drop { message }
                    | Input::Duplicate { message } = input
                    {
                        ids.extend([message.from, message.to]);
                    }
                    ids
                }
                (None, Some(m)) => vec![m.from, m.to],
                (None, None) => Vec::new(),
            };
            if let Some(id) = ids.into_iter().find(|&id| bad_node(id)) {
                return Err(format!(
                    "{at}: node n{id} does not exist in a {nodes}-node cluster"
                ));
            }
        }
        let steps = self.events.len();
        match &self.expect {
            Outcome::Agree => {}
            Outcome::Divergence { step, .. } | Outcome::Violation { step, .. } => {
                if *step > steps {
                    return Err(format!(
                        "\"expect\": step {step} is past the last event ({steps} events)"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The inputs of the trace in order (lockstep traces).
    pub fn inputs(&self) -> impl Iterator<Item = &Input> {
        self.events.iter().filter_map(|e| e.input.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::DivergenceKind;

    fn sample() -> Trace {
        Trace {
            format: FORMAT.into(),
            version: VERSION,
            mode: TraceMode::Lockstep,
            adapter: Some("raft-rs".into()),
            inject: None,
            flavour: Flavour::raft_rs(),
            bounds: Bounds::default(),
            events: vec![TraceEvent {
                input: Some(Input::Timeout { node: 1 }),
                send: None,
                outputs: vec![],
            }],
            expect: Outcome::Divergence {
                step: 1,
                kind: DivergenceKind::StateMismatch,
            },
            findings: vec!["state mismatch: n1.term: spec 1, impl 2".into()],
        }
    }

    fn parse(text: &str) -> Result<Trace, String> {
        Trace::parse(text, Path::new("t.json")).map_err(|e| e.to_string())
    }

    #[test]
    fn round_trip() {
        let t = sample();
        let text = serde_json::to_string_pretty(&t).unwrap();
        assert_eq!(parse(&text).unwrap(), t);
        let text = t.to_json();
        assert_eq!(parse(&text).unwrap(), t);
    }

    #[test]
    fn saved_layout_has_one_event_per_line() {
        let mut t = sample();
        t.events.push(t.events[0].clone());
        let text = t.to_json();
        let event_lines = text.lines().filter(|l| l.contains("\"timeout\"")).count();
        assert_eq!(event_lines, 2, "{text}");
        assert!(
            text.starts_with("{\n  \"format\": \"raftcheck-trace\",\n"),
            "{text}"
        );
    }

    #[test]
    fn not_json_names_line_and_column() {
        let err = parse("{\n  \"format\": \n}").unwrap_err();
        assert!(err.contains("line 3, column 1"), "{err}");
    }

    #[test]
    fn wrong_format_and_version_are_named() {
        let err = parse(r#"{"format": "other"}"#).unwrap_err();
        assert!(err.contains("expected \"raftcheck-trace\""), "{err}");
        let err = parse(r#"{"version": 1}"#).unwrap_err();
        assert!(err.contains("not a raftcheck trace"), "{err}");
        let err = parse(r#"{"format": "raftcheck-trace", "version": 99}"#).unwrap_err();
        assert!(err.contains("version 99 is not supported"), "{err}");
    }

    #[test]
    fn field_errors_name_the_position() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["events"][0]["input"] = serde_json::json!({"input": "timeout", "node": "one"});
        let text = serde_json::to_string_pretty(&v).unwrap();
        let err = parse(&text).unwrap_err();
        assert!(err.contains("line"), "{err}");
    }

    #[test]
    fn cross_field_rules() {
        let mut t = sample();
        t.events[0].input = Some(Input::Timeout { node: 7 });
        let err = parse(&serde_json::to_string(&t).unwrap()).unwrap_err();
        assert!(err.contains("event 1") && err.contains("n7"), "{err}");

        let mut t = sample();
        t.expect = Outcome::Divergence {
            step: 5,
            kind: DivergenceKind::StateMismatch,
        };
        let err = parse(&serde_json::to_string(&t).unwrap()).unwrap_err();
        assert!(err.contains("step 5 is past the last event"), "{err}");

        let mut t = sample();
        t.adapter = None;
        let err = parse(&serde_json::to_string(&t).unwrap()).unwrap_err();
        assert!(err.contains("needs \"adapter\""), "{err}");

        let mut t = sample();
        t.events[0].input = None;
        let err = parse(&serde_json::to_string(&t).unwrap()).unwrap_err();
        assert!(err.contains("expected an \"input\""), "{err}");
    }

    #[test]
    fn events_are_written_in_format_v1() {
        use raftcheck_spec::Payload;
        let pre_vote = Message {
            from: 1,
            to: 2,
            term: 1,
            payload: Payload::vote_request(true, 0, 0),
        };
        let event = TraceEvent {
            input: Some(Input::Timeout { node: 1 }),
            send: None,
            outputs: vec![Output::Send { message: pre_vote }],
        };
        let text = r#"{"input":{"input":"timeout","node":1},"outputs":[{"output":"send","message":{"from":1,"to":2,"term":1,"type":"RequestPreVote","last_log_index":0,"last_log_term":0,"commit":0,"commit_term":0}}]}"#;
        assert_eq!(serde_json::to_string(&event).unwrap(), text);
        assert_eq!(serde_json::from_str::<TraceEvent>(text).unwrap(), event);
        let err = serde_json::from_str::<TraceEvent>(r#"{"outputs":[],"extra":1}"#).unwrap_err();
        assert!(err.to_string().contains("extra"), "{err}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["surprise"] = serde_json::json!(1);
        let err = parse(&v.to_string()).unwrap_err();
        assert!(err.contains("surprise"), "{err}");
    }
}
