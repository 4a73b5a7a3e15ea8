//! Symmetry reduction in spec-only mode (`check --spec-only --symmetry`): a reduced and an
//! unreduced run of the same spec find the same violations, with paths of the same length that
//! replay on the unreduced spec, reach the same `sometimes` properties at the same depth, and
//! the reduced run visits fewer states.
//!
//! The violations come from the spec's deliberate bugs ([`Mutation`]), each at the small bounds
//! and depth at which the spec's own property tests catch it, voters-only and with a spare.

use raftcheck::engine::spec_only::{check, SpecOnlyOutcome, Strategy};
use raftcheck_spec::{Bounds, Flavour, Mode, Mutation, RaftModel};
use stateright::Model;

fn quiet(max_term: u64, depth: usize) -> Bounds {
    Bounds {
        nodes: 3,
        max_term,
        values: 0,
        restarts: 0,
        heartbeats: 0,
        drops: 0,
        duplicates: 0,
        max_in_flight: 4,
        depth,
        conf_changes: 0,
        spares: 0,
        snapshots: 0,
        joint: false,
    }
}

fn model(bounds: Bounds, flavour: Flavour, mutation: Option<Mutation>) -> RaftModel {
    let mut model = RaftModel::new(bounds, flavour, Mode::SpecOnly);
    model.mutation = mutation;
    model
}

/// Each property's name and shortest path length (None: not violated / not reached).
fn verdicts(outcome: &SpecOnlyOutcome) -> Vec<(String, Option<usize>)> {
    outcome
        .properties
        .iter()
        .map(|p| (p.name.clone(), p.steps))
        .collect()
}

/// Runs `m` breadth first with and without reduction and checks they agree; returns both
/// outcomes. (Depth first is left out: with a depth bound it can miss states that a shorter
/// path would reach, reduced or not.)
fn agree(m: RaftModel) -> (SpecOnlyOutcome, SpecOnlyOutcome) {
    let plain = check(m.clone(), Strategy::Bfs, 1);
    let reduced = check(m.clone().with_symmetry(), Strategy::Bfs, 1);
    assert_eq!(
        verdicts(&plain),
        verdicts(&reduced),
        "{:?}: reduced and unreduced runs disagree",
        m.mutation
    );
    assert!(
        reduced.unique_states < plain.unique_states,
        "{:?}: {} reduced states vs {} unreduced",
        m.mutation,
        reduced.unique_states,
        plain.unique_states
    );
    assert_eq!(reduced.depth, plain.depth);
    // Every reported path is a path of the spec without reduction, ending in a state where
    // the property's condition holds (a violation or the example).
    let properties = m.properties();
    for (result, property) in reduced.properties.iter().zip(&properties) {
        if let Some(path) = &result.path {
            let mut state = m.initial_state();
            for action in path {
                state = m
                    .next_state(&state, action.clone())
                    .unwrap_or_else(|| panic!("{} does not replay", result.name));
            }
            assert!(
                (property.condition)(&m, &state),
                "{}: the path's last state does not show it",
                result.name
            );
        }
    }
    (plain, reduced)
}

#[test]
fn every_spec_bug_is_found_with_and_without_reduction() {
    let cases = [
        (quiet(1, 6), Flavour::raft_rs(), Mutation::VoteTwice),
        (quiet(2, 9), Flavour::etcd(), Mutation::VoteWithoutLogCheck),
        (
            Bounds {
                values: 1,
                ..quiet(2, 9)
            },
            Flavour::raft_rs(),
            Mutation::AppendWithoutLogCheck,
        ),
        (
            Bounds {
                restarts: 1,
                ..quiet(1, 7)
            },
            Flavour::raft_rs(),
            Mutation::RestartForgetsCommit,
        ),
        (
            Bounds {
                conf_changes: 2,
                spares: 1,
                ..quiet(1, 5)
            },
            Flavour::raft_rs(),
            Mutation::ConfChangeWhilePending,
        ),
        (
            Bounds {
                values: 1,
                snapshots: 1,
                ..quiet(1, 8)
            },
            Flavour::raft_rs(),
            Mutation::CompactPastApplied,
        ),
    ];
    for (bounds, flavour, mutation) in cases {
        let (plain, _) = agree(model(bounds, flavour, Some(mutation)));
        assert!(
            plain.violations().next().is_some(),
            "{mutation:?} is caught at these bounds"
        );
    }
}

#[test]
fn the_stock_spec_agrees_and_reduces_by_about_the_group_order() {
    let bounds = Bounds {
        depth: 8,
        ..Bounds::default()
    };
    let (plain, reduced) = agree(model(bounds, Flavour::raft_rs(), None));
    assert_eq!(plain.violations().count(), 0);
    // Three interchangeable voters: most classes hold 6 states, a few (the initial state, ...)
    // fewer.
    assert!(
        reduced.unique_states * 4 < plain.unique_states,
        "{} vs {}",
        reduced.unique_states,
        plain.unique_states
    );
}
