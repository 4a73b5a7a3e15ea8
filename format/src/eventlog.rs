//! The event log, version 1 (`impl_adapter/EVENTLOG.md`): what a Raft implementation writes
//! about itself during a real run, for `raftcheck validate`.
//!
//! These are the plain serde types of one line, shared by the reader (raftcheck) and by writers
//! in Rust ([`EventWriter`]). Every field but the few each kind needs is optional: a field an
//! implementation does not log is unknown, not wrong.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

/// The first line of every event log file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The format version ([`VERSION`]).
    pub raftcheck_eventlog: u32,
    /// The ids of the cluster's initial voters.
    pub nodes: Vec<u64>,
    /// The spec flavour the implementation follows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavour: Option<String>,
    /// True when the cluster runs with pre-vote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_vote: Option<bool>,
    /// Free text: what wrote the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// True when every consequence of a trigger is logged before the node's next trigger (an
    /// implementation that handles its output after every single input): a required reply not
    /// logged by then is missing, not late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immediate: Option<bool>,
    /// Subtracted from every term in the file.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub term_offset: u64,
    /// Subtracted from every log index in the file.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub index_offset: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The kinds of event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Trigger: the node takes a message from the network (`msg`, with `from`).
    Receive,
    /// Trigger: the election timer fired.
    Timeout,
    /// Trigger: the leader's heartbeat timer fired.
    Heartbeat,
    /// Trigger: a clock tick that may have fired either timer.
    Tick,
    /// Trigger: a client asked the node to replicate `value`.
    ClientRequest,
    /// Trigger: the node started from its durable state.
    Restart,
    /// Informational: the node stopped.
    Crash,
    /// The node sent a message (`msg`, with `to`).
    Send,
    /// The node's state now (`term`, `role`, `vote`, `leader`, each optional).
    State,
    /// The node's log holds `entries` from `index` on, and nothing after them.
    Append,
    /// The node's log lost its entries from `index` on.
    Truncate,
    /// The commit index advanced to `index`.
    Commit,
    /// The application applied the entry at `index` (`value` optional).
    Apply,
}

impl EventKind {
    /// True for the kinds that make a node act (a step begins with one).
    pub fn is_trigger(self) -> bool {
        matches!(
            self,
            EventKind::Receive
                | EventKind::Timeout
                | EventKind::Heartbeat
                | EventKind::Tick
                | EventKind::ClientRequest
                | EventKind::Restart
        )
    }

    /// The name as written in a log.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Receive => "receive",
            EventKind::Timeout => "timeout",
            EventKind::Heartbeat => "heartbeat",
            EventKind::Tick => "tick",
            EventKind::ClientRequest => "client_request",
            EventKind::Restart => "restart",
            EventKind::Crash => "crash",
            EventKind::Send => "send",
            EventKind::State => "state",
            EventKind::Append => "append",
            EventKind::Truncate => "truncate",
            EventKind::Commit => "commit",
            EventKind::Apply => "apply",
        }
    }
}

/// A client value as the implementation's clients propose it: a string or a number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LogValue {
    /// A number.
    Number(u64),
    /// A string.
    Text(String),
}

impl std::fmt::Display for LogValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LogValue::Number(n) => write!(f, "{n}"),
            LogValue::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// A log entry: empty (no value) or carrying a client value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    /// The entry's term.
    pub term: u64,
    /// The client value, absent for an empty entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<LogValue>,
}

/// The message kinds of version 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageType {
    /// A (pre-)vote request.
    RequestVote,
    /// The answer to one.
    RequestVoteResponse,
    /// A leader's append.
    AppendEntries,
    /// A follower's answer to an append.
    AppendEntriesResponse,
    /// A leader's heartbeat.
    Heartbeat,
    /// The answer to one.
    HeartbeatResponse,
    /// A client value forwarded towards the leader.
    Propose,
}

/// A message as logged: its type and the fields the implementation knows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogMessage {
    /// The message kind.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The sender (required on `receive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u64>,
    /// The receiver (required on `send`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<u64>,
    /// The sender's term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<u64>,
    /// A pre-vote request or answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre: Option<bool>,
    /// Vote request: index of the candidate's last entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_log_index: Option<u64>,
    /// Vote request: term of the candidate's last entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_log_term: Option<u64>,
    /// Vote answer, append answer: refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject: Option<bool>,
    /// Append: index of the entry before `entries`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_log_index: Option<u64>,
    /// Append: term of that entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_log_term: Option<u64>,
    /// Append: the entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<LogEntry>>,
    /// The sender's commit index (append, heartbeat; answers in flavours that carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<u64>,
    /// Term of the entry at `commit` (raft-rs vote messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_term: Option<u64>,
    /// Append answer: last matching index, or the rejected `prev_log_index`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// Append rejection: where to probe next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_hint: Option<u64>,
    /// Append rejection: the follower's term at `reject_hint` (raft-rs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_term: Option<u64>,
    /// Propose: the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<LogValue>,
}

impl LogMessage {
    /// A message of `kind` with every field unknown.
    pub fn new(kind: MessageType) -> Self {
        LogMessage {
            kind,
            from: None,
            to: None,
            term: None,
            pre: None,
            last_log_index: None,
            last_log_term: None,
            reject: None,
            prev_log_index: None,
            prev_log_term: None,
            entries: None,
            commit: None,
            commit_term: None,
            index: None,
            reject_hint: None,
            hint_term: None,
            value: None,
        }
    }
}

/// One event line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The node it happened at.
    pub node: u64,
    /// The node's sequence number.
    pub seq: u64,
    /// Microseconds on a clock all nodes share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<u64>,
    /// The kind.
    pub ev: EventKind,
    /// `send`, `receive`: the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<LogMessage>,
    /// `state`: the term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<u64>,
    /// `state`: the role (`follower`, `pre_candidate`, `candidate`, `leader`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `state`: the vote (0: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vote: Option<u64>,
    /// `state`: the known leader (0: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<u64>,
    /// `append`, `truncate`, `commit`, `apply`: the log index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// `append`: the entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<LogEntry>>,
    /// `client_request`, `apply`: the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<LogValue>,
    /// The implementation's own details; ignored.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "impl")]
    pub extra: Option<serde_json::Value>,
}

impl Event {
    /// An event of `kind` at `node` with every optional field unset; the writer fills `seq`.
    pub fn new(node: u64, ev: EventKind) -> Self {
        Event {
            node,
            seq: 0,
            t: None,
            ev,
            msg: None,
            term: None,
            role: None,
            vote: None,
            leader: None,
            index: None,
            entries: None,
            value: None,
            extra: None,
        }
    }
}

/// Writes one node's event log: the header, then events numbered and timestamped in order.
///
/// Every line is flushed as it is written, so a node killed with `kill -9` loses nothing it
/// logged. A restarted node opens the same file with [`EventWriter::append`], which continues
/// the numbering.
pub struct EventWriter {
    out: BufWriter<File>,
    node: u64,
    seq: u64,
}

impl EventWriter {
    /// Creates (or truncates) `path` and writes `header`.
    pub fn create(path: &Path, node: u64, header: &Header) -> io::Result<Self> {
        let mut writer = EventWriter {
            out: BufWriter::new(File::create(path)?),
            node,
            seq: 0,
        };
        writer.line(&serde_json::to_string(header).map_err(io::Error::other)?)?;
        Ok(writer)
    }

    /// Opens `path`, written before by a previous incarnation of `node`, to append to it; the
    /// numbering continues after the last event in the file.
    pub fn append(path: &Path, node: u64) -> io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let seq = text
            .lines()
            .skip(1)
            .filter_map(|line| serde_json::from_str::<Event>(line).ok())
            .map(|e| e.seq)
            .max()
            .unwrap_or(0);
        let file = std::fs::OpenOptions::new().append(true).open(path)?;
        let mut writer = EventWriter {
            out: BufWriter::new(file),
            node,
            seq,
        };
        // A line torn by a crash in the middle of a write is ended, so it stays a line of its
        // own (raftcheck ignores it) and this incarnation starts on a new line.
        if !text.is_empty() && !text.ends_with('\n') {
            writer.out.write_all(b"\n")?;
            writer.out.flush()?;
        }
        Ok(writer)
    }

    /// Writes `event` as the node's next event, stamped with the wall clock.
    pub fn log(&mut self, mut event: Event) -> io::Result<()> {
        self.seq += 1;
        event.node = self.node;
        event.seq = self.seq;
        if event.t.is_none() {
            event.t = Some(now_micros());
        }
        self.line(&serde_json::to_string(&event).map_err(io::Error::other)?)
    }

    fn line(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

/// Microseconds since the Unix epoch on the wall clock.
pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The log form of spec values: a writer that numbers its values as the spec does (`1, 2, ...`)
/// logs them as numbers.
fn log_value(v: raftcheck_spec::Value) -> LogValue {
    LogValue::Number(v)
}

impl LogEntry {
    /// The log form of a spec entry. Configuration-change entries have no version-1 form and
    /// are logged as empty entries.
    pub fn from_spec(entry: &raftcheck_spec::Entry) -> Self {
        LogEntry {
            term: entry.term,
            value: entry.value.map(log_value),
        }
    }
}

impl LogMessage {
    /// The log form of a spec message with every field known (a writer whose implementation
    /// already speaks the spec's terms, such as raft-rs through raftcheck's conversion).
    /// Snapshots have no version-1 form: `None`.
    pub fn from_spec(m: &raftcheck_spec::Message) -> Option<Self> {
        use raftcheck_spec::Payload;
        let mut out = LogMessage::new(MessageType::Propose);
        out.from = Some(m.from);
        out.to = Some(m.to);
        out.term = Some(m.term);
        match &m.payload {
            Payload::RequestVote {
                pre,
                last_log_index,
                last_log_term,
                commit,
                commit_term,
            } => {
                out.kind = MessageType::RequestVote;
                out.pre = Some(*pre);
                out.last_log_index = Some(*last_log_index);
                out.last_log_term = Some(*last_log_term);
                out.commit = Some(*commit);
                out.commit_term = Some(*commit_term);
            }
            Payload::RequestVoteResponse {
                pre,
                reject,
                commit,
                commit_term,
            } => {
                out.kind = MessageType::RequestVoteResponse;
                out.pre = Some(*pre);
                out.reject = Some(*reject);
                out.commit = Some(*commit);
                out.commit_term = Some(*commit_term);
            }
            Payload::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                commit,
            } => {
                out.kind = MessageType::AppendEntries;
                out.prev_log_index = Some(*prev_log_index);
                out.prev_log_term = Some(*prev_log_term);
                out.entries = Some(entries.iter().map(LogEntry::from_spec).collect());
                out.commit = Some(*commit);
            }
            Payload::AppendEntriesResponse(a) => {
                out.kind = MessageType::AppendEntriesResponse;
                out.reject = Some(a.reject);
                out.index = Some(a.index);
                out.reject_hint = Some(a.reject_hint);
                out.hint_term = Some(a.hint_term);
                out.commit = Some(a.commit);
            }
            Payload::Heartbeat { commit } => {
                out.kind = MessageType::Heartbeat;
                out.commit = Some(*commit);
            }
            Payload::HeartbeatResponse { commit } => {
                out.kind = MessageType::HeartbeatResponse;
                out.commit = Some(*commit);
            }
            Payload::Propose { value } => {
                out.kind = MessageType::Propose;
                out.value = Some(log_value(*value));
            }
            Payload::Snapshot { .. } => return None,
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restarted_writer_continues_the_numbering_and_ends_a_torn_line() {
        let dir = std::env::temp_dir().join(format!("raftcheck-eventlog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("n2.ndjson");
        let header = Header {
            raftcheck_eventlog: VERSION,
            nodes: vec![1, 2],
            ..Header::default()
        };
        let mut w = EventWriter::create(&path, 2, &header).unwrap();
        w.log(Event::new(0, EventKind::Tick)).unwrap();
        drop(w);
        let mut torn = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        torn.write_all(br#"{"node":2,"seq":2,"ev""#).unwrap();
        drop(torn);
        let mut w = EventWriter::append(&path, 2).unwrap();
        w.log(Event::new(0, EventKind::Restart)).unwrap();
        drop(w);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        let restart: Event = serde_json::from_str(lines[3]).unwrap();
        assert_eq!(
            (restart.node, restart.seq, restart.ev),
            (2, 2, EventKind::Restart)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
