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
//!
//! `to`, `from` and `term` map one to one. Entries: `EntryNormal` only; empty `data` is the
//! empty leader entry (`value: None`), otherwise `data` is the client value as 8 big-endian
//! bytes; an entry's `index` is implied by its position after `prev_log_index`.

use raft::eraftpb::{self, EntryType, MessageType};
use raftcheck_spec::{Entry, Message, Payload, Role, Value};

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

/// A raft-rs log entry in spec terms.
pub fn entry_from_raft(e: &eraftpb::Entry) -> Result<Entry, String> {
    if e.get_entry_type() != EntryType::EntryNormal {
        return Err(format!(
            "entry {} has type {:?}; the spec models normal entries only",
            e.index,
            e.get_entry_type()
        ));
    }
    Ok(Entry {
        term: e.term,
        value: data_to_value(e.get_data())?,
    })
}

fn entry_to_raft(e: &Entry, index: u64) -> eraftpb::Entry {
    let mut out = eraftpb::Entry::default();
    out.set_entry_type(EntryType::EntryNormal);
    out.term = e.term;
    out.index = index;
    if let Some(v) = e.value {
        out.data = value_to_data(v).into();
    }
    out
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
            out.set_msg_type(if *pre {
                MessageType::MsgRequestPreVote
            } else {
                MessageType::MsgRequestVote
            });
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
            out.set_msg_type(if *pre {
                MessageType::MsgRequestPreVoteResponse
            } else {
                MessageType::MsgRequestVoteResponse
            });
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
        Payload::AppendEntriesResponse {
            reject,
            index,
            reject_hint,
            hint_term,
            commit,
        } => {
            out.set_msg_type(MessageType::MsgAppendResponse);
            out.reject = *reject;
            out.index = *index;
            out.reject_hint = *reject_hint;
            out.log_term = *hint_term;
            out.commit = *commit;
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
        MessageType::MsgAppendResponse => Payload::AppendEntriesResponse {
            reject: m.reject,
            index: m.index,
            reject_hint: m.reject_hint,
            hint_term: m.log_term,
            commit: m.commit,
        },
        MessageType::MsgHeartbeat => Payload::Heartbeat { commit: m.commit },
        MessageType::MsgHeartbeatResponse => Payload::HeartbeatResponse { commit: m.commit },
        MessageType::MsgPropose => match m.entries.as_slice() {
            [e] => match data_to_value(e.get_data())? {
                Some(value) => Payload::Propose { value },
                None => return Err("a MsgPropose with an empty entry".into()),
            },
            es => return Err(format!("a MsgPropose with {} entries", es.len())),
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
    if message_to_raft(&translated) != *m {
        return Err(AdapterError::Unmodelled(format!(
            "raft-rs message {m:?} sets fields the spec does not model"
        )));
    }
    Ok(translated)
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
            Payload::AppendEntriesResponse {
                reject: true,
                index: 3,
                reject_hint: 1,
                hint_term: 1,
                commit: 1,
            },
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
