//! Matching what a log says against what the spec says. A logged message or state names only
//! the fields the implementation knows; a field left out matches anything.

use std::collections::BTreeMap;

use raftcheck_format::eventlog::{LogEntry, LogMessage, LogValue, MessageType};
use raftcheck_spec::{Entry, Message, NodeState, Payload, Value};

/// True when two logged messages may be the same message: the same type, and equal in every
/// field both know.
pub fn compatible(a: &LogMessage, b: &LogMessage) -> bool {
    fn same<T: PartialEq>(x: &Option<T>, y: &Option<T>) -> bool {
        match (x, y) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        }
    }
    a.kind == b.kind
        && same(&a.from, &b.from)
        && same(&a.to, &b.to)
        && same(&a.term, &b.term)
        && same(&a.pre, &b.pre)
        && same(&a.last_log_index, &b.last_log_index)
        && same(&a.last_log_term, &b.last_log_term)
        && same(&a.reject, &b.reject)
        && same(&a.prev_log_index, &b.prev_log_index)
        && same(&a.prev_log_term, &b.prev_log_term)
        && same(&a.entries, &b.entries)
        && same(&a.commit, &b.commit)
        && same(&a.commit_term, &b.commit_term)
        && same(&a.index, &b.index)
        && same(&a.reject_hint, &b.reject_hint)
        && same(&a.hint_term, &b.hint_term)
        && same(&a.value, &b.value)
}

/// True when the logged message `logged` (values already numbered as the spec numbers them) may
/// be the spec message `m`.
pub fn matches_spec(logged: &LogMessage, m: &Message) -> bool {
    match LogMessage::from_spec(m) {
        Some(full) => compatible(logged, &full),
        None => false,
    }
}

/// The implementation's client values, numbered `1, 2, ...` in the order validation first meets
/// them.
#[derive(Clone, Debug, Default)]
pub struct Values {
    numbers: BTreeMap<LogValue, Value>,
    names: Vec<LogValue>,
}

impl Values {
    /// The spec number of `v`, numbering it if it is new.
    pub fn number(&mut self, v: &LogValue) -> Value {
        if let Some(n) = self.numbers.get(v) {
            return *n;
        }
        self.names.push(v.clone());
        let n = self.names.len() as Value;
        self.numbers.insert(v.clone(), n);
        n
    }

    /// The implementation's value numbered `n`, for messages.
    pub fn name(&self, n: Value) -> String {
        match self.names.get((n as usize).wrapping_sub(1)) {
            Some(v) => v.to_string(),
            None => format!("v{n}"),
        }
    }

    /// Numbers every value in `entries`.
    pub fn entries(&mut self, entries: &mut [LogEntry]) {
        for e in entries {
            if let Some(v) = &e.value {
                e.value = Some(LogValue::Number(self.number(v)));
            }
        }
    }

    /// Numbers every value in a message.
    pub fn message(&mut self, m: &mut LogMessage) {
        if let Some(entries) = &mut m.entries {
            self.entries(entries);
        }
        if let Some(v) = &m.value {
            m.value = Some(LogValue::Number(self.number(v)));
        }
    }
}

/// A numbered value as the spec's.
pub fn spec_value(v: &LogValue) -> Option<Value> {
    match v {
        LogValue::Number(n) => Some(*n),
        LogValue::Text(_) => None,
    }
}

/// A logged entry (values numbered) as the spec's.
pub fn spec_entry(e: &LogEntry) -> Entry {
    match e.value.as_ref().and_then(spec_value) {
        Some(v) => Entry::value(e.term, v),
        None => Entry::empty(e.term),
    }
}

/// The whole spec message a node sends of its own accord, from what the log knows of it: the
/// fields it left out are taken from the sender's state (its term, its commit index, the term
/// of its entry at the previous index, no entries). `None` for the kinds nodes never send of
/// their own accord in the spec, and when what is known cannot make a message (an append with
/// no previous index).
pub fn complete(logged: &LogMessage, sender: &NodeState) -> Option<Message> {
    let payload = match logged.kind {
        MessageType::AppendEntries => {
            let prev_log_index = logged.prev_log_index?;
            Payload::AppendEntries {
                prev_log_index,
                prev_log_term: logged
                    .prev_log_term
                    .or_else(|| sender.term_at(prev_log_index))
                    .unwrap_or(0),
                entries: logged
                    .entries
                    .as_ref()
                    .map(|es| es.iter().map(spec_entry).collect())
                    .unwrap_or_default(),
                commit: logged.commit.unwrap_or(sender.commit),
            }
        }
        MessageType::Heartbeat => Payload::Heartbeat {
            commit: logged.commit.unwrap_or(sender.commit),
        },
        _ => return None,
    };
    Some(Message {
        from: sender.id,
        to: logged.to?,
        term: logged.term.unwrap_or(sender.term),
        payload,
    })
}

/// A short text for a logged message, as in trace text.
pub fn describe(m: &LogMessage) -> String {
    serde_json::to_string(m).unwrap_or_else(|_| format!("{:?}", m.kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote_request(term: Option<u64>, last: Option<u64>) -> LogMessage {
        let mut m = LogMessage::new(MessageType::RequestVote);
        m.term = term;
        m.last_log_index = last;
        m
    }

    #[test]
    fn unknown_fields_match_anything_known_ones_must_agree() {
        let full = vote_request(Some(2), Some(5));
        assert!(compatible(&vote_request(None, None), &full));
        assert!(compatible(&vote_request(Some(2), None), &full));
        assert!(!compatible(&vote_request(Some(3), None), &full));
        assert!(!compatible(&LogMessage::new(MessageType::Heartbeat), &full));
    }

    #[test]
    fn a_logged_message_matches_the_spec_message_it_stands_for() {
        let m = Message {
            from: 1,
            to: 2,
            term: 2,
            payload: Payload::vote_request(false, 5, 1),
        };
        let mut logged = vote_request(Some(2), Some(5));
        logged.to = Some(2);
        assert!(matches_spec(&logged, &m));
        logged.last_log_term = Some(2);
        assert!(!matches_spec(&logged, &m));
    }

    #[test]
    fn values_are_numbered_in_order_of_first_sight() {
        let mut values = Values::default();
        assert_eq!(values.number(&LogValue::Text("b".into())), 1);
        assert_eq!(values.number(&LogValue::Number(7)), 2);
        assert_eq!(values.number(&LogValue::Text("b".into())), 1);
        assert_eq!(values.name(2), "7");
        assert_eq!(values.name(1), "\"b\"");
    }
}
