//! The hashicorp/raft flavour's own rules (`Flavour::vote_refused_while_leader_known`,
//! `stale_requests_rejected`, `append_checks_below_commit`, `lease_step_down`), each against the
//! hashicorp/raft 1.8 code it mirrors (`raft.go`: `requestVote`, `appendEntries`,
//! `checkLeaderLease`, `leaderLoop`), and the other flavours keeping their own behaviour there.

mod common;

use common::{deliver, msg, sends as sent, step};
use raftcheck_spec::properties;
use raftcheck_spec::{
    AppendAnswer, Bounds, ClusterState, Entry, Flavour, Input, Mode, Mutation, Output, Payload,
    RaftModel, Role,
};
use stateright::{Checker, Model};

fn model(flavour: Flavour) -> RaftModel {
    RaftModel::new(Bounds::default(), flavour, Mode::Lockstep)
}

fn vote_request(last_log_index: u64, last_log_term: u64) -> Payload {
    Payload::vote_request(false, last_log_index, last_log_term)
}

fn vote_answer(reject: bool) -> Payload {
    Payload::RequestVoteResponse {
        pre: false,
        reject,
        commit: 0,
        commit_term: 0,
    }
}

fn append(prev: (u64, u64), entries: Vec<Entry>, commit: u64) -> Payload {
    Payload::AppendEntries {
        prev_log_index: prev.0,
        prev_log_term: prev.1,
        entries,
        commit,
    }
}

/// n1 wins term 1 with n2's vote and replicates its empty entry to n2; n3 heard nothing.
fn elect_n1(model: &RaftModel) -> ClusterState {
    let s = model.initial_state();
    let (s, _) = step(model, &s, Input::Timeout { node: 1 });
    let (s, out) = deliver(model, &s, &msg(1, 2, 1, vote_request(0, 0)));
    let (s, out) = deliver(model, &s, &sent(&out)[0]);
    assert!(out.contains(&Output::BecomeLeader { node: 1, term: 1 }));
    let (s, out) = deliver(
        model,
        &s,
        &msg(1, 2, 1, append((0, 0), vec![Entry::empty(1)], 0)),
    );
    assert_eq!(s.node(2).leader, Some(1));
    let (s, _) = deliver(model, &s, &sent(&out)[0]);
    assert_eq!(s.node(1).commit, 1);
    s
}

#[test]
fn the_hashicorp_flavour_is_known_by_name_and_leaves_the_others_alone() {
    assert_eq!(Flavour::by_name("hashicorp"), Some(Flavour::hashicorp()));
    assert!(Flavour::NAMES.contains(&"hashicorp"));
    for f in [Flavour::raft_rs(), Flavour::etcd(), Flavour::textbook()] {
        assert!(
            !f.vote_refused_while_leader_known
                && !f.stale_requests_rejected
                && !f.append_checks_below_commit
                && !f.lease_step_down,
            "{f} must keep its own rules"
        );
        // Their serde form does not mention the new options (trace files stay as they were).
        let json = serde_json::to_string(&f).unwrap();
        assert!(!json.contains("lease") && !json.contains("stale_requests"));
    }
}

#[test]
fn a_follower_that_knows_a_leader_refuses_a_vote_of_a_higher_term_and_keeps_its_term() {
    let hashicorp = model(Flavour::hashicorp());
    let s = elect_n1(&hashicorp);
    // n3 campaigns at term 2; n2 knows n1 as leader of term 1.
    let request = msg(3, 2, 2, vote_request(1, 1));
    let (s2, out) = deliver(&hashicorp, &s, &request);
    assert_eq!(sent(&out), vec![msg(2, 3, 1, vote_answer(true))]);
    let n2 = s2.node(2);
    assert_eq!(
        (n2.term, n2.role, n2.vote, n2.leader),
        (1, Role::Follower, Some(1), Some(1))
    );
    // etcd with check-quorum off moves to term 2 and grants.
    let etcd = model(Flavour::etcd());
    let s = elect_n1(&etcd);
    let (s2, out) = deliver(&etcd, &s, &request);
    assert_eq!(sent(&out), vec![msg(2, 3, 2, vote_answer(false))]);
    assert_eq!((s2.node(2).term, s2.node(2).vote), (2, Some(3)));
}

#[test]
fn a_leader_refuses_every_other_candidate_and_is_not_deposed_by_a_vote_request() {
    let hashicorp = model(Flavour::hashicorp());
    let s = elect_n1(&hashicorp);
    let (s2, out) = deliver(&hashicorp, &s, &msg(3, 1, 5, vote_request(7, 4)));
    assert_eq!(sent(&out), vec![msg(1, 3, 1, vote_answer(true))]);
    assert_eq!((s2.node(1).role, s2.node(1).term), (Role::Leader, 1));
}

#[test]
fn a_node_that_knows_no_leader_votes_as_usual() {
    let hashicorp = model(Flavour::hashicorp());
    let s = elect_n1(&hashicorp);
    // n3 never heard of n1: it grants any up-to-date candidate of a newer term.
    let (s2, out) = deliver(&hashicorp, &s, &msg(2, 3, 2, vote_request(1, 1)));
    assert_eq!(sent(&out), vec![msg(3, 2, 2, vote_answer(false))]);
    assert_eq!((s2.node(3).term, s2.node(3).vote), (2, Some(2)));
}

#[test]
fn stale_requests_are_refused_at_the_receivers_term() {
    let hashicorp = model(Flavour::hashicorp());
    let s = elect_n1(&hashicorp);
    // n3 moves to term 2 on its own (its timeout); n1's appends and an old vote request are stale.
    let (s, _) = step(&hashicorp, &s, Input::Timeout { node: 3 });
    assert_eq!(s.node(3).term, 1);
    let (s, _) = step(&hashicorp, &s, Input::Timeout { node: 3 });
    assert_eq!((s.node(3).term, s.node(3).last_index()), (2, 0));
    let stale_append = msg(1, 3, 1, append((1, 1), vec![], 1));
    let (s2, out) = deliver(&hashicorp, &s, &stale_append);
    assert_eq!(
        sent(&out),
        vec![msg(
            3,
            1,
            2,
            Payload::AppendEntriesResponse(AppendAnswer::rejection(1, (0, 0), 0))
        )]
    );
    assert_eq!(s2.node(3), s.node(3));
    let (s2, out) = deliver(&hashicorp, &s, &msg(2, 3, 1, vote_request(1, 1)));
    assert_eq!(sent(&out), vec![msg(3, 2, 2, vote_answer(true))]);
    assert_eq!(s2.node(3), s.node(3));
    // etcd without pre-vote ignores both.
    let etcd = model(Flavour::etcd());
    let s = elect_n1(&etcd);
    let (s, _) = step(&etcd, &s, Input::Timeout { node: 3 });
    let (s, _) = step(&etcd, &s, Input::Timeout { node: 3 });
    let (_, out) = deliver(&etcd, &s, &stale_append);
    assert!(sent(&out).is_empty());
}

#[test]
fn an_append_below_the_commit_index_is_checked_and_acknowledged_in_full() {
    let hashicorp = model(Flavour::hashicorp());
    let s = elect_n1(&hashicorp);
    let (s, _) = step(&hashicorp, &s, Input::ClientRequest { node: 1, value: 1 });
    // n2 learns entry 2 and that 1 is committed; then the same entries come again from prev 0
    // (a retry whose first answer was lost) with commit 2.
    let (s, _) = deliver(
        &hashicorp,
        &s,
        &msg(1, 2, 1, append((1, 1), vec![Entry::value(1, 1)], 1)),
    );
    assert_eq!(s.node(2).commit, 1);
    let retry = msg(
        1,
        2,
        1,
        append((0, 0), vec![Entry::empty(1), Entry::value(1, 1)], 2),
    );
    let (s2, out) = deliver(&hashicorp, &s, &retry);
    assert_eq!(
        sent(&out),
        vec![msg(
            2,
            1,
            1,
            Payload::AppendEntriesResponse(AppendAnswer::ack(2, 0))
        )]
    );
    assert_eq!(s2.node(2).commit, 2);
    // raft-rs acknowledges its commit index only and learns nothing.
    let raft_rs = model(Flavour::raft_rs());
    let s = elect_n1(&raft_rs);
    let (s, _) = step(&raft_rs, &s, Input::ClientRequest { node: 1, value: 1 });
    let (s, _) = deliver(
        &raft_rs,
        &s,
        &msg(1, 2, 1, append((1, 1), vec![Entry::value(1, 1)], 1)),
    );
    let (s2, out) = deliver(&raft_rs, &s, &retry);
    assert_eq!(
        sent(&out),
        vec![msg(
            2,
            1,
            1,
            Payload::AppendEntriesResponse(AppendAnswer::ack(1, 1))
        )]
    );
    assert_eq!(s2.node(2).commit, 1);
}

#[test]
fn a_leader_steps_down_at_its_own_term_and_only_where_the_flavour_has_a_lease() {
    let hashicorp = model(Flavour::hashicorp());
    let s = elect_n1(&hashicorp);
    assert!(hashicorp.inputs(&s).contains(&Input::StepDown { node: 1 }));
    assert!(!hashicorp.inputs(&s).contains(&Input::StepDown { node: 2 }));
    assert!(hashicorp
        .check_enabled(&s, &Input::StepDown { node: 2 })
        .is_err());
    let (s2, out) = step(&hashicorp, &s, Input::StepDown { node: 1 });
    assert!(out.is_empty());
    let n1 = s2.node(1);
    assert_eq!(
        (n1.role, n1.term, n1.vote, n1.leader, n1.commit),
        (Role::Follower, 1, Some(1), None, 1)
    );
    // Having stepped down it votes again for a newer candidate.
    let (_, out) = deliver(&hashicorp, &s2, &msg(3, 1, 2, vote_request(1, 1)));
    assert_eq!(sent(&out), vec![msg(1, 3, 2, vote_answer(false))]);
    let etcd = model(Flavour::etcd());
    let s = elect_n1(&etcd);
    assert!(!etcd.inputs(&s).contains(&Input::StepDown { node: 1 }));
}

/// Every path of at most `inputs` inputs and sends, under the hashicorp flavour.
fn search(mutation: Option<Mutation>, inputs: usize) -> impl Checker<RaftModel> {
    let bounds = Bounds {
        drops: 1,
        ..Bounds::default()
    };
    let mut model = RaftModel::new(bounds, Flavour::hashicorp(), Mode::SpecOnly);
    model.mutation = mutation;
    model
        .checker()
        .target_max_depth(inputs + 2)
        .spawn_bfs()
        .join()
}

#[test]
fn every_safety_property_holds_in_the_hashicorp_flavour_and_a_broken_vote_is_caught() {
    let safety = [
        properties::ELECTION_SAFETY,
        properties::LOG_MATCHING,
        properties::LEADER_COMPLETENESS,
        properties::STATE_MACHINE_SAFETY,
        properties::COMMIT_MONOTONIC,
        properties::COMMIT_WITHIN_LOG,
    ];
    let checker = search(None, 7);
    for name in safety {
        assert!(
            checker.discovery(name).is_none(),
            "{name} is violated in the hashicorp flavour"
        );
    }
    assert!(checker.discovery(properties::VALUE_COMMITTED).is_some());
    // The same search finds a double vote's consequence: two leaders of one term.
    let broken = search(Some(Mutation::VoteTwice), 7);
    assert!(broken.discovery(properties::ELECTION_SAFETY).is_some());
}

#[test]
fn a_deposed_leader_may_send_appends_of_its_old_term_from_its_current_log() {
    let hashicorp = model(Flavour::hashicorp());
    assert!(Flavour::hashicorp().stale_leader_sends_current_log);
    let s = elect_n1(&hashicorp);
    let (s, _) = step(&hashicorp, &s, Input::ClientRequest { node: 1, value: 1 });
    let (s, _) = step(&hashicorp, &s, Input::StepDown { node: 1 });
    let (s, _) = step(&hashicorp, &s, Input::Timeout { node: 1 });
    let n1 = s.node(1);
    assert_eq!((n1.role, n1.term, n1.commit), (Role::Candidate, 2, 1));
    let old = msg(
        1,
        3,
        1,
        append((0, 0), vec![Entry::empty(1), Entry::value(1, 1)], 1),
    );
    assert_eq!(n1.may_send_for_past_term(&old), Ok(()));
    // Not of its current term, nor with entries or a commit index it does not have.
    let current = msg(1, 3, 2, append((0, 0), vec![Entry::empty(1)], 1));
    assert!(n1.may_send_for_past_term(&current).is_err());
    let foreign = msg(1, 3, 1, append((0, 0), vec![Entry::value(1, 9)], 1));
    assert!(n1.may_send_for_past_term(&foreign).is_err());
    let ahead = msg(1, 3, 1, append((0, 0), vec![Entry::empty(1)], 2));
    assert!(n1.may_send_for_past_term(&ahead).is_err());
    // The other flavours do not have it.
    for f in [Flavour::raft_rs(), Flavour::etcd(), Flavour::textbook()] {
        assert!(!f.stale_leader_sends_current_log);
    }
}
