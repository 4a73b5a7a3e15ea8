//! `raftcheck validate` on logs of real raft-rs behaviour: lockstep walks of the in-process
//! raft-rs adapter, written as the event logs an implementation that logs every step would
//! write (`raftcheck::validate::record`), then validated from the files. Stock runs must
//! validate clean — whole, and with kinds of event left out — and runs of injected bugs must
//! not.

mod common;

use std::path::PathBuf;

use raftcheck::adapters::ImplChoice;
use raftcheck::engine::executor::{start, step};
use raftcheck::engine::Step;
use raftcheck::validate::{self, record, Request};
use raftcheck_spec::{Action, Bounds, ClusterView, Mode, RaftModel};

/// A seeded walk of `len` inputs on raft-rs (with `bug` injected), stopping at a divergence.
fn walk(bug: Option<&str>, seed: u64, len: usize) -> (RaftModel, ClusterView, Vec<Step>) {
    let mut adapter = ImplChoice::new("raft-rs", bug).unwrap().build().unwrap();
    let bounds = Bounds {
        max_term: 5,
        values: 4,
        restarts: 3,
        heartbeats: 6,
        drops: 2,
        max_in_flight: 64,
        ..Bounds::default()
    };
    let model = RaftModel::new(bounds, adapter.flavour(), Mode::Lockstep);
    assert!(start(&model, adapter.as_mut()).kind().is_none());
    let initial = adapter.observe().unwrap();
    let mut state = model.initial_state();
    let mut rng = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut steps = Vec::new();
    for _ in 0..len {
        let inputs = model.inputs(&state);
        if inputs.is_empty() {
            break;
        }
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let input = inputs[(rng >> 33) as usize % inputs.len()].clone();
        let taken = step(
            &model,
            Some(adapter.as_mut()),
            &state,
            &Action::Input(input),
        );
        let diverged = taken.findings.kind().is_some();
        state = taken.next.clone();
        steps.push(taken);
        if diverged {
            break;
        }
    }
    (model, initial, steps)
}

fn logs_of(
    name: &str,
    model: &RaftModel,
    initial: &ClusterView,
    steps: &[Step],
    keep: impl Fn(&raftcheck_format::eventlog::Event) -> bool,
) -> Vec<PathBuf> {
    let mut recorded = record::record(&model.flavour.name, false, initial, steps);
    for events in recorded.nodes.values_mut() {
        events.retain(|e| keep(e));
    }
    let dir = common::scratch("validate", name);
    record::write(&recorded, &dir).unwrap()
}

fn request(files: Vec<PathBuf>) -> Request {
    Request {
        files,
        flavour: None,
        pre_vote: None,
        max_frontier: 64,
        unlogged: 1,
        immediate: None,
        election_timeout_us: None,
    }
}

#[test]
fn stock_raft_rs_walks_validate_clean() {
    for seed in 0..40 {
        let (model, initial, steps) = walk(None, seed, 60);
        let files = logs_of(&format!("stock-{seed}"), &model, &initial, &steps, |_| true);
        let v = validate::validate(&request(files)).unwrap();
        assert!(
            v.outcome.agrees(),
            "seed {seed}: {} {:?}",
            v.outcome,
            v.divergence.as_ref().map(|d| d.miss.reason.clone())
        );
        assert_eq!(v.explained, v.logs.len());
    }
}

/// The raft-rs adapter's injected bugs that a walk reaches, each with the seeds that reach it.
const BUGS: [&str; 6] = [
    "vote-not-persisted",
    "term-not-persisted",
    "ack-before-persist",
    "unsynced-tail-lost",
    "stale-term-as-current",
    "reply-to-wrong-peer",
];

#[test]
fn injected_bugs_are_found_from_their_logs() {
    for bug in BUGS {
        let mut found = 0;
        let mut diverging = 0;
        for seed in 0..200 {
            let (model, initial, steps) = walk(Some(bug), seed, 60);
            let Some(last) = steps.last().filter(|s| s.findings.kind().is_some()) else {
                continue;
            };
            // A restarted node's application re-applies from its own durable state: a log says
            // what it applies, not what it kept, so a run whose only difference is the applied
            // index or state machine right after a restart leaves no trace in a log.
            let fields = &last.findings.diff;
            if last.findings.lines().len() == fields.len()
                && fields
                    .iter()
                    .all(|f| f.field.ends_with(".applied") || f.field.ends_with(".state_machine"))
            {
                continue;
            }
            diverging += 1;
            let files = logs_of(&format!("{bug}-{seed}"), &model, &initial, &steps, |_| true);
            let v = validate::validate(&request(files)).unwrap();
            if !v.outcome.agrees() {
                found += 1;
            } else {
                println!(
                    "{bug} seed {seed} not found: lockstep {:?}",
                    last.findings.lines()
                );
            }
            if diverging == 10 {
                break;
            }
        }
        println!("{bug}: {found} of {diverging} diverging walks found from their logs");
        assert!(diverging > 0, "{bug}: no walk reached it");
        assert_eq!(found, diverging, "{bug}");
    }
}
