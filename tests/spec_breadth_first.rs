//! raftcheck's own breadth-first walk of the spec (`check --spec-only`, the default strategy)
//! against Stateright's: the same states counted and the same verdicts, on one thread and on
//! several, with the same paths whatever the thread count.

use raftcheck::engine::spec_only::{check, stateright_depth, SpecOnlyOutcome, Strategy};
use raftcheck_spec::{Bounds, Flavour, Mode, Mutation, RaftModel};
use stateright::{Checker, Model};

fn model(bounds: Bounds, flavour: Flavour, mutation: Option<Mutation>) -> RaftModel {
    let mut model = RaftModel::new(bounds, flavour, Mode::SpecOnly);
    model.mutation = mutation;
    model
}

/// Stateright's single-threaded breadth-first checker on `model`: unique and generated states,
/// and the properties it found a path for.
fn stateright(model: &RaftModel) -> (usize, usize, Vec<String>) {
    let properties = model.properties();
    let checker = model
        .clone()
        .checker()
        .threads(1)
        .target_max_depth(stateright_depth(model.bounds.depth))
        .spawn_bfs()
        .join();
    let found = properties
        .iter()
        .filter(|p| checker.discoveries().contains_key(p.name))
        .map(|p| p.name.to_string())
        .collect();
    (checker.unique_state_count(), checker.state_count(), found)
}

fn found(outcome: &SpecOnlyOutcome) -> Vec<String> {
    outcome
        .properties
        .iter()
        .filter(|p| p.path.is_some())
        .map(|p| p.name.clone())
        .collect()
}

fn cases() -> Vec<RaftModel> {
    let quiet = Bounds {
        depth: 7,
        ..Bounds::default()
    };
    vec![
        model(quiet.clone(), Flavour::raft_rs(), None),
        model(quiet.clone(), Flavour::etcd().with_pre_vote(true), None),
        model(
            Bounds {
                conf_changes: 1,
                snapshots: 1,
                max_term: 2,
                restarts: 0,
                heartbeats: 0,
                depth: 6,
                ..Bounds::default()
            },
            Flavour::raft_rs(),
            None,
        ),
        model(
            Bounds {
                max_term: 1,
                values: 0,
                restarts: 0,
                heartbeats: 0,
                depth: 6,
                ..Bounds::default()
            },
            Flavour::textbook(),
            Some(Mutation::VoteTwice),
        ),
        model(
            Bounds {
                max_term: 1,
                values: 0,
                heartbeats: 0,
                ..quiet
            },
            Flavour::raft_rs(),
            Some(Mutation::RestartForgetsCommit),
        ),
    ]
}

#[test]
fn breadth_first_counts_and_finds_what_stateright_does() {
    for m in cases() {
        let (unique, generated, discovered) = stateright(&m);
        let ours = check(m.clone(), Strategy::Bfs, 1);
        assert_eq!(
            (ours.unique_states, ours.generated_states),
            (unique, generated),
            "{} {:?}",
            m.flavour,
            m.mutation
        );
        assert_eq!(found(&ours), discovered, "{} {:?}", m.flavour, m.mutation);
        // A deliberately broken spec breaks a safety property within these bounds.
        assert_eq!(
            ours.violations().next().is_some(),
            m.mutation.is_some(),
            "{} {:?}",
            m.flavour,
            m.mutation
        );
    }
}

#[test]
fn more_threads_change_nothing_but_the_time() {
    for m in cases() {
        let one = check(m.clone(), Strategy::Bfs, 1);
        let two = check(m.clone(), Strategy::Bfs, 2);
        assert_eq!(
            (one.unique_states, one.generated_states, one.depth),
            (two.unique_states, two.generated_states, two.depth)
        );
        let paths = |o: &SpecOnlyOutcome| -> Vec<_> {
            o.properties
                .iter()
                .map(|p| (p.name.clone(), p.path.clone()))
                .collect()
        };
        assert_eq!(paths(&one), paths(&two), "{} {:?}", m.flavour, m.mutation);
    }
}
