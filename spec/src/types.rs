//! The vocabulary shared by the spec, the adapters and the engine: node ids, log entries,
//! messages, and the input and output events of a step.
//!
//! Every type here is plain data with a total order, so states built from them hash and sort the
//! same way on every run. Their serde form is the spec's own and may change with it: trace files
//! and the adapter protocol have versioned formats of their own (the `raftcheck-format` crate).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::configuration::Configuration;

/// A node's identity: any number but 0, which raft-rs and etcd raft use for "none". The initial
/// cluster is `1..=n`, as both number it; nodes are looked up by id, never by position.
pub type NodeId = u64;
/// A Raft term. Term 0 is "before any election".
pub type Term = u64;
/// A 1-based log index. Index 0 is the empty prefix.
pub type LogIndex = u64;
/// A client value. Values are proposed in order `1, 2, ...` so a trace names them plainly.
pub type Value = u64;

/// One log entry as the spec sees it: the term it was created in and what it carries — a client
/// value, a configuration change, or neither (the empty entry).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that created the entry.
    pub term: Term,
    /// The client value, or `None` for the empty entry a new leader appends
    /// (see [`crate::Flavour::leader_appends_empty_entry`]) and for a configuration change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// A configuration change (raft-rs/etcd `EntryConfChange` or `EntryConfChangeV2`), applied
    /// by each node when the entry is committed and applied. `None` for every other entry.
    /// Boxed: most entries carry none, and entries are cloned with every state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conf: Option<Box<ConfChange>>,
}

impl Entry {
    /// An entry carrying a client value.
    pub fn value(term: Term, value: Value) -> Self {
        Entry {
            term,
            value: Some(value),
            conf: None,
        }
    }

    /// The empty entry a new leader appends at the start of its term; also what both families
    /// put in place of a configuration change they refuse.
    pub fn empty(term: Term) -> Self {
        Entry {
            term,
            value: None,
            conf: None,
        }
    }

    /// An entry carrying a configuration change.
    pub fn conf(term: Term, change: ConfChange) -> Self {
        Entry {
            term,
            value: None,
            conf: Some(Box::new(change)),
        }
    }
}

/// What one change of a configuration change does to one node (raft-rs/etcd `ConfChangeType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeOp {
    /// Make the node a voter (`AddNode`): a new node, or a learner promoted.
    AddVoter,
    /// Make the node a learner (`AddLearnerNode`): a new node, or (joint only) a voter demoted.
    AddLearner,
    /// Take the node out of the configuration (`RemoveNode`).
    Remove,
}

/// One change to one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Change {
    /// What happens to the node.
    pub op: ChangeOp,
    /// The node.
    pub node: NodeId,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            ChangeOp::AddVoter => "+",
            ChangeOp::AddLearner => "+learner ",
            ChangeOp::Remove => "-",
        };
        write!(f, "{op}n{}", self.node)
    }
}

/// A configuration change as a log entry carries it.
///
/// - [`ConfChange::Single`] is the one-node change of Raft §4.1 (raft-rs/etcd `ConfChange`, an
///   `EntryConfChange`): at most one voter changes, and the new configuration is used as soon as
///   it is applied.
/// - [`ConfChange::Joint`] enters joint consensus (§4.3; a `ConfChangeV2` with transition
///   `JointImplicit` when `auto_leave`, `JointExplicit` otherwise): the old voters become the
///   outgoing set, the changes make the incoming set, and decisions need a majority of both.
/// - [`ConfChange::Leave`] leaves the joint configuration (an empty `ConfChangeV2`). With
///   `auto_leave` the leader proposes it by itself once the joint entry is applied.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ConfChange {
    /// One change, no joint configuration.
    Single {
        /// The change.
        change: Change,
    },
    /// Enter a joint configuration made by these changes.
    Joint {
        /// The changes, in order.
        changes: Vec<Change>,
        /// The leader leaves the joint configuration by itself once this entry is applied.
        auto_leave: bool,
    },
    /// Leave the joint configuration.
    Leave,
}

impl fmt::Display for ConfChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfChange::Single { change } => write!(f, "{change}"),
            ConfChange::Joint {
                changes,
                auto_leave,
            } => {
                f.write_str("joint(")?;
                for (i, c) in changes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str(if *auto_leave { ") auto" } else { ")" })
            }
            ConfChange::Leave => f.write_str("leave-joint"),
        }
    }
}

/// A snapshot: the state of the application at a log index, as a node takes it when it compacts
/// its log and as a leader sends it to a follower that needs compacted entries (Raft §7).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Snapshot {
    /// The last index the snapshot covers.
    pub index: LogIndex,
    /// The term of the entry at `index`.
    pub term: Term,
    /// The configuration in force at `index` (raft-rs/etcd `ConfState` in the metadata).
    pub config: Configuration,
    /// The state machine's contents at `index`: the client values applied, in order (the
    /// snapshot's `data`).
    pub values: Vec<Value>,
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "({},t{}) config={} values={:?}",
            self.index, self.term, self.config, self.values
        )
    }
}

impl Message {
    /// The same message with every client value `v` it carries replaced by `f(v)`.
    #[must_use]
    pub fn map_values(&self, f: &impl Fn(Value) -> Value) -> Message {
        let payload = match &self.payload {
            Payload::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                commit,
            } => Payload::AppendEntries {
                prev_log_index: *prev_log_index,
                prev_log_term: *prev_log_term,
                entries: entries
                    .iter()
                    .map(|e| Entry {
                        value: e.value.map(f),
                        ..e.clone()
                    })
                    .collect(),
                commit: *commit,
            },
            Payload::Propose { value } => Payload::Propose { value: f(*value) },
            Payload::Snapshot { snapshot } => Payload::Snapshot {
                snapshot: Arc::new(Snapshot {
                    values: snapshot.values.iter().map(|v| f(*v)).collect(),
                    ..Snapshot::clone(snapshot)
                }),
            },
            other => other.clone(),
        };
        Message {
            payload,
            ..self.clone()
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.value, &self.conf) {
            (Some(v), _) => write!(f, "t{}:v{}", self.term, v),
            (None, Some(c)) => write!(f, "t{}:conf({c})", self.term),
            (None, None) => write!(f, "t{}:empty", self.term),
        }
    }
}

/// A node's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Follows a leader (or waits for one).
    Follower,
    /// Pre-vote only: asks whether it could win an election before starting one (Raft thesis
    /// §9.6); keeps its term and vote meanwhile.
    PreCandidate,
    /// Has started an election and counts votes.
    Candidate,
    /// Won an election and replicates its log.
    Leader,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Follower => "follower",
            Role::PreCandidate => "pre-candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        })
    }
}

/// A message between two nodes. `term` is the sender's term when it sent the message, except for
/// [`Payload::Propose`], which is forwarded outside the term discipline and carries term 0, and
/// a granted [`Payload::RequestVoteResponse`], which carries the term of the request (for a
/// pre-vote: the term the pre-candidate would campaign in, one above its own).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Message {
    /// The sender (for a forwarded proposal: the node where the client request arrived).
    pub from: NodeId,
    /// The receiver.
    pub to: NodeId,
    /// The term the message carries.
    pub term: Term,
    /// What the message says.
    #[serde(flatten)]
    pub payload: Payload,
}

/// The kinds of message the spec knows, with the fields the flavours use. A field a flavour does
/// not use is 0 in every message of that flavour, so messages compare by plain equality.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Payload {
    /// A candidate asks for a vote (Raft §5.2), or with `pre` a pre-candidate asks whether it
    /// would get one at `term`, one above its own, without changing any term (raft-rs
    /// `MsgRequestVote` / `MsgRequestPreVote`, etcd `MsgVote` / `MsgPreVote`).
    RequestVote {
        /// A pre-vote request (Raft thesis §9.6) rather than a real one.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pre: bool,
        /// Index of the candidate's last log entry.
        last_log_index: LogIndex,
        /// Term of the candidate's last log entry.
        last_log_term: Term,
        /// The candidate's commit index (raft-rs only; see `Flavour::vote_carries_commit`).
        #[serde(default)]
        commit: LogIndex,
        /// Term of the entry at `commit` (raft-rs only).
        #[serde(default)]
        commit_term: Term,
    },
    /// A vote (or with `pre`, a pre-vote) granted or refused. A granted vote carries the
    /// request's term; a refusal the voter's.
    RequestVoteResponse {
        /// The answer to a pre-vote request.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pre: bool,
        /// True when the vote is refused.
        reject: bool,
        /// The voter's commit index: on refusals of a vote, and on refusals of a pre-vote at the
        /// same or a higher term (raft-rs only).
        #[serde(default)]
        commit: LogIndex,
        /// Term of the entry at `commit` (raft-rs only).
        #[serde(default)]
        commit_term: Term,
    },
    /// A leader replicates entries (Raft §5.3); with no entries it still carries the commit index.
    AppendEntries {
        /// Index of the entry preceding `entries`.
        prev_log_index: LogIndex,
        /// Term of that entry.
        prev_log_term: Term,
        /// The entries to store after `prev_log_index`.
        entries: Vec<Entry>,
        /// The leader's commit index.
        commit: LogIndex,
    },
    /// A follower's answer to [`Payload::AppendEntries`] (or to a [`Payload::Snapshot`]).
    AppendEntriesResponse(AppendAnswer),
    /// A leader's heartbeat: no log check, only a commit index safe for this follower.
    Heartbeat {
        /// `min(match index of the receiver, leader commit)`.
        commit: LogIndex,
    },
    /// A follower's answer to a heartbeat.
    HeartbeatResponse {
        /// The follower's commit index (raft-rs only).
        #[serde(default)]
        commit: LogIndex,
    },
    /// A client value forwarded towards the leader by a follower.
    Propose {
        /// The proposed value.
        value: Value,
    },
    /// A leader sends its snapshot to a follower that needs entries it has compacted away
    /// (raft-rs `MsgSnapshot`, etcd `MsgSnap`). The follower answers with an
    /// [`Payload::AppendEntriesResponse`].
    Snapshot {
        /// The snapshot, data and metadata: shared with the leader's own copy (boxed this way,
        /// the snapshot does not make every message as large as itself).
        snapshot: Arc<Snapshot>,
    },
}

/// The fields of a follower's answer to an append, in wire order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AppendAnswer {
    /// True when the log did not match at `prev_log_index`.
    pub reject: bool,
    /// On success, the index of the last entry known to match the leader; on rejection, the
    /// rejected `prev_log_index`.
    pub index: LogIndex,
    /// On rejection, where the follower suggests the leader probe next.
    #[serde(default)]
    pub reject_hint: LogIndex,
    /// On rejection, the follower's term at `reject_hint` (raft-rs only).
    #[serde(default)]
    pub hint_term: Term,
    /// The follower's commit index (raft-rs only).
    #[serde(default)]
    pub commit: LogIndex,
}

impl AppendAnswer {
    /// An acknowledgement of the log up to `index`, carrying the commit index `commit`.
    pub fn ack(index: LogIndex, commit: LogIndex) -> Self {
        AppendAnswer {
            index,
            commit,
            ..AppendAnswer::default()
        }
    }

    /// A rejection of an append after `index`, with the hint (`reject_hint`, `hint_term`) of
    /// where to probe next, carrying the commit index `commit`.
    pub fn rejection(
        index: LogIndex,
        (reject_hint, hint_term): (LogIndex, Term),
        commit: LogIndex,
    ) -> Self {
        AppendAnswer {
            reject: true,
            index,
            reject_hint,
            hint_term,
            commit,
        }
    }
}

impl Payload {
    /// A vote request (with `pre`, a pre-vote request) without the commit fields, as flavours
    /// that do not carry them send it.
    pub fn vote_request(pre: bool, last_log_index: LogIndex, last_log_term: Term) -> Payload {
        Payload::RequestVote {
            pre,
            last_log_index,
            last_log_term,
            commit: 0,
            commit_term: 0,
        }
    }

    /// True for the answers to a request (raft-rs/etcd `is_response_msg`), which a node takes
    /// only from members of its configuration.
    pub fn is_response(&self) -> bool {
        matches!(
            self,
            Payload::RequestVoteResponse { .. }
                | Payload::AppendEntriesResponse(_)
                | Payload::HeartbeatResponse { .. }
        )
    }

    /// A short name for the message kind, as used in coverage and in trace text.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::RequestVote { pre: false, .. } => "RequestVote",
            Payload::RequestVoteResponse { pre: false, .. } => "RequestVoteResponse",
            Payload::RequestVote { pre: true, .. } => "RequestPreVote",
            Payload::RequestVoteResponse { pre: true, .. } => "RequestPreVoteResponse",
            Payload::AppendEntries { .. } => "AppendEntries",
            Payload::AppendEntriesResponse(_) => "AppendEntriesResponse",
            Payload::Heartbeat { .. } => "Heartbeat",
            Payload::HeartbeatResponse { .. } => "HeartbeatResponse",
            Payload::Propose { .. } => "Propose",
            Payload::Snapshot { .. } => "Snapshot",
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} n{}→n{} t{}",
            self.payload.kind(),
            self.from,
            self.to,
            self.term
        )?;
        match &self.payload {
            Payload::RequestVote {
                last_log_index,
                last_log_term,
                commit,
                commit_term,
                ..
            } => {
                write!(f, " last=({last_log_index},t{last_log_term})")?;
                if *commit != 0 || *commit_term != 0 {
                    write!(f, " commit=({commit},t{commit_term})")?;
                }
                Ok(())
            }
            Payload::RequestVoteResponse {
                reject,
                commit,
                commit_term,
                ..
            } => {
                f.write_str(if *reject { " rejected" } else { " granted" })?;
                if *commit != 0 || *commit_term != 0 {
                    write!(f, " commit=({commit},t{commit_term})")?;
                }
                Ok(())
            }
            Payload::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                commit,
            } => {
                write!(f, " prev=({prev_log_index},t{prev_log_term}) entries=[")?;
                for (i, e) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{e}")?;
                }
                write!(f, "] commit={commit}")
            }
            Payload::AppendEntriesResponse(a) => {
                if a.reject {
                    write!(
                        f,
                        " rejected index={} hint=({},t{})",
                        a.index, a.reject_hint, a.hint_term
                    )?;
                } else {
                    write!(f, " ok index={}", a.index)?;
                }
                write!(f, " commit={}", a.commit)
            }
            Payload::Heartbeat { commit } | Payload::HeartbeatResponse { commit } => {
                write!(f, " commit={commit}")
            }
            Payload::Propose { value } => write!(f, " v{value}"),
            Payload::Snapshot { snapshot } => write!(f, " {snapshot}"),
        }
    }
}

/// An event the checker (the environment) chooses. Exploration branches over inputs only.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// The node's election timer fires: it starts an election.
    Timeout {
        /// The node whose timer fires.
        node: NodeId,
    },
    /// The network delivers one copy of a message in flight to its receiver.
    Receive {
        /// The message delivered.
        message: Message,
    },
    /// The node crashes and restarts from its durable state.
    Restart {
        /// The node restarted.
        node: NodeId,
    },
    /// A client asks the node to replicate a value.
    ClientRequest {
        /// The node the client talks to.
        node: NodeId,
        /// The value (values are proposed in order 1, 2, ...).
        value: Value,
    },
    /// The leader's heartbeat timer fires (flavours with `Flavour::heartbeat_input`).
    Heartbeat {
        /// The leader.
        node: NodeId,
    },
    /// The network loses one copy of a message (when drops are enabled).
    Drop {
        /// The message lost.
        message: Message,
    },
    /// The network delivers one copy of a message twice (when duplication is enabled).
    Duplicate {
        /// The message duplicated.
        message: Message,
    },
    /// A client asks the leader to change the configuration (raft-rs `propose_conf_change`, etcd
    /// `ProposeConfChange`). The leader appends the change, or in its place an empty entry when
    /// it refuses it (a change still pending, a joint configuration not left first, a leave
    /// with no joint configuration).
    ProposeConfChange {
        /// The leader the client talks to.
        node: NodeId,
        /// The change.
        change: ConfChange,
    },
    /// A leader steps down to follower at its own term (flavours with
    /// `Flavour::lease_step_down`: hashicorp/raft's leader lease ran out, or a replication
    /// goroutine saw a newer term it does not take).
    StepDown {
        /// The leader.
        node: NodeId,
    },
    /// The node's application takes a snapshot at its applied index and compacts its log there
    /// (raft-rs/etcd `Storage` compaction, etcd `MemoryStorage.CreateSnapshot` + `Compact`).
    Compact {
        /// The node.
        node: NodeId,
    },
}

impl Input {
    /// The node the input acts on, if it acts on one node (a drop or duplicate acts on none).
    pub fn target(&self) -> Option<NodeId> {
        match self {
            Input::Timeout { node }
            | Input::Restart { node }
            | Input::ClientRequest { node, .. }
            | Input::Heartbeat { node }
            | Input::ProposeConfChange { node, .. }
            | Input::Compact { node }
            | Input::StepDown { node } => Some(*node),
            Input::Receive { message } => Some(message.to),
            Input::Drop { .. } | Input::Duplicate { .. } => None,
        }
    }

    /// The same input with every client value `v` it names or carries replaced by `f(v)`.
    #[must_use]
    pub fn map_values(&self, f: &impl Fn(Value) -> Value) -> Input {
        match self {
            Input::ClientRequest { node, value } => Input::ClientRequest {
                node: *node,
                value: f(*value),
            },
            Input::Receive { message } => Input::Receive {
                message: message.map_values(f),
            },
            Input::Drop { message } => Input::Drop {
                message: message.map_values(f),
            },
            Input::Duplicate { message } => Input::Duplicate {
                message: message.map_values(f),
            },
            other => other.clone(),
        }
    }

    /// A short name for the kind of input, as used in coverage.
    pub fn kind(&self) -> &'static str {
        match self {
            Input::Timeout { .. } => "Timeout",
            Input::Receive { .. } => "Receive",
            Input::Restart { .. } => "Restart",
            Input::ClientRequest { .. } => "ClientRequest",
            Input::Heartbeat { .. } => "Heartbeat",
            Input::Drop { .. } => "Drop",
            Input::Duplicate { .. } => "Duplicate",
            Input::ProposeConfChange { .. } => "ProposeConfChange",
            Input::Compact { .. } => "Compact",
            Input::StepDown { .. } => "StepDown",
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Timeout { node } => write!(f, "Timeout n{node}"),
            Input::Receive { message } => write!(f, "Receive {message}"),
            Input::Restart { node } => write!(f, "Restart n{node}"),
            Input::ClientRequest { node, value } => write!(f, "ClientRequest n{node} v{value}"),
            Input::Heartbeat { node } => write!(f, "Heartbeat n{node}"),
            Input::Drop { message } => write!(f, "Drop {message}"),
            Input::Duplicate { message } => write!(f, "Duplicate {message}"),
            Input::ProposeConfChange { node, change } => {
                write!(f, "ProposeConfChange n{node} {change}")
            }
            Input::Compact { node } => write!(f, "Compact n{node}"),
            Input::StepDown { node } => write!(f, "StepDown n{node}"),
        }
    }
}

/// An event the system under test chooses; the spec judges it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "output", rename_all = "snake_case")]
pub enum Output {
    /// A node emits a message into the network.
    Send {
        /// The message.
        message: Message,
    },
    /// A candidate wins its election.
    BecomeLeader {
        /// The new leader.
        node: NodeId,
        /// Its term.
        term: Term,
    },
    /// A node refuses a client value because it knows no leader to forward it to.
    ProposalDropped {
        /// The node that dropped the value.
        node: NodeId,
        /// The value dropped.
        value: Value,
    },
}

impl Output {
    /// The message, if this output is a send.
    pub fn sent(&self) -> Option<&Message> {
        match self {
            Output::Send { message } => Some(message),
            _ => None,
        }
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Send { message } => write!(f, "Send {message}"),
            Output::BecomeLeader { node, term } => write!(f, "BecomeLeader n{node} t{term}"),
            Output::ProposalDropped { node, value } => {
                write!(f, "ProposalDropped n{node} v{value}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_logs() {
        let m = Message {
            from: 1,
            to: 2,
            term: 3,
            payload: Payload::AppendEntries {
                prev_log_index: 1,
                prev_log_term: 2,
                entries: vec![Entry::empty(3), Entry::value(3, 1)],
                commit: 1,
            },
        };
        assert_eq!(
            m.to_string(),
            "AppendEntries n1→n2 t3 prev=(1,t2) entries=[t3:empty, t3:v1] commit=1"
        );
        let input = Input::Receive { message: m };
        assert!(input.to_string().starts_with("Receive AppendEntries n1→n2"));
        assert_eq!(input.target(), Some(2));
    }

    #[test]
    fn json_round_trip_is_lossless_and_flat() {
        let input = Input::Receive {
            message: Message {
                from: 2,
                to: 1,
                term: 1,
                payload: Payload::RequestVoteResponse {
                    pre: false,
                    reject: true,
                    commit: 0,
                    commit_term: 0,
                },
            },
        };
        let json = serde_json::to_string(&input).unwrap();
        assert_eq!(
            json,
            r#"{"input":"receive","message":{"from":2,"to":1,"term":1,"type":"RequestVoteResponse","reject":true,"commit":0,"commit_term":0}}"#
        );
        let back: Input = serde_json::from_str(&json).unwrap();
        assert_eq!(back, input);
    }

    #[test]
    fn values_are_renamed_everywhere_they_occur() {
        let m = Message {
            from: 1,
            to: 2,
            term: 1,
            payload: Payload::AppendEntries {
                prev_log_index: 0,
                prev_log_term: 0,
                entries: vec![Entry::empty(1), Entry::value(1, 3)],
                commit: 0,
            },
        };
        let shifted = Input::Receive { message: m }.map_values(&|v| v - 1);
        let Input::Receive { message } = shifted else {
            unreachable!()
        };
        let Payload::AppendEntries { entries, .. } = message.payload else {
            unreachable!()
        };
        assert_eq!(entries, vec![Entry::empty(1), Entry::value(1, 2)]);
        assert_eq!(
            Input::ClientRequest { node: 2, value: 5 }.map_values(&|v| v * 10),
            Input::ClientRequest { node: 2, value: 50 }
        );
    }

    #[test]
    fn omitted_flavour_fields_default_to_zero() {
        let m: Message = serde_json::from_str(
            r#"{"from":1,"to":2,"term":1,"type":"RequestVote","last_log_index":0,"last_log_term":0}"#,
        )
        .unwrap();
        assert_eq!(
            m.payload,
            Payload::RequestVote {
                pre: false,
                last_log_index: 0,
                last_log_term: 0,
                commit: 0,
                commit_term: 0
            }
        );
    }

    #[test]
    fn pre_votes_keep_their_own_kind_names() {
        let m = Message {
            from: 1,
            to: 2,
            term: 2,
            payload: Payload::RequestVote {
                pre: true,
                last_log_index: 1,
                last_log_term: 1,
                commit: 0,
                commit_term: 0,
            },
        };
        assert_eq!(m.payload.kind(), "RequestPreVote");
        assert_eq!(m.to_string(), "RequestPreVote n1→n2 t2 last=(1,t1)");
        let answer = Payload::RequestVoteResponse {
            pre: true,
            reject: false,
            commit: 0,
            commit_term: 0,
        };
        assert_eq!(answer.kind(), "RequestPreVoteResponse");
    }
}
