//! Behavioural tests of the spec's transitions: what each input does to the state, which outputs
//! it requires, which inputs are offered, and what a leader may send of its own accord.
//!
//! Each rule is checked in the flavours where it differs (raft-rs 0.7, etcd 3.4, the textbook),
//! against the raft-rs 0.7 source it mirrors (`raft.rs` and `raft_log.rs` of the `raft` crate).
//! States are built by hand where the rule needs a particular shape, and by applying inputs
//! where the path to the state matters.

mod common;

use common::{deliver, msg, sends, step};
use raftcheck_spec::{
    AppendAnswer, Bounds, ClusterState, Configuration, Entry, Flavour, IdMap, Input, LogIndex,
    Message, Mode, Mutation, NodeId, NodeState, Output, Payload, RaftModel, Role, Term,
};

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

fn model(flavour: Flavour) -> RaftModel {
    RaftModel::new(Bounds::default(), flavour, Mode::Lockstep)
}

fn model_with(bounds: Bounds, flavour: Flavour) -> RaftModel {
    RaftModel::new(bounds, flavour, Mode::Lockstep)
}

fn send(m: Message) -> Output {
    Output::Send { message: m }
}

fn vote_req(last_log_index: LogIndex, last_log_term: Term) -> Payload {
    Payload::RequestVote {
        pre: false,
        last_log_index,
        last_log_term,
        commit: 0,
        commit_term: 0,
    }
}

fn vote_req_commit(
    last_log_index: LogIndex,
    last_log_term: Term,
    commit: LogIndex,
    commit_term: Term,
) -> Payload {
    Payload::RequestVote {
        pre: false,
        last_log_index,
        last_log_term,
        commit,
        commit_term,
    }
}

fn grant() -> Payload {
    Payload::RequestVoteResponse {
        pre: false,
        reject: false,
        commit: 0,
        commit_term: 0,
    }
}

fn refuse(commit: LogIndex, commit_term: Term) -> Payload {
    Payload::RequestVoteResponse {
        pre: false,
        reject: true,
        commit,
        commit_term,
    }
}

fn append(prev: LogIndex, prev_term: Term, entries: Vec<Entry>, commit: LogIndex) -> Payload {
    Payload::AppendEntries {
        prev_log_index: prev,
        prev_log_term: prev_term,
        entries,
        commit,
    }
}

fn append_ok(index: LogIndex, commit: LogIndex) -> Payload {
    Payload::AppendEntriesResponse(AppendAnswer::ack(index, commit))
}

fn append_rejected(index: LogIndex, hint: LogIndex, hint_term: Term, commit: LogIndex) -> Payload {
    Payload::AppendEntriesResponse(AppendAnswer::rejection(index, (hint, hint_term), commit))
}

fn e(term: Term) -> Entry {
    Entry::empty(term)
}

fn v(term: Term, value: u64) -> Entry {
    Entry::value(term, value)
}

/// A log with one entry per term given, each carrying a distinct value.
fn log_of_terms(terms: &[Term]) -> Vec<Entry> {
    terms
        .iter()
        .enumerate()
        .map(|(i, &t)| v(t, 100 + i as u64))
        .collect()
}

/// The (pre-)votes counted, as a vector by voter (`votes[id - 1]`, `None` for no answer yet).
fn votes_of(votes: &[Option<bool>]) -> IdMap<bool> {
    (1..)
        .zip(votes)
        .filter_map(|(id, v)| v.map(|v| (id, v)))
        .collect()
}

/// The match indexes of `leader`'s peers, as a vector by node (`matched[id - 1]`, the leader's
/// own slot 0).
fn matched_of(leader: NodeId, matched: &[LogIndex]) -> IdMap<LogIndex> {
    assert_eq!(matched[leader as usize - 1], 0, "the leader's own slot");
    (1..)
        .zip(matched)
        .filter(|(id, _)| *id != leader)
        .map(|(id, m)| (id, *m))
        .collect()
}

fn follower(id: NodeId, term: Term, log: Vec<Entry>, commit: LogIndex) -> NodeState {
    NodeState {
        term,
        log: log.into(),
        commit,
        ..NodeState::new(id, Configuration::with_voters(1..=3))
    }
}

fn leader(id: NodeId, term: Term, log: Vec<Entry>, commit: LogIndex, n: usize) -> NodeState {
    NodeState {
        term,
        role: Role::Leader,
        vote: Some(id),
        leader: Some(id),
        log: log.into(),
        commit,
        match_index: matched_of(id, &vec![0; n]),
        ..NodeState::new(id, Configuration::with_voters(1..=n as NodeId))
    }
}

fn candidate(id: NodeId, term: Term, log: Vec<Entry>, commit: LogIndex, n: usize) -> NodeState {
    let mut votes = vec![None; n];
    votes[id as usize - 1] = Some(true);
    let votes = votes_of(&votes);
    NodeState {
        term,
        role: Role::Candidate,
        vote: Some(id),
        log: log.into(),
        commit,
        votes,
        ..NodeState::new(id, Configuration::with_voters(1..=n as NodeId))
    }
}

/// An `n`-node cluster in which the given nodes replace the fresh ones with the same ids, as
/// members of its configuration, each having applied what it has committed (as every node
/// has between steps).
fn cluster(n: u64, nodes: Vec<NodeState>) -> ClusterState {
    let mut s = ClusterState::initial(n);
    for mut node in nodes {
        node.config = s.node(node.id).config.clone();
        node.applied = node.commit;
        node.state_machine = (1..=node.commit)
            .filter_map(|i| node.entry(i).and_then(|e| e.value))
            .collect();
        s.nodes.insert(node.id, std::sync::Arc::new(node));
    }
    s
}

/// Runs an election for `id` from `state` by delivering its vote requests in id order and the
/// replies, until it wins. Panics if it does not.
fn elect(model: &RaftModel, state: &ClusterState, id: NodeId) -> ClusterState {
    let (mut s, out) = step(model, state, Input::Timeout { node: id });
    for request in sends(&out) {
        if s.node(id).role == Role::Leader {
            break;
        }
        let (next, replies) = deliver(model, &s, &request);
        s = next;
        for reply in sends(&replies) {
            s = deliver(model, &s, &reply).0;
        }
    }
    assert_eq!(s.node(id).role, Role::Leader, "n{id} did not win: {s:#?}");
    s
}

fn assert_err_contains(result: Result<(), String>, needle: &str) {
    match result {
        Ok(()) => panic!("expected an error containing {needle:?}, got Ok"),
        Err(e) => assert!(
            e.contains(needle),
            "error {e:?} does not contain {needle:?}"
        ),
    }
}

// ------------------------------------------------------------------------------------------
// Timeout
// ------------------------------------------------------------------------------------------

/// raft-rs `campaign`: `become_candidate` (term + 1, self vote), `poll` of its own vote, then a
/// `MsgRequestVote` to every voter with `index = last_index`, `log_term = last_term` and
/// `(commit, commit_term) = raft_log.commit_info()`.
#[test]
fn timeout_makes_a_candidate_that_asks_every_peer_with_its_commit_in_raft_rs() {
    let m = model(Flavour::raft_rs());
    let mut n1 = follower(1, 1, vec![e(1), v(1, 1)], 1);
    n1.vote = Some(2);
    n1.leader = Some(2);
    let s = cluster(3, vec![n1]);

    let (next, out) = step(&m, &s, Input::Timeout { node: 1 });
    let n1 = next.node(1);
    assert_eq!(n1.term, 2);
    assert_eq!(n1.role, Role::Candidate);
    assert_eq!(n1.vote, Some(1));
    assert_eq!(n1.leader, None);
    assert_eq!(n1.votes, votes_of(&[Some(true), None, None]));
    assert_eq!(
        n1.log.entries(),
        vec![e(1), v(1, 1)],
        "a timeout does not touch the log"
    );
    assert_eq!(n1.commit, 1);
    assert_eq!(
        out,
        vec![
            send(msg(1, 2, 2, vote_req_commit(2, 1, 1, 1))),
            send(msg(1, 3, 2, vote_req_commit(2, 1, 1, 1))),
        ]
    );
    // The other nodes are untouched.
    assert_eq!(next.node(2), s.node(2));
    assert_eq!(next.node(3), s.node(3));
}

/// etcd 3.4's `campaign` sends `Index` and `LogTerm` only; the textbook RequestVote has no
/// commit either.
#[test]
fn timeout_vote_requests_carry_no_commit_in_etcd_and_textbook() {
    for flavour in [Flavour::etcd(), Flavour::textbook()] {
        let m = model(flavour.clone());
        let s = cluster(3, vec![follower(1, 1, vec![e(1), v(1, 1)], 1)]);
        let (next, out) = step(&m, &s, Input::Timeout { node: 1 });
        assert_eq!(next.node(1).term, 2, "{flavour}");
        assert_eq!(
            out,
            vec![
                send(msg(1, 2, 2, vote_req(2, 1))),
                send(msg(1, 3, 2, vote_req(2, 1))),
            ],
            "{flavour}"
        );
    }
}

#[test]
fn timeout_with_an_empty_log_asks_with_zeroes() {
    let m = model(Flavour::raft_rs());
    let s = m.initial_state();
    let (_, out) = step(&m, &s, Input::Timeout { node: 2 });
    assert_eq!(
        out,
        vec![
            send(msg(2, 1, 1, vote_req(0, 0))),
            send(msg(2, 3, 1, vote_req(0, 0))),
        ]
    );
}

#[test]
fn a_candidate_that_times_out_again_starts_a_fresh_election() {
    let m = model(Flavour::raft_rs());
    let mut c = candidate(1, 1, vec![], 0, 3);
    c.votes = votes_of(&[Some(true), Some(false), None]);
    let s = cluster(3, vec![c]);
    let (next, out) = step(&m, &s, Input::Timeout { node: 1 });
    let n1 = next.node(1);
    assert_eq!(n1.term, 2);
    assert_eq!(n1.role, Role::Candidate);
    assert_eq!(
        n1.votes,
        votes_of(&[Some(true), None, None]),
        "votes of the old term are forgotten"
    );
    assert_eq!(sends(&out).len(), 2);
    assert!(sends(&out).iter().all(|m| m.term == 2));
}

/// raft-rs `hup`: "ignoring MsgHup because already leader".
#[test]
fn leaders_are_not_offered_timeout() {
    let m = model(Flavour::raft_rs());
    let s = elect(&m, &m.initial_state(), 1);
    let inputs = m.inputs(&s);
    assert!(!inputs.contains(&Input::Timeout { node: 1 }));
    assert!(inputs.contains(&Input::Timeout { node: 2 }));
    assert!(inputs.contains(&Input::Timeout { node: 3 }));
    assert_err_contains(
        m.check_enabled(&s, &Input::Timeout { node: 1 }),
        "n1 cannot time out",
    );
    // Even applied regardless, a timeout leaves a leader alone.
    let t = m.apply(&s, &Input::Timeout { node: 1 });
    assert_eq!(t.state, s);
    assert!(t.outputs.is_empty());
}

#[test]
fn timeout_stops_at_the_term_bound() {
    let m = model_with(
        Bounds {
            max_term: 2,
            ..Bounds::default()
        },
        Flavour::raft_rs(),
    );
    let s = cluster(
        3,
        vec![follower(1, 2, vec![], 0), candidate(2, 2, vec![], 0, 3)],
    );
    let inputs = m.inputs(&s);
    assert!(!inputs.contains(&Input::Timeout { node: 1 }));
    assert!(!inputs.contains(&Input::Timeout { node: 2 }));
    assert!(inputs.contains(&Input::Timeout { node: 3 }));
    assert_err_contains(
        m.check_enabled(&s, &Input::Timeout { node: 1 }),
        "term bound 2",
    );
    // n3 may climb to the bound, one term at a time, and no further.
    let (s, _) = step(&m, &s, Input::Timeout { node: 3 });
    let (s, _) = step(&m, &s, Input::Timeout { node: 3 });
    assert_eq!(s.node(3).term, 2);
    assert!(!m.inputs(&s).contains(&Input::Timeout { node: 3 }));
}

/// raft-rs `campaign`: "We won the election after voting for ourselves (which must mean that
/// this is a single-node cluster)"; `become_leader` appends the empty entry, which a quorum of
/// one commits as soon as it is persisted.
#[test]
fn a_single_node_cluster_becomes_leader_at_once() {
    let bounds = Bounds {
        nodes: 1,
        ..Bounds::default()
    };
    let m = model_with(bounds.clone(), Flavour::raft_rs());
    let (s, out) = step(&m, &m.initial_state(), Input::Timeout { node: 1 });
    assert_eq!(out, vec![Output::BecomeLeader { node: 1, term: 1 }]);
    let n1 = s.node(1);
    assert_eq!(n1.role, Role::Leader);
    assert_eq!(n1.leader, Some(1));
    assert_eq!(n1.log.entries(), vec![e(1)]);
    assert_eq!(n1.commit, 1);
    assert_eq!(s.history.elections, vec![(1, 1)]);
    assert_eq!(s.history.committed, vec![(e(1), 1)]);
    assert!(s.network.is_empty());
    // A value proposed there is committed at once too.
    let (s, out) = step(&m, &s, Input::ClientRequest { node: 1, value: 1 });
    assert!(out.is_empty());
    assert_eq!(s.node(1).log.entries(), vec![e(1), v(1, 1)]);
    assert_eq!(s.node(1).commit, 2);

    // The textbook leader appends nothing, so there is nothing to commit yet.
    let m = model_with(bounds, Flavour::textbook());
    let (s, out) = step(&m, &m.initial_state(), Input::Timeout { node: 1 });
    assert_eq!(out, vec![Output::BecomeLeader { node: 1, term: 1 }]);
    assert_eq!(s.node(1).role, Role::Leader);
    assert!(s.node(1).log.is_empty());
    assert_eq!(s.node(1).commit, 0);
    let (s, _) = step(&m, &s, Input::ClientRequest { node: 1, value: 1 });
    assert_eq!(s.node(1).log.entries(), vec![v(1, 1)]);
    assert_eq!(s.node(1).commit, 1);
}

// ------------------------------------------------------------------------------------------
// Vote handling
// ------------------------------------------------------------------------------------------

/// raft-rs `step`, `MsgRequestVote`: grant when `can_vote && is_up_to_date`, replying with
/// `to_send.term = m.term` and recording `self.vote = m.from`.
#[test]
fn vote_is_granted_to_an_up_to_date_candidate_that_is_first_to_ask() {
    for flavour in [Flavour::raft_rs(), Flavour::etcd(), Flavour::textbook()] {
        let m = model(flavour.clone());
        let s = cluster(3, vec![follower(2, 1, vec![e(1)], 1)]);
        let request = msg(1, 2, 2, vote_req(1, 1));
        let (next, out) = deliver(&m, &s, &request);
        let n2 = next.node(2);
        assert_eq!(n2.term, 2, "{flavour}");
        assert_eq!(n2.vote, Some(1), "{flavour}");
        assert_eq!(n2.role, Role::Follower, "{flavour}");
        assert_eq!(n2.leader, None, "{flavour}");
        assert_eq!(
            out,
            vec![send(msg(2, 1, request.term, grant()))],
            "{flavour}: a grant carries the request's term and no commit"
        );
        assert!(!next.in_flight(&request), "the request is consumed");
    }
}

#[test]
fn vote_is_granted_again_to_the_same_candidate() {
    let m = model(Flavour::raft_rs());
    let mut n2 = follower(2, 1, vec![], 0);
    n2.vote = Some(1);
    let s = cluster(3, vec![n2]);
    let (next, out) = deliver(&m, &s, &msg(1, 2, 1, vote_req(0, 0)));
    assert_eq!(out, vec![send(msg(2, 1, 1, grant()))]);
    assert_eq!(next.node(2).vote, Some(1));
}

/// raft-rs: refusals reply with `to_send.term = self.term` and the voter's `commit_info()`.
#[test]
fn vote_is_refused_to_a_second_candidate_in_the_same_term() {
    let m = model(Flavour::raft_rs());
    let mut n2 = follower(2, 1, vec![e(1)], 1);
    n2.vote = Some(3);
    let s = cluster(3, vec![n2]);
    let (next, out) = deliver(&m, &s, &msg(1, 2, 1, vote_req(5, 1)));
    assert_eq!(out, vec![send(msg(2, 1, 1, refuse(1, 1)))]);
    assert_eq!(next.node(2).vote, Some(3), "the vote is not changed");
    assert_eq!(next.node(2).term, 1);
}

/// raft-rs `can_vote`: "we haven't voted and we don't think there's a leader yet in this term".
#[test]
fn vote_is_refused_while_a_leader_of_the_term_is_known() {
    let m = model(Flavour::raft_rs());
    let mut n2 = follower(2, 1, vec![], 0);
    n2.leader = Some(3);
    let s = cluster(3, vec![n2]);
    let (next, out) = deliver(&m, &s, &msg(1, 2, 1, vote_req(0, 0)));
    assert_eq!(out, vec![send(msg(2, 1, 1, refuse(0, 0)))]);
    assert_eq!(next.node(2).vote, None);
    assert_eq!(next.node(2).leader, Some(3));
}

/// `is_up_to_date`: `term > last_term || (term == last_term && index >= last_index)`; a longer
/// log with an older last term loses.
#[test]
fn vote_is_refused_to_a_candidate_whose_last_term_is_older() {
    let m = model(Flavour::raft_rs());
    let s = cluster(3, vec![follower(2, 2, vec![e(1), e(2)], 2)]);
    let (next, out) = deliver(&m, &s, &msg(1, 2, 3, vote_req(5, 1)));
    let n2 = next.node(2);
    assert_eq!(n2.term, 3, "the higher term is adopted even when refusing");
    assert_eq!(n2.vote, None);
    assert_eq!(
        out,
        vec![send(msg(2, 1, n2.term, refuse(2, 2)))],
        "a refusal carries the voter's own term"
    );
}

#[test]
fn vote_is_refused_to_a_candidate_whose_log_is_shorter_in_the_same_last_term() {
    let m = model(Flavour::raft_rs());
    let s = cluster(3, vec![follower(2, 1, vec![e(1), v(1, 1)], 0)]);
    let (next, out) = deliver(&m, &s, &msg(1, 2, 2, vote_req(1, 1)));
    assert_eq!(out, vec![send(msg(2, 1, 2, refuse(0, 0)))]);
    assert_eq!(next.node(2).vote, None);

    // Same length or longer is up to date.
    for last in [2, 3] {
        let (next, out) = deliver(&m, &s, &msg(1, 2, 2, vote_req(last, 1)));
        assert_eq!(out, vec![send(msg(2, 1, 2, grant()))], "last index {last}");
        assert_eq!(next.node(2).vote, Some(1));
    }
    // A newer last term wins whatever the length.
    let (_, out) = deliver(&m, &s, &msg(1, 2, 2, vote_req(1, 2)));
    assert_eq!(out, vec![send(msg(2, 1, 2, grant()))]);
}

/// raft-rs `step`: `m.term > self.term` makes the node `become_follower(m.term, INVALID_ID)`
/// (the leader is recorded only for `MsgAppend`, `MsgHeartbeat`, `MsgSnapshot`); `reset`
/// forgets the vote when the term changes.
#[test]
fn a_higher_term_makes_a_leader_step_down_and_forget_its_vote() {
    let m = model(Flavour::raft_rs());
    let mut l = leader(1, 1, vec![e(1)], 1, 3);
    l.match_index = matched_of(1, &[0, 1, 0]);
    let s = cluster(3, vec![l]);
    // A candidate with an empty log at term 3: n1 steps down, refuses (its log is newer), and
    // has no vote in term 3.
    let (next, out) = deliver(&m, &s, &msg(3, 1, 3, vote_req(0, 0)));
    let n1 = next.node(1);
    assert_eq!(n1.term, 3);
    assert_eq!(n1.role, Role::Follower);
    assert_eq!(n1.vote, None);
    assert_eq!(n1.leader, None);
    assert!(n1.match_index.is_empty());
    assert_eq!(n1.log.entries(), vec![e(1)]);
    assert_eq!(n1.commit, 1);
    assert_eq!(out, vec![send(msg(1, 3, 3, refuse(1, 1)))]);

    // A higher-term response also deposes a leader, with no leader known.
    let (next, out) = deliver(&m, &s, &msg(2, 1, 2, append_ok(0, 0)));
    assert_eq!(next.node(1).role, Role::Follower);
    assert_eq!(next.node(1).term, 2);
    assert_eq!(next.node(1).vote, None);
    assert_eq!(next.node(1).leader, None);
    assert!(out.is_empty());
}

#[test]
fn a_higher_term_append_or_heartbeat_records_its_sender_as_leader() {
    let m = model(Flavour::raft_rs());
    let mut n2 = follower(2, 1, vec![], 0);
    n2.vote = Some(1);
    n2.leader = Some(1);
    let s = cluster(3, vec![n2]);
    for payload in [append(0, 0, vec![], 0), Payload::Heartbeat { commit: 0 }] {
        let (next, out) = deliver(&m, &s, &msg(3, 2, 2, payload.clone()));
        let n2 = next.node(2);
        assert_eq!(n2.term, 2, "{payload:?}");
        assert_eq!(n2.vote, None, "{payload:?}");
        assert_eq!(n2.leader, Some(3), "{payload:?}");
        assert_eq!(sends(&out).len(), 1, "{payload:?}: the follower answers");
        assert_eq!(sends(&out)[0].term, 2);
    }
}

/// With pre-vote and check-quorum off, raft-rs "ignored a message with lower term" and sends
/// nothing.
#[test]
fn stale_term_messages_are_ignored_without_reply() {
    for flavour in [Flavour::raft_rs(), Flavour::etcd(), Flavour::textbook()] {
        let m = model(flavour.clone());
        let mut n2 = candidate(2, 3, vec![e(1), e(2)], 1, 3);
        n2.votes = votes_of(&[None, Some(true), None]);
        let s = cluster(3, vec![n2, leader(3, 3, vec![e(1), e(3)], 1, 3)]);
        let stale = [
            msg(1, 2, 2, vote_req(9, 9)),
            msg(1, 2, 2, grant()),
            msg(1, 2, 2, append(0, 0, vec![e(2)], 2)),
            msg(1, 2, 2, append_ok(2, 0)),
            msg(1, 2, 2, Payload::Heartbeat { commit: 2 }),
            msg(1, 2, 2, Payload::HeartbeatResponse { commit: 0 }),
            msg(1, 3, 2, append_ok(2, 2)),
            msg(1, 3, 2, grant()),
        ];
        for message in stale {
            let (next, out) = deliver(&m, &s, &message);
            assert!(out.is_empty(), "{flavour}: {message} answered with {out:?}");
            assert_eq!(next.nodes, s.nodes, "{flavour}: {message} changed a node");
            assert!(next.network.is_empty(), "{flavour}: {message} not consumed");
        }
    }
}

/// raft-rs `maybe_commit_by_vote`, called after a refusal: a voter holding the candidate's
/// commit entry (`raft_log.maybe_commit(m.commit, m.commit_term)`) adopts its commit index. The
/// refusal carries the voter's `commit_info()` from *before* the adoption.
#[test]
fn raft_rs_voter_adopts_commit_from_a_refused_vote_request() {
    let m = model(Flavour::raft_rs());
    let s = cluster(3, vec![follower(2, 2, vec![e(1), v(1, 1)], 0)]);
    // Candidate n1 at term 3 with log (1, t1) and commit (1, t1): n2's log is longer, so refused.
    let request = msg(1, 2, 3, vote_req_commit(1, 1, 1, 1));
    let (next, out) = deliver(&m, &s, &request);
    assert_eq!(out, vec![send(msg(2, 1, 3, refuse(0, 0)))]);
    assert_eq!(
        next.node(2).commit,
        1,
        "commit adopted from the vote request"
    );
    assert_eq!(next.history.committed, vec![(e(1), 3)]);

    // Not when n2 holds a different entry there.
    let s2 = cluster(3, vec![follower(2, 2, vec![e(2), v(2, 1)], 0)]);
    let (next, _) = deliver(&m, &s2, &msg(1, 2, 3, vote_req_commit(1, 1, 1, 1)));
    assert_eq!(next.node(2).commit, 0, "term at the commit index differs");
    // Not past the end of its log.
    let s3 = cluster(3, vec![follower(2, 2, vec![e(1)], 0)]);
    let (next, out) = deliver(&m, &s3, &msg(1, 2, 3, vote_req_commit(1, 1, 2, 1)));
    assert_eq!(out, vec![send(msg(2, 1, 3, grant()))]);
    assert_eq!(
        next.node(2).commit,
        0,
        "a grant never adopts a commit index"
    );
    let (next, _) = deliver(&m, &s3, &msg(1, 2, 3, vote_req_commit(0, 0, 2, 1)));
    assert_eq!(next.node(2).commit, 0, "index 2 is past n2's log");
    // Never backwards.
    let s4 = cluster(3, vec![follower(2, 2, vec![e(1), v(1, 1)], 2)]);
    let (next, out) = deliver(&m, &s4, &msg(1, 2, 3, vote_req_commit(1, 1, 1, 1)));
    assert_eq!(out, vec![send(msg(2, 1, 3, refuse(2, 1)))]);
    assert_eq!(next.node(2).commit, 2);
}

/// raft-rs `step_candidate`, `MsgRequestVoteResponse`: `poll` then `maybe_commit_by_vote(&m)`
/// with the commit a refusing voter reported.
#[test]
fn raft_rs_candidate_adopts_commit_from_a_refusal() {
    let m = model(Flavour::raft_rs());
    let s = cluster(3, vec![candidate(1, 2, vec![e(1), v(1, 1)], 0, 3)]);
    let (next, out) = deliver(&m, &s, &msg(2, 1, 2, refuse(2, 1)));
    assert!(out.is_empty());
    let n1 = next.node(1);
    assert_eq!(n1.commit, 2);
    assert_eq!(
        n1.role,
        Role::Candidate,
        "one refusal of three does not decide"
    );
    assert_eq!(n1.votes, votes_of(&[Some(true), Some(false), None]));

    // A refusal whose commit term does not match the candidate's entry is not adopted.
    let (next, _) = deliver(&m, &s, &msg(2, 1, 2, refuse(2, 2)));
    assert_eq!(next.node(1).commit, 0);

    // A candidate that loses on that refusal still adopts (it is a follower by then).
    let mut lost = candidate(1, 2, vec![e(1), v(1, 1)], 0, 3);
    lost.votes = votes_of(&[Some(true), None, Some(false)]);
    let s = cluster(3, vec![lost]);
    let (next, _) = deliver(&m, &s, &msg(2, 1, 2, refuse(1, 1)));
    assert_eq!(next.node(1).role, Role::Follower);
    assert_eq!(next.node(1).commit, 1);
}

/// raft-rs `maybe_commit_by_vote`: a (pre-)candidate whose adopted commit index covers a
/// configuration change steps down to follower at its term (`num_pending_conf` of the newly
/// committed entries, then `become_follower(term, INVALID_ID)`). First found by a random
/// lockstep walk with `--conf-changes 1`: raft-rs's candidate became a follower, the spec's
/// stayed a candidate.
#[test]
fn raft_rs_candidate_steps_down_when_a_vote_commits_a_configuration_change() {
    let m = model(Flavour::raft_rs());
    let add_4 = raftcheck_spec::Entry::conf(
        1,
        raftcheck_spec::ConfChange::Single {
            change: raftcheck_spec::Change {
                op: raftcheck_spec::ChangeOp::AddVoter,
                node: 4,
            },
        },
    );
    let s = cluster(3, vec![candidate(1, 2, vec![e(1), add_4.clone()], 0, 3)]);
    let (next, out) = deliver(&m, &s, &msg(2, 1, 2, refuse(2, 1)));
    assert!(out.is_empty());
    let n1 = next.node(1);
    assert_eq!(n1.commit, 2);
    assert_eq!(n1.role, Role::Follower);
    assert_eq!((n1.term, n1.leader), (2, None));
    assert!(n1.votes.is_empty());

    // Committing entries without a change keeps it a candidate (the test above); so does a
    // change that was committed already.
    let s = cluster(3, vec![candidate(1, 2, vec![add_4, e(1)], 1, 3)]);
    let (next, _) = deliver(&m, &s, &msg(2, 1, 2, refuse(2, 1)));
    assert_eq!(next.node(1).commit, 2);
    assert_eq!(next.node(1).role, Role::Candidate);
}

/// etcd 3.4 has no `maybeCommitByVote`, and its refusals carry no commit index.
#[test]
fn etcd_has_no_commit_by_vote() {
    let m = model(Flavour::etcd());
    let s = cluster(3, vec![follower(2, 2, vec![e(1), v(1, 1)], 1)]);
    let (next, out) = deliver(&m, &s, &msg(1, 2, 3, vote_req_commit(1, 1, 2, 1)));
    assert_eq!(out, vec![send(msg(2, 1, 3, refuse(0, 0)))]);
    assert_eq!(next.node(2).commit, 1);

    let s = cluster(3, vec![candidate(1, 2, vec![e(1), v(1, 1)], 0, 3)]);
    let (next, _) = deliver(&m, &s, &msg(2, 1, 2, refuse(2, 1)));
    assert_eq!(next.node(1).commit, 0);
}

/// A leader refuses another candidate of its own term (it voted for itself) and, being leader,
/// never adopts a commit index from a vote (raft-rs `maybe_commit_by_vote`: `self.state ==
/// StateRole::Leader` returns).
#[test]
fn a_leader_refuses_same_term_candidates_and_ignores_their_commit() {
    let m = model(Flavour::raft_rs());
    let s = cluster(3, vec![leader(1, 2, vec![e(1), e(2)], 0, 3)]);
    let (next, out) = deliver(&m, &s, &msg(3, 1, 2, vote_req_commit(1, 1, 1, 1)));
    assert_eq!(out, vec![send(msg(1, 3, 2, refuse(0, 0)))]);
    assert_eq!(next.node(1).role, Role::Leader);
    assert_eq!(next.node(1).commit, 0);
}

// ------------------------------------------------------------------------------------------
// Election
// ------------------------------------------------------------------------------------------

/// raft-rs `poll` → `VoteResult::Won` → `become_leader`, which appends an empty entry
/// ("appending an empty entry should never be dropped"); etcd 3.4 does the same.
#[test]
fn a_quorum_of_grants_makes_a_leader_that_appends_an_empty_entry() {
    for flavour in [Flavour::raft_rs(), Flavour::etcd()] {
        let m = model(flavour.clone());
        let (s, _) = step(&m, &m.initial_state(), Input::Timeout { node: 1 });
        let (s, out) = deliver(&m, &s, &msg(1, 2, 1, vote_req(0, 0)));
        assert_eq!(out, vec![send(msg(2, 1, 1, grant()))]);
        let (s, out) = step(
            &m,
            &s,
            Input::Receive {
                message: msg(2, 1, 1, grant()),
            },
        );
        assert_eq!(
            out,
            vec![Output::BecomeLeader { node: 1, term: 1 }],
            "{flavour}: appends are the implementation's choice, not required outputs"
        );
        let n1 = s.node(1);
        assert_eq!(n1.role, Role::Leader, "{flavour}");
        assert_eq!(n1.leader, Some(1));
        assert_eq!(n1.vote, Some(1));
        assert_eq!(n1.log.entries(), vec![e(1)], "{flavour}");
        assert_eq!(n1.commit, 0, "{flavour}: not yet on a quorum");
        assert_eq!(n1.match_index, matched_of(1, &[0, 0, 0]));
        assert!(n1.votes.is_empty());
        assert_eq!(s.history.elections, vec![(1, 1)]);
        // The other vote request is still in flight.
        assert!(s.in_flight(&msg(1, 3, 1, vote_req(0, 0))));
    }
}

#[test]
fn a_textbook_leader_appends_nothing() {
    let m = model(Flavour::textbook());
    let s = elect(&m, &m.initial_state(), 1);
    assert!(s.node(1).log.is_empty());
    assert_eq!(s.history.elections, vec![(1, 1)]);
}

/// raft-rs `ProgressTracker::record_vote`: `self.votes.entry(id).or_insert(vote)`.
#[test]
fn duplicate_vote_responses_are_not_counted_twice() {
    let bounds = Bounds {
        nodes: 5,
        ..Bounds::default()
    };
    let m = model_with(bounds, Flavour::raft_rs());
    let (s, _) = step(&m, &m.initial_state(), Input::Timeout { node: 1 });
    let g2 = msg(2, 1, 1, grant());
    let (s, out) = deliver(&m, &s, &g2);
    assert!(out.is_empty());
    let (s, out) = deliver(&m, &s, &g2);
    assert!(
        out.is_empty(),
        "a second copy of n2's grant is no third vote"
    );
    assert_eq!(s.node(1).role, Role::Candidate);
    assert_eq!(
        s.node(1).votes,
        votes_of(&[Some(true), Some(true), None, None, None])
    );
    // A later refusal by the same voter does not overwrite its grant either.
    let (s, _) = deliver(&m, &s, &msg(2, 1, 1, refuse(0, 0)));
    assert_eq!(s.node(1).votes.get(2), Some(&true));
    let (s, out) = deliver(&m, &s, &msg(3, 1, 1, grant()));
    assert_eq!(out, vec![Output::BecomeLeader { node: 1, term: 1 }]);
    assert_eq!(s.node(1).role, Role::Leader);
}

/// raft-rs `poll` → `VoteResult::Lost` → `become_follower(self.term, INVALID_ID)`: same term,
/// the self vote kept.
#[test]
fn a_quorum_of_refusals_makes_a_follower() {
    let m = model(Flavour::raft_rs());
    let (s, _) = step(&m, &m.initial_state(), Input::Timeout { node: 1 });
    let (s, out) = deliver(&m, &s, &msg(2, 1, 1, refuse(0, 0)));
    assert!(out.is_empty());
    assert_eq!(s.node(1).role, Role::Candidate, "n3 may still grant");
    let (s, out) = deliver(&m, &s, &msg(3, 1, 1, refuse(0, 0)));
    assert!(out.is_empty());
    let n1 = s.node(1);
    assert_eq!(n1.role, Role::Follower);
    assert_eq!(n1.term, 1);
    assert_eq!(n1.vote, Some(1));
    assert_eq!(n1.leader, None);
    assert!(n1.votes.is_empty());
    // A grant arriving after the loss changes nothing.
    let (s2, out) = deliver(&m, &s, &msg(3, 1, 1, grant()));
    assert!(out.is_empty());
    assert_eq!(s2.nodes, s.nodes);
}

#[test]
fn vote_responses_reaching_a_leader_change_nothing() {
    let m = model(Flavour::raft_rs());
    let s = elect(&m, &m.initial_state(), 1);
    for payload in [grant(), refuse(0, 0)] {
        let (next, out) = deliver(&m, &s, &msg(3, 1, 1, payload));
        assert!(out.is_empty());
        assert_eq!(next.nodes, s.nodes);
    }
}

// ------------------------------------------------------------------------------------------
// AppendEntries at a follower
// ------------------------------------------------------------------------------------------

/// raft-rs `handle_append_entries` → `maybe_append` → `Some((_, last_idx))`:
/// `to_send.index = last_idx = idx + ents.len()`, `commit_to(min(committed, last_new_index))`,
/// and `to_send.commit = raft_log.committed`.
#[test]
fn a_matching_append_is_stored_and_acknowledged() {
    for (flavour, reported) in [(Flavour::raft_rs(), 2), (Flavour::etcd(), 0)] {
        let m = model(flavour.clone());
        let s = cluster(3, vec![follower(2, 1, vec![e(1)], 0)]);
        let a = msg(1, 2, 1, append(1, 1, vec![v(1, 1)], 2));
        let (next, out) = deliver(&m, &s, &a);
        let n2 = next.node(2);
        assert_eq!(n2.log.entries(), vec![e(1), v(1, 1)], "{flavour}");
        assert_eq!(n2.commit, 2, "{flavour}");
        assert_eq!(n2.leader, Some(1), "{flavour}");
        assert_eq!(
            out,
            vec![send(msg(2, 1, 1, append_ok(2, reported)))],
            "{flavour}"
        );
        assert_eq!(next.history.committed, vec![(e(1), 1), (v(1, 1), 1)]);
    }
}

/// The commit index follows `min(leader commit, last *new* index)`, not the end of the log.
#[test]
fn append_commit_is_capped_by_the_last_new_index() {
    let m = model(Flavour::raft_rs());
    let s = cluster(3, vec![follower(2, 1, vec![e(1), v(1, 1), v(1, 2)], 0)]);
    // A short append that matches the follower's log: nothing truncated, commit only to 2.
    let (next, out) = deliver(&m, &s, &msg(1, 2, 1, append(1, 1, vec![v(1, 1)], 3)));
    assert_eq!(next.node(2).log.entries(), vec![e(1), v(1, 1), v(1, 2)]);
    assert_eq!(next.node(2).commit, 2);
    assert_eq!(out, vec![send(msg(2, 1, 1, append_ok(2, 2)))]);
    // A leader commit below the follower's never lowers it (`commit_to` never decreases).
    let (next, out) = deliver(&m, &next, &msg(1, 2, 1, append(2, 1, vec![], 1)));
    assert_eq!(next.node(2).commit, 2);
    assert_eq!(out, vec![send(msg(2, 1, 1, append_ok(2, 2)))]);
}

/// raft-rs `maybe_append` → `find_conflict`: the first entry whose term differs replaces the
/// follower's suffix from there.
#[test]
fn a_conflicting_suffix_is_truncated() {
    let m = model(Flavour::raft_rs());
    let s = cluster(3, vec![follower(2, 1, vec![e(1), v(1, 1), v(1, 2)], 1)]);
    let (next, out) = deliver(&m, &s, &msg(3, 2, 2, append(1, 1, vec![e(2)], 1)));
    assert_eq!(next.node(2).log.entries(), vec![e(1), e(2)]);
    assert_eq!(next.node(2).commit, 1);
    assert_eq!(next.node(2).term, 2);
    assert_eq!(next.node(2).leader, Some(3));
    assert_eq!(out, vec![send(msg(2, 3, 2, append_ok(2, 1)))]);

    // Entries already present with the same terms are kept, and nothing after them is cut.
    let (next, out) = deliver(&m, &s, &msg(1, 2, 1, append(1, 1, vec![v(1, 1)], 1)));
    assert_eq!(next.node(2).log.entries(), vec![e(1), v(1, 1), v(1, 2)]);
    assert_eq!(out, vec![send(msg(2, 1, 1, append_ok(2, 1)))]);

    // A conflict further in keeps the matching prefix of the entries.
    let (next, _) = deliver(
        &m,
        &s,
        &msg(3, 2, 2, append(1, 1, vec![v(1, 1), e(2), v(2, 3)], 1)),
    );
    assert_eq!(
        next.node(2).log.entries(),
        vec![e(1), v(1, 1), e(2), v(2, 3)]
    );
}

/// raft-rs `handle_append_entries`, rejection: `hint_index = min(m.index, last_index)`,
/// `(hint_index, hint_term) = find_conflict_by_term(hint_index, m.log_term)`, replying with
/// `index = m.index`, `reject_hint`, `log_term = hint_term` and `commit`. The two logs are the
/// examples in raft-rs's `handle_append_response` comment.
#[test]
fn raft_rs_rejection_hint_follows_find_conflict_by_term() {
    let m = model(Flavour::raft_rs());

    // Follower terms 1 1 1 1 2 2; probe at (9, t5): hint at its last index 6, term 2.
    let s = cluster(
        3,
        vec![follower(2, 5, log_of_terms(&[1, 1, 1, 1, 2, 2]), 1)],
    );
    let (next, out) = deliver(&m, &s, &msg(1, 2, 5, append(9, 5, vec![], 9)));
    assert_eq!(out, vec![send(msg(2, 1, 5, append_rejected(9, 6, 2, 1)))]);
    assert_eq!(
        next.node(2).log,
        s.node(2).log,
        "a rejection changes no log"
    );
    assert_eq!(next.node(2).commit, 1);
    assert_eq!(next.node(2).leader, Some(1));

    // Follower terms 1 3 3 4 4 5 5 5 6; probe at (8, t3): the largest index with term <= 3 is 3.
    let s = cluster(
        3,
        vec![follower(
            2,
            7,
            log_of_terms(&[1, 3, 3, 4, 4, 5, 5, 5, 6]),
            1,
        )],
    );
    let (_, out) = deliver(&m, &s, &msg(1, 2, 7, append(8, 3, vec![], 1)));
    assert_eq!(out, vec![send(msg(2, 1, 7, append_rejected(8, 3, 3, 1)))]);

    // Every entry newer than the probe: the hint falls to index 0, term 0.
    let s = cluster(3, vec![follower(2, 2, vec![e(2)], 0)]);
    let (_, out) = deliver(&m, &s, &msg(1, 2, 2, append(1, 1, vec![v(1, 1)], 0)));
    assert_eq!(out, vec![send(msg(2, 1, 2, append_rejected(1, 0, 0, 0)))]);
}

/// etcd 3.4 `handleAppendEntries`: `Index: m.Index, Reject: true, RejectHint:
/// r.raftLog.lastIndex()`, no log term and no commit.
#[test]
fn etcd_rejection_hint_is_the_last_index() {
    for flavour in [Flavour::etcd(), Flavour::textbook()] {
        let m = model(flavour.clone());
        let s = cluster(
            3,
            vec![follower(
                2,
                7,
                log_of_terms(&[1, 3, 3, 4, 4, 5, 5, 5, 6]),
                1,
            )],
        );
        let (_, out) = deliver(&m, &s, &msg(1, 2, 7, append(8, 3, vec![], 1)));
        assert_eq!(
            out,
            vec![send(msg(2, 1, 7, append_rejected(8, 9, 0, 0)))],
            "{flavour}"
        );
        // Prev past the end of the follower's log.
        let s = cluster(3, vec![follower(2, 1, vec![e(1)], 0)]);
        let (_, out) = deliver(&m, &s, &msg(1, 2, 1, append(3, 1, vec![], 0)));
        assert_eq!(
            out,
            vec![send(msg(2, 1, 1, append_rejected(3, 1, 0, 0)))],
            "{flavour}"
        );
    }
}

/// raft-rs `handle_append_entries`: `m.index < committed` → a success with
/// `index = committed`, `commit = committed`, the log untouched.
#[test]
fn a_stale_append_below_the_commit_index_is_answered_with_the_commit_index() {
    for (flavour, reported) in [(Flavour::raft_rs(), 2), (Flavour::etcd(), 0)] {
        let m = model(flavour.clone());
        let s = cluster(3, vec![follower(2, 1, vec![e(1), v(1, 1), v(1, 2)], 2)]);
        // The entries would conflict with committed ones if they were looked at.
        let (next, out) = deliver(&m, &s, &msg(1, 2, 1, append(1, 1, vec![v(1, 9)], 3)));
        assert_eq!(
            out,
            vec![send(msg(2, 1, 1, append_ok(2, reported)))],
            "{flavour}"
        );
        assert_eq!(next.node(2).log, s.node(2).log, "{flavour}");
        assert_eq!(next.node(2).commit, 2, "{flavour}");
        // Neither the previous entry nor its term is looked at: a probe that would match at
        // index 1, and one that would be refused there, get the same answer.
        for prev_term in [1, 5] {
            let (_, out) = deliver(&m, &s, &msg(1, 2, 1, append(1, prev_term, vec![], 2)));
            assert_eq!(
                out,
                vec![send(msg(2, 1, 1, append_ok(2, reported)))],
                "{flavour}, prev term {prev_term}"
            );
        }
        // At the commit index itself the append is handled normally.
        let (_, out) = deliver(&m, &s, &msg(1, 2, 1, append(2, 5, vec![], 2)));
        assert!(
            matches!(
                &sends(&out)[0].payload,
                Payload::AppendEntriesResponse(AppendAnswer {
                    reject: true,
                    index: 2,
                    ..
                })
            ),
            "{flavour}: {out:?}"
        );
    }
}

/// raft-rs `step_candidate`, `MsgAppend`: `become_follower(m.term, m.from)` then
/// `handle_append_entries`; the vote of the term is kept.
#[test]
fn a_candidate_receiving_an_append_steps_down_and_records_the_leader() {
    let m = model(Flavour::raft_rs());
    let s = cluster(3, vec![candidate(2, 1, vec![], 0, 3)]);
    let (next, out) = deliver(&m, &s, &msg(1, 2, 1, append(0, 0, vec![e(1)], 0)));
    let n2 = next.node(2);
    assert_eq!(n2.role, Role::Follower);
    assert_eq!(n2.term, 1);
    assert_eq!(n2.leader, Some(1));
    assert_eq!(n2.vote, Some(2));
    assert!(n2.votes.is_empty());
    assert_eq!(n2.log.entries(), vec![e(1)]);
    assert_eq!(out, vec![send(msg(2, 1, 1, append_ok(1, 0)))]);
}

/// raft-rs `handle_heartbeat`: `commit_to(m.commit)`, reply `MsgHeartbeatResponse` with
/// `commit = committed`; etcd 3.4 replies without a commit. A candidate steps down first.
#[test]
fn a_heartbeat_advances_the_commit_and_is_answered() {
    for (flavour, reported) in [(Flavour::raft_rs(), 2), (Flavour::etcd(), 0)] {
        let m = model(flavour.clone());
        for n2 in [
            follower(2, 1, vec![e(1), v(1, 1)], 1),
            candidate(2, 1, vec![e(1), v(1, 1)], 1, 3),
        ] {
            let s = cluster(3, vec![n2]);
            let (next, out) = deliver(&m, &s, &msg(1, 2, 1, Payload::Heartbeat { commit: 2 }));
            let n2 = next.node(2);
            assert_eq!(n2.commit, 2, "{flavour}");
            assert_eq!(n2.role, Role::Follower, "{flavour}");
            assert_eq!(n2.leader, Some(1), "{flavour}");
            assert_eq!(
                out,
                vec![send(msg(
                    2,
                    1,
                    1,
                    Payload::HeartbeatResponse { commit: reported }
                ))],
                "{flavour}"
            );
        }
    }
    // The commit never moves backwards on a heartbeat.
    let m = model(Flavour::raft_rs());
    let s = cluster(3, vec![follower(2, 1, vec![e(1), v(1, 1)], 2)]);
    let (next, _) = deliver(&m, &s, &msg(1, 2, 1, Payload::Heartbeat { commit: 0 }));
    assert_eq!(next.node(2).commit, 2);
}

// ------------------------------------------------------------------------------------------
// Leader
// ------------------------------------------------------------------------------------------

/// raft-rs `handle_append_response` → `pr.maybe_update(m.index)` → `maybe_commit`: the quorum's
/// match index, if its entry is of the leader's term (`raft_log.maybe_commit(mci, self.term)`).
#[test]
fn a_leader_counts_acknowledgements_and_commits_entries_of_its_term() {
    let m = model(Flavour::raft_rs());
    let s = cluster(3, vec![leader(1, 1, vec![e(1), v(1, 1)], 0, 3)]);
    let (s, out) = deliver(&m, &s, &msg(2, 1, 1, append_ok(1, 0)));
    assert!(out.is_empty());
    assert_eq!(s.node(1).match_index, matched_of(1, &[0, 1, 0]));
    assert_eq!(s.node(1).commit, 1);
    assert_eq!(s.history.committed, vec![(e(1), 1)]);
    let (s, _) = deliver(&m, &s, &msg(3, 1, 1, append_ok(2, 0)));
    assert_eq!(s.node(1).match_index, matched_of(1, &[0, 1, 2]));
    assert_eq!(s.node(1).commit, 2);
    // An older acknowledgement never lowers a match index.
    let (s, _) = deliver(&m, &s, &msg(3, 1, 1, append_ok(0, 0)));
    assert_eq!(s.node(1).match_index, matched_of(1, &[0, 1, 2]));
    assert_eq!(s.node(1).commit, 2);
}

/// Raft Figure 8 / §5.4.2: an entry of an earlier term on a quorum is not committed by counting;
/// it is committed only with an entry of the leader's own term after it.
#[test]
fn a_leader_does_not_commit_earlier_terms_by_counting_replicas() {
    let m = model_with(
        Bounds {
            values: 3,
            ..Bounds::default()
        },
        Flavour::textbook(),
    );
    // Leader of term 3 whose log ends with an entry of term 2 (no empty entry in this flavour).
    let mut s = cluster(3, vec![leader(1, 3, vec![v(1, 1), v(2, 2)], 0, 3)]);
    s.spent.values = 2;
    let (after, _) = deliver(&m, &s, &msg(2, 1, 3, append_ok(2, 0)));
    assert_eq!(after.node(1).match_index, matched_of(1, &[0, 2, 0]));
    assert_eq!(after.node(1).commit, 0, "entry 2 is of term 2, not 3");
    assert!(after.history.committed.is_empty());

    // The deliberate spec bug commits it.
    let mut mutated = m.clone();
    mutated.mutation = Some(Mutation::CommitOldTermByCount);
    let (bad, _) = deliver(&mutated, &s, &msg(2, 1, 3, append_ok(2, 0)));
    assert_eq!(bad.node(1).commit, 2);

    // An entry of term 3 on a quorum commits everything before it too.
    let (s, out) = step(&m, &after, Input::ClientRequest { node: 1, value: 3 });
    assert!(out.is_empty());
    assert_eq!(s.node(1).commit, 0);
    let (s, _) = deliver(&m, &s, &msg(2, 1, 3, append_ok(3, 0)));
    assert_eq!(s.node(1).commit, 3);
    assert_eq!(
        s.history.committed,
        vec![(v(1, 1), 3), (v(2, 2), 3), (v(3, 3), 3)]
    );
}

/// raft-rs `handle_append_response` on a rejection only moves progress (`maybe_decr_to`) and may
/// probe; nothing the spec observes changes.
#[test]
fn a_leader_ignores_rejections_in_its_state() {
    let m = model(Flavour::raft_rs());
    let mut l = leader(1, 2, vec![e(1), e(2)], 0, 3);
    l.match_index = matched_of(1, &[0, 0, 1]);
    let s = cluster(3, vec![l]);
    let (next, out) = deliver(&m, &s, &msg(2, 1, 2, append_rejected(1, 0, 0, 0)));
    assert!(out.is_empty());
    assert_eq!(next.nodes, s.nodes);
    // Heartbeat responses change nothing in the leader either.
    let (next, out) = deliver(
        &m,
        &s,
        &msg(2, 1, 2, Payload::HeartbeatResponse { commit: 0 }),
    );
    assert!(out.is_empty());
    assert_eq!(next.nodes, s.nodes);
}

/// raft-rs `bcast_heartbeat` → `send_heartbeat`: `commit = min(pr.matched, committed)` — "The
/// leader MUST NOT forward the follower's commit to an unmatched index".
#[test]
fn the_heartbeat_input_sends_each_follower_a_commit_it_has_matched() {
    let m = model(Flavour::raft_rs());
    let mut l = leader(1, 1, vec![e(1), v(1, 1)], 2, 3);
    l.match_index = matched_of(1, &[0, 2, 1]);
    let s = cluster(
        3,
        vec![
            l,
            follower(2, 1, vec![e(1), v(1, 1)], 0),
            follower(3, 1, vec![e(1)], 0),
        ],
    );
    assert!(m.inputs(&s).contains(&Input::Heartbeat { node: 1 }));
    assert!(!m.inputs(&s).contains(&Input::Heartbeat { node: 2 }));
    let (s, out) = step(&m, &s, Input::Heartbeat { node: 1 });
    assert_eq!(
        out,
        vec![
            send(msg(1, 2, 1, Payload::Heartbeat { commit: 2 })),
            send(msg(1, 3, 1, Payload::Heartbeat { commit: 1 })),
        ]
    );
    assert_eq!(s.spent.heartbeats, 1);
    // The follower commits what the heartbeat says and answers.
    let (s2, out) = step(
        &m,
        &s,
        Input::Receive {
            message: msg(1, 3, 1, Payload::Heartbeat { commit: 1 }),
        },
    );
    assert_eq!(s2.node(3).commit, 1);
    assert_eq!(
        out,
        vec![send(msg(3, 1, 1, Payload::HeartbeatResponse { commit: 1 }))]
    );
    // The bound (one heartbeat by default) is spent.
    assert!(!m.inputs(&s).iter().any(|i| i.kind() == "Heartbeat"));
    assert_err_contains(
        m.check_enabled(&s, &Input::Heartbeat { node: 1 }),
        "heartbeat bound 1",
    );
}

#[test]
fn the_textbook_flavour_has_no_heartbeat_input() {
    let m = model(Flavour::textbook());
    let s = elect(&m, &m.initial_state(), 1);
    assert!(!m.inputs(&s).iter().any(|i| i.kind() == "Heartbeat"));
    assert!(m.check_enabled(&s, &Input::Heartbeat { node: 1 }).is_err());
    // With the flavour option on, the same leader is offered one.
    let m = model(Flavour::etcd());
    assert!(m.inputs(&s).contains(&Input::Heartbeat { node: 1 }));
}

// ------------------------------------------------------------------------------------------
// Client requests
// ------------------------------------------------------------------------------------------

#[test]
fn a_client_request_at_the_leader_is_appended() {
    let m = model(Flavour::raft_rs());
    let s = elect(&m, &m.initial_state(), 1);
    let (s, out) = step(&m, &s, Input::ClientRequest { node: 1, value: 1 });
    assert!(out.is_empty(), "appends to peers are discretionary");
    assert_eq!(s.node(1).log.entries(), vec![e(1), v(1, 1)]);
    assert_eq!(s.node(1).commit, 0);
    assert_eq!(s.spent.values, 1);
}

/// raft-rs `step_follower`, `MsgPropose`: `m.to = self.leader_id; self.r.send(m)` — the
/// proposal keeps its `from` (the node the client asked) and term 0.
#[test]
fn a_client_request_at_a_follower_is_forwarded_to_the_leader() {
    let m = model_with(
        Bounds {
            values: 2,
            ..Bounds::default()
        },
        Flavour::raft_rs(),
    );
    let mut n2 = follower(2, 1, vec![e(1)], 0);
    n2.leader = Some(3);
    let mut n3 = follower(3, 1, vec![e(1)], 0);
    n3.leader = Some(1);
    let s = cluster(3, vec![leader(1, 1, vec![e(1)], 0, 3), n2, n3]);
    let (s, out) = step(&m, &s, Input::ClientRequest { node: 2, value: 1 });
    let forwarded = msg(2, 3, 0, Payload::Propose { value: 1 });
    assert_eq!(out, vec![send(forwarded.clone())]);
    assert_eq!(s.spent.values, 1);
    assert_eq!(s.node(2).log.entries(), vec![e(1)]);
    // n3 (a follower too) forwards it on, still from n2.
    let (s, out) = step(&m, &s, Input::Receive { message: forwarded });
    let onward = msg(2, 1, 0, Payload::Propose { value: 1 });
    assert_eq!(out, vec![send(onward.clone())]);
    // The leader appends it.
    let (s, out) = step(&m, &s, Input::Receive { message: onward });
    assert!(out.is_empty());
    assert_eq!(s.node(1).log.entries(), vec![e(1), v(1, 1)]);
    // A proposal travels outside the term discipline: term 0 is not stale.
    assert!(s.network.is_empty());
}

/// raft-rs `step_candidate`/`step_follower`, `MsgPropose`: "no leader at term {}; dropping
/// proposal" → `Err(ProposalDropped)`.
#[test]
fn a_client_request_without_a_known_leader_is_dropped() {
    let m = model(Flavour::raft_rs());
    let s = cluster(
        3,
        vec![candidate(1, 1, vec![], 0, 3), follower(2, 1, vec![], 0)],
    );
    for node in [1, 2] {
        let (next, out) = step(&m, &s, Input::ClientRequest { node, value: 1 });
        assert_eq!(out, vec![Output::ProposalDropped { node, value: 1 }]);
        assert_eq!(next.nodes, s.nodes);
        assert_eq!(next.spent.values, 1, "the value is spent all the same");
    }
    // A forwarded proposal that reaches a candidate is dropped there.
    let (_, out) = deliver(&m, &s, &msg(3, 1, 0, Payload::Propose { value: 1 }));
    assert_eq!(out, vec![Output::ProposalDropped { node: 1, value: 1 }]);
}

#[test]
fn client_values_are_proposed_in_order_and_bounded() {
    let m = model_with(
        Bounds {
            values: 2,
            ..Bounds::default()
        },
        Flavour::raft_rs(),
    );
    let s = elect(&m, &m.initial_state(), 1);
    let offered = |s: &ClusterState| -> Vec<Input> {
        m.inputs(s)
            .into_iter()
            .filter(|i| i.kind() == "ClientRequest")
            .collect()
    };
    assert_eq!(
        offered(&s),
        (1..=3)
            .map(|node| Input::ClientRequest { node, value: 1 })
            .collect::<Vec<_>>()
    );
    assert_err_contains(
        m.check_enabled(&s, &Input::ClientRequest { node: 1, value: 2 }),
        "the next client value is v1 (of 2), not v2",
    );
    let (s, _) = step(&m, &s, Input::ClientRequest { node: 1, value: 1 });
    assert!(offered(&s)
        .iter()
        .all(|i| matches!(i, Input::ClientRequest { value: 2, .. })));
    let (s, _) = step(&m, &s, Input::ClientRequest { node: 1, value: 2 });
    assert_eq!(s.node(1).log.entries(), vec![e(1), v(1, 1), v(1, 2)]);
    assert!(offered(&s).is_empty());
    assert_err_contains(
        m.check_enabled(&s, &Input::ClientRequest { node: 1, value: 3 }),
        "the next client value is v3 (of 2)",
    );
}

// ------------------------------------------------------------------------------------------
// Restart
// ------------------------------------------------------------------------------------------

/// raft-rs `Raft::new` from storage: `load_state(hard_state)` (term, vote, commit) and the log,
/// then `become_follower(term, INVALID_ID)`.
#[test]
fn a_restart_keeps_term_vote_log_and_commit_in_raft_rs_and_etcd() {
    for flavour in [Flavour::raft_rs(), Flavour::etcd()] {
        let m = model(flavour.clone());
        let mut l = leader(1, 2, vec![e(1), e(2)], 1, 3);
        l.match_index = matched_of(1, &[0, 2, 1]);
        let s = cluster(3, vec![l]);
        let (next, out) = step(&m, &s, Input::Restart { node: 1 });
        assert!(out.is_empty());
        let n1 = next.node(1);
        assert_eq!(n1.role, Role::Follower, "{flavour}");
        assert_eq!(n1.leader, None, "{flavour}");
        assert!(n1.match_index.is_empty(), "{flavour}");
        assert!(n1.votes.is_empty(), "{flavour}");
        assert_eq!(n1.term, 2, "{flavour}");
        assert_eq!(n1.vote, Some(1), "{flavour}");
        assert_eq!(n1.log.entries(), vec![e(1), e(2)], "{flavour}");
        assert_eq!(n1.commit, 1, "{flavour}");
        assert_eq!(next.spent.restarts, 1);
        assert!(!next.history.commit_regressed);
    }
    // A candidate forgets the votes it counted.
    let m = model(Flavour::raft_rs());
    let s = cluster(3, vec![candidate(2, 1, vec![], 0, 3)]);
    let (next, _) = step(&m, &s, Input::Restart { node: 2 });
    assert_eq!(next.node(2).role, Role::Follower);
    assert_eq!(next.node(2).vote, Some(2));
    assert!(next.node(2).votes.is_empty());
}

/// The Raft paper: commitIndex is volatile. The textbook flavour forgets it, and that is not a
/// regression of the commit index.
#[test]
fn a_textbook_restart_forgets_the_commit_index() {
    let m = model(Flavour::textbook());
    let s = cluster(3, vec![follower(2, 1, vec![v(1, 1)], 1)]);
    let (next, _) = step(&m, &s, Input::Restart { node: 2 });
    assert_eq!(next.node(2).commit, 0);
    assert_eq!(next.node(2).log.entries(), vec![v(1, 1)]);
    assert!(!next.history.commit_regressed);
    assert!(raftcheck_spec::properties::commit_monotonic(&next).is_ok());
}

#[test]
fn restarts_are_bounded() {
    let m = model(Flavour::raft_rs());
    let s = m.initial_state();
    assert_eq!(
        m.inputs(&s)
            .iter()
            .filter(|i| i.kind() == "Restart")
            .count(),
        3
    );
    let (s, _) = step(&m, &s, Input::Restart { node: 3 });
    assert!(!m.inputs(&s).iter().any(|i| i.kind() == "Restart"));
    assert_err_contains(
        m.check_enabled(&s, &Input::Restart { node: 1 }),
        "the restart bound 1 is spent",
    );
}

// ------------------------------------------------------------------------------------------
// Drop and Duplicate
// ------------------------------------------------------------------------------------------

#[test]
fn drops_and_duplicates_are_offered_only_when_bounded_above_zero() {
    let m = model(Flavour::raft_rs());
    let (s, _) = step(&m, &m.initial_state(), Input::Timeout { node: 1 });
    assert_eq!(s.network.len(), 2);
    assert!(!m
        .inputs(&s)
        .iter()
        .any(|i| matches!(i, Input::Drop { .. } | Input::Duplicate { .. })));
    let request = s.network[0].clone();
    assert_err_contains(
        m.check_enabled(
            &s,
            &Input::Drop {
                message: request.clone(),
            },
        ),
        "the drop bound 0 is spent",
    );
    assert_err_contains(
        m.check_enabled(&s, &Input::Duplicate { message: request }),
        "the duplicate bound 0 is spent",
    );

    let m = model_with(
        Bounds {
            drops: 1,
            duplicates: 1,
            ..Bounds::default()
        },
        Flavour::raft_rs(),
    );
    let inputs = m.inputs(&s);
    for message in &s.network {
        assert!(inputs.contains(&Input::Drop {
            message: message.clone()
        }));
        assert!(inputs.contains(&Input::Duplicate {
            message: message.clone()
        }));
    }
}

#[test]
fn drop_removes_one_copy_and_duplicate_adds_one() {
    let m = model_with(
        Bounds {
            drops: 1,
            duplicates: 1,
            ..Bounds::default()
        },
        Flavour::raft_rs(),
    );
    let (s, _) = step(&m, &m.initial_state(), Input::Timeout { node: 1 });
    let request = msg(1, 2, 1, vote_req(0, 0));
    let (dup, out) = step(
        &m,
        &s,
        Input::Duplicate {
            message: request.clone(),
        },
    );
    assert!(out.is_empty());
    assert_eq!(dup.network.iter().filter(|x| **x == request).count(), 2);
    assert_eq!(dup.spent.duplicates, 1);
    assert_eq!(dup.nodes, s.nodes);
    assert!(!m.inputs(&dup).iter().any(|i| i.kind() == "Duplicate"));

    let (dropped, out) = step(
        &m,
        &dup,
        Input::Drop {
            message: request.clone(),
        },
    );
    assert!(out.is_empty());
    assert_eq!(dropped.network.iter().filter(|x| **x == request).count(), 1);
    assert_eq!(dropped.spent.drops, 1);
    assert!(!m.inputs(&dropped).iter().any(|i| i.kind() == "Drop"));
    let (gone, _) = step(
        &m,
        &s,
        Input::Drop {
            message: request.clone(),
        },
    );
    assert!(!gone.in_flight(&request));
}

// ------------------------------------------------------------------------------------------
// may_send and the send menu
// ------------------------------------------------------------------------------------------

/// A term-2 leader with log `[t1:empty, t2:empty, t2:v1]`, commit 2, and two followers.
fn leader_state() -> ClusterState {
    let mut l = leader(1, 2, vec![e(1), e(2), v(2, 1)], 2, 3);
    l.match_index = matched_of(1, &[0, 2, 2]);
    cluster(
        3,
        vec![
            l,
            follower(2, 2, vec![e(1), e(2)], 2),
            follower(3, 2, vec![e(1), e(2)], 2),
        ],
    )
}

#[test]
fn may_send_accepts_any_well_formed_append() {
    let m = model(Flavour::raft_rs());
    let s = leader_state();
    let good = [
        append(0, 0, vec![e(1), e(2), v(2, 1)], 2),
        append(0, 0, vec![e(1)], 2),
        append(1, 1, vec![e(2)], 1),
        append(2, 2, vec![v(2, 1)], 0),
        append(3, 2, vec![], 2),
        append(1, 1, vec![], 2),
    ];
    for payload in good {
        for to in [2, 3] {
            let m2 = msg(1, to, 2, payload.clone());
            assert_eq!(m.may_send(&s, &m2), Ok(()), "{m2}");
        }
    }
}

#[test]
fn may_send_rejects_each_malformed_message_with_a_reason() {
    let m = model(Flavour::raft_rs());
    let s = leader_state();
    let ok = append(1, 1, vec![e(2)], 2);
    let cases = [
        (
            msg(1, 2, 1, ok.clone()),
            "carries term 1 but the leader's term is 2",
        ),
        (msg(1, 2, 3, ok.clone()), "carries term 3"),
        (
            msg(2, 3, 2, ok.clone()),
            "n2 is a follower at term 2; only a leader sends appends",
        ),
        (msg(1, 1, 2, ok.clone()), "n1 sends an append to itself"),
        (
            msg(1, 9, 2, ok.clone()),
            "addressed n1→n9 in a 3-node cluster",
        ),
        (
            msg(1, 2, 2, append(4, 2, vec![], 2)),
            "prev_log_index 4 is past the leader's last index 3",
        ),
        (
            msg(1, 2, 2, append(1, 2, vec![e(2)], 2)),
            "prev_log_term 2 but the leader's entry 1 has term 1",
        ),
        (
            msg(1, 2, 2, append(1, 1, vec![e(2), v(2, 9)], 2)),
            "entries[1] is t2:v9 but the leader's entry 3 is t2:v1",
        ),
        (
            msg(1, 2, 2, append(1, 1, vec![v(2, 1)], 2)),
            "entries[0] is t2:v1 but the leader's entry 2 is t2:empty",
        ),
        (
            msg(1, 2, 2, append(2, 2, vec![v(2, 1), v(2, 2)], 2)),
            "entries[1] (t2:v2) is past the leader's last index 3",
        ),
        (
            msg(1, 2, 2, append(1, 1, vec![e(2)], 3)),
            "carries commit 3 but the leader's commit index is 2",
        ),
        (
            msg(1, 2, 2, vote_req(3, 2)),
            "a RequestVote is only sent in reply to an input",
        ),
        (
            msg(1, 2, 2, Payload::Heartbeat { commit: 2 }),
            "a Heartbeat is only sent in reply to an input",
        ),
        (
            msg(1, 2, 2, append_ok(3, 2)),
            "a AppendEntriesResponse is only sent",
        ),
        (
            msg(1, 2, 0, Payload::Propose { value: 1 }),
            "a Propose is only sent",
        ),
    ];
    for (message, reason) in cases {
        assert_err_contains(m.may_send(&s, &message), reason);
    }
    // The node-level check also refuses a message whose `from` is another node.
    assert_err_contains(
        s.node(1).may_send(&msg(2, 3, 2, ok)),
        "sent by n1 but from field says n2",
    );
}

#[test]
fn a_leader_stops_being_allowed_to_send_once_deposed() {
    let m = model(Flavour::raft_rs());
    let s = leader_state();
    let a = msg(1, 2, 2, append(3, 2, vec![], 2));
    assert!(m.may_send(&s, &a).is_ok());
    let (deposed, _) = deliver(&m, &s, &msg(3, 1, 3, vote_req(3, 2)));
    assert_eq!(deposed.node(1).role, Role::Follower);
    assert_err_contains(m.may_send(&deposed, &a), "only a leader sends appends");
}

/// Spec-only mode offers, for each leader, each peer and each previous index, the append of
/// every entry after it with the leader's commit; all of them pass `may_send`.
#[test]
fn the_send_menu_is_every_suffix_to_every_peer() {
    let m = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::SpecOnly);
    let s = leader_state();
    let menu = m.send_menu(&s);
    let log = s.node(1).log.entries().to_vec();
    let mut expected = Vec::new();
    for to in [2, 3] {
        for prev in 0..=3u64 {
            let prev_term = if prev == 0 {
                0
            } else {
                log[prev as usize - 1].term
            };
            expected.push(msg(
                1,
                to,
                2,
                append(prev, prev_term, log[prev as usize..].to_vec(), 2),
            ));
        }
    }
    assert_eq!(menu, expected);
    for message in &menu {
        assert_eq!(m.may_send(&s, message), Ok(()), "{message}");
    }
    // Non-leaders offer nothing.
    assert!(m.send_menu(&m.initial_state()).is_empty());

    // The menu is part of the actions in spec-only mode only.
    use stateright::Model;
    let mut actions = Vec::new();
    m.actions(&s, &mut actions);
    let sends: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            raftcheck_spec::Action::Send(message) => Some(message.clone()),
            raftcheck_spec::Action::Input(_) => None,
        })
        .collect();
    assert_eq!(sends, menu);
    let lockstep = model(Flavour::raft_rs());
    let mut actions = Vec::new();
    lockstep.actions(&s, &mut actions);
    assert!(actions
        .iter()
        .all(|a| matches!(a, raftcheck_spec::Action::Input(_))));
    // A spec send only posts the message.
    let next = m
        .next_state(&s, raftcheck_spec::Action::Send(menu[0].clone()))
        .unwrap();
    assert_eq!(next.nodes, s.nodes);
    assert_eq!(next.network, vec![menu[0].clone()]);
}

// ------------------------------------------------------------------------------------------
// Network
// ------------------------------------------------------------------------------------------

#[test]
fn the_network_is_a_multiset_and_receive_takes_one_copy() {
    let m = model(Flavour::raft_rs());
    let mut s = m.initial_state();
    let request = msg(1, 2, 1, vote_req(0, 0));
    s.post(request.clone());
    s.post(request.clone());
    assert_eq!(s.network.len(), 2);
    assert_eq!(s.distinct_in_flight().count(), 1);
    let receives: Vec<_> = m
        .inputs(&s)
        .into_iter()
        .filter(|i| i.kind() == "Receive")
        .collect();
    assert_eq!(
        receives,
        vec![Input::Receive {
            message: request.clone()
        }]
    );
    let (s1, _) = step(
        &m,
        &s,
        Input::Receive {
            message: request.clone(),
        },
    );
    assert_eq!(s1.network.iter().filter(|x| **x == request).count(), 1);
    assert!(s1.in_flight(&request));
    // Its reply joined the network beside the remaining copy.
    assert!(s1.in_flight(&msg(2, 1, 1, grant())));
    let (s2, out) = step(
        &m,
        &s1,
        Input::Receive {
            message: request.clone(),
        },
    );
    assert!(!s2.in_flight(&request));
    assert_eq!(out, vec![send(msg(2, 1, 1, grant()))]);
    assert_eq!(
        s2.network
            .iter()
            .filter(|x| **x == msg(2, 1, 1, grant()))
            .count(),
        2
    );
}

#[test]
fn the_network_order_does_not_depend_on_arrival_order() {
    let a = msg(1, 2, 1, vote_req(0, 0));
    let b = msg(3, 2, 2, append(0, 0, vec![e(2)], 0));
    let c = msg(2, 1, 1, grant());
    let mut x = ClusterState::initial(3);
    let mut y = ClusterState::initial(3);
    for m in [&a, &b, &c, &a] {
        x.post(m.clone());
    }
    for m in [&c, &a, &b, &a] {
        y.post(m.clone());
    }
    assert_eq!(x, y);
    let mut sorted = x.network.clone();
    sorted.sort();
    assert_eq!(x.network, sorted);
    assert!(x.take(&a));
    assert!(x.take(&a));
    assert!(!x.take(&a), "only two copies were posted");
    assert!(!x.in_flight(&a));
}

/// `RaftModel::inputs` documents a fixed order: receives, timeouts, client requests,
/// heartbeats, restarts, drops, duplicates.
#[test]
fn inputs_come_in_a_fixed_order() {
    let m = model_with(
        Bounds {
            drops: 1,
            duplicates: 1,
            ..Bounds::default()
        },
        Flavour::raft_rs(),
    );
    let mut s = leader_state();
    s.post(msg(2, 1, 2, append_ok(3, 2)));
    s.post(msg(1, 3, 2, append(3, 2, vec![], 2)));
    let kinds: Vec<&str> = m.inputs(&s).iter().map(|i| i.kind()).collect();
    assert_eq!(
        kinds,
        vec![
            "Receive",
            "Receive",
            "Timeout",
            "Timeout",
            "ClientRequest",
            "ClientRequest",
            "ClientRequest",
            "Heartbeat",
            "Restart",
            "Restart",
            "Restart",
            "Drop",
            "Drop",
            "Duplicate",
            "Duplicate",
        ]
    );
    assert_eq!(m.inputs(&s), m.inputs(&s.clone()), "deterministic");
    let receives: Vec<Input> = m.inputs(&s).into_iter().take(2).collect();
    assert_eq!(
        receives,
        vec![
            Input::Receive {
                message: msg(1, 3, 2, append(3, 2, vec![], 2))
            },
            Input::Receive {
                message: msg(2, 1, 2, append_ok(3, 2))
            },
        ],
        "receives follow the network's order"
    );
}

#[test]
fn apply_leaves_outputs_out_of_the_network_and_next_state_posts_them() {
    use stateright::Model;
    let m = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::SpecOnly);
    let s = m.initial_state();
    let t = m.apply(&s, &Input::Timeout { node: 1 });
    assert!(t.state.network.is_empty());
    assert_eq!(sends(&t.outputs).len(), 2);
    let next = m
        .next_state(
            &s,
            raftcheck_spec::Action::Input(Input::Timeout { node: 1 }),
        )
        .unwrap();
    assert_eq!(next.network, sends(&t.outputs));
    assert_eq!(next.nodes, t.state.nodes);
}

#[test]
fn states_with_too_many_messages_in_flight_are_outside_the_bounds() {
    let m = model_with(
        Bounds {
            max_in_flight: 2,
            ..Bounds::default()
        },
        Flavour::raft_rs(),
    );
    let mut s = m.initial_state();
    s.post(msg(1, 2, 1, vote_req(0, 0)));
    s.post(msg(1, 3, 1, vote_req(0, 0)));
    assert!(m.within_bounds(&s));
    s.post(msg(1, 3, 1, vote_req(0, 0)));
    assert!(!m.within_bounds(&s));
}

// ------------------------------------------------------------------------------------------
// check_enabled
// ------------------------------------------------------------------------------------------

#[test]
fn check_enabled_explains_why_an_input_is_refused() {
    let m = model(Flavour::raft_rs());
    let s = m.initial_state();
    assert_err_contains(
        m.check_enabled(&s, &Input::Timeout { node: 4 }),
        "n4 is not a node of this 3-node cluster",
    );
    assert_err_contains(
        m.check_enabled(&s, &Input::Restart { node: 0 }),
        "n0 is not a node of this 3-node cluster",
    );
    let stray = msg(1, 2, 1, vote_req(0, 0));
    assert_err_contains(
        m.check_enabled(
            &s,
            &Input::Receive {
                message: stray.clone(),
            },
        ),
        &format!("no message {stray} is in flight"),
    );
    let mut s2 = s.clone();
    let from_nowhere = msg(7, 2, 1, vote_req(0, 0));
    s2.post(from_nowhere.clone());
    assert_err_contains(
        m.check_enabled(
            &s2,
            &Input::Receive {
                message: from_nowhere,
            },
        ),
        "n7 is not a node of this cluster",
    );
    assert_err_contains(
        m.check_enabled(
            &s,
            &Input::Receive {
                message: msg(1, 5, 1, vote_req(0, 0)),
            },
        ),
        "n5 is not a node",
    );
    assert_err_contains(
        m.check_enabled(&s, &Input::ClientRequest { node: 1, value: 2 }),
        "the next client value is v1 (of 1), not v2",
    );
    assert_err_contains(
        m.check_enabled(&s, &Input::Heartbeat { node: 1 }),
        "n1 cannot send heartbeats",
    );
    // Everything offered is accepted.
    for input in m.inputs(&s) {
        assert_eq!(m.check_enabled(&s, &input), Ok(()), "{input}");
    }
}

// ------------------------------------------------------------------------------------------
// Serialisation
// ------------------------------------------------------------------------------------------

#[test]
fn a_cluster_state_survives_a_json_round_trip() {
    let m = model(Flavour::raft_rs());
    let s = elect(&m, &m.initial_state(), 1);
    let (s, _) = step(&m, &s, Input::ClientRequest { node: 1, value: 1 });
    let mut s = s;
    let a = msg(1, 2, 1, append(0, 0, s.node(1).log.entries().to_vec(), 0));
    s.post(a.clone());
    let (s, _) = step(&m, &s, Input::Receive { message: a });
    let (s, _) = step(
        &m,
        &s,
        Input::Receive {
            message: msg(2, 1, 1, append_ok(2, 0)),
        },
    );
    let (s, _) = step(&m, &s, Input::Restart { node: 3 });
    assert_eq!(s.node(1).commit, 2);
    assert!(!s.history.committed.is_empty());
    assert!(!s.network.is_empty());

    let json = serde_json::to_string(&s).unwrap();
    let back: ClusterState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    // The empty entry is marked by a missing value, not by a sentinel.
    assert!(json.contains(r#"{"term":1}"#), "{json}");
    assert!(json.contains(r#"{"term":1,"value":1}"#), "{json}");
}
