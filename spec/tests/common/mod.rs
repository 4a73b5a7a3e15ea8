//! Helpers shared by the spec's behavioural tests.

// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use raftcheck_spec::{ClusterState, Input, Message, NodeId, Output, Payload, RaftModel, Term};

/// Applies `input` after checking that the model offers it, and posts the messages it sent.
pub fn step(model: &RaftModel, state: &ClusterState, input: Input) -> (ClusterState, Vec<Output>) {
    if let Err(e) = model.check_enabled(state, &input) {
        panic!("{input} is not enabled: {e}");
    }
    assert!(
        model.inputs(state).contains(&input),
        "check_enabled accepted {input} but inputs() does not offer it"
    );
    let t = model.apply(state, &input);
    let mut next = t.state;
    RaftModel::post_outputs(&mut next, &t.outputs);
    (next, t.outputs)
}

/// Puts `m` in flight (unless it already is) and delivers it.
pub fn deliver(
    model: &RaftModel,
    state: &ClusterState,
    m: &Message,
) -> (ClusterState, Vec<Output>) {
    let mut s = state.clone();
    if !s.in_flight(m) {
        s.post(m.clone());
    }
    step(model, &s, Input::Receive { message: m.clone() })
}

/// The messages among `outputs`, in order.
pub fn sends(outputs: &[Output]) -> Vec<Message> {
    outputs.iter().filter_map(Output::sent).cloned().collect()
}

/// A message.
pub fn msg(from: NodeId, to: NodeId, term: Term, payload: Payload) -> Message {
    Message {
        from,
        to,
        term,
        payload,
    }
}
