//! Real raft-rs behind an integration layer that tampers with what its leader sends, one way per
//! rule of the spec that judges a leader's own choice of sends: the follow-on rule
//! (`raftcheck_spec::flow`) and the `ack-resume` obligation (`raftcheck_spec::obligation`).
//! Each tampering passes as conforming without its rule — every send it leaves is one the
//! leader may make — and is caught with it, as the first divergence of the search.

use raftcheck::engine::{search, SearchOptions, SearchResult};
use raftcheck_adapter::raft_rs::RaftRsAdapter;
use raftcheck_adapter::{Adapter, AdapterError, ClusterSetup};
use raftcheck_spec::{Bounds, ClusterView, Flavour, Input, Mode, Output, Payload, RaftModel};

/// How a tampering rewrites the outputs of one step.
type Tamper = fn(&Input, Vec<Output>) -> Vec<Output>;

/// raft-rs with its outputs rewritten by `tamper`; its state is raft-rs's own.
struct Tampered {
    inner: RaftRsAdapter,
    tamper: Tamper,
}

impl Adapter for Tampered {
    fn name(&self) -> String {
        self.inner.name()
    }

    fn flavour(&self) -> Flavour {
        self.inner.flavour()
    }

    fn reset(&mut self, setup: &ClusterSetup) -> Result<(), AdapterError> {
        self.inner.reset(setup)
    }

    fn apply(&mut self, input: &Input) -> Result<Vec<Output>, AdapterError> {
        let outputs = self.inner.apply(input)?;
        Ok((self.tamper)(input, outputs))
    }

    fn observe(&mut self) -> Result<ClusterView, AdapterError> {
        self.inner.observe()
    }

    fn fingerprint(&mut self) -> Result<Option<u64>, AdapterError> {
        self.inner.fingerprint()
    }

    fn replay_to(&mut self, setup: &ClusterSetup, path: &[Input]) -> Result<u64, AdapterError> {
        self.inner.replay_to(setup, path)
    }
}

fn is_append(o: &Output) -> bool {
    matches!(
        o.sent().map(|m| &m.payload),
        Some(Payload::AppendEntries { .. })
    )
}

/// Every append with entries goes out twice: the leader's next index does not move past what it
/// sends. Mirrors an off-by-one in the optimistic update (raft-rs `Progress::optimistic_update`
/// setting `next_idx = n` instead of `n + 1`, mutant 20 of the README's mutation sample), which
/// resends what is in flight until the inflight window is full.
fn resend_in_flight(_: &Input, outputs: Vec<Output>) -> Vec<Output> {
    let mut resent = Vec::new();
    for o in outputs {
        let twice = matches!(o.sent().map(|m| &m.payload),
                Some(Payload::AppendEntries { entries, .. }) if !entries.is_empty());
        if twice {
            resent.push(o.clone());
        }
        resent.push(o);
    }
    resent
}

/// The appends a leader sends a peer in the step that hears that peer's acknowledgement are
/// lost: the leader stays silent towards a peer that has caught up. Mirrors a progress left
/// paused once the peer catches up (raft-rs `Progress::become_probe` skipped, so a snapshot
/// state is never left — mutant 2 of the README's sample — or a probe that never turns to
/// replicate).
fn silent_after_ack(input: &Input, outputs: Vec<Output>) -> Vec<Output> {
    let Input::Receive { message: ack } = input else {
        return outputs;
    };
    if !matches!(&ack.payload, Payload::AppendEntriesResponse(a) if !a.reject) {
        return outputs;
    }
    outputs
        .into_iter()
        .filter(|o| !(is_append(o) && o.sent().is_some_and(|m| m.to == ack.from)))
        .collect()
}

/// One client value, two terms, no faults: enough for a leader to hear an acknowledgement while
/// it holds an entry the peer lacks.
fn bounds() -> Bounds {
    Bounds {
        max_term: 2,
        restarts: 0,
        heartbeats: 0,
        depth: 8,
        ..Bounds::default()
    }
}

fn run(model: RaftModel, tamper: Tamper) -> SearchResult {
    let make = move || -> Result<Box<dyn Adapter>, AdapterError> {
        Ok(Box::new(Tampered {
            inner: RaftRsAdapter::new(),
            tamper,
        }))
    };
    let options = SearchOptions {
        threads: 2,
        ..SearchOptions::default()
    };
    search(&model, &make, &options).expect("search runs")
}

/// Checks that `tamper` is caught under `with` — one problem, of `kind`, whose first line starts
/// with `starts` and names `rule` — and passes unnoticed under `without`, the same model
/// without the rule.
fn caught_only_by_the_rule(
    tamper: Tamper,
    with: RaftModel,
    without: RaftModel,
    kind: &str,
    starts: &str,
    rule: &str,
) {
    let found = run(with, tamper);
    assert_eq!(found.problems.len(), 1);
    let problem = &found.problems[0];
    assert_eq!(problem.outcome.kind_name(), kind, "{problem:?}");
    assert!(
        problem.lines[0].starts_with(starts) && problem.lines[0].contains(rule),
        "{:?}",
        problem.lines
    );
    let passed = run(without, tamper);
    assert!(passed.problems.is_empty(), "{:?}", passed.problems);
}

#[test]
fn the_follow_on_rule_catches_a_leader_that_resends_what_is_in_flight() {
    // Each copy alone is an append the leader may send.
    let without = Flavour {
        appends_follow_on: false,
        ..Flavour::raft_rs()
    };
    caught_only_by_the_rule(
        resend_in_flight,
        RaftModel::new(bounds(), Flavour::raft_rs(), Mode::Lockstep),
        RaftModel::new(bounds(), without, Mode::Lockstep),
        "unexpected-output",
        "unexpected output: Send AppendEntries",
        "follow-on",
    );
}

#[test]
fn the_ack_resume_obligation_catches_a_leader_silent_after_an_acknowledgement() {
    let model = RaftModel::new(bounds(), Flavour::raft_rs(), Mode::Lockstep);
    // Judged only by "may the leader send this", the silent leader conforms.
    let unobliged = RaftModel {
        obligations: false,
        ..model.clone()
    };
    caught_only_by_the_rule(
        silent_after_ack,
        model,
        unobliged,
        "missing-output",
        "missing output: n",
        "ack-resume",
    );
}
