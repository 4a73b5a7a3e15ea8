//! The transport seam of a raft-rs node: how an incoming message reaches `RawNode::step`, and
//! where the messages the `Ready` loop takes go.
//!
//! The honest transport is [`Direct`]: incoming messages are stepped as they arrived, outgoing
//! ones leave as raft-rs addressed them, and those raft-rs hands out as *persisted* messages
//! (votes, append acknowledgements) wait for the write they depend on. Outgoing messages land in
//! the node's [`Outbox`], which the adapter empties into the engine's network after every input;
//! nothing is delivered behind the checker's back. The injected message bugs
//! ([`super::bugs`]) are wrappers around [`Direct`].

use raft::eraftpb::Message;

/// How a node's messages come in and go out.
pub(crate) trait Transport: Send {
    /// An incoming message as the node will step it (`None`: the transport swallows it and
    /// the node never sees it); `term` is the node's current term.
    fn deliver(&self, m: Message, term: u64) -> Option<Message>;

    /// Hands an outgoing message to the network.
    fn send(&self, m: Message, outbox: &mut Outbox);

    /// Hands over messages that may leave only once the writes of `Ready` number `ready` are
    /// durable (raft-rs's persisted messages).
    fn send_after_persist(&self, ready: u64, messages: Vec<Message>, outbox: &mut Outbox);
}

/// The honest transport.
pub(crate) struct Direct;

impl Transport for Direct {
    fn deliver(&self, m: Message, _term: u64) -> Option<Message> {
        Some(m)
    }

    fn send(&self, m: Message, outbox: &mut Outbox) {
        outbox.sent.push(m);
    }

    fn send_after_persist(&self, ready: u64, messages: Vec<Message>, outbox: &mut Outbox) {
        outbox.hold(ready, messages);
    }
}

/// A node's outgoing messages: those sent and not yet collected, in sending order, and those
/// waiting for a write to become durable.
#[derive(Default)]
pub(crate) struct Outbox {
    sent: Vec<Message>,
    /// Messages by the `Ready` whose writes they wait for, oldest first.
    waiting: Vec<(u64, Vec<Message>)>,
}

impl Outbox {
    /// Holds `messages` until the writes of `Ready` number `ready` are durable.
    fn hold(&mut self, ready: u64, messages: Vec<Message>) {
        if !messages.is_empty() {
            self.waiting.push((ready, messages));
        }
    }

    /// The writes of every `Ready` up to number `ready` are durable (raft-rs's
    /// `on_persist_ready` has the same meaning): the messages waiting for them are sent.
    pub fn persisted(&mut self, ready: u64) {
        let still_waiting = self.waiting.iter().position(|(r, _)| *r > ready);
        let done = still_waiting.unwrap_or(self.waiting.len());
        for (_, messages) in self.waiting.drain(..done) {
            self.sent.extend(messages);
        }
    }

    /// Takes the messages sent so far, in sending order.
    pub fn take_sent(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.sent)
    }

    /// The node crashed: whatever has not left is lost.
    pub fn crash(&mut self) {
        self.sent.clear();
        self.waiting.clear();
    }

    /// The messages waiting for persistence, oldest first. Hidden state: the fingerprint covers
    /// it.
    pub fn waiting(&self) -> impl Iterator<Item = &Message> {
        self.waiting.iter().flat_map(|(_, messages)| messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft::eraftpb::MessageType;

    fn vote_response(to: u64) -> Message {
        let mut m = Message::default();
        m.set_msg_type(MessageType::MsgRequestVoteResponse);
        m.to = to;
        m
    }

    #[test]
    fn persisted_messages_leave_when_their_ready_is_durable_in_order() {
        let mut outbox = Outbox::default();
        Direct.send_after_persist(1, vec![vote_response(1)], &mut outbox);
        Direct.send_after_persist(2, vec![vote_response(2)], &mut outbox);
        Direct.send(vote_response(3), &mut outbox);
        assert_eq!(outbox.waiting().count(), 2);
        let to = |ms: Vec<Message>| ms.iter().map(|m| m.to).collect::<Vec<_>>();
        outbox.persisted(1);
        assert_eq!(to(outbox.take_sent()), vec![3, 1]);
        outbox.persisted(2);
        assert_eq!(to(outbox.take_sent()), vec![2]);
        assert_eq!(outbox.waiting().count(), 0);
    }

    #[test]
    fn a_crash_loses_what_has_not_left() {
        let mut outbox = Outbox::default();
        Direct.send_after_persist(1, vec![vote_response(1)], &mut outbox);
        Direct.send(vote_response(2), &mut outbox);
        outbox.crash();
        outbox.persisted(1);
        assert!(outbox.take_sent().is_empty());
    }
}
