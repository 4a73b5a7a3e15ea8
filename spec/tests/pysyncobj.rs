//! The PySyncObj flavour's own rules (`Flavour::vote_refusals_silent`, `vote_once_per_term`,
//! `RejectHint::BeforePrevious`, `heartbeat_sends_appends`, `rejection_waits_for_timer`), each against the PySyncObj 0.3.17
//! code it mirrors (`syncobj.py`: `__onMessageReceived` for `request_vote` and
//! `append_entries`, `_onTick` for the append timer), the other flavours keeping their own
//! behaviour there, and the flavour's safety within the default bounds' reach.

mod common;

use common::{deliver, msg, sends as sent, step};
use raftcheck_spec::properties;
use raftcheck_spec::{
    AppendAnswer, Bounds, ClusterState, Entry, Flavour, Input, Mode, Output, Payload, RaftModel,
    Role,
};
use stateright::{Checker, Model};

fn model(flavour: Flavour) -> RaftModel {
    RaftModel::new(Bounds::default(), flavour, Mode::Lockstep)
}

fn append(prev: (u64, u64), entries: Vec<Entry>, commit: u64) -> Payload {
    Payload::AppendEntries {
        prev_log_index: prev.0,
        prev_log_term: prev.1,
        entries,
        commit,
    }
}

/// n1 wins term 1 with n2's vote and n2 holds its empty entry; n3 heard nothing.
fn elect_n1(model: &RaftModel) -> ClusterState {
    let s = model.initial_state();
    let (s, _) = step(model, &s, Input::Timeout { node: 1 });
    let (s, out) = deliver(model, &s, &msg(1, 2, 1, Payload::vote_request(false, 0, 0)));
    let (s, out) = deliver(model, &s, &sent(&out)[0]);
    assert!(out.contains(&Output::BecomeLeader { node: 1, term: 1 }));
    let (s, _) = deliver(
        model,
        &s,
        &msg(1, 2, 1, append((0, 0), vec![Entry::empty(1)], 0)),
    );
    s
}

#[test]
fn the_flavour_is_known_by_name() {
    assert_eq!(Flavour::by_name("pysyncobj"), Some(Flavour::pysyncobj()));
    assert!(Flavour::NAMES.contains(&"pysyncobj"));
}

#[test]
fn a_refused_vote_is_not_answered() {
    // n2 voted for n1 in term 1; n3's request of term 1 is refused with a bare `return`.
    for (flavour, answered) in [(Flavour::pysyncobj(), false), (Flavour::raft_rs(), true)] {
        let m = model(flavour);
        let s = m.initial_state();
        let (s, _) = step(&m, &s, Input::Timeout { node: 1 });
        let (s, _) = step(&m, &s, Input::Timeout { node: 3 });
        let (s, _) = deliver(&m, &s, &msg(1, 2, 1, Payload::vote_request(false, 0, 0)));
        let (_, out) = deliver(&m, &s, &msg(3, 2, 1, Payload::vote_request(false, 0, 0)));
        assert_eq!(!sent(&out).is_empty(), answered, "{out:?}");
    }
}

#[test]
fn a_repeated_request_of_the_candidate_voted_for_is_not_granted_again() {
    let request = msg(1, 2, 1, Payload::vote_request(false, 0, 0));
    for (flavour, granted_twice) in [(Flavour::pysyncobj(), false), (Flavour::raft_rs(), true)] {
        let m = model(flavour);
        let (s, _) = step(&m, &m.initial_state(), Input::Timeout { node: 1 });
        let (s, first) = deliver(&m, &s, &request);
        assert_eq!(sent(&first).len(), 1);
        let (_, second) = deliver(&m, &s, &request);
        assert_eq!(!sent(&second).is_empty(), granted_twice, "{second:?}");
    }
}

#[test]
fn a_follower_that_knows_a_leader_but_has_not_voted_grants() {
    // n3 learns term 1 from n1's append (no vote); a candidate of term 1 with a log as good as
    // its own gets its vote in PySyncObj, a refusal in raft-rs.
    for (flavour, grants) in [(Flavour::pysyncobj(), true), (Flavour::raft_rs(), false)] {
        let m = model(flavour);
        let s = elect_n1(&m);
        let (s, _) = deliver(
            &m,
            &s,
            &msg(1, 3, 1, append((0, 0), vec![Entry::empty(1)], 0)),
        );
        assert_eq!((s.node(3).leader, s.node(3).vote), (Some(1), None));
        let (_, out) = deliver(&m, &s, &msg(2, 3, 1, Payload::vote_request(false, 1, 1)));
        let granted = sent(&out).iter().any(|o| {
            matches!(
                o.payload,
                Payload::RequestVoteResponse { reject: false, .. }
            )
        });
        assert_eq!(granted, grants, "{out:?}");
    }
}

#[test]
fn a_rejection_points_one_step_back_or_past_the_last_entry() {
    let m = model(Flavour::pysyncobj());
    let s = elect_n1(&m);
    // Missing previous entry: n2 holds index 1 only, the hint is its last index.
    let (_, out) = deliver(&m, &s, &msg(1, 2, 1, append((3, 1), vec![], 0)));
    assert_eq!(
        sent(&out)[0].payload,
        Payload::AppendEntriesResponse(AppendAnswer::rejection(3, (1, 0), 0))
    );
    // A previous entry of another term: one step back from it.
    let (_, out) = deliver(&m, &s, &msg(1, 2, 1, append((1, 2), vec![], 0)));
    assert_eq!(
        sent(&out)[0].payload,
        Payload::AppendEntriesResponse(AppendAnswer::rejection(1, (0, 0), 0))
    );
}

#[test]
fn the_heartbeat_timer_requires_no_heartbeat_message() {
    let m = model(Flavour::pysyncobj());
    let s = elect_n1(&m);
    assert_eq!(s.node(1).role, Role::Leader);
    let (_, out) = step(&m, &s, Input::Heartbeat { node: 1 });
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn every_safety_property_holds_in_the_pysyncobj_flavour() {
    let checker = RaftModel::new(Bounds::default(), Flavour::pysyncobj(), Mode::SpecOnly)
        .checker()
        .target_max_depth(8)
        .spawn_bfs()
        .join();
    for name in [
        properties::ELECTION_SAFETY,
        properties::LOG_MATCHING,
        properties::LEADER_COMPLETENESS,
        properties::STATE_MACHINE_SAFETY,
        properties::COMMIT_MONOTONIC,
        properties::COMMIT_WITHIN_LOG,
    ] {
        assert!(
            checker.discovery(name).is_none(),
            "{name} violated in the pysyncobj flavour"
        );
    }
}

#[test]
fn a_rejection_is_answered_at_the_next_append_timer_not_at_once() {
    // n1 leads term 1; n3, which has nothing, rejects the append of n1's empty entry. PySyncObj
    // (`next_node_idx` with `reset`) only moves n3's next index back: no probe-backoff duty.
    // The same flavour without the field owes n3 an append at once.
    let rejection = msg(
        3,
        1,
        1,
        Payload::AppendEntriesResponse(AppendAnswer::rejection(1, (0, 0), 0)),
    );
    for (waits, owed) in [(true, 0), (false, 1)] {
        let flavour = Flavour {
            rejection_waits_for_timer: waits,
            ..Flavour::pysyncobj()
        };
        let m = model(flavour);
        let s = elect_n1(&m);
        // n3 joins term 1 (it grants n1's request), so its rejection is of the leader's term.
        let (leader, _) = deliver(&m, &s, &msg(1, 3, 1, Payload::vote_request(false, 0, 0)));
        let input = Input::Receive {
            message: rejection.clone(),
        };
        assert_eq!(m.obligations(&leader, &input).len(), owed, "waits {waits}");
    }
    assert!(Flavour::pysyncobj().rejection_waits_for_timer);
    assert!(!Flavour::raft_rs().rejection_waits_for_timer);
}
