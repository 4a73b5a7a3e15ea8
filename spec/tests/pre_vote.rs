//! The pre-vote rules (`Flavour::pre_vote`), each against the raft-rs 0.7 and etcd 3.4 code it
//! mirrors: `Raft::step`'s term handling, `campaign(CAMPAIGN_PRE_ELECTION)` and
//! `step_candidate` in raft-rs; `Step`, `campaign(campaignPreElection)` and `stepCandidate` in
//! etcd.

mod common;

use common::{deliver, msg, sends as sent, step};
use raftcheck_spec::{
    AppendAnswer, Bounds, ClusterState, Entry, Flavour, Input, Message, Mode, Output, Payload,
    RaftModel, Role,
};

fn pre_vote_model(flavour: Flavour) -> RaftModel {
    RaftModel::new(
        Bounds::default(),
        flavour.with_pre_vote(true),
        Mode::Lockstep,
    )
}

fn pre_vote(last_log_index: u64, last_log_term: u64) -> Payload {
    Payload::RequestVote {
        pre: true,
        last_log_index,
        last_log_term,
        commit: 0,
        commit_term: 0,
    }
}

fn pre_vote_answer(reject: bool) -> Payload {
    Payload::RequestVoteResponse {
        pre: true,
        reject,
        commit: 0,
        commit_term: 0,
    }
}

/// n1 times out, wins the pre-vote with n2's grant, wins the election with n2's vote: every
/// message really delivered, so n2 is at term 1 having voted for n1.
fn elect_n1(model: &RaftModel) -> ClusterState {
    let s = model.initial_state();
    let (s, _) = step(model, &s, Input::Timeout { node: 1 });
    let (s, out) = deliver(model, &s, &msg(1, 2, 1, pre_vote(0, 0)));
    let (s, _) = deliver(model, &s, &sent(&out)[0]);
    let request = Payload::RequestVote {
        pre: false,
        last_log_index: 0,
        last_log_term: 0,
        commit: 0,
        commit_term: 0,
    };
    let (s, out) = deliver(model, &s, &msg(1, 2, 1, request));
    let (s, out) = deliver(model, &s, &sent(&out)[0]);
    assert!(out.contains(&Output::BecomeLeader { node: 1, term: 1 }));
    assert_eq!((s.node(2).term, s.node(2).vote), (1, Some(1)));
    s
}

#[test]
fn a_timeout_makes_a_pre_candidate_that_keeps_its_term_and_asks_at_the_next() {
    for flavour in [Flavour::raft_rs(), Flavour::etcd()] {
        let model = pre_vote_model(flavour);
        let (s, out) = step(&model, &model.initial_state(), Input::Timeout { node: 1 });
        let n1 = s.node(1);
        assert_eq!((n1.role, n1.term, n1.vote), (Role::PreCandidate, 0, None));
        assert_eq!(
            sent(&out),
            vec![msg(1, 2, 1, pre_vote(0, 0)), msg(1, 3, 1, pre_vote(0, 0))]
        );
    }
}

#[test]
fn a_pre_vote_is_granted_at_the_request_term_and_changes_nothing_on_the_voter() {
    let model = pre_vote_model(Flavour::raft_rs());
    let (s, _) = step(&model, &model.initial_state(), Input::Timeout { node: 1 });
    let before = s.node(2).clone();
    let (s, out) = deliver(&model, &s, &msg(1, 2, 1, pre_vote(0, 0)));
    assert_eq!(sent(&out), vec![msg(2, 1, 1, pre_vote_answer(false))]);
    assert_eq!(*s.node(2), before, "no term change, no vote recorded");
}

#[test]
fn a_quorum_of_pre_votes_starts_the_real_election() {
    let model = pre_vote_model(Flavour::etcd());
    let (s, _) = step(&model, &model.initial_state(), Input::Timeout { node: 1 });
    let (s, out) = deliver(&model, &s, &msg(2, 1, 1, pre_vote_answer(false)));
    let n1 = s.node(1);
    assert_eq!((n1.role, n1.term, n1.vote), (Role::Candidate, 1, Some(1)));
    assert_eq!(sent(&out).len(), 2);
    assert!(sent(&out)
        .iter()
        .all(|m| m.term == 1 && matches!(m.payload, Payload::RequestVote { .. })));
}

#[test]
fn a_pre_vote_above_the_voters_term_is_granted_although_it_knows_a_leader() {
    let model = pre_vote_model(Flavour::raft_rs());
    let s = elect_n1(&model);
    // n3 has a log as up to date as anyone's at term 1 (empty): n2 voted for n1 and n1 leads,
    // yet a pre-vote for term 2 is granted, by the leader too.
    let (_, out) = deliver(&model, &s, &msg(3, 2, 2, pre_vote(0, 0)));
    assert_eq!(
        sent(&out),
        vec![msg(2, 3, 2, pre_vote_answer(false))],
        "granted by a voter of term 1"
    );
    let s2 = {
        let mut s = s.clone();
        s.node_mut(3).log.push(Entry::empty(1));
        s
    };
    let (after, out) = deliver(&model, &s2, &msg(3, 1, 2, pre_vote(1, 1)));
    assert_eq!(sent(&out), vec![msg(1, 3, 2, pre_vote_answer(false))]);
    assert_eq!(
        after.node(1).role,
        Role::Leader,
        "a pre-vote deposes no one"
    );
    // At the voter's own term the ordinary rule holds: it voted for n1, so n3 is refused.
    let (_, out) = deliver(&model, &s, &msg(3, 2, 1, pre_vote(0, 0)));
    assert!(matches!(
        sent(&out)[..],
        [Message {
            term: 1,
            payload: Payload::RequestVoteResponse {
                pre: true,
                reject: true,
                ..
            },
            ..
        }]
    ));
}

#[test]
fn a_refusal_at_a_higher_term_makes_the_pre_candidate_a_follower_there() {
    let model = pre_vote_model(Flavour::etcd());
    let (s, _) = step(&model, &model.initial_state(), Input::Timeout { node: 1 });
    let (s, out) = deliver(&model, &s, &msg(2, 1, 3, pre_vote_answer(true)));
    assert!(out.is_empty());
    let n1 = s.node(1);
    assert_eq!((n1.role, n1.term), (Role::Follower, 3));
}

#[test]
fn stale_appends_and_pre_votes_are_answered_at_the_newer_term() {
    let model = pre_vote_model(Flavour::raft_rs());
    let mut s = elect_n1(&model);
    s.node_mut(2).term = 2;
    let stale_append = msg(1, 2, 1, Payload::Heartbeat { commit: 0 });
    let (_, out) = deliver(&model, &s, &stale_append);
    assert_eq!(
        sent(&out),
        vec![msg(
            2,
            1,
            2,
            Payload::AppendEntriesResponse(AppendAnswer::ack(0, 0))
        )]
    );
    let (_, out) = deliver(&model, &s, &msg(3, 2, 1, pre_vote(0, 0)));
    assert_eq!(sent(&out), vec![msg(2, 3, 2, pre_vote_answer(true))]);
    // Without pre-vote the same stale heartbeat is ignored.
    let plain = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::Lockstep);
    let (_, out) = deliver(&plain, &s, &stale_append);
    assert!(out.is_empty());
}

#[test]
fn a_candidate_ignores_late_pre_vote_answers_and_a_pre_candidate_real_ones() {
    let model = pre_vote_model(Flavour::raft_rs());
    let (s, _) = step(&model, &model.initial_state(), Input::Timeout { node: 1 });
    let (candidate, _) = deliver(&model, &s, &msg(2, 1, 1, pre_vote_answer(false)));
    let (after, out) = deliver(&model, &candidate, &msg(3, 1, 1, pre_vote_answer(false)));
    assert!(out.is_empty());
    assert_eq!(after.node(1), candidate.node(1));
    let vote = Payload::RequestVoteResponse {
        pre: false,
        reject: false,
        commit: 0,
        commit_term: 0,
    };
    let mut pre = s.clone();
    pre.node_mut(1).term = 1; // a vote answer at its own term
    let (after, out) = deliver(&model, &pre, &msg(2, 1, 1, vote));
    assert!(out.is_empty());
    assert_eq!(after.node(1).role, Role::PreCandidate);
}

#[test]
fn every_safety_property_holds_with_pre_vote_in_both_flavours() {
    use stateright::{Checker, Expectation, Model};
    for flavour in [Flavour::raft_rs(), Flavour::etcd()] {
        let bounds = Bounds {
            max_term: 2,
            ..Bounds::default()
        };
        let model = RaftModel::new(bounds, flavour.with_pre_vote(true), Mode::SpecOnly);
        let properties = model.properties();
        // Every path of up to 9 actions (Stateright counts the initial state and stops short).
        let checker = model.checker().target_max_depth(11).spawn_bfs().join();
        for p in properties
            .iter()
            .filter(|p| p.expectation == Expectation::Always)
        {
            assert!(checker.discovery(p.name).is_none(), "{} violated", p.name);
        }
        assert!(
            checker.discovery("a client value is committed").is_some(),
            "the bounds reach a commit, so the search means something"
        );
    }
}
