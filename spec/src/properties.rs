//! Raft's safety properties (Ongaro & Ousterhout 2014, Figure 3) as predicates on spec states,
//! plus `sometimes` properties that show the bounds reach interesting states.
//!
//! Each check returns the first counterexample it finds as a sentence, so a violation names the
//! nodes and indexes involved rather than only the property.

use stateright::Property;

use crate::bounds::Bounds;
use crate::cluster::ClusterState;
use crate::configuration::Configuration;
use crate::model::RaftModel;
use crate::types::{ConfChange, Role, Snapshot};

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
/// A leader's log holds at most one configuration change that is not committed.
pub const ONE_CONF_CHANGE_AT_A_TIME: &str = "at most one uncommitted configuration change";
/// Every entry a leader commits is held by a majority of each voter set of its configuration.
pub const QUORUM_OF_EVERY_VOTER_SET: &str = "commits have a majority of every voter set";
/// Every snapshot (taken, installed or in flight) is exactly a committed prefix: its last index
/// and term, its values and its configuration are those of the committed log up to it.
pub const SNAPSHOT_IS_COMMITTED_PREFIX: &str = "a snapshot holds exactly a committed prefix";
/// `sometimes`: a configuration change is committed.
pub const CONF_CHANGE_COMMITTED: &str = "a configuration change is committed";
/// `sometimes`: a client value is committed after a configuration change.
pub const VALUE_IN_NEW_CONFIG: &str = "a value is committed in a new configuration";
/// `sometimes`: a joint configuration is entered and then left, both committed.
pub const JOINT_ENTERED_AND_LEFT: &str = "a joint configuration is entered and left";
/// `sometimes`: a node installs a snapshot from its leader.
pub const CAUGHT_UP_BY_SNAPSHOT: &str = "a node catches up by snapshot";
/// `sometimes`: a node outside the initial configuration is added and catches up by snapshot.
pub const ADDED_NODE_CAUGHT_UP_BY_SNAPSHOT: &str = "an added node catches up by snapshot";
/// `sometimes`: a leader removed from the voters stops leading.
pub const REMOVED_LEADER_STEPS_DOWN: &str = "a removed leader steps down";

/// The stateright properties of the model, safety first; `sometimes` properties about
/// membership and snapshots only when `bounds` allow configuration changes or compactions.
pub fn all(bounds: &Bounds) -> Vec<Property<RaftModel>> {
    let mut properties = vec![
        Property::always(ELECTION_SAFETY, |_, s| election_safety(s).is_ok()),
        Property::always(LOG_MATCHING, |_, s| log_matching(s).is_ok()),
        Property::always(LEADER_COMPLETENESS, |_, s| leader_completeness(s).is_ok()),
        Property::always(STATE_MACHINE_SAFETY, |_, s| state_machine_safety(s).is_ok()),
        Property::always(COMMIT_MONOTONIC, |_, s| commit_monotonic(s).is_ok()),
        Property::always(COMMIT_WITHIN_LOG, |_, s| commit_within_log(s).is_ok()),
        Property::always(ONE_CONF_CHANGE_AT_A_TIME, |_, s| {
            one_conf_change_at_a_time(s).is_ok()
        }),
        Property::always(QUORUM_OF_EVERY_VOTER_SET, |_, s| {
            quorum_of_every_voter_set(s).is_ok()
        }),
        Property::always(SNAPSHOT_IS_COMMITTED_PREFIX, |m: &RaftModel, s| {
            snapshot_is_committed_prefix(m, s).is_ok()
        }),
        Property::sometimes(VALUE_COMMITTED, |_, s| value_committed(s)),
        Property::sometimes(LEADER_CHANGE, |_, s| leader_changed(s)),
        Property::sometimes(RESTART_AND_COMMIT, |_, s| restart_and_commit(s)),
    ];
    if bounds.conf_changes > 0 {
        properties.push(Property::sometimes(CONF_CHANGE_COMMITTED, |_, s| {
            committed_conf_changes(s).next().is_some()
        }));
        properties.push(Property::sometimes(VALUE_IN_NEW_CONFIG, |_, s| {
            value_in_new_config(s)
        }));
        properties.push(Property::sometimes(
            REMOVED_LEADER_STEPS_DOWN,
            |_, s: &ClusterState| s.history.removed_leader_stepped_down,
        ));
    }
    if bounds.joint {
        properties.push(Property::sometimes(JOINT_ENTERED_AND_LEFT, |_, s| {
            joint_entered_and_left(s)
        }));
    }
    if bounds.snapshots > 0 {
        properties.push(Property::sometimes(
            CAUGHT_UP_BY_SNAPSHOT,
            |_, s: &ClusterState| !s.history.installed_snapshot.is_empty(),
        ));
        if bounds.conf_changes > 0 {
            properties.push(Property::sometimes(
                ADDED_NODE_CAUGHT_UP_BY_SNAPSHOT,
                |m: &RaftModel, s| added_node_caught_up_by_snapshot(&m.initial_config(), s),
            ));
        }
    }
    properties
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

/// Every safety property of `model` that fails in `state`.
pub fn violations(model: &RaftModel, state: &ClusterState) -> Vec<Violation> {
    let checks: [(&'static str, Check); 8] = [
        (ELECTION_SAFETY, election_safety),
        (LOG_MATCHING, log_matching),
        (LEADER_COMPLETENESS, leader_completeness),
        (STATE_MACHINE_SAFETY, state_machine_safety),
        (COMMIT_MONOTONIC, commit_monotonic),
        (COMMIT_WITHIN_LOG, commit_within_log),
        (ONE_CONF_CHANGE_AT_A_TIME, one_conf_change_at_a_time),
        (QUORUM_OF_EVERY_VOTER_SET, quorum_of_every_voter_set),
    ];
    let mut found: Vec<Violation> = checks
        .iter()
        .filter_map(|(property, check)| {
            check(state)
                .err()
                .map(|detail| Violation { property, detail })
        })
        .collect();
    if let Err(detail) = snapshot_is_committed_prefix(model, state) {
        found.push(Violation {
            property: SNAPSHOT_IS_COMMITTED_PREFIX,
            detail,
        });
    }
    found
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
            if index <= leader.log.snapshot_index() {
                // Compacted: the snapshot property checks that it is a committed prefix.
                continue;
            }
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
/// the committed history, and its state machine holds exactly the committed values up to its
/// applied index.
pub fn state_machine_safety(state: &ClusterState) -> Result<(), String> {
    for node in state.nodes.values() {
        // Compared without building the committed values: this runs on every state.
        let agrees = state
            .history
            .committed
            .get(..node.applied as usize)
            .is_some_and(|prefix| {
                prefix
                    .iter()
                    .filter_map(|(e, _)| e.value)
                    .eq(node.state_machine.iter().copied())
            });
        if !agrees {
            let applied = committed_values(state, node.applied);
            return Err(format!(
                "n{} applied up to {} and holds {:?}, but the committed values up to there are {}",
                node.id,
                node.applied,
                node.state_machine,
                applied.map_or_else(|| "not all known".into(), |v| format!("{v:?}"))
            ));
        }
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

/// The client values of the committed log up to `index`, in order; `None` when the history does
/// not reach `index`.
fn committed_values(state: &ClusterState, index: u64) -> Option<Vec<u64>> {
    let prefix = state.history.committed.get(..index as usize)?;
    Some(prefix.iter().filter_map(|(e, _)| e.value).collect())
}

/// The configuration changes of the committed log, in order, with their indexes.
fn committed_conf_changes(state: &ClusterState) -> impl Iterator<Item = (u64, &ConfChange)> {
    state
        .history
        .committed
        .iter()
        .enumerate()
        .filter_map(|(i, (e, _))| e.conf.as_deref().map(|c| (i as u64 + 1, c)))
}

/// At most one configuration change of a leader's log is past the committed prefix: a leader
/// accepts a change only once the last one is applied.
pub fn one_conf_change_at_a_time(state: &ClusterState) -> Result<(), String> {
    let committed = state.history.committed.len() as u64;
    for leader in state.nodes.values().filter(|n| n.role == Role::Leader) {
        let pending: Vec<u64> = (committed + 1..=leader.last_index())
            .filter(|&i| leader.entry(i).is_some_and(|e| e.conf.is_some()))
            .collect();
        if pending.len() > 1 {
            return Err(format!(
                "leader n{} holds uncommitted configuration changes at indexes {:?}",
                leader.id, pending
            ));
        }
    }
    Ok(())
}

/// Joint consensus: every commit of a leader was held by a majority of each of its voter sets.
pub fn quorum_of_every_voter_set(state: &ClusterState) -> Result<(), String> {
    match &state.history.unquorate_commit {
        Some(detail) => Err(detail.clone()),
        None => Ok(()),
    }
}

/// The configuration in force after the committed log up to `index`, starting from `initial`;
/// `None` when the history does not reach `index` or a change there cannot be applied.
fn committed_config(
    state: &ClusterState,
    initial: &Configuration,
    index: u64,
) -> Option<Configuration> {
    let prefix = state.history.committed.get(..index as usize)?;
    prefix
        .iter()
        .filter_map(|(e, _)| e.conf.as_ref())
        .try_fold(initial.clone(), |config, change| config.apply(change).ok())
}

/// Checks one snapshot against the committed log.
fn check_snapshot(
    state: &ClusterState,
    initial: &Configuration,
    whose: &str,
    snapshot: &Snapshot,
) -> Result<(), String> {
    let committed = &state.history.committed;
    let at = snapshot.index as usize;
    let fail = |what: String| Err(format!("{whose} snapshot {snapshot}: {what}"));
    if at > committed.len() {
        return fail(format!("only {} entries are committed", committed.len()));
    }
    if at > 0 && committed[at - 1].0.term != snapshot.term {
        return fail(format!(
            "the committed entry {} has term {}",
            at,
            committed[at - 1].0.term
        ));
    }
    let values = committed_values(state, snapshot.index).expect("within the history");
    if values != snapshot.values {
        return fail(format!("the committed values up to {at} are {values:?}"));
    }
    match committed_config(state, initial, snapshot.index) {
        Some(config) if config == snapshot.config => Ok(()),
        Some(config) => fail(format!(
            "the configuration committed up to {at} is {config}"
        )),
        None => fail("a committed configuration change up to it cannot be applied".into()),
    }
}

/// Every snapshot a node holds and every snapshot in flight is a committed prefix of a run of
/// `model` (whose initial configuration the committed changes start from).
pub fn snapshot_is_committed_prefix(model: &RaftModel, state: &ClusterState) -> Result<(), String> {
    let held = state
        .nodes
        .values()
        .filter_map(|n| Some((n.snapshot.as_deref()?, n.id)))
        .map(|(snapshot, id)| (format!("n{id}'s"), snapshot));
    let in_flight = state.network.iter().filter_map(|m| match &m.payload {
        crate::types::Payload::Snapshot { snapshot } => {
            Some((format!("the in-flight {m}"), &**snapshot))
        }
        _ => None,
    });
    let mut initial = None;
    for (whose, snapshot) in held.chain(in_flight) {
        let initial = initial.get_or_insert_with(|| model.initial_config());
        check_snapshot(state, initial, &whose, snapshot)?;
    }
    Ok(())
}

/// A client value is committed after a committed configuration change.
pub fn value_in_new_config(state: &ClusterState) -> bool {
    let Some((first_change, _)) = committed_conf_changes(state).next() else {
        return false;
    };
    state.history.committed[first_change as usize..]
        .iter()
        .any(|(e, _)| e.value.is_some())
}

/// A committed joint configuration change is followed by a committed leave.
pub fn joint_entered_and_left(state: &ClusterState) -> bool {
    let mut entered = false;
    for (_, change) in committed_conf_changes(state) {
        match change {
            ConfChange::Joint { .. } => entered = true,
            ConfChange::Leave if entered => return true,
            _ => {}
        }
    }
    false
}

/// A node outside the initial configuration has installed a snapshot from its leader.
pub fn added_node_caught_up_by_snapshot(initial: &Configuration, state: &ClusterState) -> bool {
    state
        .history
        .installed_snapshot
        .iter()
        .any(|&id| !initial.contains(id))
}
