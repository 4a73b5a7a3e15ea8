//! Raft's safety properties (Ongaro & Ousterhout 2014, Figure 3) as predicates on spec states,
//! plus `sometimes` properties that show the bounds reach interesting states.
//!
//! Each check returns the first counterexample it finds as a sentence, so a violation names the
//! nodes and indexes involved rather than only the property.

use stateright::Property;

use crate::cluster::ClusterState;
use crate::model::RaftModel;
use crate::types::Role;

/// At most one leader is elected in a term.
pub const ELECTION_SAFETY: &str = "election safety";
/// If two logs hold an entry with the same index and term, they are identical up to it.
pub const LOG_MATCHING: &str = "log matching";
/// A committed entry is in the log of every leader of a later term.
pub const LEADER_COMPLETENESS: &str = "leader completeness";
/// No two nodes commit different entries at the same index.
pub const STATE_MACHINE_SAFETY: &str = "state machine safety";
/// A node's commit index never moves backwards (except as the flavour's restart rule says).
pub const COMMIT_MONOTONIC: &str = "commit index never decreases";
/// A node never counts as committed an index past the end of its own log.
pub const COMMIT_WITHIN_LOG: &str = "commit index within log";
/// `sometimes`: some client value gets committed.
pub const VALUE_COMMITTED: &str = "a client value is committed";
/// `sometimes`: a second leader is elected (a leader change).
pub const LEADER_CHANGE: &str = "a leader change happens";
/// `sometimes`: a run both restarts a node and commits an entry.
pub const RESTART_AND_COMMIT: &str = "a run restarts a node and commits an entry";

/// The stateright properties of the model, safety first.
pub fn all() -> Vec<Property<RaftModel>> {
    vec![
        Property::always(ELECTION_SAFETY, |_, s| election_safety(s).is_ok()),
        Property::always(LOG_MATCHING, |_, s| log_matching(s).is_ok()),
        Property::always(LEADER_COMPLETENESS, |_, s| leader_completeness(s).is_ok()),
        Property::always(STATE_MACHINE_SAFETY, |_, s| state_machine_safety(s).is_ok()),
        Property::always(COMMIT_MONOTONIC, |_, s| commit_monotonic(s).is_ok()),
        Property::always(COMMIT_WITHIN_LOG, |_, s| commit_within_log(s).is_ok()),
        Property::sometimes(VALUE_COMMITTED, |_, s| value_committed(s)),
        Property::sometimes(LEADER_CHANGE, |_, s| leader_changed(s)),
        Property::sometimes(RESTART_AND_COMMIT, |_, s| restart_and_commit(s)),
    ]
}

/// A safety property that does not hold in a state, with what breaks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The property's name (one of the constants of this module).
    pub property: &'static str,
    /// What breaks it, naming nodes and indexes.
    pub detail: String,
}

/// A safety check: `Err` describes the counterexample.
type Check = fn(&ClusterState) -> Result<(), String>;

/// Every safety property that fails in `state`.
pub fn violations(state: &ClusterState) -> Vec<Violation> {
    let checks: [(&'static str, Check); 6] = [
        (ELECTION_SAFETY, election_safety),
        (LOG_MATCHING, log_matching),
        (LEADER_COMPLETENESS, leader_completeness),
        (STATE_MACHINE_SAFETY, state_machine_safety),
        (COMMIT_MONOTONIC, commit_monotonic),
        (COMMIT_WITHIN_LOG, commit_within_log),
    ];
    checks
        .iter()
        .filter_map(|(property, check)| {
            check(state)
                .err()
                .map(|detail| Violation { property, detail })
        })
        .collect()
}

/// Election Safety, over the history of elections.
pub fn election_safety(state: &ClusterState) -> Result<(), String> {
    for pair in state.history.elections.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(format!(
                "n{} and n{} were both elected leader in term {}",
                pair[0].1, pair[1].1, pair[0].0
            ));
        }
    }
    Ok(())
}

/// Log Matching, on every pair of nodes, over the indexes both logs hold.
pub fn log_matching(state: &ClusterState) -> Result<(), String> {
    for a in state.nodes.values() {
        for b in state.nodes.values().filter(|b| b.id > a.id) {
            let first = a.log.first_index().max(b.log.first_index());
            let last = a.last_index().min(b.last_index());
            // The highest index where the terms agree must have identical prefixes.
            let agreed = (first..=last)
                .rev()
                .find(|&i| a.log.term_at(i) == b.log.term_at(i));
            if let Some(i) = agreed {
                if let Some(j) = (first..=i).find(|&j| a.entry(j) != b.entry(j)) {
                    let (ea, eb) = (a.entry(j).expect("held"), b.entry(j).expect("held"));
                    return Err(format!(
                        "n{} and n{} agree on index {} (term {}) but differ at index {}: {} vs {}",
                        a.id,
                        b.id,
                        i,
                        a.log.term_at(i).expect("held"),
                        j,
                        ea,
                        eb
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Leader Completeness: every current leader of a term later than the one in which an entry was
/// committed holds that entry.
pub fn leader_completeness(state: &ClusterState) -> Result<(), String> {
    for leader in state.nodes.values().filter(|n| n.role == Role::Leader) {
        for (i, (entry, committed_in)) in state.history.committed.iter().enumerate() {
            let index = i as u64 + 1;
            if leader.term > *committed_in && leader.entry(index) != Some(entry) {
                return Err(format!(
                    "leader n{} of term {} lacks entry {} ({}) committed in term {}",
                    leader.id, leader.term, index, entry, committed_in
                ));
            }
        }
    }
    Ok(())
}

/// State Machine Safety: every node's committed prefix (as far as its log holds it) agrees with
/// the committed history.
pub fn state_machine_safety(state: &ClusterState) -> Result<(), String> {
    for node in state.nodes.values() {
        let upto = node.commit.min(node.last_index());
        for index in node.log.first_index()..=upto {
            let entry = node.entry(index).expect("held");
            if let Some((first, _)) = state.history.committed.get(index as usize - 1) {
                if first != entry {
                    return Err(format!(
                        "n{} committed {} at index {} where {} was committed before",
                        node.id, entry, index, first
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Commit indexes never move backwards.
pub fn commit_monotonic(state: &ClusterState) -> Result<(), String> {
    if state.history.commit_regressed {
        Err("a node's commit index moved backwards".into())
    } else {
        Ok(())
    }
}

/// Commit indexes stay within the log.
pub fn commit_within_log(state: &ClusterState) -> Result<(), String> {
    for node in state.nodes.values() {
        if node.commit > node.last_index() {
            return Err(format!(
                "n{} has commit index {} but its log ends at {}",
                node.id,
                node.commit,
                node.last_index()
            ));
        }
    }
    Ok(())
}

/// Some client value is committed somewhere.
pub fn value_committed(state: &ClusterState) -> bool {
    state
        .history
        .committed
        .iter()
        .any(|(entry, _)| entry.value.is_some())
}

/// Two different elections have been won.
pub fn leader_changed(state: &ClusterState) -> bool {
    state.history.elections.len() >= 2
}

/// A restart has happened and some entry has been committed.
pub fn restart_and_commit(state: &ClusterState) -> bool {
    state.spent.restarts > 0 && !state.history.committed.is_empty()
}
