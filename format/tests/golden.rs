//! Golden bytes of format v1: every input, output and message kind, entries, node views, the
//! trace event, and the flavours and bounds that traces and the handshake carry verbatim. Each
//! case goes both ways: the spec value written through v1 gives exactly these bytes, and these
//! bytes read through v1 give back the spec value. A refactor of the spec that would move a
//! byte on the wire or in a trace file fails here.

use raftcheck_format::v1;
use raftcheck_spec::{
    AppendAnswer, Bounds, Change, ChangeOp, ClusterView, ConfChange, Configuration, Entry, Flavour,
    Input, JointConfig, MajorityConfig, Message, NodeView, Output, Payload, Role, Snapshot,
};

/// Writes the spec value `value` through its v1 form `V`, checks the bytes, reads them back
/// through `V`, checks the value.
fn golden<T, V>(value: T, json: &str)
where
    V: for<'a> From<&'a T> + serde::Serialize + serde::de::DeserializeOwned,
    T: From<V> + PartialEq + std::fmt::Debug,
{
    let written = serde_json::to_string(&V::from(&value)).unwrap();
    assert_eq!(written, json);
    let read: V = serde_json::from_str(json).unwrap();
    assert_eq!(T::from(read), value, "{json}");
}

fn golden_input(value: Input, json: &str) {
    golden::<_, v1::Input>(value, json);
}

fn golden_output(value: Output, json: &str) {
    golden::<_, v1::Output>(value, json);
}

fn golden_message(value: Message, json: &str) {
    golden::<_, v1::Message>(value, json);
}

fn msg(from: u64, to: u64, term: u64, payload: Payload) -> Message {
    Message {
        from,
        to,
        term,
        payload,
    }
}

fn vote_request(pre: bool) -> Payload {
    Payload::RequestVote {
        pre,
        last_log_index: 2,
        last_log_term: 1,
        commit: 1,
        commit_term: 1,
    }
}

fn vote_answer(pre: bool, reject: bool) -> Payload {
    Payload::RequestVoteResponse {
        pre,
        reject,
        commit: 1,
        commit_term: 1,
    }
}

#[test]
fn every_message_kind() {
    let cases = [
        (
            msg(1, 2, 3, vote_request(false)),
            r#"{"from":1,"to":2,"term":3,"type":"RequestVote","last_log_index":2,"last_log_term":1,"commit":1,"commit_term":1}"#,
        ),
        (
            msg(2, 1, 3, vote_answer(false, true)),
            r#"{"from":2,"to":1,"term":3,"type":"RequestVoteResponse","reject":true,"commit":1,"commit_term":1}"#,
        ),
        (
            msg(1, 2, 3, vote_request(true)),
            r#"{"from":1,"to":2,"term":3,"type":"RequestPreVote","last_log_index":2,"last_log_term":1,"commit":1,"commit_term":1}"#,
        ),
        (
            msg(2, 1, 3, vote_answer(true, false)),
            r#"{"from":2,"to":1,"term":3,"type":"RequestPreVoteResponse","reject":false,"commit":1,"commit_term":1}"#,
        ),
        (
            msg(
                1,
                3,
                2,
                Payload::AppendEntries {
                    prev_log_index: 1,
                    prev_log_term: 1,
                    entries: vec![Entry::empty(2), Entry::value(2, 7)],
                    commit: 1,
                },
            ),
            r#"{"from":1,"to":3,"term":2,"type":"AppendEntries","prev_log_index":1,"prev_log_term":1,"entries":[{"term":2},{"term":2,"value":7}],"commit":1}"#,
        ),
        (
            msg(
                3,
                1,
                2,
                Payload::AppendEntriesResponse(AppendAnswer::rejection(3, (1, 1), 1)),
            ),
            r#"{"from":3,"to":1,"term":2,"type":"AppendEntriesResponse","reject":true,"index":3,"reject_hint":1,"hint_term":1,"commit":1}"#,
        ),
        (
            msg(1, 2, 2, Payload::Heartbeat { commit: 1 }),
            r#"{"from":1,"to":2,"term":2,"type":"Heartbeat","commit":1}"#,
        ),
        (
            msg(2, 1, 2, Payload::HeartbeatResponse { commit: 1 }),
            r#"{"from":2,"to":1,"term":2,"type":"HeartbeatResponse","commit":1}"#,
        ),
        (
            msg(3, 1, 0, Payload::Propose { value: 4 }),
            r#"{"from":3,"to":1,"term":0,"type":"Propose","value":4}"#,
        ),
    ];
    for (m, json) in cases {
        golden_message(m, json);
    }
}

#[test]
fn fields_a_flavour_does_not_use_may_be_omitted() {
    let cases = [
        (
            r#"{"from":1,"to":2,"term":1,"type":"RequestPreVote","last_log_index":0,"last_log_term":0}"#,
            Payload::RequestVote {
                pre: true,
                last_log_index: 0,
                last_log_term: 0,
                commit: 0,
                commit_term: 0,
            },
        ),
        (
            r#"{"from":1,"to":2,"term":1,"type":"RequestVoteResponse","reject":false}"#,
            Payload::RequestVoteResponse {
                pre: false,
                reject: false,
                commit: 0,
                commit_term: 0,
            },
        ),
        (
            r#"{"from":1,"to":2,"term":1,"type":"AppendEntriesResponse","reject":false,"index":2}"#,
            Payload::AppendEntriesResponse(AppendAnswer::ack(2, 0)),
        ),
        (
            r#"{"from":1,"to":2,"term":1,"type":"HeartbeatResponse"}"#,
            Payload::HeartbeatResponse { commit: 0 },
        ),
    ];
    for (json, payload) in cases {
        let read: v1::Message = serde_json::from_str(json).unwrap();
        assert_eq!(Message::from(read), msg(1, 2, 1, payload), "{json}");
    }
    // An unknown kind is refused by name.
    let err = serde_json::from_str::<v1::Message>(
        r#"{"from":1,"to":2,"term":1,"type":"InstallSnapshot"}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("InstallSnapshot"), "{err}");
}

/// An input kind that carries a message.
type Carrying = fn(Message) -> Input;

#[test]
fn every_input() {
    let naming_nodes = [
        (
            Input::Timeout { node: 1 },
            r#"{"input":"timeout","node":1}"#,
        ),
        (
            Input::Restart { node: 2 },
            r#"{"input":"restart","node":2}"#,
        ),
        (
            Input::ClientRequest { node: 3, value: 1 },
            r#"{"input":"client_request","node":3,"value":1}"#,
        ),
        (
            Input::Heartbeat { node: 1 },
            r#"{"input":"heartbeat","node":1}"#,
        ),
    ];
    for (input, json) in naming_nodes {
        golden_input(input, json);
    }
    // The inputs carrying a message hold its own v1 form.
    let m = msg(1, 2, 1, Payload::Heartbeat { commit: 0 });
    let mj = r#"{"from":1,"to":2,"term":1,"type":"Heartbeat","commit":0}"#;
    let carrying: [(Carrying, &str); 3] = [
        (|message| Input::Receive { message }, "receive"),
        (|message| Input::Drop { message }, "drop"),
        (|message| Input::Duplicate { message }, "duplicate"),
    ];
    for (input, name) in carrying {
        golden_input(
            input(m.clone()),
            &format!(r#"{{"input":"{name}","message":{mj}}}"#),
        );
    }
}

#[test]
fn every_output() {
    golden_output(
        Output::Send {
            message: msg(1, 2, 1, vote_request(false)),
        },
        r#"{"output":"send","message":{"from":1,"to":2,"term":1,"type":"RequestVote","last_log_index":2,"last_log_term":1,"commit":1,"commit_term":1}}"#,
    );
    golden_output(
        Output::BecomeLeader { node: 1, term: 2 },
        r#"{"output":"become_leader","node":1,"term":2}"#,
    );
    golden_output(
        Output::ProposalDropped { node: 3, value: 1 },
        r#"{"output":"proposal_dropped","node":3,"value":1}"#,
    );
}

#[test]
fn observed_views() {
    let roles = [
        (Role::Follower, "Follower"),
        (Role::PreCandidate, "PreCandidate"),
        (Role::Candidate, "Candidate"),
        (Role::Leader, "Leader"),
    ];
    for (role, name) in roles {
        let view = ClusterView {
            nodes: vec![
                NodeView {
                    term: 2,
                    role,
                    vote: Some(1),
                    leader: None,
                    log: vec![Entry::empty(1), Entry::value(2, 5)],
                    commit: 1,
                    applied: 1,
                    ..NodeView::fresh(Configuration::with_voters([1, 2, 3]))
                },
                NodeView {
                    term: 0,
                    role: Role::Follower,
                    vote: None,
                    leader: Some(3),
                    log: vec![],
                    commit: 0,
                    ..NodeView::fresh(Configuration::with_voters([1, 2, 3]))
                },
            ],
        };
        let json = format!(
            r#"{{"nodes":[{{"term":2,"role":"{name}","vote":1,"leader":null,"log":[{{"term":1}},{{"term":2,"value":5}}],"commit":1,"config":{{"voters":[1,2,3]}},"applied":1,"state_machine":[]}},{{"term":0,"role":"Follower","vote":null,"leader":3,"log":[],"commit":0,"config":{{"voters":[1,2,3]}},"applied":0,"state_machine":[]}}]}}"#
        );
        assert_eq!(
            serde_json::to_string(&v1::ClusterView::from(&view)).unwrap(),
            json
        );
        let read: v1::ClusterView = serde_json::from_str(&json).unwrap();
        assert_eq!(ClusterView::from(read), view);
    }
}

/// A child without the `membership` and `snapshots` features reports views as before those
/// features: the configuration is left out (the process adapter puts the initial one in its
/// place), the applied index is the commit index, the state machine the committed values.
#[test]
fn views_without_membership_fields() {
    let json = r#"{"term":2,"role":"Leader","vote":1,"leader":1,"log":[{"term":1},{"term":2,"value":5}],"commit":2}"#;
    let read: v1::NodeView = serde_json::from_str(json).unwrap();
    let view = NodeView::from(read);
    assert_eq!(view.config, Configuration::default());
    assert_eq!((view.applied, view.state_machine), (2, vec![5]));
}

/// Membership and snapshots in v1: a configuration-change entry, a snapshot message and a
/// compacted view.
#[test]
fn membership_and_snapshots() {
    let joint = ConfChange::Joint {
        changes: vec![
            Change {
                op: ChangeOp::AddVoter,
                node: 4,
            },
            Change {
                op: ChangeOp::Remove,
                node: 1,
            },
        ],
        auto_leave: true,
    };
    golden_input(
        Input::ProposeConfChange {
            node: 1,
            change: joint.clone(),
        },
        r#"{"input":"propose_conf_change","node":1,"change":{"kind":"joint","changes":[{"op":"add-voter","node":4},{"op":"remove","node":1}],"auto_leave":true}}"#,
    );
    golden_input(
        Input::Compact { node: 2 },
        r#"{"input":"compact","node":2}"#,
    );
    let append = msg(
        1,
        2,
        2,
        Payload::AppendEntries {
            prev_log_index: 1,
            prev_log_term: 1,
            entries: vec![
                Entry::conf(2, joint),
                Entry::conf(2, ConfChange::Leave),
                Entry::conf(
                    2,
                    ConfChange::Single {
                        change: Change {
                            op: ChangeOp::AddLearner,
                            node: 5,
                        },
                    },
                ),
            ],
            commit: 1,
        },
    );
    golden_message(
        append,
        r#"{"from":1,"to":2,"term":2,"type":"AppendEntries","prev_log_index":1,"prev_log_term":1,"entries":[{"term":2,"conf":{"kind":"joint","changes":[{"op":"add-voter","node":4},{"op":"remove","node":1}],"auto_leave":true}},{"term":2,"conf":{"kind":"leave"}},{"term":2,"conf":{"kind":"single","change":{"op":"add-learner","node":5}}}],"commit":1}"#,
    );
    let config = Configuration {
        voters: JointConfig {
            incoming: MajorityConfig::new([2, 3, 4]),
            outgoing: MajorityConfig::new([1, 2, 3]),
        },
        learners: [5].into(),
        learners_next: [1].into(),
        auto_leave: true,
    };
    let snapshot = msg(
        1,
        4,
        2,
        Payload::Snapshot {
            snapshot: std::sync::Arc::new(Snapshot {
                index: 3,
                term: 2,
                config: config.clone(),
                values: vec![1, 2],
            }),
        },
    );
    golden_message(
        snapshot,
        r#"{"from":1,"to":4,"term":2,"type":"Snapshot","snapshot":{"index":3,"term":2,"conf_state":{"voters":[2,3,4],"voters_outgoing":[1,2,3],"learners":[5],"learners_next":[1],"auto_leave":true},"values":[1,2]}}"#,
    );
    let view = NodeView {
        term: 2,
        log: vec![Entry::value(2, 3)],
        commit: 4,
        applied: 4,
        snapshot_index: 3,
        snapshot_term: 2,
        state_machine: vec![1, 2, 3],
        ..NodeView::fresh(config)
    };
    let json = r#"{"term":2,"role":"Follower","vote":null,"leader":null,"log":[{"term":2,"value":3}],"commit":4,"snapshot_index":3,"snapshot_term":2,"config":{"voters":[2,3,4],"voters_outgoing":[1,2,3],"learners":[5],"learners_next":[1],"auto_leave":true},"applied":4,"state_machine":[1,2,3]}"#;
    assert_eq!(
        serde_json::to_string(&v1::NodeView::from(&view)).unwrap(),
        json
    );
    let read: v1::NodeView = serde_json::from_str(json).unwrap();
    assert_eq!(NodeView::from(read), view);
}

#[test]
fn trace_events() {
    let input = Input::Timeout { node: 1 };
    let outputs = [Output::BecomeLeader { node: 1, term: 1 }];
    let event = v1::Event::from_spec(Some(&input), None, &outputs);
    let json = r#"{"input":{"input":"timeout","node":1},"outputs":[{"output":"become_leader","node":1,"term":1}]}"#;
    assert_eq!(serde_json::to_string(&event).unwrap(), json);
    let read: v1::Event = serde_json::from_str(json).unwrap();
    assert_eq!(read.into_spec(), (Some(input), None, outputs.to_vec()));

    let send = msg(1, 2, 1, Payload::Heartbeat { commit: 0 });
    let event = v1::Event::from_spec(None, Some(&send), &[]);
    let json = r#"{"send":{"from":1,"to":2,"term":1,"type":"Heartbeat","commit":0},"outputs":[]}"#;
    assert_eq!(serde_json::to_string(&event).unwrap(), json);
    let read: v1::Event = serde_json::from_str(json).unwrap();
    assert_eq!(read.into_spec(), (None, Some(send), vec![]));

    // Outputs may be omitted on input; unknown fields are refused by name.
    let read: v1::Event =
        serde_json::from_str(r#"{"input":{"input":"restart","node":2}}"#).unwrap();
    assert!(read.outputs.is_empty());
    let err = serde_json::from_str::<v1::Event>(r#"{"outputs":[],"extra":1}"#).unwrap_err();
    assert!(err.to_string().contains("extra"), "{err}");
}

#[test]
fn via_modules_write_spec_fields_in_v1() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Carrier {
        #[serde(with = "raftcheck_format::v1::via::input")]
        input: Input,
        #[serde(with = "raftcheck_format::v1::via::outputs")]
        outputs: Vec<Output>,
        #[serde(with = "raftcheck_format::v1::via::node_views")]
        nodes: Vec<NodeView>,
    }
    let c = Carrier {
        input: Input::Receive {
            message: msg(2, 1, 1, vote_answer(true, false)),
        },
        outputs: vec![Output::Send {
            message: msg(1, 2, 2, vote_request(false)),
        }],
        nodes: vec![NodeView {
            term: 1,
            role: Role::PreCandidate,
            ..NodeView::fresh(Configuration::with_voters([1]))
        }],
    };
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(
        json,
        r#"{"input":{"input":"receive","message":{"from":2,"to":1,"term":1,"type":"RequestPreVoteResponse","reject":false,"commit":1,"commit_term":1}},"outputs":[{"output":"send","message":{"from":1,"to":2,"term":2,"type":"RequestVote","last_log_index":2,"last_log_term":1,"commit":1,"commit_term":1}}],"nodes":[{"term":1,"role":"PreCandidate","vote":null,"leader":null,"log":[],"commit":0,"config":{"voters":[1]},"applied":0,"state_machine":[]}]}"#
    );
    assert_eq!(serde_json::from_str::<Carrier>(&json).unwrap(), c);
}

/// Flavours and bounds are spec types written verbatim (see the crate documentation): their
/// bytes are pinned here instead.
#[test]
fn flavours_and_bounds() {
    let cases = [
        (
            Flavour::raft_rs(),
            r#"{"name":"raft-rs","leader_appends_empty_entry":true,"vote_carries_commit":true,"reject_hint":"conflict-by-term","responses_carry_commit":true,"restart_keeps_commit":true,"heartbeat_input":true,"appends_follow_on":true}"#,
        ),
        (
            Flavour::raft_rs().with_pre_vote(true),
            r#"{"name":"raft-rs","leader_appends_empty_entry":true,"vote_carries_commit":true,"reject_hint":"conflict-by-term","responses_carry_commit":true,"restart_keeps_commit":true,"heartbeat_input":true,"pre_vote":true,"appends_follow_on":true}"#,
        ),
        (
            Flavour::etcd(),
            r#"{"name":"etcd","leader_appends_empty_entry":true,"vote_carries_commit":false,"reject_hint":"last-index","responses_carry_commit":false,"restart_keeps_commit":true,"heartbeat_input":true,"auto_leave_needs_apply":true,"snapshot_ignores_outgoing":true,"forward_as_self":true,"appends_follow_on":true}"#,
        ),
        (
            Flavour::etcd().with_pre_vote(true),
            r#"{"name":"etcd","leader_appends_empty_entry":true,"vote_carries_commit":false,"reject_hint":"last-index","responses_carry_commit":false,"restart_keeps_commit":true,"heartbeat_input":true,"pre_vote":true,"auto_leave_needs_apply":true,"snapshot_ignores_outgoing":true,"forward_as_self":true,"appends_follow_on":true}"#,
        ),
        (
            Flavour::textbook(),
            r#"{"name":"textbook","leader_appends_empty_entry":false,"vote_carries_commit":false,"reject_hint":"last-index","responses_carry_commit":false,"restart_keeps_commit":false,"heartbeat_input":false}"#,
        ),
    ];
    for (flavour, json) in cases {
        assert_eq!(serde_json::to_string(&flavour).unwrap(), json);
        assert_eq!(serde_json::from_str::<Flavour>(json).unwrap(), flavour);
    }
    // A trace written before `appends_follow_on` existed still reads, without the rule.
    let before = r#"{"name":"raft-rs","leader_appends_empty_entry":true,"vote_carries_commit":true,"reject_hint":"conflict-by-term","responses_carry_commit":true,"restart_keeps_commit":true,"heartbeat_input":true}"#;
    let read = serde_json::from_str::<Flavour>(before).unwrap();
    assert!(!read.appends_follow_on);
    assert_eq!(
        read,
        Flavour {
            appends_follow_on: false,
            ..Flavour::raft_rs()
        }
    );
    let json = r#"{"nodes":3,"max_term":3,"values":1,"restarts":1,"heartbeats":1,"drops":0,"duplicates":0,"max_in_flight":4,"depth":12,"conf_changes":0,"spares":0,"snapshots":0,"joint":false}"#;
    assert_eq!(serde_json::to_string(&Bounds::default()).unwrap(), json);
    assert_eq!(
        serde_json::from_str::<Bounds>(json).unwrap(),
        Bounds::default()
    );
    // Bounds written before membership and snapshots read as those bounds off.
    let before = r#"{"nodes":3,"max_term":3,"values":1,"restarts":1,"heartbeats":1,"drops":0,"duplicates":0,"max_in_flight":4,"depth":12}"#;
    assert_eq!(
        serde_json::from_str::<Bounds>(before).unwrap(),
        Bounds::default()
    );
}
