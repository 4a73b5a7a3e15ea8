//! Version 1: the inputs, outputs, messages, entries and observed views of protocol version 1
//! and trace format version 1, exactly as `PROTOCOL.md` and the trace corpus spell them.
//!
//! ```text
//! {"input":"receive","message":{"from":2,"to":1,"term":1,"type":"RequestVoteResponse","reject":true,"commit":0,"commit_term":0}}
//! ```
//!
//! Messages are `{"from", "to", "term", "type", ...fields}`; a field a flavour does not use is
//! 0 and may be omitted on input. Pre-vote messages are their own `type`s here
//! (`RequestPreVote`, `RequestPreVoteResponse`), where the spec has one vote kind with a `pre`
//! marker.
//!
//! Every v1 value has a spec form and every spec value a v1 form, so the conversions are
//! `From` both ways and lossless (`spec → v1 → spec` is the identity, and so is
//! `v1 → spec → v1`).
//!
//! Membership and snapshots were added to v1 without breaking it: every new field is optional
//! and left out when it has its default (no configuration change in an entry, nothing
//! compacted), so the bytes of everything v1 could say before are unchanged, and a child of the
//! adapter protocol that does not declare the `membership` and `snapshots` features may leave
//! out the new fields of its views (see [`NodeView`]). Configurations travel in etcd's and
//! raft-rs's `ConfState` shape ([`ConfState`]); a configuration change in the spec's own serde
//! form ([`raftcheck_spec::ConfChange`], pinned by the golden tests).
//!
//! Types that embed spec values and serialise them in v1 use the [`via`] modules with
//! `#[serde(with = ...)]`.

use raftcheck_spec as spec;
use serde::{Deserialize, Serialize};

/// A log entry: `{"term": T}` for a new leader's empty entry, `{"term": T, "value": V}` for a
/// client value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that created the entry.
    pub term: u64,
    /// The client value; absent for the empty entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u64>,
    /// The configuration change the entry carries, if any, e.g.
    /// `{"kind":"single","change":{"op":"add-voter","node":4}}`, `{"kind":"leave"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conf: Option<spec::ConfChange>,
}

/// A configuration as etcd's and raft-rs's `ConfState` spell it: the (incoming) voters, the
/// outgoing voters while joint, the learners, the learners-to-be, and `auto_leave`. Empty lists
/// and a false `auto_leave` may be left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfState {
    /// The voters (the incoming set while joint).
    pub voters: Vec<u64>,
    /// While joint: the outgoing voters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub voters_outgoing: Vec<u64>,
    /// The learners.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learners: Vec<u64>,
    /// While joint: outgoing voters that become learners when the joint configuration is left.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learners_next: Vec<u64>,
    /// While joint: the leader leaves it by itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_leave: bool,
}

/// A snapshot: its last index and term, the configuration there, and the state machine (the
/// client values applied, in order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The last index covered.
    pub index: u64,
    /// The term at `index`.
    pub term: u64,
    /// The configuration at `index`.
    pub conf_state: ConfState,
    /// The state machine's values.
    pub values: Vec<u64>,
}

/// A node's role: `"Follower"`, `"PreCandidate"`, `"Candidate"` or `"Leader"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Follows a leader or waits for one.
    Follower,
    /// Pre-vote only: asks whether it could win an election.
    PreCandidate,
    /// Counts votes in an election it started.
    Candidate,
    /// Won an election.
    Leader,
}

/// A message between two nodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The sender.
    pub from: u64,
    /// The receiver.
    pub to: u64,
    /// The term the message carries (0 for `Propose`).
    pub term: u64,
    /// The kind (`"type"`) and its fields, flattened into the message object.
    #[serde(flatten)]
    pub payload: Payload,
}

/// The fields of a vote or pre-vote request, in wire order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteRequest {
    /// Index of the candidate's last entry.
    pub last_log_index: u64,
    /// Term of the candidate's last entry.
    pub last_log_term: u64,
    /// The candidate's commit index (0 when the flavour does not carry it).
    #[serde(default)]
    pub commit: u64,
    /// Term of the entry at `commit`.
    #[serde(default)]
    pub commit_term: u64,
}

/// The fields of a vote or pre-vote answer, in wire order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteAnswer {
    /// True when refused.
    pub reject: bool,
    /// The voter's commit index.
    #[serde(default)]
    pub commit: u64,
    /// Term of the entry at `commit`.
    #[serde(default)]
    pub commit_term: u64,
}

/// The message kinds of v1, tagged by `"type"`, with their fields in wire order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Payload {
    /// A candidate asks for a vote.
    RequestVote(VoteRequest),
    /// A pre-candidate asks whether it would get a vote at `term`.
    RequestPreVote(VoteRequest),
    /// A pre-vote granted or refused.
    RequestPreVoteResponse(VoteAnswer),
    /// A vote granted or refused.
    RequestVoteResponse(VoteAnswer),
    /// A leader replicates entries.
    AppendEntries {
        /// Index of the entry preceding `entries`.
        prev_log_index: u64,
        /// Term of that entry.
        prev_log_term: u64,
        /// The entries after `prev_log_index`.
        entries: Vec<Entry>,
        /// The leader's commit index.
        commit: u64,
    },
    /// A follower's answer to an append: `reject`, `index`, and (0 when absent) `reject_hint`,
    /// `hint_term`, `commit` — the spec's own [`raftcheck_spec::AppendAnswer`] form, pinned by
    /// the golden tests.
    AppendEntriesResponse(spec::AppendAnswer),
    /// A leader's heartbeat.
    Heartbeat {
        /// A commit index safe for the receiver.
        commit: u64,
    },
    /// A follower's answer to a heartbeat.
    HeartbeatResponse {
        /// The follower's commit index.
        #[serde(default)]
        commit: u64,
    },
    /// A client value forwarded towards the leader.
    Propose {
        /// The value.
        value: u64,
    },
    /// A leader's snapshot for a follower that needs compacted entries.
    Snapshot {
        /// The snapshot.
        snapshot: Snapshot,
    },
}

/// An input, tagged by `"input"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
pub enum Input {
    /// The node's election timer fires.
    Timeout {
        /// The node.
        node: u64,
    },
    /// A message is delivered.
    Receive {
        /// The message.
        message: Message,
    },
    /// The node crashes and restarts.
    Restart {
        /// The node.
        node: u64,
    },
    /// A client proposes a value at the node.
    ClientRequest {
        /// The node.
        node: u64,
        /// The value.
        value: u64,
    },
    /// The leader's heartbeat timer fires.
    Heartbeat {
        /// The leader.
        node: u64,
    },
    /// The network loses one copy of a message.
    Drop {
        /// The message.
        message: Message,
    },
    /// The network delivers one copy of a message twice.
    Duplicate {
        /// The message.
        message: Message,
    },
    /// A client asks the leader to change the configuration.
    ProposeConfChange {
        /// The leader.
        node: u64,
        /// The change.
        change: spec::ConfChange,
    },
    /// The node compacts its log at its applied index, taking a snapshot there.
    Compact {
        /// The node.
        node: u64,
    },
    /// A leader steps down at its own term (flavours with a leader lease).
    StepDown {
        /// The leader.
        node: u64,
    },
}

/// An output, tagged by `"output"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "output", rename_all = "snake_case")]
pub enum Output {
    /// A node emits a message.
    Send {
        /// The message.
        message: Message,
    },
    /// A node becomes leader.
    BecomeLeader {
        /// The node.
        node: u64,
        /// Its term.
        term: u64,
    },
    /// A node refuses a client value for want of a leader.
    ProposalDropped {
        /// The node.
        node: u64,
        /// The value.
        value: u64,
    },
}

/// One node as `observe` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
    /// Current term.
    pub term: u64,
    /// Current role.
    pub role: Role,
    /// Vote in the current term (`null` for none).
    pub vote: Option<u64>,
    /// The leader known (`null` for none).
    pub leader: Option<u64>,
    /// The entries after the snapshot base (the whole log from index 1 when nothing is
    /// compacted).
    pub log: Vec<Entry>,
    /// Commit index.
    pub commit: u64,
    /// The index the log is compacted up to; absent for 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub snapshot_index: u64,
    /// The term at `snapshot_index`; absent for 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub snapshot_term: u64,
    /// The configuration the node works with. A child without the `membership` feature leaves
    /// it out; the adapter then takes the initial configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfState>,
    /// The applied index; when absent, the commit index (entries are applied as committed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<u64>,
    /// The state machine's values in order; when absent, the values of the log up to `applied`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_machine: Option<Vec<u64>>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A cluster as `observe` reports it: one view per node, in id order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterView {
    /// The nodes.
    pub nodes: Vec<NodeView>,
}

/// One event of a trace file: an input (or, in spec-only traces, a leader's own `send`) and the
/// outputs observed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The input the checker chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Input>,
    /// Spec-only traces: a message a leader sent of its own accord.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<Message>,
    /// What came out, in order (always written, possibly empty).
    #[serde(default)]
    pub outputs: Vec<Output>,
}

// ---------------------------------------------------------------------------------------------
// Spec → v1
// ---------------------------------------------------------------------------------------------

impl From<&spec::Entry> for Entry {
    fn from(e: &spec::Entry) -> Self {
        Entry {
            term: e.term,
            value: e.value,
            conf: e.conf.as_deref().cloned(),
        }
    }
}

impl From<&spec::Configuration> for ConfState {
    fn from(c: &spec::Configuration) -> Self {
        ConfState {
            voters: c.voters.incoming.ids().collect(),
            voters_outgoing: c.voters.outgoing.ids().collect(),
            learners: c.learners.iter().copied().collect(),
            learners_next: c.learners_next.iter().copied().collect(),
            auto_leave: c.auto_leave,
        }
    }
}

impl From<&spec::Snapshot> for Snapshot {
    fn from(s: &spec::Snapshot) -> Self {
        Snapshot {
            index: s.index,
            term: s.term,
            conf_state: (&s.config).into(),
            values: s.values.clone(),
        }
    }
}

impl From<spec::Role> for Role {
    fn from(r: spec::Role) -> Self {
        match r {
            spec::Role::Follower => Role::Follower,
            spec::Role::PreCandidate => Role::PreCandidate,
            spec::Role::Candidate => Role::Candidate,
            spec::Role::Leader => Role::Leader,
        }
    }
}

impl From<&spec::Payload> for Payload {
    fn from(p: &spec::Payload) -> Self {
        use spec::Payload as P;
        match *p {
            P::RequestVote {
                pre,
                last_log_index,
                last_log_term,
                commit,
                commit_term,
            } => {
                let request = VoteRequest {
                    last_log_index,
                    last_log_term,
                    commit,
                    commit_term,
                };
                if pre {
                    Payload::RequestPreVote(request)
                } else {
                    Payload::RequestVote(request)
                }
            }
            P::RequestVoteResponse {
                pre,
                reject,
                commit,
                commit_term,
            } => {
                let answer = VoteAnswer {
                    reject,
                    commit,
                    commit_term,
                };
                if pre {
                    Payload::RequestPreVoteResponse(answer)
                } else {
                    Payload::RequestVoteResponse(answer)
                }
            }
            P::AppendEntries {
                prev_log_index,
                prev_log_term,
                ref entries,
                commit,
            } => Payload::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries: entries.iter().map(Entry::from).collect(),
                commit,
            },
            P::AppendEntriesResponse(ref a) => Payload::AppendEntriesResponse(a.clone()),
            P::Heartbeat { commit } => Payload::Heartbeat { commit },
            P::HeartbeatResponse { commit } => Payload::HeartbeatResponse { commit },
            P::Propose { value } => Payload::Propose { value },
            P::Snapshot { ref snapshot } => Payload::Snapshot {
                snapshot: (&**snapshot).into(),
            },
        }
    }
}

impl From<&spec::Message> for Message {
    fn from(m: &spec::Message) -> Self {
        Message {
            from: m.from,
            to: m.to,
            term: m.term,
            payload: Payload::from(&m.payload),
        }
    }
}

impl From<&spec::Input> for Input {
    fn from(i: &spec::Input) -> Self {
        use spec::Input as I;
        match i {
            I::Timeout { node } => Input::Timeout { node: *node },
            I::Receive { message } => Input::Receive {
                message: message.into(),
            },
            I::Restart { node } => Input::Restart { node: *node },
            I::ClientRequest { node, value } => Input::ClientRequest {
                node: *node,
                value: *value,
            },
            I::Heartbeat { node } => Input::Heartbeat { node: *node },
            I::Drop { message } => Input::Drop {
                message: message.into(),
            },
            I::Duplicate { message } => Input::Duplicate {
                message: message.into(),
            },
            I::ProposeConfChange { node, change } => Input::ProposeConfChange {
                node: *node,
                change: change.clone(),
            },
            I::Compact { node } => Input::Compact { node: *node },
            I::StepDown { node } => Input::StepDown { node: *node },
        }
    }
}

impl From<&spec::Output> for Output {
    fn from(o: &spec::Output) -> Self {
        use spec::Output as O;
        match o {
            O::Send { message } => Output::Send {
                message: message.into(),
            },
            O::BecomeLeader { node, term } => Output::BecomeLeader {
                node: *node,
                term: *term,
            },
            O::ProposalDropped { node, value } => Output::ProposalDropped {
                node: *node,
                value: *value,
            },
        }
    }
}

impl From<&spec::NodeView> for NodeView {
    fn from(v: &spec::NodeView) -> Self {
        NodeView {
            term: v.term,
            role: v.role.into(),
            vote: v.vote,
            leader: v.leader,
            log: v.log.iter().map(Entry::from).collect(),
            commit: v.commit,
            snapshot_index: v.snapshot_index,
            snapshot_term: v.snapshot_term,
            config: Some((&v.config).into()),
            applied: Some(v.applied),
            state_machine: Some(v.state_machine.clone()),
        }
    }
}

impl From<&spec::ClusterView> for ClusterView {
    fn from(v: &spec::ClusterView) -> Self {
        ClusterView {
            nodes: v.nodes.iter().map(NodeView::from).collect(),
        }
    }
}

impl Event {
    /// The event of an input or a send (exactly one of them in a valid trace) and its outputs.
    pub fn from_spec(
        input: Option<&spec::Input>,
        send: Option<&spec::Message>,
        outputs: &[spec::Output],
    ) -> Self {
        Event {
            input: input.map(Input::from),
            send: send.map(Message::from),
            outputs: outputs.iter().map(Output::from).collect(),
        }
    }

    /// The event in spec terms: input, send and outputs.
    pub fn into_spec(
        self,
    ) -> (
        Option<spec::Input>,
        Option<spec::Message>,
        Vec<spec::Output>,
    ) {
        (
            self.input.map(spec::Input::from),
            self.send.map(spec::Message::from),
            self.outputs.into_iter().map(spec::Output::from).collect(),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// v1 → spec
// ---------------------------------------------------------------------------------------------

impl From<Entry> for spec::Entry {
    fn from(e: Entry) -> Self {
        spec::Entry {
            term: e.term,
            value: e.value,
            conf: e.conf.map(Box::new),
        }
    }
}

impl From<ConfState> for spec::Configuration {
    fn from(c: ConfState) -> Self {
        spec::Configuration {
            voters: spec::JointConfig {
                incoming: spec::MajorityConfig::new(c.voters),
                outgoing: spec::MajorityConfig::new(c.voters_outgoing),
            },
            learners: c.learners.into_iter().collect(),
            learners_next: c.learners_next.into_iter().collect(),
            auto_leave: c.auto_leave,
        }
    }
}

impl From<Snapshot> for spec::Snapshot {
    fn from(s: Snapshot) -> Self {
        spec::Snapshot {
            index: s.index,
            term: s.term,
            config: s.conf_state.into(),
            values: s.values,
        }
    }
}

impl From<Role> for spec::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Follower => spec::Role::Follower,
            Role::PreCandidate => spec::Role::PreCandidate,
            Role::Candidate => spec::Role::Candidate,
            Role::Leader => spec::Role::Leader,
        }
    }
}

impl From<Payload> for spec::Payload {
    fn from(p: Payload) -> Self {
        use spec::Payload as P;
        let vote = |pre, r: VoteRequest| P::RequestVote {
            pre,
            last_log_index: r.last_log_index,
            last_log_term: r.last_log_term,
            commit: r.commit,
            commit_term: r.commit_term,
        };
        let answer = |pre, a: VoteAnswer| P::RequestVoteResponse {
            pre,
            reject: a.reject,
            commit: a.commit,
            commit_term: a.commit_term,
        };
        match p {
            Payload::RequestVote(r) => vote(false, r),
            Payload::RequestPreVote(r) => vote(true, r),
            Payload::RequestVoteResponse(a) => answer(false, a),
            Payload::RequestPreVoteResponse(a) => answer(true, a),
            Payload::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                commit,
            } => P::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries: entries.into_iter().map(spec::Entry::from).collect(),
                commit,
            },
            Payload::AppendEntriesResponse(a) => P::AppendEntriesResponse(a),
            Payload::Heartbeat { commit } => P::Heartbeat { commit },
            Payload::HeartbeatResponse { commit } => P::HeartbeatResponse { commit },
            Payload::Propose { value } => P::Propose { value },
            Payload::Snapshot { snapshot } => P::Snapshot {
                snapshot: std::sync::Arc::new(snapshot.into()),
            },
        }
    }
}

impl From<Message> for spec::Message {
    fn from(m: Message) -> Self {
        spec::Message {
            from: m.from,
            to: m.to,
            term: m.term,
            payload: m.payload.into(),
        }
    }
}

impl From<Input> for spec::Input {
    fn from(i: Input) -> Self {
        use spec::Input as I;
        match i {
            Input::Timeout { node } => I::Timeout { node },
            Input::Receive { message } => I::Receive {
                message: message.into(),
            },
            Input::Restart { node } => I::Restart { node },
            Input::ClientRequest { node, value } => I::ClientRequest { node, value },
            Input::Heartbeat { node } => I::Heartbeat { node },
            Input::Drop { message } => I::Drop {
                message: message.into(),
            },
            Input::Duplicate { message } => I::Duplicate {
                message: message.into(),
            },
            Input::ProposeConfChange { node, change } => I::ProposeConfChange { node, change },
            Input::Compact { node } => I::Compact { node },
            Input::StepDown { node } => I::StepDown { node },
        }
    }
}

impl From<Output> for spec::Output {
    fn from(o: Output) -> Self {
        use spec::Output as O;
        match o {
            Output::Send { message } => O::Send {
                message: message.into(),
            },
            Output::BecomeLeader { node, term } => O::BecomeLeader { node, term },
            Output::ProposalDropped { node, value } => O::ProposalDropped { node, value },
        }
    }
}

impl From<NodeView> for spec::NodeView {
    /// Left-out fields: the configuration becomes the empty one (the process adapter puts the
    /// initial configuration in its place), the applied index the commit index, the state
    /// machine the values of the held log up to the applied index.
    fn from(v: NodeView) -> Self {
        let applied = v.applied.unwrap_or(v.commit);
        let log: Vec<spec::Entry> = v.log.into_iter().map(spec::Entry::from).collect();
        let state_machine = v.state_machine.unwrap_or_else(|| {
            let held = applied.saturating_sub(v.snapshot_index) as usize;
            log.iter().take(held).filter_map(|e| e.value).collect()
        });
        spec::NodeView {
            term: v.term,
            role: v.role.into(),
            vote: v.vote,
            leader: v.leader,
            log,
            commit: v.commit,
            snapshot_index: v.snapshot_index,
            snapshot_term: v.snapshot_term,
            config: v.config.map(spec::Configuration::from).unwrap_or_default(),
            applied,
            state_machine,
        }
    }
}

impl From<ClusterView> for spec::ClusterView {
    fn from(v: ClusterView) -> Self {
        spec::ClusterView {
            nodes: v.nodes.into_iter().map(spec::NodeView::from).collect(),
        }
    }
}

/// `#[serde(with = "raftcheck_format::v1::via::...")]` modules: a field holding a spec value is
/// written and read in its v1 form.
///
/// ```
/// use raftcheck_spec::Input;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct Apply {
///     #[serde(with = "raftcheck_format::v1::via::input")]
///     input: Input,
/// }
/// ```
pub mod via {
    macro_rules! via {
        ($(#[$doc:meta])* $name:ident: $spec:ty => $dto:ty, $to:expr, $from:expr) => {
            $(#[$doc])*
            pub mod $name {
                use raftcheck_spec as spec;
                use serde::{Deserialize, Deserializer, Serialize, Serializer};

                #[allow(unused_imports)]
                use crate::v1;

                /// Writes the spec value in its v1 form.
                pub fn serialize<S: Serializer>(value: &$spec, s: S) -> Result<S::Ok, S::Error> {
                    let dto: $dto = $to(value);
                    dto.serialize(s)
                }

                /// Reads a v1 value into its spec form.
                pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<$spec, D::Error> {
                    <$dto>::deserialize(d).map($from)
                }
            }
        };
    }

    via!(
        /// A [`raftcheck_spec::Input`] as a [`super::Input`].
        input: spec::Input => v1::Input, v1::Input::from, spec::Input::from
    );
    via!(
        /// A list of [`raftcheck_spec::Output`] as [`super::Output`]s.
        outputs: Vec<spec::Output> => Vec<v1::Output>,
        |v: &Vec<spec::Output>| v.iter().map(v1::Output::from).collect(),
        |v: Vec<v1::Output>| v.into_iter().map(spec::Output::from).collect()
    );
    via!(
        /// A list of [`raftcheck_spec::NodeView`] as [`super::NodeView`]s.
        node_views: Vec<spec::NodeView> => Vec<v1::NodeView>,
        |v: &Vec<spec::NodeView>| v.iter().map(v1::NodeView::from).collect(),
        |v: Vec<v1::NodeView>| v.into_iter().map(spec::NodeView::from).collect()
    );
    via!(
        /// A [`raftcheck_spec::NodeView`] as a [`super::NodeView`].
        node_view: spec::NodeView => v1::NodeView, v1::NodeView::from, spec::NodeView::from
    );
}
