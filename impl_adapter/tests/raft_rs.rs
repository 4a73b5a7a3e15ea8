//! Behavioural tests of the raft-rs adapter, driven only through the [`Adapter`] trait with
//! hand-built [`Input`]s. Every message delivered was taken from the outputs the adapter returned
//! (`Output::Send`), so the scripts read like the logs one would read by hand.

use std::collections::BTreeMap;

use raftcheck_adapter::inject::Bug;
use raftcheck_adapter::raft_rs::{convert, RaftRsAdapter};
use raftcheck_adapter::{Adapter, AdapterError, ClusterSetup};
use raftcheck_spec::{
    AppendAnswer, Bounds, Change, ChangeOp, ClusterView, ConfChange, Configuration, Entry, Flavour,
    Input, Message, NodeId, NodeView, Output, Payload, Renaming, Role, Symmetry,
};

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

const THREE: ClusterSetup = ClusterSetup::new(3);

/// An adapter on a fresh cluster plus the network of messages it emitted and the path of inputs
/// it was driven through.
struct Run {
    a: RaftRsAdapter,
    /// Every input applied since the reset, in order.
    path: Vec<Input>,
    /// Messages emitted and not yet delivered or dropped, in emission order.
    net: Vec<Message>,
    /// Outputs of every step, in order.
    outputs: Vec<Vec<Output>>,
}

impl Run {
    fn new() -> Self {
        Self::with_bug(None)
    }

    fn with_bug(bug: Option<Bug>) -> Self {
        let mut a = RaftRsAdapter::with_bug(bug);
        a.reset(&THREE).expect("reset");
        Run {
            a,
            path: Vec::new(),
            net: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// Applies `input`; the messages it emits enter the network.
    fn apply(&mut self, input: Input) -> Vec<Output> {
        let shown = input.to_string();
        self.try_apply(input)
            .unwrap_or_else(|e| panic!("{shown}: {e}"))
    }

    /// Applies `input` and records it if the adapter takes it. On an error the input is not
    /// part of the path, and the cluster is brought back to the path's state.
    fn try_apply(&mut self, input: Input) -> Result<Vec<Output>, AdapterError> {
        let out = match self.a.apply(&input) {
            Ok(out) => out,
            Err(e) => {
                self.a
                    .replay_to(&THREE, &self.path)
                    .expect("back to the path");
                return Err(e);
            }
        };
        if let Input::Receive { message } | Input::Drop { message } = &input {
            if let Some(at) = self.net.iter().position(|m| m == message) {
                self.net.remove(at);
            }
        }
        self.net.extend(sent(&out));
        self.path.push(input);
        self.outputs.push(out.clone());
        Ok(out)
    }

    /// The oldest in-flight message of `kind` from `from` to `to`.
    fn find(&self, kind: &str, from: NodeId, to: NodeId) -> Message {
        self.net
            .iter()
            .find(|m| m.payload.kind() == kind && m.from == from && m.to == to)
            .cloned()
            .unwrap_or_else(|| {
                let net: Vec<String> = self.net.iter().map(|m| m.to_string()).collect();
                panic!("no {kind} n{from}→n{to} in flight; in flight: {net:#?}")
            })
    }

    /// Delivers the oldest in-flight message of `kind` from `from` to `to`.
    fn deliver(&mut self, kind: &str, from: NodeId, to: NodeId) -> Vec<Output> {
        let message = self.find(kind, from, to);
        self.apply(Input::Receive { message })
    }

    /// Removes the oldest in-flight message of `kind` from `from` to `to` without delivering it.
    fn take(&mut self, kind: &str, from: NodeId, to: NodeId) -> Message {
        let message = self.find(kind, from, to);
        let at = self.net.iter().position(|m| *m == message).unwrap();
        self.net.remove(at);
        message
    }

    fn view(&mut self) -> ClusterView {
        self.a.observe().expect("observe")
    }

    /// Loses every message in flight.
    fn drop_all(&mut self) {
        self.net.clear();
    }

    /// Delivers the messages in flight between `a` and `b`, oldest first, until there are none.
    fn settle(&mut self, a: NodeId, b: NodeId) {
        let between = |m: &Message| (m.from, m.to) == (a, b) || (m.from, m.to) == (b, a);
        while let Some(message) = self.net.iter().find(|m| between(m)).cloned() {
            self.apply(Input::Receive { message });
        }
    }

    fn node(&mut self, id: NodeId) -> NodeView {
        self.view().nodes[id as usize - 1].clone()
    }

    fn fp(&mut self) -> u64 {
        self.a
            .fingerprint()
            .expect("fingerprint")
            .expect("raft-rs has a fingerprint")
    }
}

fn sent(out: &[Output]) -> Vec<Message> {
    out.iter().filter_map(Output::sent).cloned().collect()
}

fn sorted(mut out: Vec<Output>) -> Vec<Output> {
    out.sort();
    out
}

fn send(message: Message) -> Output {
    Output::Send { message }
}

fn msg(from: NodeId, to: NodeId, term: u64, payload: Payload) -> Message {
    Message {
        from,
        to,
        term,
        payload,
    }
}

fn request_vote(
    from: NodeId,
    to: NodeId,
    term: u64,
    last: (u64, u64),
    commit: (u64, u64),
) -> Message {
    msg(
        from,
        to,
        term,
        Payload::RequestVote {
            pre: false,
            last_log_index: last.0,
            last_log_term: last.1,
            commit: commit.0,
            commit_term: commit.1,
        },
    )
}

fn grant(from: NodeId, to: NodeId, term: u64) -> Message {
    msg(
        from,
        to,
        term,
        Payload::RequestVoteResponse {
            pre: false,
            reject: false,
            commit: 0,
            commit_term: 0,
        },
    )
}

fn append_ok(from: NodeId, to: NodeId, term: u64, index: u64, commit: u64) -> Message {
    msg(
        from,
        to,
        term,
        Payload::AppendEntriesResponse(AppendAnswer::ack(index, commit)),
    )
}

fn heartbeat(from: NodeId, to: NodeId, term: u64, commit: u64) -> Message {
    msg(from, to, term, Payload::Heartbeat { commit })
}

fn node(
    term: u64,
    role: Role,
    vote: Option<NodeId>,
    leader: Option<NodeId>,
    log: Vec<Entry>,
    commit: u64,
) -> NodeView {
    // Committed entries are applied at once: the state machine holds the committed values.
    let state_machine = log
        .iter()
        .take(commit as usize)
        .filter_map(|e| e.value)
        .collect();
    NodeView {
        term,
        role,
        vote,
        leader,
        log,
        commit,
        applied: commit,
        state_machine,
        ..NodeView::fresh(Configuration::with_voters([1, 2, 3]))
    }
}

fn empty_node() -> NodeView {
    node(0, Role::Follower, None, None, vec![], 0)
}

/// A brand-new adapter reset to `setup` and driven through `path` input by input: the reference
/// every `replay_to` is compared with. Returns the view, the fingerprint and the outputs of every
/// step.
fn fresh_state(
    bug: Option<Bug>,
    setup: &ClusterSetup,
    path: &[Input],
) -> (ClusterView, u64, Vec<Vec<Output>>) {
    let mut a = RaftRsAdapter::with_bug(bug);
    a.reset(setup).unwrap();
    let outputs = path
        .iter()
        .map(|i| a.apply(i).unwrap_or_else(|e| panic!("{i}: {e}")))
        .collect();
    (
        a.observe().unwrap(),
        a.fingerprint().unwrap().unwrap(),
        outputs,
    )
}

/// Runs `f` on its own thread and fails if it does not finish within `secs` seconds (the thread
/// is left behind), so a hang inside the adapter fails a test instead of hanging the run.
fn with_deadline<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(std::time::Duration::from_secs(secs)) {
        Ok(Ok(t)) => t,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the adapter hung: no answer within {secs} s"),
    }
}

/// Every variant the long tests (random walks, scripted replays) drive: stock and each bug.
const DRIVABLE_BUGS: [Option<Bug>; 8] = [
    None,
    Some(Bug::VoteNotPersisted),
    Some(Bug::TermNotPersisted),
    Some(Bug::UnsyncedTailLost),
    Some(Bug::AckBeforePersist),
    Some(Bug::StaleTermAsCurrent),
    Some(Bug::ReplyToWrongPeer),
    Some(Bug::ConflictNotTruncated),
];

/// Elects n1 in term 1 with n2's vote: Timeout n1, RequestVote → n2, the grant → n1. The vote
/// request to n3 and both initial appends stay in flight.
fn elect_n1(r: &mut Run) {
    elect(r, 1, 2);
}

/// Elects `candidate` with `voter`'s vote: Timeout, its RequestVote delivered to `voter`, the
/// answer delivered back; the other messages stay in flight.
fn elect(r: &mut Run, candidate: NodeId, voter: NodeId) {
    r.apply(Input::Timeout { node: candidate });
    r.deliver("RequestVote", candidate, voter);
    r.deliver("RequestVoteResponse", voter, candidate);
}

/// Elects n1 and commits its empty entry and client value 1 on every node (see
/// `testdata/replication.txt` for the same exchange step by step).
fn commit_v1(r: &mut Run) {
    elect_n1(r);
    r.deliver("AppendEntries", 1, 2);
    r.deliver("AppendEntries", 1, 3);
    r.apply(Input::ClientRequest { node: 1, value: 1 });
    r.deliver("AppendEntriesResponse", 2, 1);
    r.deliver("AppendEntriesResponse", 3, 1);
    r.deliver("AppendEntries", 1, 2);
    r.deliver("AppendEntriesResponse", 2, 1);
    r.deliver("AppendEntries", 1, 3);
    r.deliver("AppendEntries", 1, 2);
    r.deliver("AppendEntries", 1, 3);
}

// ---------------------------------------------------------------------------------------------
// Reset
// ---------------------------------------------------------------------------------------------

#[test]
fn names_itself_and_declares_the_raft_rs_flavour() {
    let a = RaftRsAdapter::new();
    assert_eq!(a.name(), "raft-rs");
    assert_eq!(a.flavour(), Flavour::raft_rs());
    assert_eq!(RaftRsAdapter::default().flavour(), Flavour::raft_rs());
}

#[test]
fn reset_gives_an_empty_cluster() {
    let mut r = Run::new();
    assert_eq!(r.view().nodes, vec![empty_node(); 3]);

    let mut five = RaftRsAdapter::new();
    five.reset(&ClusterSetup::new(5)).unwrap();
    assert_eq!(five.observe().unwrap().nodes, vec![empty_of(5); 5]);

    // Spares start knowing the initial configuration, outside it.
    let mut spared = RaftRsAdapter::new();
    spared
        .reset(&ClusterSetup {
            nodes: 3,
            spares: 2,
        })
        .unwrap();
    assert_eq!(spared.observe().unwrap().nodes, vec![empty_node(); 5]);
}

/// A fresh node of a cluster of `n` voters.
fn empty_of(n: u64) -> NodeView {
    NodeView::fresh(Configuration::with_voters(1..=n))
}

#[test]
fn a_second_reset_after_activity_gives_a_fresh_cluster() {
    let pristine = Run::new().fp();
    let mut r = Run::new();
    commit_v1(&mut r);
    r.apply(Input::Restart { node: 2 });
    r.apply(Input::Timeout { node: 3 });
    assert_ne!(r.view().nodes, vec![empty_node(); 3]);

    r.a.reset(&THREE).unwrap();
    assert_eq!(r.view().nodes, vec![empty_node(); 3]);
    assert_eq!(r.fp(), pristine, "hidden state survived a reset");

    // And it behaves like a fresh cluster: the first election is at term 1 again, with an empty
    // log (no storage reused).
    let out = r.a.apply(&Input::Timeout { node: 2 }).unwrap();
    assert_eq!(
        sorted(out),
        vec![
            send(request_vote(2, 1, 1, (0, 0), (0, 0))),
            send(request_vote(2, 3, 1, (0, 0), (0, 0))),
        ]
    );

    // A reset to another size also starts from nothing.
    r.a.reset(&ClusterSetup::new(5)).unwrap();
    assert_eq!(r.view().nodes, vec![empty_of(5); 5]);
    r.a.reset(&THREE).unwrap();
    assert_eq!(r.fp(), pristine);
}

// ---------------------------------------------------------------------------------------------
// Election, replication, commit
// ---------------------------------------------------------------------------------------------

#[test]
fn commit_v1_helper_ends_with_everything_committed() {
    let mut r = Run::new();
    commit_v1(&mut r);
    let log = vec![Entry::empty(1), Entry::value(1, 1)];
    for (i, n) in r.view().nodes.iter().enumerate() {
        assert_eq!((n.term, &n.log, n.commit), (1, &log, 2), "n{}", i + 1);
    }
}

// ---------------------------------------------------------------------------------------------
// The abstraction function (raft_rs/mod.rs, "Abstraction to spec state")
// ---------------------------------------------------------------------------------------------

#[test]
fn abstraction_maps_each_field_as_documented() {
    let mut r = Run::new();
    // vote 0 ↦ none, leader 0 ↦ none, empty log, commit 0, follower, term 0.
    assert_eq!(r.node(1), empty_node());

    // term and role: campaign bumps the term and makes a candidate that voted for itself.
    r.apply(Input::Timeout { node: 1 });
    assert_eq!((r.node(1).term, r.node(1).role), (1, Role::Candidate));
    r.apply(Input::Timeout { node: 1 });
    assert_eq!((r.node(1).term, r.node(1).vote), (2, Some(1)));
    // vote: a granted vote is recorded.
    r.deliver("RequestVote", 1, 2);
    assert_eq!(r.node(2).vote, Some(1));
    r.deliver("RequestVote", 1, 2);
    assert_eq!((r.node(2).term, r.node(2).vote), (2, Some(1)));

    // log: index 1 is the first entry, nothing mapped away; the leader's empty entry is
    // `Entry::empty`, a client value is decoded from 8 big-endian bytes.
    r.deliver("RequestVoteResponse", 2, 1); // term 1 response: stale, ignored
    assert_eq!(r.node(1).role, Role::Candidate);
    r.deliver("RequestVoteResponse", 2, 1);
    assert_eq!(r.node(1).role, Role::Leader);
    assert_eq!(r.node(1).leader, Some(1));
    let big = 0x0102_0304_0506_0708;
    assert_eq!(convert::value_to_data(big), vec![1, 2, 3, 4, 5, 6, 7, 8]);
    r.apply(Input::ClientRequest {
        node: 1,
        value: big,
    });
    r.apply(Input::ClientRequest {
        node: 1,
        value: u64::MAX,
    });
    r.apply(Input::ClientRequest { node: 1, value: 0 });
    let log = vec![
        Entry::empty(2),
        Entry::value(2, big),
        Entry::value(2, u64::MAX),
        Entry::value(2, 0),
    ];
    assert_eq!(r.node(1).log, log);

    // The log the followers observe is what the appends carried.
    let out = r.deliver("AppendEntries", 1, 2);
    assert_eq!(out, vec![send(append_ok(2, 1, 2, 1, 0))]);
    assert_eq!(r.node(2).leader, Some(1), "leader learnt from an append");
    let out = r.deliver("AppendEntriesResponse", 2, 1);
    let carried = match &sent(&out)[..] {
        [Message {
            payload: Payload::AppendEntries { entries, .. },
            ..
        }] => entries.clone(),
        other => panic!("expected one append, got {other:?}"),
    };
    assert_eq!(carried, log[1..]);
    r.deliver("AppendEntries", 1, 2);
    assert_eq!(r.node(2).log, log);

    // commit: raft_log.committed, which raft-rs also advances from the commit in a vote
    // message (maybe_commit_by_vote).
    r.deliver("AppendEntriesResponse", 2, 1);
    assert_eq!(r.node(1).commit, 4);
    assert_eq!(
        r.node(2).commit,
        1,
        "n2 learns commit 4 only from the next append"
    );
    // A leader ignores a timeout (raft-rs's campaign at a leader is a no-op, as in the spec).
    let before = (r.view(), r.fp());
    assert_eq!(r.apply(Input::Timeout { node: 1 }), vec![]);
    assert_eq!((r.view(), r.fp()), before);
    // n2 campaigns in term 3 and votes for itself; n1 restarts and campaigns in term 3 with
    // commit (4, t2). n2 rejects — the rejection carries n2's own commit (1, t2) — and
    // fast-forwards its commit from the request to 4.
    r.apply(Input::Timeout { node: 2 });
    assert_eq!(r.node(2).term, 3);
    r.apply(Input::Restart { node: 1 });
    let out = r.apply(Input::Timeout { node: 1 });
    assert!(
        out.contains(&send(request_vote(1, 2, 3, (4, 2), (4, 2)))),
        "{out:?}"
    );
    let out = r.deliver("RequestVote", 1, 2);
    assert_eq!(
        out,
        vec![send(msg(
            2,
            1,
            3,
            Payload::RequestVoteResponse {
                pre: false,
                reject: true,
                commit: 1,
                commit_term: 2,
            }
        ))]
    );
    assert_eq!(
        r.node(2).commit,
        4,
        "commit fast-forwarded by the vote request"
    );
    assert_eq!(r.node(2).role, Role::Candidate);
}

// ---------------------------------------------------------------------------------------------
// replay_to
// ---------------------------------------------------------------------------------------------

/// A scripted run with elections, replication, client requests (accepted, forwarded, dropped),
/// heartbeats, restarts, drops and duplicates.
fn scripted_run() -> Run {
    let mut r = Run::new();
    commit_v1(&mut r);
    r.apply(Input::ClientRequest { node: 2, value: 2 });
    r.apply(Input::Restart { node: 2 });
    r.apply(Input::ClientRequest { node: 2, value: 3 }); // dropped: n2 knows no leader
    r.deliver("Propose", 2, 1);
    r.apply(Input::Heartbeat { node: 1 });
    let hb = r.find("Heartbeat", 1, 3);
    r.apply(Input::Duplicate { message: hb });
    r.deliver("Heartbeat", 1, 2);
    r.deliver("AppendEntries", 1, 2);
    r.deliver("AppendEntriesResponse", 2, 1);
    let lost = r.find("AppendEntries", 1, 3);
    r.apply(Input::Drop { message: lost });
    r.apply(Input::Restart { node: 1 });
    r.apply(Input::Timeout { node: 2 });
    r.deliver("RequestVote", 2, 3);
    r.deliver("RequestVote", 2, 1);
    r.deliver("RequestVoteResponse", 1, 2);
    r.deliver("RequestVoteResponse", 3, 2);
    r.apply(Input::ClientRequest { node: 2, value: 4 });
    r.deliver("AppendEntries", 2, 1);
    r.deliver("AppendEntriesResponse", 1, 2);
    r.deliver("AppendEntries", 2, 3);
    r
}

/// Paths that share prefixes with `base` and then diverge: at several points, a Restart, a
/// Timeout, a client request or a heartbeat of each node, alone and followed by the rest of
/// `base`.
fn siblings(base: &[Input]) -> Vec<Vec<Input>> {
    let mut paths = Vec::new();
    for k in [0, 3, 7, 12, 16, base.len() - 3, base.len()] {
        for (j, alt) in [
            Input::Restart { node: 1 },
            Input::Timeout { node: 2 },
            Input::ClientRequest { node: 3, value: 9 },
            Input::Heartbeat { node: 1 },
            Input::Restart { node: 3 },
        ]
        .into_iter()
        .enumerate()
        {
            let mut p = base[..k].to_vec();
            p.push(alt);
            paths.push(p.clone());
            if (k + j) % 2 == 0 {
                p.extend_from_slice(&base[k..]);
                paths.push(p);
            }
        }
    }
    paths
}

fn assert_replays_exactly(bug: Option<Bug>, paths: &[Vec<Input>]) {
    let mut shared = RaftRsAdapter::with_bug(bug);
    shared.reset(&THREE).unwrap();
    let mut faults = 0;
    for (n, path) in paths.iter().enumerate() {
        // The paths were scripted on stock raft-rs; with a bug, some deliver messages the buggy
        // cluster could not have produced and raft-rs may crash on them. Then replay_to must
        // fail too, and the next replay_to must still work.
        let mut fresh = RaftRsAdapter::with_bug(bug);
        fresh.reset(&THREE).unwrap();
        if path.iter().any(|i| fresh.apply(i).is_err()) {
            faults += 1;
            assert!(
                shared.replay_to(&THREE, path).is_err(),
                "{bug:?}, path #{n}: a fresh run fails, replay_to does not"
            );
            continue;
        }
        shared
            .replay_to(&THREE, path)
            .unwrap_or_else(|e| panic!("{bug:?}, path #{n}: {e}"));
        assert_eq!(
            shared.observe().unwrap(),
            fresh.observe().unwrap(),
            "{bug:?}: view after path #{n}"
        );
        assert_eq!(
            shared.fingerprint().unwrap(),
            fresh.fingerprint().unwrap(),
            "{bug:?}: fingerprint after path #{n}"
        );
    }
    if bug.is_none() {
        assert_eq!(faults, 0);
    } else {
        assert!(
            faults * 4 < paths.len(),
            "{bug:?}: {faults} of {} paths fail",
            paths.len()
        );
    }
}

#[test]
fn replay_to_reaches_exactly_the_state_of_a_fresh_run() {
    let base = scripted_run().path;
    assert!(base.len() > 25, "{}", base.len());
    assert!(base.iter().any(|i| matches!(i, Input::Restart { .. })));
    assert!(base
        .iter()
        .any(|i| matches!(i, Input::ClientRequest { .. })));

    // Every prefix, forwards, then backwards, then every sibling, then prefixes interleaved
    // with siblings.
    let prefixes: Vec<Vec<Input>> = (0..=base.len()).map(|k| base[..k].to_vec()).collect();
    let sibs = siblings(&base);
    let mut order = prefixes.clone();
    order.extend(prefixes.iter().rev().cloned());
    order.extend(sibs.iter().cloned());
    for (p, s) in prefixes.iter().zip(sibs.iter().rev()) {
        order.push(s.clone());
        order.push(p.clone());
    }
    assert_replays_exactly(None, &order);
}

#[test]
fn replay_to_after_an_extra_input_rebuilds_only_the_changed_node() {
    let base = scripted_run().path;
    let mut a = RaftRsAdapter::new();
    a.reset(&THREE).unwrap();
    for k in (0..=base.len()).step_by(3) {
        let parent = &base[..k];
        a.replay_to(&THREE, parent).unwrap();
        let view = a.observe().unwrap();
        let fp = a.fingerprint().unwrap();
        assert_eq!(a.replay_to(&THREE, parent).unwrap(), 0, "already there");

        for extra in [
            Input::Restart { node: 2 },
            Input::Timeout { node: 3 },
            Input::ClientRequest { node: 1, value: 5 },
            Input::Heartbeat { node: 1 },
        ] {
            let target = extra.target().unwrap();
            a.apply(&extra).unwrap();
            let driven = a.replay_to(&THREE, parent).unwrap();
            let addressed = parent.iter().filter(|i| i.target() == Some(target)).count() as u64;
            assert_eq!(driven, addressed, "after {extra} at prefix {k}");
            assert_eq!(a.observe().unwrap(), view, "after {extra} at prefix {k}");
            assert_eq!(a.fingerprint().unwrap(), fp, "after {extra} at prefix {k}");
        }
        // And to the child again: only the child's input is driven.
        if k < base.len() {
            let child = &base[..=k];
            let expect = u64::from(base[k].target().is_some());
            assert_eq!(a.replay_to(&THREE, child).unwrap(), expect);
            let (view, fp, _) = fresh_state(None, &THREE, child);
            assert_eq!(a.observe().unwrap(), view);
            assert_eq!(a.fingerprint().unwrap(), Some(fp));
        }
    }
}

#[test]
fn replay_to_continues_like_a_fresh_run() {
    // Not only the same view and fingerprint: the same outputs for the next input.
    let base = scripted_run().path;
    let (_, _, reference) = fresh_state(None, &THREE, &base);
    let mut a = RaftRsAdapter::new();
    a.reset(&THREE).unwrap();
    for k in (0..base.len()).rev() {
        a.replay_to(&THREE, &base[..k]).unwrap();
        let out = a.apply(&base[k]).unwrap();
        assert_eq!(out, reference[k], "step {k}: {}", base[k]);
    }
}

#[test]
fn replay_to_with_injected_bugs_is_exact_too() {
    let base = scripted_run().path;
    let mut paths: Vec<Vec<Input>> = (0..=base.len())
        .step_by(2)
        .map(|k| base[..k].to_vec())
        .collect();
    paths.extend(siblings(&base));
    paths.push(base.clone());
    paths.push(base[..5].to_vec());
    for bug in DRIVABLE_BUGS {
        assert_replays_exactly(bug, &paths);
    }
}

#[test]
fn replay_to_from_a_never_reset_adapter_or_another_size() {
    let base = scripted_run().path;
    let (view, fp, _) = fresh_state(None, &THREE, &base);
    let mut a = RaftRsAdapter::new();
    assert_eq!(
        a.replay_to(&THREE, &base).unwrap(),
        base.iter().filter(|i| i.target().is_some()).count() as u64
    );
    assert_eq!(a.observe().unwrap(), view);
    assert_eq!(a.fingerprint().unwrap(), Some(fp));

    let five = ClusterSetup::new(5);
    a.replay_to(&five, &base[..4]).unwrap();
    assert_eq!(a.observe().unwrap().nodes.len(), 5);
    let (view5, fp5, _) = fresh_state(None, &five, &base[..4]);
    assert_eq!(a.observe().unwrap(), view5);
    assert_eq!(a.fingerprint().unwrap(), Some(fp5));

    a.replay_to(&THREE, &base).unwrap();
    assert_eq!(a.observe().unwrap(), view);
    assert_eq!(a.fingerprint().unwrap(), Some(fp));
}

// ---------------------------------------------------------------------------------------------
// Random walks: replay_to, determinism and fingerprint merging on many paths
// ---------------------------------------------------------------------------------------------

/// splitmix64: a tiny deterministic generator, so the walks are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A random input for a run whose network is `net`: mostly deliveries, sometimes a timeout,
/// restart, client request, heartbeat, drop or duplicate.
fn random_input(rng: &mut Rng, net: &[Message], value: &mut u64) -> Input {
    let node = rng.below(3) as u64 + 1;
    let roll = rng.below(20);
    if !net.is_empty() && roll < 11 {
        let m = net[rng.below(net.len())].clone();
        return match roll {
            0 => Input::Drop { message: m },
            1 => Input::Duplicate { message: m },
            _ => Input::Receive { message: m },
        };
    }
    match roll % 5 {
        0 | 1 => Input::Timeout { node },
        2 => Input::Restart { node },
        3 => {
            *value += 1;
            Input::ClientRequest {
                node,
                value: *value,
            }
        }
        _ => Input::Heartbeat { node },
    }
}

/// A random walk of up to `len` inputs from a fresh cluster. It stops early when the adapter
/// reports an error: with an injected bug, raft-rs may crash on what the bug did (a follower
/// that lost acknowledged entries gets a commit beyond its log), which is a fault, not a test
/// failure. The failing input is not part of the path.
fn random_walk(rng: &mut Rng, bug: Option<Bug>, len: usize) -> Run {
    let mut r = Run::with_bug(bug);
    let mut value = 0;
    for _ in 0..len {
        let input = random_input(rng, &r.net, &mut value);
        let shown = input.to_string();
        if let Err(e) = r.try_apply(input) {
            assert!(bug.is_some(), "stock raft-rs failed on {shown}: {e}");
            break;
        }
    }
    r
}

/// `replay_to` random prefixes of random walks, each possibly followed by a divergent random
/// tail, in one long-lived adapter; compares with a fresh run of the same path.
fn check_random_replays(bug: Option<Bug>, seed: u64) {
    let mut rng = Rng(seed);
    let mut shared = RaftRsAdapter::with_bug(bug);
    shared.reset(&THREE).unwrap();
    for _ in 0..12 {
        let walk = random_walk(&mut rng, bug, 24);
        for _ in 0..6 {
            let k = rng.below(walk.path.len() + 1);
            let mut path = walk.path[..k].to_vec();
            let mut r = Run::with_bug(bug);
            for i in &path {
                r.apply(i.clone());
            }
            let mut value = 100;
            for _ in 0..rng.below(4) {
                let i = random_input(&mut rng, &r.net, &mut value);
                if r.try_apply(i.clone()).is_err() {
                    break;
                }
                path.push(i);
            }
            shared.replay_to(&THREE, &path).unwrap();
            let (view, fp) = (r.view(), r.fp());
            assert_eq!(shared.observe().unwrap(), view, "{bug:?} {path:#?}");
            assert_eq!(shared.fingerprint().unwrap(), Some(fp), "{bug:?} {path:#?}");
        }
    }
}

/// The same random walk twice: the same outputs in the same order, views and fingerprints.
fn check_determinism(bug: Option<Bug>, seed: u64) {
    let mut x = random_walk(&mut Rng(seed), bug, 60);
    let mut y = random_walk(&mut Rng(seed), bug, 60);
    assert!(
        x.path.len() > 10,
        "{bug:?}: a walk of {} inputs",
        x.path.len()
    );
    assert_eq!(x.path, y.path);
    assert_eq!(x.outputs, y.outputs, "{bug:?}");
    assert_eq!((x.view(), x.fp()), (y.view(), y.fp()), "{bug:?}");
}

/// Merging is sound only if equal (view, fingerprint) means equal futures. Collects many random
/// short paths, and for every pair that lands on the same (view, fingerprint) by different
/// paths, drives both through the same random continuations and compares everything.
fn check_merging(bug: Option<Bug>, seed: u64) {
    let mut rng = Rng(seed);
    let mut seen: BTreeMap<(String, u64), Vec<Input>> = BTreeMap::new();
    let mut merged = 0;
    for _ in 0..300 {
        let len = 2 + rng.below(7);
        let mut walk = random_walk(&mut rng, bug, len);
        let key = (format!("{:?}", walk.view()), walk.fp());
        let Some(other) = seen.get(&key).cloned() else {
            seen.insert(key, walk.path.clone());
            continue;
        };
        if other == walk.path {
            continue;
        }
        merged += 1;
        for _ in 0..3 {
            let mut x = Run::with_bug(bug);
            let mut y = Run::with_bug(bug);
            for i in &walk.path {
                x.apply(i.clone());
            }
            for i in &other {
                y.apply(i.clone());
            }
            // Messages either run has in flight are fair game for both.
            let mut net = x.net.clone();
            net.extend(y.net.iter().cloned());
            let mut value = 50;
            for step in 0..6 {
                let i = random_input(&mut rng, &net, &mut value);
                let ctx = || {
                    format!(
                        "{bug:?}: step {step} ({i}) after\n{:#?}\nvs\n{:#?}",
                        walk.path, other
                    )
                };
                let (ox, oy) = (x.a.apply(&i), y.a.apply(&i));
                assert_eq!(ox, oy, "{}", ctx());
                let Ok(ox) = ox else { break };
                net.extend(sent(&ox));
                assert_eq!(x.view(), y.view(), "{}", ctx());
                assert_eq!(x.fp(), y.fp(), "{}", ctx());
            }
        }
    }
    assert!(merged > 5, "{bug:?}: only {merged} merges exercised");
}

#[test]
fn replay_to_is_exact_on_random_walks_and_their_siblings() {
    for (n, bug) in DRIVABLE_BUGS.into_iter().enumerate() {
        check_random_replays(bug, 7 + n as u64);
    }
}

#[test]
fn the_same_script_gives_the_same_outputs_and_fingerprints() {
    let (a, b) = (scripted_run(), scripted_run());
    assert_eq!(a.outputs, b.outputs);
    let mut fps = Vec::new();
    for _ in 0..2 {
        let mut r = Run::new();
        let mut per_step = vec![r.fp()];
        for i in &a.path {
            r.apply(i.clone());
            per_step.push(r.fp());
        }
        assert_eq!(r.outputs, a.outputs, "outputs, in order");
        fps.push(per_step);
    }
    assert_eq!(fps[0], fps[1]);

    // Random walks too, stock and with bugs.
    for bug in DRIVABLE_BUGS {
        check_determinism(bug, 11);
    }
}

#[test]
fn states_with_equal_view_and_fingerprint_behave_identically() {
    for bug in DRIVABLE_BUGS {
        check_merging(bug, 3);
    }
}

// ---------------------------------------------------------------------------------------------
// Fingerprint
// ---------------------------------------------------------------------------------------------

#[test]
fn fingerprint_is_equal_for_identically_driven_adapters() {
    let mut a = scripted_run();
    let mut b = scripted_run();
    assert_eq!(a.fp(), b.fp());
    assert_eq!(Run::new().fp(), Run::new().fp());
    // But it does tell different states apart.
    b.apply(Input::Restart { node: 3 });
    assert_ne!(a.fp(), b.fp());
}

#[test]
fn fingerprint_sees_a_leaders_match_index_the_view_does_not() {
    let mut a = Run::new();
    elect_n1(&mut a);
    a.deliver("AppendEntries", 1, 2);
    a.deliver("AppendEntries", 1, 3);
    a.deliver("AppendEntriesResponse", 2, 1); // commit 1
    let mut b = Run::new();
    for i in &a.path {
        b.apply(i.clone());
    }
    // Only in `b` does n1 learn that n3 matches index 1.
    b.deliver("AppendEntriesResponse", 3, 1);
    assert_eq!(a.view(), b.view());
    assert_ne!(a.fp(), b.fp());
    // It matters: a heartbeat now carries a different commit to n3.
    let ha = sorted(a.apply(Input::Heartbeat { node: 1 }));
    let hb = sorted(b.apply(Input::Heartbeat { node: 1 }));
    assert_eq!(
        ha,
        vec![send(heartbeat(1, 2, 1, 1)), send(heartbeat(1, 3, 1, 0))]
    );
    assert_eq!(
        hb,
        vec![send(heartbeat(1, 2, 1, 1)), send(heartbeat(1, 3, 1, 1))]
    );
}

#[test]
fn fingerprint_sees_a_candidates_recorded_rejection() {
    // n2 campaigns first, so it rejects n1 in the same term.
    let mut a = Run::new();
    a.apply(Input::Timeout { node: 2 });
    a.apply(Input::Timeout { node: 1 });
    let out = a.deliver("RequestVote", 1, 2);
    assert!(
        matches!(
            &sent(&out)[..],
            [Message {
                payload: Payload::RequestVoteResponse { reject: true, .. },
                ..
            }]
        ),
        "{out:?}"
    );
    let mut b = Run::new();
    for i in &a.path {
        b.apply(i.clone());
    }
    // Only `b` records the rejection.
    let out = b.deliver("RequestVoteResponse", 2, 1);
    assert_eq!(out, vec![]);
    assert_eq!(a.view(), b.view());
    assert_eq!(b.node(1).role, Role::Candidate);
    assert_ne!(a.fp(), b.fp());
    // It matters: one more rejection (from n3, which also campaigned) makes `b` a follower.
    for r in [&mut a, &mut b] {
        r.apply(Input::Timeout { node: 3 });
        r.deliver("RequestVote", 1, 3);
        r.deliver("RequestVoteResponse", 3, 1);
    }
    assert_eq!(a.node(1).role, Role::Candidate);
    assert_eq!(b.node(1).role, Role::Follower);
}

// ---------------------------------------------------------------------------------------------
// Injected bugs: each shows its documented effect, and stock raft-rs does not
// ---------------------------------------------------------------------------------------------

/// Runs `scenario` on stock and buggy adapters; returns (stock, buggy).
fn both<T>(bug: Bug, scenario: impl Fn(&mut Run) -> T) -> (T, T) {
    let mut stock = Run::new();
    let mut buggy = Run::with_bug(Some(bug));
    (scenario(&mut stock), scenario(&mut buggy))
}

#[test]
fn bug_vote_not_persisted() {
    let (stock, buggy) = both(Bug::VoteNotPersisted, |r| {
        r.apply(Input::Timeout { node: 1 });
        r.deliver("RequestVote", 1, 2);
        let before = r.node(2);
        r.apply(Input::Restart { node: 2 });
        (before, r.node(2))
    });
    assert_eq!(stock.0.vote, Some(1));
    assert_eq!(buggy.0.vote, Some(1), "in memory the vote is there");
    assert_eq!(stock.1.vote, Some(1));
    assert_eq!(buggy.1.vote, None, "the vote is lost on restart");
    assert_eq!((buggy.1.term, stock.1.term), (1, 1), "the term is kept");

    // The consequence: a second vote in the same term.
    let (stock, buggy) = both(Bug::VoteNotPersisted, |r| {
        r.apply(Input::Timeout { node: 1 });
        r.apply(Input::Timeout { node: 3 });
        r.deliver("RequestVote", 1, 2);
        r.apply(Input::Restart { node: 2 });
        r.deliver("RequestVote", 3, 2)
    });
    assert!(matches!(
        &sent(&stock)[..],
        [Message {
            payload: Payload::RequestVoteResponse { reject: true, .. },
            ..
        }]
    ));
    assert_eq!(buggy, vec![send(grant(2, 3, 1))], "double vote in term 1");
}

#[test]
fn bug_term_not_persisted() {
    let (stock, buggy) = both(Bug::TermNotPersisted, |r| {
        r.apply(Input::Timeout { node: 1 });
        let before = r.node(1).term;
        r.apply(Input::Restart { node: 1 });
        (before, r.node(1))
    });
    assert_eq!((stock.0, buggy.0), (1, 1));
    assert_eq!(stock.1.term, 1);
    assert_eq!(buggy.1.term, 0, "back at term 0 after the restart");
    assert_eq!(stock.1.vote, Some(1));
}

#[test]
fn bug_unsynced_tail_lost() {
    // The leader's empty entry: appended without a HardState change, lost on restart.
    let (stock, buggy) = both(Bug::UnsyncedTailLost, |r| {
        elect_n1(r);
        let before = r.node(1).log;
        r.apply(Input::Restart { node: 1 });
        (before, r.node(1))
    });
    assert_eq!(stock.0, vec![Entry::empty(1)]);
    assert_eq!(buggy.0, vec![Entry::empty(1)]);
    assert_eq!(stock.1.log, vec![Entry::empty(1)]);
    assert_eq!(buggy.1.log, vec![], "the empty entry was never synced");
    assert_eq!(
        (buggy.1.term, buggy.1.vote),
        (1, Some(1)),
        "HardState was synced"
    );

    // A follower acknowledges an entry it then loses.
    let (stock, buggy) = both(Bug::UnsyncedTailLost, |r| {
        elect_n1(r);
        let ack = r.deliver("AppendEntries", 1, 2);
        r.apply(Input::Restart { node: 2 });
        (ack, r.node(2).log)
    });
    assert_eq!(stock.0, vec![send(append_ok(2, 1, 1, 1, 0))]);
    assert_eq!(buggy.0, stock.0, "acked");
    assert_eq!(stock.1, vec![Entry::empty(1)]);
    assert_eq!(buggy.1, vec![], "and lost");
}

#[test]
fn bug_ack_before_persist() {
    let (stock, buggy) = both(Bug::AckBeforePersist, |r| {
        let out = r.apply(Input::Timeout { node: 1 });
        let before = r.node(1);
        r.apply(Input::Restart { node: 1 });
        (out, before, r.node(1))
    });
    assert_eq!(buggy.0, stock.0, "the vote requests go out either way");
    assert_eq!(
        buggy.1, stock.1,
        "in memory: term 1, candidate, voted for itself"
    );
    assert_eq!((stock.2.term, stock.2.vote), (1, Some(1)));
    assert_eq!(
        (buggy.2.term, buggy.2.vote),
        (0, None),
        "term and vote lost on a restart before the write completed"
    );

    // A granted vote goes out before it is durable.
    let (stock, buggy) = both(Bug::AckBeforePersist, |r| {
        r.apply(Input::Timeout { node: 1 });
        let out = r.deliver("RequestVote", 1, 2);
        r.apply(Input::Restart { node: 2 });
        (out, r.node(2))
    });
    assert_eq!(stock.0, vec![send(grant(2, 1, 1))]);
    assert_eq!(buggy.0, stock.0);
    assert_eq!((stock.1.term, stock.1.vote), (1, Some(1)));
    assert_eq!((buggy.1.term, buggy.1.vote), (0, None));

    // The write completes at the node's next event: a restart after that keeps everything.
    let (stock, buggy) = both(Bug::AckBeforePersist, |r| {
        r.apply(Input::Timeout { node: 1 });
        r.apply(Input::Heartbeat { node: 1 }); // any event at n1
        r.apply(Input::Restart { node: 1 });
        r.node(1)
    });
    assert_eq!(buggy, stock);
    assert_eq!((buggy.term, buggy.vote), (1, Some(1)));
}

#[test]
fn bug_stale_term_as_current() {
    let (stock, buggy) = both(Bug::StaleTermAsCurrent, |r| {
        r.apply(Input::Timeout { node: 1 });
        r.deliver("RequestVote", 1, 2); // granted in term 1
        r.apply(Input::Timeout { node: 1 }); // term 2
        let out = r.deliver("RequestVoteResponse", 2, 1); // stale
        (out, r.node(1))
    });
    assert_eq!(stock.0, vec![]);
    assert_eq!(stock.1.role, Role::Candidate);
    assert_eq!(
        buggy.0.first(),
        Some(&Output::BecomeLeader { node: 1, term: 2 }),
        "a term-1 vote counted in term 2: {:?}",
        buggy.0
    );
    assert_eq!(buggy.1.role, Role::Leader);
    assert_eq!(buggy.1.term, 2);
}

#[test]
fn bug_reply_to_wrong_peer() {
    let (stock, buggy) = both(Bug::ReplyToWrongPeer, |r| {
        let requests = r.apply(Input::Timeout { node: 1 });
        let vote = r.deliver("RequestVote", 1, 2);
        (requests, vote)
    });
    assert_eq!(buggy.0, stock.0, "requests are routed correctly");
    assert_eq!(stock.1, vec![send(grant(2, 1, 1))]);
    assert_eq!(
        buggy.1,
        vec![send(grant(2, 3, 1))],
        "the vote response goes to n3"
    );

    // Append and heartbeat responses too; n3 answering n1 goes to n2.
    let mut r = Run::with_bug(Some(Bug::ReplyToWrongPeer));
    r.apply(Input::Timeout { node: 1 });
    let out = r.deliver("RequestVote", 1, 3);
    assert_eq!(out, vec![send(grant(3, 2, 1))]);
    let wrong = r.take("RequestVoteResponse", 3, 2);
    let right = Message { to: 1, ..wrong };
    let out = r.apply(Input::Receive { message: right });
    assert_eq!(out[0], Output::BecomeLeader { node: 1, term: 1 });
    let out = r.deliver("AppendEntries", 1, 3);
    assert_eq!(out, vec![send(append_ok(3, 2, 1, 1, 0))]);
    r.apply(Input::Heartbeat { node: 1 });
    let out = r.deliver("Heartbeat", 1, 3);
    assert_eq!(
        out,
        vec![send(msg(3, 2, 1, Payload::HeartbeatResponse { commit: 0 }))]
    );
}

#[test]
fn bug_conflict_not_truncated() {
    let (stock, buggy) = both(Bug::ConflictNotTruncated, |r| {
        // n1 leads term 1 and appends two values no one else gets.
        elect_n1(r);
        r.apply(Input::ClientRequest { node: 1, value: 1 });
        r.apply(Input::ClientRequest { node: 1, value: 2 });
        // n2 leads term 2 with n3's vote and overwrites n1's log from index 1.
        elect(r, 2, 3);
        let before = r.node(1).log;
        let out = r.deliver("AppendEntries", 2, 1);
        (before, out, r.node(1))
    });
    let old = vec![Entry::empty(1), Entry::value(1, 1), Entry::value(1, 2)];
    assert_eq!(stock.0, old);
    assert_eq!(buggy.0, old);
    assert_eq!(stock.1, vec![send(append_ok(1, 2, 2, 1, 0))]);
    assert_eq!(buggy.1, stock.1);
    assert_eq!(stock.2.log, vec![Entry::empty(2)]);
    assert_eq!(
        buggy.2.log,
        vec![Entry::empty(2), Entry::value(1, 1), Entry::value(1, 2)],
        "the old entries beyond the overwritten one survive"
    );
    assert_eq!(buggy.2.term, 2);
}

/// Every bug in the catalogue shows up in its scenario (a new bug without a scenario does not
/// compile: the match has no wildcard).
#[test]
fn every_bug_differs_from_stock_in_its_scenario() {
    for bug in Bug::ALL {
        let scenario = |r: &mut Run| -> (Vec<Vec<Output>>, ClusterView) {
            match bug {
                Bug::VoteNotPersisted => {
                    r.apply(Input::Timeout { node: 1 });
                    r.deliver("RequestVote", 1, 2);
                    r.apply(Input::Restart { node: 2 });
                }
                Bug::TermNotPersisted | Bug::AckBeforePersist => {
                    r.apply(Input::Timeout { node: 1 });
                    r.apply(Input::Restart { node: 1 });
                }
                Bug::UnsyncedTailLost => {
                    elect_n1(r);
                    r.apply(Input::Restart { node: 1 });
                }
                Bug::StaleTermAsCurrent => {
                    r.apply(Input::Timeout { node: 1 });
                    r.deliver("RequestVote", 1, 2);
                    r.apply(Input::Timeout { node: 1 });
                    r.deliver("RequestVoteResponse", 2, 1);
                }
                Bug::ReplyToWrongPeer => {
                    r.apply(Input::Timeout { node: 1 });
                    r.deliver("RequestVote", 1, 2);
                }
                Bug::ConflictNotTruncated => {
                    elect_n1(r);
                    r.apply(Input::ClientRequest { node: 1, value: 1 });
                    elect(r, 2, 3);
                    r.deliver("AppendEntries", 2, 1);
                }
                Bug::ConfChangeOnAppend => {
                    elect_n1(r);
                    r.apply(remove(1, 3));
                }
                Bug::ConfStateNotPersisted => {
                    elect_n1(r);
                    r.apply(remove(1, 3));
                    r.settle(1, 2);
                    r.apply(Input::Restart { node: 1 });
                }
                Bug::CompactPastApplied => {
                    elect_n1(r);
                    r.apply(Input::ClientRequest { node: 1, value: 1 });
                    r.apply(Input::Compact { node: 1 });
                }
                Bug::SnapshotKeepsLog | Bug::SnapshotDataIgnored => snapshot_catch_up(r),
                Bug::NoProbeBackoff => {
                    // n2 rejects n1's first probe: raft-rs backs off and probes again.
                    elect_n1(r);
                    let rejection = AppendAnswer {
                        reject: true,
                        ..AppendAnswer::default()
                    };
                    r.apply(Input::Receive {
                        message: msg(2, 1, 1, Payload::AppendEntriesResponse(rejection)),
                    });
                }
                Bug::NoHeartbeatRepair => {
                    // n2 answers a heartbeat while the probe is unanswered: raft-rs resends it.
                    elect_n1(r);
                    r.apply(Input::Heartbeat { node: 1 });
                    r.deliver("Heartbeat", 1, 2);
                    r.deliver("HeartbeatResponse", 2, 1);
                }
            }
            (r.outputs.clone(), r.view())
        };
        let (stock, buggy) = both(bug, scenario);
        assert_ne!(stock, buggy, "{bug} has no visible effect in its scenario");
    }
}

/// A leader's proposal to remove `node`.
fn remove(leader: u64, node: u64) -> Input {
    Input::ProposeConfChange {
        node: leader,
        change: ConfChange::Single {
            change: Change {
                op: ChangeOp::Remove,
                node,
            },
        },
    }
}

/// n1 leads and commits v3 with n2 while n3 holds entries of its own from an older term; n1
/// compacts, so it catches n3 up with its snapshot, which replaces n3's log.
fn snapshot_catch_up(r: &mut Run) {
    // n3 leads term 1 for a moment: its entries (1..=3, t1) reach nobody.
    elect(r, 3, 2);
    r.apply(Input::ClientRequest { node: 3, value: 1 });
    r.apply(Input::ClientRequest { node: 3, value: 2 });
    r.drop_all();
    // n1 leads term 2 with n2 and commits v3 at index 2.
    r.apply(Input::Timeout { node: 1 });
    r.drop_all();
    elect(r, 1, 2);
    r.apply(Input::ClientRequest { node: 1, value: 3 });
    r.settle(1, 2);
    r.apply(Input::Compact { node: 1 });
    r.drop_all();
    r.apply(Input::Heartbeat { node: 1 });
    r.settle(1, 3);
}

#[test]
fn injected_bugs_leave_a_plain_run_alone() {
    // Where no restart, no stale message, no conflict and no response routing is involved, every
    // bug behaves like stock raft-rs: the bugs sit only at the boundary they name.
    let script = |r: &mut Run| {
        r.apply(Input::Timeout { node: 1 });
        r.apply(Input::ClientRequest { node: 2, value: 1 });
        r.apply(Input::Heartbeat { node: 1 });
        r.view()
    };
    let stock = script(&mut Run::new());
    for bug in Bug::ALL {
        assert_eq!(script(&mut Run::with_bug(Some(bug))), stock, "{bug}");
    }
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

#[test]
fn an_input_for_a_missing_node_is_an_error_not_a_panic() {
    for input in [
        Input::Timeout { node: 4 },
        Input::Restart { node: 0 },
        Input::ClientRequest { node: 9, value: 1 },
        Input::Heartbeat { node: 4 },
        Input::Receive {
            message: grant(1, 4, 1),
        },
    ] {
        let mut a = RaftRsAdapter::new();
        a.reset(&THREE).unwrap();
        let err = a.apply(&input).unwrap_err();
        assert!(matches!(err, AdapterError::Fault(_)), "{input}: {err:?}");
        // replay_to brings back a working cluster.
        a.replay_to(&THREE, &[Input::Timeout { node: 1 }]).unwrap();
        assert_eq!(
            a.observe().unwrap().nodes[0].role,
            Role::Candidate,
            "{input}"
        );
    }

    // A path that addresses a missing node.
    let mut a = RaftRsAdapter::new();
    let err = a
        .replay_to(
            &THREE,
            &[Input::Timeout { node: 1 }, Input::Timeout { node: 4 }],
        )
        .unwrap_err();
    assert!(matches!(err, AdapterError::Fault(_)), "{err:?}");

    // An adapter that was never reset.
    let err = RaftRsAdapter::new()
        .apply(&Input::Timeout { node: 1 })
        .unwrap_err();
    assert!(matches!(err, AdapterError::Fault(_)), "{err:?}");
}

#[test]
fn a_response_from_a_node_outside_the_configuration_is_ignored() {
    let mut r = Run::new();
    r.apply(Input::Timeout { node: 1 });
    let before = (r.view(), r.fp());
    // raft-rs's RawNode::step refuses a response from a peer it has no progress for, before
    // looking at its term: the node ignores it, as the spec says.
    let stranger = Input::Receive {
        message: grant(9, 1, 5),
    };
    assert_eq!(r.a.apply(&stranger), Ok(vec![]));
    // The cluster is unchanged (not even the term moved), and goes on working.
    assert_eq!((r.view(), r.fp()), before);
    r.deliver("RequestVote", 1, 2);
    let out = r.deliver("RequestVoteResponse", 2, 1);
    assert_eq!(out[0], Output::BecomeLeader { node: 1, term: 1 });
    // replay_to a path without the refused input is still exact.
    let (view, fp, _) = fresh_state(None, &THREE, &r.path);
    r.a.replay_to(&THREE, &r.path).unwrap();
    assert_eq!((r.view(), r.fp()), (view, fp));
}

#[test]
fn a_raft_rs_panic_is_a_fault_and_the_cluster_is_rebuilt() {
    let mut a = RaftRsAdapter::new();
    a.reset(&THREE).unwrap();
    // A heartbeat whose commit is beyond the follower's log trips raft-rs's `commit_to`
    // assertion.
    let bogus = Input::Receive {
        message: heartbeat(1, 2, 1, 5),
    };
    let err = a.apply(&bogus).unwrap_err();
    match &err {
        AdapterError::Panicked { location, message } => {
            assert_eq!(location.as_deref(), Some("raft-0.7.0/src/raft_log.rs:292"));
            assert!(
                message.starts_with("to_commit 5 is out of range"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    let path = [Input::Timeout { node: 2 }];
    a.replay_to(&THREE, &path).unwrap();
    let (view, fp, _) = fresh_state(None, &THREE, &path);
    assert_eq!(a.observe().unwrap(), view);
    assert_eq!(a.fingerprint().unwrap(), Some(fp));
}

// ---------------------------------------------------------------------------------------------
// The persistence bugs on a non-empty stored log (regression: these once deadlocked)
// ---------------------------------------------------------------------------------------------

/// `RaftNode::snapshot_storage` once held a `MemStorage` read guard while `stored_entries` called
/// `MemStorage::entries`, which takes the write lock of the same `RwLock`. With an empty stored
/// log `stored_entries` returns before locking, so short scenarios passed; once a node had a
/// stored entry, its next write that is not durable at once (`unsynced-tail-lost`: a Ready
/// without a HardState change; `ack-before-persist`: any Ready) blocked forever.
#[test]
fn persistence_bugs_do_not_deadlock_unsynced_tail_lost() {
    let view = with_deadline(5, || {
        let mut r = Run::with_bug(Some(Bug::UnsyncedTailLost));
        // n1 stores its empty entry; the commit (a HardState change) syncs it; the next Ready
        // without a HardState change (sending v1 to n3) snapshots the stored log and hangs.
        commit_v1(&mut r);
        r.apply(Input::Restart { node: 1 });
        r.apply(Input::Restart { node: 2 });
        r.view()
    });
    // Once the HardState changed (commit), the tail was synced with it: nothing is lost.
    let mut stock = Run::new();
    commit_v1(&mut stock);
    stock.apply(Input::Restart { node: 1 });
    stock.apply(Input::Restart { node: 2 });
    assert_eq!(view, stock.view());
}

#[test]
fn persistence_bugs_do_not_deadlock_ack_before_persist() {
    let log = with_deadline(5, || {
        let mut r = Run::with_bug(Some(Bug::AckBeforePersist));
        elect_n1(&mut r); // n1 writes its empty entry (not yet durable)
                          // The next event completes that write, then writes v1 not durably: the snapshot of the
                          // (now non-empty) stored log hangs.
        r.apply(Input::ClientRequest { node: 1, value: 1 });
        r.node(1).log
    });
    assert_eq!(log, vec![Entry::empty(1), Entry::value(1, 1)]);
}

/// The long checks (replay, determinism, merging) for the two persistence bugs, on their own
/// scripted paths.
#[test]
fn persistence_bugs_pass_the_long_checks() {
    with_deadline(20, || {
        let base = scripted_run().path;
        let mut paths: Vec<Vec<Input>> = (0..=base.len())
            .step_by(2)
            .map(|k| base[..k].to_vec())
            .collect();
        paths.extend(siblings(&base));
        for bug in [Some(Bug::UnsyncedTailLost), Some(Bug::AckBeforePersist)] {
            assert_replays_exactly(bug, &paths);
            check_random_replays(bug, 7);
            check_determinism(bug, 11);
            check_merging(bug, 3);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Renamed fingerprints (symmetry reduction in lockstep)
// ---------------------------------------------------------------------------------------------

/// Every renaming of the three voters, the identity first.
fn renamings_of_three() -> Vec<Renaming> {
    let ids = [1, 2, 3];
    let mut all = vec![Renaming::new(&ids, &ids)];
    all.extend(
        Symmetry::for_bounds(&Bounds::default())
            .renamings()
            .iter()
            .cloned(),
    );
    all
}

/// Drives `path` renamed by `renaming` on a fresh cluster and checks the contract lockstep
/// symmetry relies on: step by step, the renamed cluster sends the renamed messages (raft-rs
/// treats ids as names), and at the end its fingerprint is the one `renamed_fingerprints` gave
/// for the original cluster.
fn assert_renaming_commutes(bug: Option<Bug>, original: &mut Run, renaming: &Renaming) {
    let mut renamed = Run::with_bug(bug);
    for (k, input) in original.path.clone().iter().enumerate() {
        let out = renamed.apply(renaming.input(input));
        let mut expected: Vec<Message> = sent(&original.outputs[k])
            .iter()
            .map(|m| renaming.message(m))
            .collect();
        let mut got = sent(&out);
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "step {k} ({input}) renamed by {renaming:?}");
    }
    let predicted = original
        .a
        .renamed_fingerprints(std::slice::from_ref(renaming))
        .expect("renamed fingerprints")
        .expect("raft-rs renames its fingerprint");
    assert_eq!(
        predicted,
        vec![renamed.fp()],
        "fingerprint renamed by {renaming:?}"
    );
}

#[test]
fn renamed_fingerprints_are_the_fingerprints_of_renamed_clusters() {
    let mut scripted = scripted_run();
    let mut walks = vec![(None, scripted_run())];
    let mut rng = Rng(17);
    for bug in [
        None,
        Some(Bug::UnsyncedTailLost),
        Some(Bug::AckBeforePersist),
    ] {
        for _ in 0..3 {
            walks.push((bug, random_walk(&mut rng, bug, 20)));
        }
    }
    for (bug, walk) in &mut walks {
        for renaming in renamings_of_three() {
            assert_renaming_commutes(*bug, walk, &renaming);
        }
    }
    // The identity gives the fingerprint itself; a cluster whose nodes differ does not look
    // like its renamed copies.
    let all = renamings_of_three();
    let fps = scripted.a.renamed_fingerprints(&all).unwrap().unwrap();
    assert_eq!(fps[0], scripted.fp());
    assert!(
        fps[1..].iter().all(|&fp| fp != fps[0]),
        "renaming changed nothing: {fps:?}"
    );
}
