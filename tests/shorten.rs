//! Shortening a shrunk trace (`raftcheck::engine::shorten`): a breadth-first search within
//! bounds cut to the trace, and shortcuts between product states along it.

mod common;

use std::path::Path;

use common::{code, json, run as raftcheck, stdout};
use raftcheck::engine::shorten::{bounds_of, shortcut};
use raftcheck::engine::{execute_inputs, Outcome, Problem};
use raftcheck::trace::Trace;
use raftcheck_adapter::inject::Bug;
use raftcheck_adapter::raft_rs::RaftRsAdapter;
use raftcheck_spec::{Bounds, Flavour, Input, Mode, RaftModel};

#[test]
fn a_random_finding_is_cut_to_the_shortest_trace_within_its_bounds() {
    // conflict-not-truncated with pre-vote off: walk 9 of seed 1 diverges at step 63; shrinking
    // leaves 19 inputs, and exhaustive search at the default bounds needs 10
    // (traces/raft-rs-conflict-not-truncated-*.json). The search within the walk's own bounds
    // finds 8 (it may use a second value).
    let dir = common::scratch("shorten", "random");
    let args = [
        "check",
        "--random",
        "--seed",
        "1",
        "--walks",
        "100",
        "--pre-vote",
        "off",
        "--inject",
        "conflict-not-truncated",
        "--format",
        "json",
        "--quiet",
    ];
    let r = json(&raftcheck(&args, &dir));
    assert_eq!(r["result"], "divergence", "{r}");
    assert_eq!(r["walk"], 9);
    assert_eq!(r["shrunk_to"], 19);
    let step = r["step"].as_u64().unwrap();
    assert!(
        step <= 10,
        "{step} steps: no longer than exhaustive search's"
    );
    assert!(r["shorten_states"].as_u64().unwrap() > 0);
    let replay = raftcheck(&["replay", r["trace"].as_str().unwrap()], &dir);
    assert_eq!(code(&replay), 0, "{}", stdout(&replay));
    let human: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| *a != "--format" && *a != "json")
        .collect();
    let o = raftcheck(&human, &dir);
    assert!(
        stdout(&o).contains("shrunk to 19 steps")
            && stdout(&o).contains("by a breadth-first search"),
        "{}",
        stdout(&o)
    );
}

fn corpus_path(name: &str) -> Vec<Input> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces")
        .join(name);
    Trace::load(&file).unwrap().inputs().cloned().collect()
}

#[test]
fn a_shortcut_cuts_out_a_detour_that_comes_back_to_the_same_product_state() {
    let bug = Bug::ConflictNotTruncated;
    let model = RaftModel::new(bug.bounds(), Flavour::raft_rs(), Mode::Lockstep);
    let shortest = corpus_path("raft-rs-conflict-not-truncated-state-mismatch-e6399b4b.json");
    // A restart of a node that has done nothing yet changes nothing but what the path spent.
    let mut detour = vec![Input::Restart { node: 3 }];
    detour.extend(shortest.iter().cloned());
    let mut adapter = RaftRsAdapter::with_bug(Some(bug));
    let execution = execute_inputs(&model, &mut adapter, &detour);
    let outcome = execution.outcome().cloned().unwrap();
    assert!(
        matches!(outcome, Outcome::Divergence { step: 11, .. }),
        "{outcome:?}"
    );
    let problem = Problem {
        path: detour,
        outcome,
        lines: Vec::new(),
    };
    let cut = shortcut(&model, &mut adapter, &problem, 2, 10_000).unwrap();
    let shorter = cut.problem.expect("a shortcut");
    assert_eq!(shorter.path, shortest);
    assert!(matches!(
        shorter.outcome,
        Outcome::Divergence { step: 10, .. }
    ));
    // The bounds of a search for a shorter trace are what the trace spent, one input fewer.
    let bounds = bounds_of(&model, &problem);
    assert_eq!(bounds.restarts, 1);
    assert_eq!(bounds.depth, 10);
    assert_eq!(bounds.heartbeats, 0);
    assert!(bounds.max_term <= Bounds::default().max_term);
}
