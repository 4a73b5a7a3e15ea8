//! Symmetry reduction in exhaustive lockstep (`check --impl raft-rs --symmetry`): merging product
//! states under renamings of node ids is sound for raft-rs only if raft-rs treats ids as names,
//! which nothing in its code promises (it keeps peers in id-ordered maps and sends in id order).
//! So it is tested, not assumed: a reduced and an unreduced run must reach the same verdict on
//! stock raft-rs and on every injected bug the reduction applies to, with traces of the same
//! length, and the reduced run must visit fewer states.
//!
//! Each bug runs at the bounds of its corpus trace (`traces/raft-rs-*.json`), which were found by
//! the unreduced breadth-first search. The two bugs that need configuration changes are left
//! out: lockstep symmetry refuses bounds with configuration changes.

use std::path::Path;

use raftcheck::engine::{search, SearchOptions, SearchResult};
use raftcheck::trace::Trace;
use raftcheck_adapter::inject::Bug;
use raftcheck_adapter::raft_rs::RaftRsAdapter;
use raftcheck_adapter::{Adapter, AdapterError};
use raftcheck_spec::{Bounds, Flavour, Mode, RaftModel, Symmetry};

fn run(model: &RaftModel, bug: Option<Bug>, symmetry: bool) -> SearchResult {
    let pre_vote = model.flavour.pre_vote;
    let make = move || -> Result<Box<dyn Adapter>, AdapterError> {
        Ok(Box::new(
            RaftRsAdapter::with_bug(bug).with_pre_vote(pre_vote),
        ))
    };
    let options = SearchOptions {
        threads: 2,
        symmetry: symmetry.then(|| Symmetry::for_bounds(&model.bounds)),
        ..SearchOptions::default()
    };
    search(model, &make, &options).expect("search runs")
}

/// The first problem's kind and path length, or `None` when the run agrees.
fn verdict(result: &SearchResult) -> Option<(&'static str, usize)> {
    result
        .problems
        .first()
        .map(|p| (p.outcome.kind_name(), p.path.len()))
}

/// Runs `model` with and without reduction; both must reach the same verdict, the same
/// `sometimes` properties at the same depth, and the reduced run must store fewer states.
fn agree(model: &RaftModel, bug: Option<Bug>) -> Option<(&'static str, usize)> {
    let plain = run(model, bug, false);
    let reduced = run(model, bug, true);
    let name = bug.map_or("stock raft-rs", Bug::name);
    assert_eq!(
        verdict(&plain),
        verdict(&reduced),
        "{name}: reduced and unreduced runs disagree"
    );
    assert!(
        reduced.stats.states < plain.stats.states,
        "{name}: {} reduced states vs {} unreduced",
        reduced.stats.states,
        plain.stats.states
    );
    if plain.problems.is_empty() {
        assert_eq!(reduced.stats.reached, plain.stats.reached, "{name}");
        assert_eq!(reduced.stats.depth, plain.stats.depth, "{name}");
    }
    verdict(&plain)
}

#[test]
fn stock_raft_rs_agrees_reduced_or_not_with_fewer_states() {
    for pre_vote in [false, true] {
        let bounds = Bounds {
            depth: 9,
            ..Bounds::default()
        };
        let model = RaftModel::new(
            bounds,
            Flavour::raft_rs().with_pre_vote(pre_vote),
            Mode::Lockstep,
        );
        assert_eq!(agree(&model, None), None, "pre-vote {pre_vote}");
    }
}

#[test]
fn every_corpus_bug_is_found_reduced_or_not_at_the_same_length() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let mut checked = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("traces/")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("raft-rs-") && name.ends_with(".json")
        })
        .collect();
    names.sort();
    for path in names {
        let trace = Trace::load(&path).expect("a corpus trace");
        let Some(bug) = trace.inject.as_deref() else {
            continue;
        };
        if trace.bounds.conf_changes > 0 || trace.bounds.spares > 0 {
            continue;
        }
        let bug = Bug::ALL
            .into_iter()
            .find(|b| b.name() == bug)
            .unwrap_or_else(|| panic!("{}: unknown bug {bug}", path.display()));
        let model = RaftModel::new(trace.bounds.clone(), trace.flavour.clone(), Mode::Lockstep);
        let found = agree(&model, Some(bug));
        assert!(found.is_some(), "{}: not found", path.display());
        checked.push(bug);
    }
    checked.sort_by_key(|b| b.name());
    checked.dedup();
    let left_out = [Bug::ConfChangeOnAppend, Bug::ConfStateNotPersisted];
    for bug in Bug::ALL.into_iter().filter(|b| !left_out.contains(b)) {
        assert!(checked.contains(&bug), "{} has no corpus trace", bug.name());
    }
}
