//! The engine against the spec-backed fixture adapter (`raftcheck_adapter::fixture`), whose
//! behaviour is known exactly: without a defect it agrees with the spec everywhere, and each
//! defect has a known shortest divergence. So these tests can pin what the search, the
//! shrinker, keep-going and sharding do, number for number, without raft-rs in the way.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use raftcheck::engine::shrink::execute_resolved;
use raftcheck::engine::{
    execute_inputs, random_walks, search, shrink, DivergenceKind, Outcome, Problem, SearchOptions,
    SearchResult, WalkOptions,
};
use raftcheck_adapter::fixture::{Defect, FixtureAdapter};
use raftcheck_adapter::{Adapter, AdapterError, ClusterSetup};
use raftcheck_spec::{Bounds, ClusterView, Flavour, Input, Mode, Output, RaftModel};

fn fixture(flavour: &Flavour, defects: &[Defect]) -> FixtureAdapter {
    defects
        .iter()
        .fold(FixtureAdapter::new(flavour.clone()), |a, d| {
            a.with_defect(*d)
        })
}

fn bounds(depth: usize) -> Bounds {
    Bounds {
        depth,
        ..Bounds::default()
    }
}

fn run(
    bounds: Bounds,
    flavour: &Flavour,
    defects: &[Defect],
    options: SearchOptions,
) -> SearchResult {
    let model = RaftModel::new(bounds, flavour.clone(), Mode::Lockstep);
    let (flavour, defects) = (flavour.clone(), defects.to_vec());
    let make = move || -> Result<Box<dyn Adapter>, AdapterError> {
        Ok(Box::new(fixture(&flavour, &defects)))
    };
    search(&model, &make, &options).expect("search runs")
}

fn threads(n: usize) -> SearchOptions {
    SearchOptions {
        threads: n,
        ..SearchOptions::default()
    }
}

/// The divergence kind a problem ends in (`None` for a violation).
fn kind_of(problem: &Problem) -> Option<DivergenceKind> {
    match problem.outcome {
        Outcome::Divergence { kind, .. } => Some(kind),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Agreement and pinned counts
// ---------------------------------------------------------------------------------------------

/// Without a defect the fixture agrees with the spec in every flavour, and the numbers of a
/// run are pinned: a change to the spec, the fixture's send policy or the search shows here as
/// a failing number. (Product states equal spec states: the fixture's fingerprint is a function
/// of the spec's node states.)
#[test]
fn the_fixture_agrees_with_the_spec_and_its_state_counts_are_pinned() {
    let cases = [
        (Flavour::raft_rs(), [24162, 24162, 44481]),
        (Flavour::etcd(), [23886, 23886, 44247]),
        (Flavour::textbook(), [21525, 21525, 42798]),
        (Flavour::raft_rs().with_pre_vote(true), [8576, 8576, 16419]),
    ];
    for (flavour, [states, spec_states, steps]) in cases {
        let found = run(bounds(8), &flavour, &[], threads(2));
        assert!(found.problems.is_empty(), "{flavour}: {:?}", found.problems);
        assert!(found.stats.complete, "{flavour}");
        let numbers = [
            found.stats.states,
            found.stats.spec_states,
            found.stats.steps,
        ];
        assert_eq!(numbers, [states, spec_states, steps], "{flavour}");
    }
}

/// The same counts whatever the number of threads, and merging loses no spec state.
#[test]
fn counts_do_not_depend_on_threads_and_merging_is_sound() {
    let flavour = Flavour::raft_rs();
    let one = run(bounds(6), &flavour, &[], threads(1));
    let two = run(bounds(6), &flavour, &[], threads(2));
    assert_eq!(one.stats.states, two.stats.states);
    assert_eq!(one.stats.steps, two.stats.steps);
    let tree = run(
        bounds(6),
        &flavour,
        &[],
        SearchOptions {
            merge: false,
            ..threads(2)
        },
    );
    assert!(tree.problems.is_empty());
    assert_eq!(tree.stats.spec_states, one.stats.spec_states);
    assert_eq!(tree.stats.reached, one.stats.reached);
    assert!(
        tree.stats.states > one.stats.states,
        "merging merges nothing"
    );
}

// ---------------------------------------------------------------------------------------------
// Every defect is found, at its known shortest depth
// ---------------------------------------------------------------------------------------------

#[test]
fn each_defect_is_found_by_the_search_at_its_shortest_depth() {
    let cases = [
        (
            Defect::VoteForgottenOnRestart,
            DivergenceKind::StateMismatch,
            2,
            "state mismatch: n1.vote: spec n1, impl none",
        ),
        (
            Defect::ReplyToWrongPeer,
            DivergenceKind::UnexpectedOutput,
            2,
            "wrong reply: n2 must send its RequestVoteResponse to n1 (the sender of the request)",
        ),
        (
            Defect::CommitAhead,
            DivergenceKind::UnexpectedOutput,
            3,
            "unexpected output: Send AppendEntries n1→n2 t1 prev=(0,t0) entries=[t1:empty] \
             commit=1",
        ),
        (
            Defect::HeartbeatLostAfter(0),
            DivergenceKind::MissingOutput,
            4,
            "missing output: Send Heartbeat n1→n2 t1 commit=0",
        ),
        (
            // The heartbeat is lost from step 6 on: the first heartbeat at step 7 shows it.
            Defect::HeartbeatLostAfter(6),
            DivergenceKind::MissingOutput,
            7,
            "missing output: Send Heartbeat",
        ),
    ];
    let flavour = Flavour::raft_rs();
    for (defect, kind, step, first_line) in cases {
        let found = run(bounds(8), &flavour, &[defect], threads(2));
        assert_eq!(found.problems.len(), 1, "{defect}");
        let problem = &found.problems[0];
        assert_eq!(kind_of(problem), Some(kind), "{defect}: {problem:?}");
        assert_eq!(problem.path.len(), step, "{defect}: {problem:?}");
        assert!(
            problem.lines[0].starts_with(first_line),
            "{defect}: {:?}",
            problem.lines
        );
        // Breadth first: nothing shorter exists.
        let shorter = run(bounds(step - 1), &flavour, &[defect], threads(2));
        assert!(
            shorter.problems.is_empty(),
            "{defect}: {shorter:?}",
            shorter = shorter.problems
        );
    }
}

/// `conflict-kept` needs a leader change over a longer log: deep for the exhaustive search at
/// the default bounds, found by random walks.
#[test]
fn the_conflict_defect_is_found_by_random_walks() {
    let walk = conflict_walk();
    assert_eq!(
        kind_of(&walk.1),
        Some(DivergenceKind::StateMismatch),
        "{:?}",
        walk.1
    );
    assert!(walk.1.lines[0].contains(".log["), "{:?}", walk.1.lines);
}

// ---------------------------------------------------------------------------------------------
// Shrinking
// ---------------------------------------------------------------------------------------------

fn walk_model(flavour: &Flavour) -> RaftModel {
    let bounds = Bounds {
        max_term: 8,
        values: 4,
        restarts: 3,
        heartbeats: 8,
        ..Bounds::default()
    };
    RaftModel::new(bounds, flavour.clone(), Mode::Lockstep)
}

/// The first random walk (seed 7) on which `conflict-kept` shows: its index and problem.
fn conflict_walk() -> (usize, Problem) {
    let flavour = Flavour::raft_rs();
    let model = walk_model(&flavour);
    let make = || -> Result<Box<dyn Adapter>, AdapterError> {
        Ok(Box::new(fixture(
            &Flavour::raft_rs(),
            &[Defect::ConflictKept],
        )))
    };
    let options = WalkOptions {
        seed: 7,
        steps: 200,
        walks: 400,
        threads: 2,
    };
    let outcome = random_walks(&model, &make, &options).expect("walks run");
    let found = outcome.found.expect("some walk of 400 shows conflict-kept");
    (found.walk, found.problem)
}

/// True when `path`, resolved step by step, ends in a divergence of `kind`.
fn diverges(
    model: &RaftModel,
    adapter: &mut dyn Adapter,
    path: &[Input],
    kind: DivergenceKind,
) -> bool {
    let execution = execute_resolved(model, adapter, path);
    matches!(execution.end, Ok(Outcome::Divergence { kind: k, .. }) if k == kind)
}

#[test]
fn the_shrunk_divergence_is_shorter_and_one_minimal() {
    let (_, problem) = conflict_walk();
    let flavour = Flavour::raft_rs();
    let model = walk_model(&flavour);
    let mut adapter = fixture(&flavour, &[Defect::ConflictKept]);
    let shrunk = shrink(&model, &mut adapter, &problem.path, &problem.outcome);
    let path = shrunk.path;
    assert!(
        path.len() < problem.path.len(),
        "no shorter than the walk: {} inputs",
        path.len()
    );
    // The exhaustive search at the default bounds finds nothing shorter than 12 inputs.
    assert!(path.len() >= 12, "{} inputs", path.len());

    // It still diverges, exactly at its last step, with the same kind.
    let execution = execute_inputs(&model, &mut adapter, &path);
    assert_eq!(
        execution.end,
        Ok(Outcome::Divergence {
            step: path.len(),
            kind: DivergenceKind::StateMismatch
        })
    );
    // 1-minimal: without any one of its inputs (matched as the shrinker matches) it no longer
    // diverges that way.
    for i in 0..path.len() {
        let mut candidate = path.clone();
        let removed = candidate.remove(i);
        assert!(
            !diverges(
                &model,
                &mut adapter,
                &candidate,
                DivergenceKind::StateMismatch
            ),
            "still diverges without input {} ({removed})",
            i + 1
        );
    }
    // And shrinking it again changes nothing.
    let again = shrink(&model, &mut adapter, &path, &problem.outcome);
    assert_eq!(again.path, path);
}

// ---------------------------------------------------------------------------------------------
// Keep-going
// ---------------------------------------------------------------------------------------------

/// With two defects at once, keep-going reports the divergences of both, each distinct, and
/// each reproduced by the fixture with that defect alone.
#[test]
fn keep_going_collects_the_divergences_of_two_defects() {
    let flavour = Flavour::raft_rs();
    let both = [Defect::VoteForgottenOnRestart, Defect::ReplyToWrongPeer];
    let found = run(
        bounds(4),
        &flavour,
        &both,
        SearchOptions {
            keep_going: true,
            ..threads(2)
        },
    );
    assert!(found.stats.complete);
    let firsts: BTreeSet<String> = found.problems.iter().map(|p| p.lines[0].clone()).collect();
    assert_eq!(
        firsts.len(),
        found.problems.len(),
        "duplicates: {firsts:#?}"
    );

    let model = RaftModel::new(bounds(4), flavour.clone(), Mode::Lockstep);
    let mut by_defect = [0, 0];
    for problem in &found.problems {
        let Some(kind) = kind_of(problem) else {
            panic!("a violation: {problem:?}");
        };
        let culprits: Vec<usize> = (0..2)
            .filter(|&d| {
                let mut alone = fixture(&flavour, &both[d..=d]);
                let execution = execute_inputs(&model, &mut alone, &problem.path);
                execution.end
                    == Ok(Outcome::Divergence {
                        step: problem.path.len(),
                        kind,
                    })
            })
            .collect();
        assert_eq!(culprits.len(), 1, "{problem:?}");
        by_defect[culprits[0]] += 1;
    }
    assert!(by_defect[0] >= 1 && by_defect[1] >= 1, "{by_defect:?}");
    assert!(
        firsts.contains("state mismatch: n1.vote: spec n1, impl none"),
        "{firsts:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Sharding
// ---------------------------------------------------------------------------------------------

/// Forwards to a fixture and records every path judged: the path the engine brought it to,
/// plus the input applied.
struct Recording {
    inner: FixtureAdapter,
    at: Vec<Input>,
    judged: Arc<Mutex<BTreeSet<Vec<Input>>>>,
}

impl Adapter for Recording {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn flavour(&self) -> Flavour {
        self.inner.flavour()
    }
    fn reset(&mut self, setup: &ClusterSetup) -> Result<(), AdapterError> {
        self.at.clear();
        self.inner.reset(setup)
    }
    fn apply(&mut self, input: &Input) -> Result<Vec<Output>, AdapterError> {
        self.at.push(input.clone());
        let fresh = self.judged.lock().unwrap().insert(self.at.clone());
        assert!(fresh, "a path judged twice in one run: {:?}", self.at);
        self.inner.apply(input)
    }
    fn observe(&mut self) -> Result<ClusterView, AdapterError> {
        self.inner.observe()
    }
    fn fingerprint(&mut self) -> Result<Option<u64>, AdapterError> {
        self.inner.fingerprint()
    }
    fn replay_to(&mut self, setup: &ClusterSetup, path: &[Input]) -> Result<u64, AdapterError> {
        self.at = path.to_vec();
        self.inner.replay_to(setup, path)
    }
}

fn judged_paths(shard: Option<(usize, usize)>) -> (BTreeSet<Vec<Input>>, SearchResult) {
    let judged = Arc::new(Mutex::new(BTreeSet::new()));
    let model = RaftModel::new(bounds(5), Flavour::raft_rs(), Mode::Lockstep);
    let sink = judged.clone();
    let make = move || -> Result<Box<dyn Adapter>, AdapterError> {
        Ok(Box::new(Recording {
            inner: FixtureAdapter::new(Flavour::raft_rs()),
            at: Vec::new(),
            judged: sink.clone(),
        }))
    };
    let options = SearchOptions {
        merge: false,
        shard,
        ..threads(2)
    };
    let outcome = search(&model, &make, &options).expect("search runs");
    let paths = judged.lock().unwrap().clone();
    (paths, outcome)
}

/// Without merging, the shards of a run explore the same prefix until the frontier is split,
/// then disjoint parts of the tree, and together exactly the whole unsharded tree.
#[test]
fn shards_are_disjoint_and_their_union_is_the_whole_run() {
    let (whole, full) = judged_paths(None);
    assert!(full.problems.is_empty() && full.stats.complete);
    assert_eq!(whole.len() as u64, full.stats.steps);
    let n = 3;
    let shards: Vec<BTreeSet<Vec<Input>>> = (0..n).map(|i| judged_paths(Some((i, n))).0).collect();

    let union: BTreeSet<Vec<Input>> = shards.iter().flatten().cloned().collect();
    assert_eq!(union, whole, "the shards together are not the whole run");

    // Every shard judges the shared prefix levels; below the split each path is judged by
    // exactly one shard.
    let shared: BTreeSet<Vec<Input>> = shards[0]
        .iter()
        .filter(|p| shards[1..].iter().all(|s| s.contains(*p)))
        .cloned()
        .collect();
    let split = shared.iter().map(Vec::len).max().expect("a shared prefix");
    assert!(split < 5, "the frontier was never split");
    assert!(shared.iter().all(|p| p.len() <= split));
    assert_eq!(
        shared.len(),
        whole.iter().filter(|p| p.len() <= split).count()
    );
    for path in whole.iter().filter(|p| p.len() > split) {
        let owners = shards.iter().filter(|s| s.contains(path)).count();
        assert_eq!(owners, 1, "{path:?}");
    }
    assert!(
        shards.iter().all(|s| s.len() > shared.len()),
        "a shard has no part of its own"
    );
}
