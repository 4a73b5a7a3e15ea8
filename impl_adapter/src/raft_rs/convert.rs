//! Translation between raft-rs protobuf messages and spec messages.
//!
//! The translation is checked to be lossless: a raft-rs message is accepted only if translating
//! it to the spec and back gives the very same protobuf message. A message type or a field the
//! spec does not model therefore surfaces as [`AdapterError::Unmodelled`], never as a silently
//! dropped detail, and delivering a spec message back to raft-rs delivers exactly what was sent.
//!
//! | raft-rs `MessageType`    | spec [`Payload`]         | fields mapped                                           |
//! |--------------------------|--------------------------|---------------------------------------------------------|
//! | `MsgRequestVote`         | `RequestVote`            | `index`→`last_log_index`, `log_term`→`last_log_term`, `commit`, `commit_term` |
//! | `MsgRequestVoteResponse` | `RequestVoteResponse`    | `reject`, `commit`, `commit_term`                       |
//! | `MsgRequestPreVote`      | `RequestVote`, `pre`     | as `MsgRequestVote`                                     |
//! | `MsgRequestPreVoteResponse` | `RequestVoteResponse`, `pre` | as `MsgRequestVoteResponse`                      |
//! | `MsgAppend`              | `AppendEntries`          | `index`→`prev_log_index`, `log_term`→`prev_log_term`, `entries`, `commit` |
//! | `MsgAppendResponse`      | `AppendEntriesResponse`  | `reject`, `index`, `reject_hint`, `log_term`→`hint_term`, `commit` |
//! | `MsgHeartbeat`           | `Heartbeat`              | `commit`                                                |
//! | `MsgHeartbeatResponse`   | `HeartbeatResponse`      | `commit`                                                |
//! | `MsgPropose`             | `Propose`                | the single entry's data → `value`                       |
//! | `MsgSnapshot`            | `Snapshot`               | `snapshot.metadata` (index, term, conf state), `snapshot.data` → `values` |
//!
//! `to`, `from` and `term` map one to one. Entries: `EntryNormal` with empty `data` is the
//! empty entry (`value: None`), otherwise `data` is the client value as 8 big-endian bytes;
//! `EntryConfChange` carries a `ConfChange` (the spec's single change), `EntryConfChangeV2` a
//! `ConfChangeV2`: with changes and transition `JointImplicit` a joint change left
//! automatically, `JointExplicit` one left explicitly, with no changes the leave. An entry's
//! `index` is implied by its position after `prev_log_index`. A snapshot's data is the state
//! machine, each value as 8 big-endian bytes; its `ConfState` is the spec's configuration.

use protobuf::Message as _;
use raft::eraftpb::{
    self, ConfChangeSingle, ConfChangeTransition, ConfChangeType, ConfState, EntryType, MessageType,
};
use raftcheck_spec::{
    AppendAnswer, Change, ChangeOp, ConfChange, Configuration, Entry, JointConfig, MajorityConfig,
    Message, Payload, Role, Snapshot, Value,
};

use crate::AdapterError;

/// Encodes a client value as entry data.
pub fn value_to_data(value: Value) -> Vec<u8> {
    value.to_be_bytes().to_vec()
}

/// Decodes entry data: empty is the leader's empty entry, 8 bytes a client value.
pub fn data_to_value(data: &[u8]) -> Result<Option<Value>, String> {
    match data.len() {
        0 => Ok(None),
        8 => Ok(Some(Value::from_be_bytes(
            data.try_into().expect("length 8"),
        ))),
        n => Err(format!(
            "entry data of {n} bytes is not a raftcheck client value"
        )),
    }
}

/// Encodes a state machine (a snapshot's data): each value as 8 big-endian bytes.
pub fn values_to_data(values: &[Value]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// Decodes a snapshot's data into the state machine's values.
pub fn data_to_values(data: &[u8]) -> Result<Vec<Value>, String> {
    if data.len() % 8 != 0 {
        return Err(format!(
            "snapshot data of {} bytes is not a sequence of 8-byte values",
            data.len()
        ));
    }
    Ok(data
        .chunks_exact(8)
        .map(|c| Value::from_be_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

fn op_from_raft(t: ConfChangeType) -> ChangeOp {
    match t {
        ConfChangeType::AddNode => ChangeOp::AddVoter,
        ConfChangeType::AddLearnerNode => ChangeOp::AddLearner,
        ConfChangeType::RemoveNode => ChangeOp::Remove,
    }
}

fn op_to_raft(op: ChangeOp) -> ConfChangeType {
    match op {
        ChangeOp::AddVoter => ConfChangeType::AddNode,
        ChangeOp::AddLearner => ConfChangeType::AddLearnerNode,
        ChangeOp::Remove => ConfChangeType::RemoveNode,
    }
}

/// A configuration change as raft-rs proposes it: a `ConfChange` or a `ConfChangeV2`.
pub enum RaftConfChange {
    /// A single change (`EntryConfChange`).
    V1(eraftpb::ConfChange),
    /// A joint change or a leave (`EntryConfChangeV2`).
    V2(eraftpb::ConfChangeV2),
}

impl RaftConfChange {
    /// The entry type and data of the entry that carries it.
    pub fn entry(&self) -> (EntryType, Vec<u8>) {
        let bytes = |m: &dyn protobuf::Message| m.write_to_bytes().expect("encodes");
        match self {
            RaftConfChange::V1(cc) => (EntryType::EntryConfChange, bytes(cc)),
            RaftConfChange::V2(cc) => (EntryType::EntryConfChangeV2, bytes(cc)),
        }
    }
}

/// A spec configuration change as raft-rs proposes it (a leave is the empty `ConfChangeV2`).
pub fn conf_change_to_raft(change: &ConfChange) -> RaftConfChange {
    let single = |c: &Change| {
        let mut s = ConfChangeSingle::default();
        s.set_change_type(op_to_raft(c.op));
        s.node_id = c.node;
        s
    };
    match change {
        ConfChange::Single { change } => {
            let mut cc = eraftpb::ConfChange::default();
            cc.set_change_type(op_to_raft(change.op));
            cc.node_id = change.node;
            RaftConfChange::V1(cc)
        }
        ConfChange::Joint {
            changes,
            auto_leave,
        } => {
            let mut cc = eraftpb::ConfChangeV2::default();
            cc.set_transition(if *auto_leave {
                ConfChangeTransition::Implicit
            } else {
                ConfChangeTransition::Explicit
            });
            cc.set_changes(changes.iter().map(single).collect());
            RaftConfChange::V2(cc)
        }
        ConfChange::Leave => RaftConfChange::V2(eraftpb::ConfChangeV2::default()),
    }
}

/// The configuration change a raft-rs entry of `entry_type` with `data` carries.
fn conf_change_from_raft(entry_type: EntryType, data: &[u8]) -> Result<ConfChange, String> {
    let change = |t, node| Change {
        op: op_from_raft(t),
        node,
    };
    match entry_type {
        EntryType::EntryNormal => Err("a normal entry carries no configuration change".into()),
        EntryType::EntryConfChange => {
            let cc = eraftpb::ConfChange::parse_from_bytes(data).map_err(|e| e.to_string())?;
            Ok(ConfChange::Single {
                change: change(cc.get_change_type(), cc.node_id),
            })
        }
        EntryType::EntryConfChangeV2 => {
            let cc = eraftpb::ConfChangeV2::parse_from_bytes(data).map_err(|e| e.to_string())?;
            if cc.changes.is_empty() {
                return Ok(ConfChange::Leave);
            }
            let auto_leave = match cc.get_transition() {
                ConfChangeTransition::Implicit => true,
                ConfChangeTransition::Explicit => false,
                ConfChangeTransition::Auto => {
                    return Err("a ConfChangeV2 with transition Auto, which the spec never \
                                proposes"
                        .into())
                }
            };
            Ok(ConfChange::Joint {
                changes: cc
                    .changes
                    .iter()
                    .map(|c| change(c.get_change_type(), c.node_id))
                    .collect(),
                auto_leave,
            })
        }
    }
}

/// A raft-rs `ConfState` as a spec configuration.
pub fn config_from_raft(cs: &ConfState) -> Configuration {
    Configuration {
        voters: JointConfig {
            incoming: MajorityConfig::new(cs.voters.iter().copied()),
            outgoing: MajorityConfig::new(cs.voters_outgoing.iter().copied()),
        },
        learners: cs.learners.iter().copied().collect(),
        learners_next: cs.learners_next.iter().copied().collect(),
        auto_leave: cs.auto_leave,
    }
}

/// A spec configuration as a raft-rs `ConfState`, every list ascending.
pub fn config_to_raft(c: &Configuration) -> ConfState {
    let mut cs = ConfState::default();
    cs.set_voters(c.voters.incoming.ids().collect());
    cs.set_voters_outgoing(c.voters.outgoing.ids().collect());
    cs.set_learners(c.learners.iter().copied().collect());
    cs.set_learners_next(c.learners_next.iter().copied().collect());
    cs.auto_leave = c.auto_leave;
    cs
}

/// A raft-rs snapshot in spec terms.
pub fn snapshot_from_raft(s: &eraftpb::Snapshot) -> Result<Snapshot, String> {
    let meta = s.get_metadata();
    Ok(Snapshot {
        index: meta.index,
        term: meta.term,
        config: config_from_raft(meta.get_conf_state()),
        values: data_to_values(s.get_data())?,
    })
}

fn snapshot_to_raft(s: &Snapshot) -> eraftpb::Snapshot {
    let mut out = eraftpb::Snapshot::default();
    out.set_data(values_to_data(&s.values).into());
    let meta = out.mut_metadata();
    meta.index = s.index;
    meta.term = s.term;
    meta.set_conf_state(config_to_raft(&s.config));
    out
}

/// A raft-rs log entry in spec terms.
pub fn entry_from_raft(e: &eraftpb::Entry) -> Result<Entry, String> {
    match e.get_entry_type() {
        EntryType::EntryNormal => Ok(Entry {
            term: e.term,
            value: data_to_value(e.get_data())?,
            conf: None,
        }),
        t => Ok(Entry::conf(
            e.term,
            conf_change_from_raft(t, e.get_data())
                .map_err(|m| format!("entry {}: {m}", e.index))?,
        )),
    }
}

fn entry_to_raft(e: &Entry, index: u64) -> eraftpb::Entry {
    let mut out = eraftpb::Entry {
        term: e.term,
        index,
        ..Default::default()
    };
    match &e.conf {
        Some(change) => {
            let (entry_type, data) = conf_change_to_raft(change).entry();
            out.set_entry_type(entry_type);
            out.data = data.into();
        }
        None => {
            out.set_entry_type(EntryType::EntryNormal);
            if let Some(v) = e.value {
                out.data = value_to_data(v).into();
            }
        }
    }
    out
}

/// The raft-rs type of a vote request (`answer`: of its answer), pre-vote or not.
fn vote_type(pre: bool, answer: bool) -> MessageType {
    match (pre, answer) {
        (false, false) => MessageType::MsgRequestVote,
        (false, true) => MessageType::MsgRequestVoteResponse,
        (true, false) => MessageType::MsgRequestPreVote,
        (true, true) => MessageType::MsgRequestPreVoteResponse,
    }
}

/// Builds the raft-rs message for a spec message.
pub fn message_to_raft(m: &Message) -> eraftpb::Message {
    let mut out = eraftpb::Message {
        to: m.to,
        from: m.from,
        term: m.term,
        ..Default::default()
    };
    match &m.payload {
        Payload::RequestVote {
            pre,
            last_log_index,
            last_log_term,
            commit,
            commit_term,
        } => {
            out.set_msg_type(vote_type(*pre, false));
            out.index = *last_log_index;
            out.log_term = *last_log_term;
            out.commit = *commit;
            out.commit_term = *commit_term;
        }
        Payload::RequestVoteResponse {
            pre,
            reject,
            commit,
            commit_term,
        } => {
            out.set_msg_type(vote_type(*pre, true));
            out.reject = *reject;
            out.commit = *commit;
            out.commit_term = *commit_term;
        }
        Payload::AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            commit,
        } => {
            out.set_msg_type(MessageType::MsgAppend);
            out.index = *prev_log_index;
            out.log_term = *prev_log_term;
            out.commit = *commit;
            let entries: Vec<eraftpb::Entry> = entries
                .iter()
                .enumerate()
                .map(|(i, e)| entry_to_raft(e, prev_log_index + 1 + i as u64))
                .collect();
            out.set_entries(entries.into());
        }
        Payload::AppendEntriesResponse(a) => {
            out.set_msg_type(MessageType::MsgAppendResponse);
            out.reject = a.reject;
            out.index = a.index;
            out.reject_hint = a.reject_hint;
            out.log_term = a.hint_term;
            out.commit = a.commit;
        }
        Payload::Heartbeat { commit } => {
            out.set_msg_type(MessageType::MsgHeartbeat);
            out.commit = *commit;
        }
        Payload::HeartbeatResponse { commit } => {
            out.set_msg_type(MessageType::MsgHeartbeatResponse);
            out.commit = *commit;
        }
        Payload::Propose { value } => {
            out.set_msg_type(MessageType::MsgPropose);
            let e = eraftpb::Entry {
                data: value_to_data(*value).into(),
                ..Default::default()
            };
            out.set_entries(vec![e].into());
        }
        Payload::Snapshot { snapshot } => {
            out.set_msg_type(MessageType::MsgSnapshot);
            out.set_snapshot(snapshot_to_raft(snapshot));
        }
    }
    out
}

fn payload_from_raft(m: &eraftpb::Message) -> Result<Payload, String> {
    Ok(match m.get_msg_type() {
        MessageType::MsgRequestVote | MessageType::MsgRequestPreVote => Payload::RequestVote {
            pre: m.get_msg_type() == MessageType::MsgRequestPreVote,
            last_log_index: m.index,
            last_log_term: m.log_term,
            commit: m.commit,
            commit_term: m.commit_term,
        },
        MessageType::MsgRequestVoteResponse | MessageType::MsgRequestPreVoteResponse => {
            Payload::RequestVoteResponse {
                pre: m.get_msg_type() == MessageType::MsgRequestPreVoteResponse,
                reject: m.reject,
                commit: m.commit,
                commit_term: m.commit_term,
            }
        }
        MessageType::MsgAppend => Payload::AppendEntries {
            prev_log_index: m.index,
            prev_log_term: m.log_term,
            entries: m
                .entries
                .iter()
                .map(entry_from_raft)
                .collect::<Result<_, _>>()?,
            commit: m.commit,
        },
        MessageType::MsgAppendResponse => Payload::AppendEntriesResponse(AppendAnswer {
            reject: m.reject,
            index: m.index,
            reject_hint: m.reject_hint,
            hint_term: m.log_term,
            commit: m.commit,
        }),
        MessageType::MsgHeartbeat => Payload::Heartbeat { commit: m.commit },
        MessageType::MsgHeartbeatResponse => Payload::HeartbeatResponse { commit: m.commit },
        MessageType::MsgPropose => match m.entries.as_slice() {
            [e] => match data_to_value(e.get_data())? {
                Some(value) => Payload::Propose { value },
                None => return Err("a MsgPropose with an empty entry".into()),
            },
            es => return Err(format!("a MsgPropose with {} entries", es.len())),
        },
        MessageType::MsgSnapshot => Payload::Snapshot {
            snapshot: snapshot_from_raft(m.get_snapshot())?.into(),
        },
        other => {
            return Err(format!(
                "raft-rs sent {other:?}, a message type the spec does not model"
            ))
        }
    })
}

/// Translates a message raft-rs emitted, refusing anything the translation would lose.
pub fn message_from_raft(m: &eraftpb::Message) -> Result<Message, AdapterError> {
    let translated = Message {
        from: m.from,
        to: m.to,
        term: m.term,
        payload: payload_from_raft(m).map_err(AdapterError::Unmodelled)?,
    };
    if message_to_raft(&translated) != sorted_conf_state(m) {
        return Err(AdapterError::Unmodelled(format!(
            "raft-rs message {m:?} sets fields the spec does not model"
        )));
    }
    Ok(translated)
}

/// `m` with the lists of its snapshot's `ConfState` in ascending order: raft-rs builds them from
/// hash sets, so their order carries no meaning.
fn sorted_conf_state(m: &eraftpb::Message) -> eraftpb::Message {
    let mut m = m.clone();
    if m.get_msg_type() == MessageType::MsgSnapshot {
        let cs = m.mut_snapshot().mut_metadata().mut_conf_state();
        cs.voters.sort_unstable();
        cs.voters_outgoing.sort_unstable();
        cs.learners.sort_unstable();
        cs.learners_next.sort_unstable();
    }
    m
}

/// A raft-rs role in spec terms. (`PreCandidate` with pre-vote off would be a state mismatch
/// against the spec, which then has no pre-candidates.)
pub fn role_from_raft(role: raft::StateRole) -> Result<Role, AdapterError> {
    Ok(match role {
        raft::StateRole::Follower => Role::Follower,
        raft::StateRole::PreCandidate => Role::PreCandidate,
        raft::StateRole::Candidate => Role::Candidate,
        raft::StateRole::Leader => Role::Leader,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_kinds() -> Vec<Message> {
        let payloads = vec![
            Payload::RequestVote {
                pre: false,
                last_log_index: 2,
                last_log_term: 1,
                commit: 1,
                commit_term: 1,
            },
            Payload::RequestVoteResponse {
                pre: false,
                reject: true,
                commit: 1,
                commit_term: 1,
            },
            Payload::RequestVote {
                pre: true,
                last_log_index: 2,
                last_log_term: 1,
                commit: 1,
                commit_term: 1,
            },
            Payload::RequestVoteResponse {
                pre: true,
                reject: true,
                commit: 1,
                commit_term: 1,
            },
            Payload::AppendEntries {
                prev_log_index: 1,
                prev_log_term: 1,
                entries: vec![Entry::empty(2), Entry::value(2, 7)],
                commit: 1,
            },
            Payload::AppendEntriesResponse(AppendAnswer::rejection(3, (1, 1), 1)),
            Payload::Heartbeat { commit: 1 },
            Payload::HeartbeatResponse { commit: 1 },
        ];
        let mut messages: Vec<Message> = payloads
            .into_iter()
            .map(|payload| Message {
                from: 1,
                to: 2,
                term: 2,
                payload,
            })
            .collect();
        messages.push(Message {
            from: 3,
            to: 1,
            term: 0,
            payload: Payload::Propose { value: 1 },
        });
        messages
    }

    #[test]
    fn every_kind_round_trips() {
        for m in all_kinds() {
            let raft = message_to_raft(&m);
            assert_eq!(message_from_raft(&raft), Ok(m));
        }
    }

    #[test]
    fn unmodelled_fields_are_refused() {
        let mut raft = message_to_raft(&all_kinds()[0]);
        raft.request_snapshot = 5;
        assert!(matches!(
            message_from_raft(&raft),
            Err(AdapterError::Unmodelled(_))
        ));
        let mut raft = message_to_raft(&all_kinds()[4]);
        raft.entries[1].index = 9; // not contiguous after prev_log_index
        assert!(matches!(
            message_from_raft(&raft),
            Err(AdapterError::Unmodelled(_))
        ));
    }

    #[test]
    fn unmodelled_types_are_refused() {
        let mut raft = eraftpb::Message::default();
        raft.set_msg_type(MessageType::MsgTimeoutNow);
        let err = message_from_raft(&raft).unwrap_err();
        assert!(err.to_string().contains("MsgTimeoutNow"), "{err}");
    }

    #[test]
    fn values_and_empty_entries() {
        assert_eq!(data_to_value(&[]), Ok(None));
        assert_eq!(data_to_value(&value_to_data(42)), Ok(Some(42)));
        assert!(data_to_value(b"abc").is_err());
    }
}
