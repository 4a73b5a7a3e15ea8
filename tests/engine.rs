//! The engine against real raft-rs: merging is sound, divergences found are shortest, and a
//! spec that does not match the implementation is caught.

use raftcheck::engine::{search, DivergenceKind, Outcome, SearchOptions, SearchResult};
use raftcheck_adapter::inject::Bug;
use raftcheck_adapter::raft_rs::RaftRsAdapter;
use raftcheck_adapter::{Adapter, AdapterError};
use raftcheck_spec::{Bounds, Flavour, Mode, RaftModel};

fn run(bounds: Bounds, flavour: Flavour, bug: Option<Bug>, options: SearchOptions) -> SearchResult {
    let model = RaftModel::new(bounds, flavour, Mode::Lockstep);
    let make = move || -> Result<Box<dyn Adapter>, AdapterError> {
        Ok(Box::new(RaftRsAdapter::with_bug(bug)))
    };
    search(&model, &make, &options).expect("search runs")
}

fn small(depth: usize) -> Bounds {
    Bounds {
        depth,
        ..Bounds::default()
    }
}

fn merged(merge: bool) -> SearchOptions {
    SearchOptions {
        threads: 2,
        merge,
        ..SearchOptions::default()
    }
}

#[test]
fn merging_reaches_the_same_spec_states_as_the_tree() {
    for depth in [5, 7] {
        let with = run(small(depth), Flavour::raft_rs(), None, merged(true));
        let without = run(small(depth), Flavour::raft_rs(), None, merged(false));
        assert!(with.problems.is_empty() && without.problems.is_empty());
        assert_eq!(
            with.stats.spec_states, without.stats.spec_states,
            "depth {depth}"
        );
        assert_eq!(with.stats.reached, without.stats.reached, "depth {depth}");
        assert!(
            with.stats.states < without.stats.states,
            "merging merges nothing"
        );
    }
}

#[test]
fn merging_finds_the_same_shortest_divergences_as_the_tree() {
    for bug in [
        Bug::UnsyncedTailLost,
        Bug::StaleTermAsCurrent,
        Bug::AckBeforePersist,
    ] {
        let with = run(small(6), Flavour::raft_rs(), Some(bug), merged(true));
        let without = run(small(6), Flavour::raft_rs(), Some(bug), merged(false));
        assert_eq!(with.problems.len(), 1, "{bug}");
        assert_eq!(with.problems, without.problems, "{bug}");
    }
}

#[test]
fn the_divergence_found_is_a_shortest_one() {
    // Breadth first: no divergence exists at any smaller depth bound.
    for bug in Bug::ALL {
        let bounds = |depth| Bounds {
            depth,
            ..bug.bounds()
        };
        let found = run(bounds(12), Flavour::raft_rs(), Some(bug), merged(true));
        assert!(!found.problems.is_empty(), "{bug} not found");
        let length = found.problems[0].path.len();
        let shorter = run(
            bounds(length - 1),
            Flavour::raft_rs(),
            Some(bug),
            merged(true),
        );
        assert!(
            shorter.problems.is_empty(),
            "{bug}: a divergence shorter than {length} exists"
        );
    }
}

#[test]
fn keep_going_collects_distinct_divergences() {
    let options = SearchOptions {
        keep_going: true,
        ..merged(true)
    };
    let all = run(
        small(5),
        Flavour::raft_rs(),
        Some(Bug::ReplyToWrongPeer),
        options,
    );
    assert!(all.problems.len() >= 2, "{:?}", all.problems);
    let mut lines: Vec<_> = all.problems.iter().map(|p| p.lines[0].clone()).collect();
    lines.dedup();
    assert_eq!(lines.len(), all.problems.len());
    assert!(all.stats.complete);
}

#[test]
fn raft_rs_does_not_conform_to_the_etcd_flavour() {
    // Flavours matter: raft-rs reports commit indexes in responses and vote messages, etcd 3.4
    // does not, so the first commit a follower reports is a mismatch.
    let found = run(small(12), Flavour::etcd(), None, merged(true));
    let problem = &found.problems[0];
    assert!(
        matches!(
            problem.outcome,
            Outcome::Divergence {
                kind: DivergenceKind::UnexpectedOutput,
                ..
            }
        ),
        "{problem:?}"
    );
    assert!(problem.lines[0].contains("commit"), "{problem:?}");
}

#[test]
fn a_spec_bug_is_caught_in_lockstep() {
    let mut model = RaftModel::new(small(4), Flavour::raft_rs(), Mode::Lockstep);
    model.mutation = Some(raftcheck_spec::Mutation::VoteTwice);
    let make = || -> Result<Box<dyn Adapter>, AdapterError> { Ok(Box::new(RaftRsAdapter::new())) };
    let found = search(&model, &make, &merged(true)).unwrap();
    assert_eq!(found.problems.len(), 1);
}

#[test]
fn shards_are_disjoint_and_together_explore_the_whole_run() {
    // Without merging the search explores a tree, so counts add up exactly: every shard repeats
    // the levels up to the split (the prefix) and explores its own subtrees beneath it.
    let tree = |depth, shard| {
        run(
            small(depth),
            Flavour::raft_rs(),
            None,
            SearchOptions {
                shard,
                ..merged(false)
            },
        )
    };
    let full = tree(7, None);
    for n in [2, 3] {
        let parts: Vec<_> = (0..n).map(|i| tree(7, Some((i, n)))).collect();
        let split = parts[0].stats.split.expect("the frontier was split");
        let prefix = tree(split.depth, None);
        for part in &parts {
            assert!(part.problems.is_empty() && !part.stats.complete);
            assert_eq!(
                part.stats.split.map(|s| (s.depth, s.of)),
                Some((split.depth, split.of))
            );
        }
        let kept: u64 = parts.iter().map(|p| p.stats.split.unwrap().kept).sum();
        assert_eq!(
            kept, split.of,
            "{n} shards keep each frontier state exactly once"
        );
        let states: u64 = parts.iter().map(|p| p.stats.states).sum();
        let steps: u64 = parts.iter().map(|p| p.stats.steps).sum();
        let repeats = n as u64 - 1;
        assert_eq!(
            states - repeats * prefix.stats.states,
            full.stats.states,
            "{n} shards"
        );
        assert_eq!(
            steps - repeats * prefix.stats.steps,
            full.stats.steps,
            "{n} shards"
        );
    }
}

/// A search of raft-rs with `bug` under `model` (its obligations on or off).
fn run_model(model: RaftModel, bug: Bug, options: SearchOptions) -> SearchResult {
    let make = move || -> Result<Box<dyn Adapter>, AdapterError> {
        Ok(Box::new(RaftRsAdapter::with_bug(Some(bug))))
    };
    search(&model, &make, &options).expect("search runs")
}

#[test]
fn each_progress_obligation_catches_the_silent_leader_that_passes_without_it() {
    for (bug, rule) in [
        (Bug::NoProbeBackoff, "probe-backoff"),
        (Bug::NoHeartbeatRepair, "heartbeat-repair"),
    ] {
        let model = RaftModel::new(bug.bounds(), Flavour::raft_rs(), Mode::Lockstep);
        let found = run_model(model.clone(), bug, merged(true));
        assert_eq!(found.problems.len(), 1, "{bug}");
        let problem = &found.problems[0];
        assert_eq!(
            problem.outcome.kind_name(),
            "missing-output",
            "{bug}: {problem:?}"
        );
        assert!(
            problem.lines[0].starts_with("missing output: n") && problem.lines[0].contains(rule),
            "{bug}: {:?}",
            problem.lines
        );
        // Judged only by "may the leader send this", the silent leader conforms.
        let unobliged = RaftModel {
            obligations: false,
            ..model
        };
        let passed = run_model(unobliged, bug, merged(true));
        assert!(passed.problems.is_empty(), "{bug}: {:?}", passed.problems);
    }
}

#[test]
fn a_leader_owing_a_probe_with_nothing_in_flight_is_stuck() {
    // Two nodes: n1 leads term 1 with an entry n2 never got, restarts, leads term 2 and probes
    // n2, which rejects. With the rejection swallowed nothing is left in flight at all.
    let model = RaftModel::new(bounds_two(), Flavour::raft_rs(), Mode::Lockstep);
    let options = SearchOptions {
        keep_going: true,
        ..merged(true)
    };
    let found = run_model(model, Bug::NoProbeBackoff, options);
    let stuck = found
        .problems
        .iter()
        .find(|p| {
            matches!(
                p.outcome,
                Outcome::Divergence {
                    kind: DivergenceKind::Stuck,
                    ..
                }
            )
        })
        .unwrap_or_else(|| panic!("no stuck state among {:?}", found.problems));
    assert!(
        stuck.lines[0].starts_with("stuck: n1 owes n2 an append at term 2 (probe-backoff"),
        "{:?}",
        stuck.lines
    );
    // Stock raft-rs backs off and probes again there.
    let stock = run(bounds_two(), Flavour::raft_rs(), None, merged(true));
    assert!(stock.problems.is_empty(), "{:?}", stock.problems);
}

fn bounds_two() -> Bounds {
    Bounds {
        nodes: 2,
        max_term: 2,
        heartbeats: 0,
        depth: 10,
        ..Bounds::default()
    }
}
