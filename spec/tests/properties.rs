//! Tests of the safety properties: each check on hand-built states that break and keep it, each
//! deliberate spec bug (`raftcheck_spec::Mutation`) caught by a Stateright search of the spec, the
//! `sometimes` properties reached within the default bounds, and a pinned state count that makes
//! any change of behaviour visible.
//!
//! Depth: Stateright's `target_max_depth(d)` counts the initial state as depth 1 and does not
//! check states at depth `d` itself, so a search with `target_max_depth(d)` checks every path of
//! at most `d - 2` inputs. [`search`] takes the number of inputs and adds the 2.

use std::collections::BTreeSet;

use raftcheck_spec::properties::{
    self, ADDED_NODE_CAUGHT_UP_BY_SNAPSHOT, CAUGHT_UP_BY_SNAPSHOT, COMMIT_MONOTONIC,
    COMMIT_WITHIN_LOG, CONF_CHANGE_COMMITTED, ELECTION_SAFETY, JOINT_ENTERED_AND_LEFT,
    LEADER_CHANGE, LEADER_COMPLETENESS, LOG_MATCHING, ONE_CONF_CHANGE_AT_A_TIME,
    QUORUM_OF_EVERY_VOTER_SET, REMOVED_LEADER_STEPS_DOWN, RESTART_AND_COMMIT,
    SNAPSHOT_IS_COMMITTED_PREFIX, STATE_MACHINE_SAFETY, VALUE_COMMITTED, VALUE_IN_NEW_CONFIG,
};
use raftcheck_spec::{
    Action, Bounds, ClusterState, Configuration, Entry, Flavour, Input, Message, Mode, Mutation,
    NodeState, Payload, RaftModel, Role,
};
use stateright::{Checker, Model, Property};

const SAFETY: [&str; 9] = [
    ELECTION_SAFETY,
    LOG_MATCHING,
    LEADER_COMPLETENESS,
    STATE_MACHINE_SAFETY,
    COMMIT_MONOTONIC,
    COMMIT_WITHIN_LOG,
    ONE_CONF_CHANGE_AT_A_TIME,
    QUORUM_OF_EVERY_VOTER_SET,
    SNAPSHOT_IS_COMMITTED_PREFIX,
];

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

fn e(term: u64) -> Entry {
    Entry::empty(term)
}

fn v(term: u64, value: u64) -> Entry {
    Entry::value(term, value)
}

fn node(id: u64, term: u64, log: Vec<Entry>, commit: u64) -> NodeState {
    NodeState {
        term,
        log: log.into(),
        commit,
        ..NodeState::new(id, Configuration::with_voters(1..=3))
    }
}

fn leader(id: u64, term: u64, log: Vec<Entry>, commit: u64) -> NodeState {
    NodeState {
        role: Role::Leader,
        vote: Some(id),
        leader: Some(id),
        match_index: (1..=3).filter(|&p| p != id).map(|p| (p, 0)).collect(),
        ..node(id, term, log, commit)
    }
}

fn cluster(nodes: Vec<NodeState>) -> ClusterState {
    let mut s = ClusterState::initial(3);
    for n in nodes {
        let id = n.id;
        s.nodes.insert(id, std::sync::Arc::new(n));
    }
    s
}

fn err(result: Result<(), String>) -> String {
    result.expect_err("the property should fail")
}

fn spec_only(bounds: Bounds, flavour: Flavour, mutation: Option<Mutation>) -> RaftModel {
    let mut model = RaftModel::new(bounds, flavour, Mode::SpecOnly);
    model.mutation = mutation;
    model
}

/// A breadth-first search of every path of at most `inputs` actions (see the module comment).
fn search<M>(model: M, inputs: usize) -> impl Checker<M>
where
    M: Model<State = ClusterState, Action = Action> + Send + Sync + 'static,
{
    model
        .checker()
        .target_max_depth(inputs + 2)
        .spawn_bfs()
        .join()
}

fn safety_discoveries<M>(checker: &impl Checker<M>) -> BTreeSet<&'static str>
where
    M: Model<State = ClusterState, Action = Action>,
{
    SAFETY
        .iter()
        .copied()
        .filter(|name| checker.discovery(name).is_some())
        .collect()
}

/// Small bounds with every optional input off; each test turns on what it needs.
fn quiet(max_term: u64) -> Bounds {
    Bounds {
        nodes: 3,
        max_term,
        values: 0,
        restarts: 0,
        heartbeats: 0,
        drops: 0,
        duplicates: 0,
        max_in_flight: 4,
        depth: 12,
        conf_changes: 0,
        spares: 0,
        snapshots: 0,
        joint: false,
    }
}

/// A model for checks on hand-built states of three voters.
fn three() -> RaftModel {
    RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::SpecOnly)
}

// ------------------------------------------------------------------------------------------
// The checks on hand-built states
// ------------------------------------------------------------------------------------------

#[test]
fn the_model_checks_nine_safety_properties_and_three_sometimes() {
    let all = properties::all(&Bounds::default());
    let names: Vec<&str> = all.iter().map(|p| p.name).collect();
    // The safety properties first, in the order of `SAFETY`, then the three `sometimes`.
    assert_eq!(names[..9], SAFETY);
    assert_eq!(
        names[9..],
        [VALUE_COMMITTED, LEADER_CHANGE, RESTART_AND_COMMIT]
    );
    let model = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::SpecOnly);
    assert_eq!(model.properties().len(), 12);
    assert!(properties::violations(&model, &model.initial_state()).is_empty());
    // The membership and snapshot `sometimes` come with their bounds.
    let reach = Bounds {
        conf_changes: 1,
        snapshots: 1,
        joint: true,
        ..Bounds::default()
    };
    let names: Vec<&str> = properties::all(&reach).iter().map(|p| p.name).collect();
    assert_eq!(
        names[12..],
        [
            CONF_CHANGE_COMMITTED,
            VALUE_IN_NEW_CONFIG,
            REMOVED_LEADER_STEPS_DOWN,
            JOINT_ENTERED_AND_LEFT,
            CAUGHT_UP_BY_SNAPSHOT,
            ADDED_NODE_CAUGHT_UP_BY_SNAPSHOT,
        ]
    );
}

#[test]
fn election_safety_fails_on_two_leaders_in_one_term() {
    let mut s = ClusterState::initial(3);
    s.history_mut().elections = vec![(1, 1), (2, 3)];
    assert_eq!(properties::election_safety(&s), Ok(()));
    s.history_mut().elections = vec![(1, 1), (2, 1), (2, 3)];
    assert_eq!(
        err(properties::election_safety(&s)),
        "n1 and n3 were both elected leader in term 2"
    );
}

#[test]
fn log_matching_fails_when_logs_agree_on_a_term_but_not_before_it() {
    // Diverging after a common prefix is fine.
    let s = cluster(vec![
        node(1, 2, vec![e(1), v(1, 1)], 0),
        node(2, 2, vec![e(1), e(2)], 0),
        node(3, 2, vec![], 0),
    ]);
    assert_eq!(properties::log_matching(&s), Ok(()));
    // Same prefix, different lengths: fine.
    let s = cluster(vec![
        node(1, 2, vec![e(1), v(1, 1), e(2)], 0),
        node(2, 2, vec![e(1)], 0),
    ]);
    assert_eq!(properties::log_matching(&s), Ok(()));

    // n2 and n3 agree on index 2 (term 2) but not on index 1.
    let s = cluster(vec![
        node(1, 2, vec![], 0),
        node(2, 2, vec![e(1), v(2, 2)], 0),
        node(3, 2, vec![v(1, 1), v(2, 2)], 0),
    ]);
    assert_eq!(
        err(properties::log_matching(&s)),
        "n2 and n3 agree on index 2 (term 2) but differ at index 1: t1:empty vs t1:v1"
    );
    // Same index and term but a different value is a violation at that index.
    let s = cluster(vec![
        node(1, 1, vec![v(1, 1)], 0),
        node(3, 1, vec![v(1, 2)], 0),
    ]);
    assert_eq!(
        err(properties::log_matching(&s)),
        "n1 and n3 agree on index 1 (term 1) but differ at index 1: t1:v1 vs t1:v2"
    );
}

#[test]
fn leader_completeness_fails_when_a_later_leader_lacks_a_committed_entry() {
    let mut s = cluster(vec![
        node(1, 1, vec![e(1), v(1, 1)], 2),
        leader(2, 2, vec![e(1), v(1, 1), e(2)], 0),
    ]);
    s.history_mut().committed = vec![(e(1), 1), (v(1, 1), 1)];
    assert_eq!(properties::leader_completeness(&s), Ok(()));

    // The leader of term 2 holds a different entry at index 2.
    s.node_mut(2).log = vec![e(1), e(2)].into();
    assert_eq!(
        err(properties::leader_completeness(&s)),
        "leader n2 of term 2 lacks entry 2 (t1:v1) committed in term 1"
    );
    // A follower lacking it is not the concern of this property.
    s.node_mut(2).role = Role::Follower;
    assert_eq!(properties::leader_completeness(&s), Ok(()));
    // Nor is the leader of the term in which it was committed.
    let mut s = cluster(vec![leader(1, 1, vec![], 0)]);
    s.history_mut().committed = vec![(e(1), 1)];
    assert_eq!(properties::leader_completeness(&s), Ok(()));
}

#[test]
fn state_machine_safety_fails_when_a_node_commits_another_entry_at_a_committed_index() {
    let mut s = cluster(vec![
        node(1, 2, vec![e(1), v(1, 1)], 2),
        node(2, 2, vec![e(1), e(2)], 1),
        node(3, 2, vec![e(1)], 1),
    ]);
    s.history_mut().committed = vec![(e(1), 1), (v(1, 1), 1)];
    // n2 holds a different entry at index 2 but has not committed it.
    assert_eq!(properties::state_machine_safety(&s), Ok(()));
    s.node_mut(2).commit = 2;
    assert_eq!(
        err(properties::state_machine_safety(&s)),
        "n2 committed t2:empty at index 2 where t1:v1 was committed before"
    );
}

#[test]
fn commit_monotonic_reads_the_history_flag() {
    let mut s = ClusterState::initial(3);
    assert_eq!(properties::commit_monotonic(&s), Ok(()));
    s.history_mut().commit_regressed = true;
    assert!(err(properties::commit_monotonic(&s)).contains("moved backwards"));
}

#[test]
fn commit_within_log_fails_past_the_end_of_the_log() {
    let s = cluster(vec![node(2, 1, vec![e(1)], 1)]);
    assert_eq!(properties::commit_within_log(&s), Ok(()));
    let s = cluster(vec![node(2, 1, vec![e(1)], 2)]);
    assert_eq!(
        err(properties::commit_within_log(&s)),
        "n2 has commit index 2 but its log ends at 1"
    );
}

#[test]
fn violations_lists_every_broken_property_with_its_detail() {
    let mut s = cluster(vec![
        leader(1, 2, vec![v(1, 7)], 1),
        node(2, 2, vec![v(1, 8)], 3),
    ]);
    s.history_mut().elections = vec![(2, 1), (2, 3)];
    s.history_mut().committed = vec![(v(1, 8), 1)];
    let found = properties::violations(&three(), &s);
    let names: Vec<&str> = found.iter().map(|v| v.property).collect();
    assert_eq!(
        names,
        vec![
            ELECTION_SAFETY,
            LOG_MATCHING,
            LEADER_COMPLETENESS,
            STATE_MACHINE_SAFETY,
            COMMIT_WITHIN_LOG,
        ]
    );
    assert_eq!(
        found[4].detail,
        "n2 has commit index 3 but its log ends at 1"
    );
}

/// The history the properties read is kept by `apply`: elections from `BecomeLeader`, the
/// committed log from commit index moves, and regressions.
#[test]
fn apply_records_the_history_the_properties_read() {
    let model = RaftModel::new(
        Bounds {
            nodes: 1,
            ..Bounds::default()
        },
        Flavour::raft_rs(),
        Mode::Lockstep,
    );
    let s = model.initial_state();
    let s = model.apply(&s, &Input::Timeout { node: 1 }).state;
    assert_eq!(s.history.elections, vec![(1, 1)]);
    assert_eq!(s.history.committed, vec![(e(1), 1)]);
    let s = model
        .apply(&s, &Input::ClientRequest { node: 1, value: 1 })
        .state;
    assert_eq!(s.history.committed, vec![(e(1), 1), (v(1, 1), 1)]);
    assert!(properties::value_committed(&s));
    assert!(!properties::restart_and_commit(&s));
    let s = model.apply(&s, &Input::Restart { node: 1 }).state;
    assert!(properties::restart_and_commit(&s));
    assert!(!s.history.commit_regressed);
    assert!(!properties::leader_changed(&s));

    // With the deliberate bug, the restart loses the commit index and the history says so.
    let mut mutated = model.clone();
    mutated.mutation = Some(Mutation::RestartForgetsCommit);
    let s = mutated.initial_state();
    let s = mutated.apply(&s, &Input::Timeout { node: 1 }).state;
    let s = mutated.apply(&s, &Input::Restart { node: 1 }).state;
    assert_eq!(s.node(1).commit, 0);
    assert!(s.history.commit_regressed);
    assert!(properties::commit_monotonic(&s).is_err());
}

// ------------------------------------------------------------------------------------------
// Each deliberate spec bug is caught by a search
// ------------------------------------------------------------------------------------------

/// Runs the mutated and the unmutated model with the same bounds; the first must violate
/// `expected` (with a detail matching `detail`) and the second nothing.
fn caught(
    bounds: Bounds,
    flavour: Flavour,
    mutation: Mutation,
    inputs: usize,
    expected: &'static str,
    detail: &str,
) {
    let mutated = search(
        spec_only(bounds.clone(), flavour.clone(), Some(mutation)),
        inputs,
    );
    let path = mutated.discovery(expected).unwrap_or_else(|| {
        panic!(
            "{mutation:?} not caught by {expected} within {inputs} inputs (found {:?})",
            safety_discoveries(&mutated)
        )
    });
    let last = path.last_state();
    let violation = properties::violations(&three(), last)
        .into_iter()
        .find(|v| v.property == expected)
        .expect("the discovered state violates the property");
    assert!(
        violation.detail.contains(detail),
        "{mutation:?}: {:?} does not mention {detail:?}",
        violation.detail
    );

    let clean = search(spec_only(bounds, flavour, None), inputs);
    assert!(
        safety_discoveries(&clean).is_empty(),
        "the unmutated spec violates {:?}",
        safety_discoveries(&clean)
    );
    assert!(
        clean.unique_state_count() > 100,
        "the unmutated search explored something"
    );
}

/// Two candidates of term 1 each get n2's vote: two leaders in term 1 after 6 inputs
/// (`Timeout n1`, `Timeout n3`, both requests to n2, both grants back).
#[test]
fn vote_twice_is_caught_by_election_safety() {
    caught(
        quiet(1),
        Flavour::raft_rs(),
        Mutation::VoteTwice,
        6,
        ELECTION_SAFETY,
        "were both elected leader in term 1",
    );
    // And not one input earlier.
    let short = search(
        spec_only(quiet(1), Flavour::raft_rs(), Some(Mutation::VoteTwice)),
        5,
    );
    assert!(short.discovery(ELECTION_SAFETY).is_none());
}

/// A leader of term 1 commits its empty entry on n1; n2, with an empty log, then wins term 2 on
/// the old leader's vote: 9 inputs.
#[test]
fn vote_without_log_check_is_caught_by_leader_completeness() {
    caught(
        quiet(2),
        Flavour::raft_rs(),
        Mutation::VoteWithoutLogCheck,
        9,
        LEADER_COMPLETENESS,
        "lacks entry 1 (t1:empty) committed in term 1",
    );
}

/// Leaders of terms 1 and 2 each hold their empty entry at index 1; the term-2 leader's append
/// of a value after (1, t2) is stored after n1's t1 entry: 9 inputs.
#[test]
fn append_without_log_check_is_caught_by_log_matching() {
    caught(
        Bounds {
            values: 1,
            ..quiet(2)
        },
        Flavour::raft_rs(),
        Mutation::AppendWithoutLogCheck,
        9,
        LOG_MATCHING,
        "but differ at index 1",
    );
}

/// A leader commits its empty entry (6 inputs) and restarts (7).
#[test]
fn restart_forgets_commit_is_caught_by_commit_monotonic() {
    caught(
        Bounds {
            restarts: 1,
            ..quiet(1)
        },
        Flavour::raft_rs(),
        Mutation::RestartForgetsCommit,
        7,
        COMMIT_MONOTONIC,
        "moved backwards",
    );
}

/// Figure 8 of the Raft paper on three nodes, textbook flavour (a leader that appends an empty
/// entry of its term never counts an acknowledgement below it, so the bug is invisible in the
/// raft-rs and etcd flavours' spec-only search, where a leader's appends run to its last entry).
///
/// The shortest violation takes 19 inputs, beyond a search from the initial state (about 10
/// million states at 12 inputs already). So this test replays the first `PREFIX` inputs
/// (checking each is enabled) and searches breadth-first from there, with the spec's own
/// actions, for the rest.
const FIGURE_8: [&str; 19] = [
    "Timeout n1",
    "Receive RequestVote n1→n2 t1",
    "Receive RequestVoteResponse n2→n1 t1",
    "ClientRequest n1 v1",
    "Timeout n2",
    "Receive RequestVote n2→n3 t2",
    "Receive RequestVoteResponse n3→n2 t2",
    "ClientRequest n2 v2",
    "Receive RequestVote n2→n1 t2",
    "Timeout n1",
    "Receive RequestVote n1→n3 t3",
    "Receive RequestVoteResponse n3→n1 t3",
    // n1, leader of term 3 with [t1:v1], sends it to n3 and counts n3's acknowledgement.
    "Send AppendEntries n1→n3 t3 prev=(0,t0) entries=[t1:v1] commit=0",
    "Receive AppendEntries n1→n3 t3 prev=(0,t0) entries=[t1:v1] commit=0",
    "Receive AppendEntriesResponse n3→n1 t3",
    // n2 ([t2:v2]) moves to term 3, then 4, and wins on n3's vote ([t1:v1] is older).
    "Receive RequestVote n1→n2 t3",
    "Timeout n2",
    "Receive RequestVote n2→n3 t4",
    "Receive RequestVoteResponse n3→n2 t4",
];

fn figure_8_bounds() -> Bounds {
    Bounds {
        values: 2,
        max_in_flight: 5,
        ..quiet(4)
    }
}

/// Finds the action of `state` whose text starts with `wanted`.
fn action(model: &RaftModel, state: &ClusterState, wanted: &str) -> Action {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    let mut matching = actions
        .into_iter()
        .filter(|a| model.format_action(a).starts_with(wanted));
    let found = matching
        .next()
        .unwrap_or_else(|| panic!("no action {wanted:?} in {state:#?}"));
    assert!(matching.next().is_none(), "{wanted:?} is ambiguous");
    if let Action::Input(input) = &found {
        assert_eq!(model.check_enabled(state, input), Ok(()));
    }
    found
}

fn replay(model: &RaftModel, steps: &[&str]) -> Vec<ClusterState> {
    let mut states = vec![model.initial_state()];
    for wanted in steps {
        let s = states.last().unwrap();
        let a = action(model, s, wanted);
        let next = model.next_state(s, a).unwrap();
        assert!(model.within_bounds(&next), "{wanted} leaves the bounds");
        states.push(next);
    }
    states
}

/// A spec-only model whose search starts from a given state, with the safety properties.
struct StartingFrom {
    model: RaftModel,
    start: ClusterState,
}

impl Model for StartingFrom {
    type State = ClusterState;
    type Action = Action;

    fn init_states(&self) -> Vec<ClusterState> {
        vec![self.start.clone()]
    }

    fn actions(&self, state: &ClusterState, actions: &mut Vec<Action>) {
        self.model.actions(state, actions)
    }

    fn next_state(&self, state: &ClusterState, action: Action) -> Option<ClusterState> {
        self.model.next_state(state, action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(ELECTION_SAFETY, |_, s| {
                properties::election_safety(s).is_ok()
            }),
            Property::always(LOG_MATCHING, |_, s| properties::log_matching(s).is_ok()),
            Property::always(LEADER_COMPLETENESS, |_, s| {
                properties::leader_completeness(s).is_ok()
            }),
            Property::always(STATE_MACHINE_SAFETY, |_, s| {
                properties::state_machine_safety(s).is_ok()
            }),
            Property::always(COMMIT_MONOTONIC, |_, s| {
                properties::commit_monotonic(s).is_ok()
            }),
            Property::always(COMMIT_WITHIN_LOG, |_, s| {
                properties::commit_within_log(s).is_ok()
            }),
        ]
    }

    fn within_boundary(&self, state: &ClusterState) -> bool {
        self.model.within_bounds(state)
    }
}

/// How many inputs of [`FIGURE_8`] are replayed before the search takes over.
const PREFIX: usize = 9;

#[test]
fn commit_old_term_by_count_is_caught_by_leader_completeness() {
    let mutated = spec_only(
        figure_8_bounds(),
        Flavour::textbook(),
        Some(Mutation::CommitOldTermByCount),
    );
    // The whole scenario, step by step, in the mutated spec.
    let states = replay(&mutated, &FIGURE_8);
    assert_eq!(states[15].node(1).commit, 1, "n1 counts t1:v1 committed");
    assert_eq!(states[15].history.committed, vec![(v(1, 1), 3)]);
    for s in &states[..19] {
        assert!(properties::violations(&three(), s).is_empty(), "{s:#?}");
    }
    let last = &states[19];
    assert_eq!(last.node(2).role, Role::Leader);
    assert_eq!(
        err(properties::leader_completeness(last)),
        "leader n2 of term 4 lacks entry 1 (t1:v1) committed in term 3"
    );

    // The unmutated spec takes the same first 14 inputs, but n1 does not commit t1:v1.
    let clean = spec_only(figure_8_bounds(), Flavour::textbook(), None);
    let clean_states = replay(&clean, &FIGURE_8);
    assert_eq!(clean_states[..15], states[..15]);
    assert_eq!(clean_states[15].node(1).commit, 0);
    assert!(clean_states[15].history.committed.is_empty());
    assert!(properties::violations(&three(), &clean_states[19]).is_empty());

    // A search from after the first PREFIX inputs finds the violation by itself.
    let rest = FIGURE_8.len() - PREFIX;
    let found = search(
        StartingFrom {
            model: mutated,
            start: states[PREFIX].clone(),
        },
        rest,
    );
    let path = found
        .discovery(LEADER_COMPLETENESS)
        .expect("the search from the Figure 8 prefix finds the violation");
    assert!(properties::leader_completeness(path.last_state()).is_err());

    let clean_search = search(
        StartingFrom {
            model: clean,
            start: clean_states[PREFIX].clone(),
        },
        rest,
    );
    assert!(safety_discoveries(&clean_search).is_empty());
}

// ------------------------------------------------------------------------------------------
// Sometimes properties and pinned numbers
// ------------------------------------------------------------------------------------------

/// With the default bounds (depth 12), a leader change is reachable in 6 inputs (two elections),
/// a committed value and a restart after a commit in 7 (election, proposal or restart, and one
/// append round trip). Nothing is reachable earlier.
#[test]
fn sometimes_properties_are_reached_within_the_default_bounds() {
    let bounds = Bounds::default();
    assert!(bounds.depth >= 7);
    let model = || RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::SpecOnly);

    let six = search(model(), 6);
    assert!(six.discovery(LEADER_CHANGE).is_some());
    assert!(six.discovery(VALUE_COMMITTED).is_none());
    assert!(six.discovery(RESTART_AND_COMMIT).is_none());
    assert!(safety_discoveries(&six).is_empty());
    let five = search(model(), 5);
    assert!(five.discovery(LEADER_CHANGE).is_none());

    let seven = search(model(), 7);
    for (name, holds) in [
        (
            VALUE_COMMITTED,
            properties::value_committed as fn(&ClusterState) -> bool,
        ),
        (LEADER_CHANGE, properties::leader_changed),
        (RESTART_AND_COMMIT, properties::restart_and_commit),
    ] {
        let path = seven
            .discovery(name)
            .unwrap_or_else(|| panic!("{name} not reached in 7 inputs"));
        assert!(holds(path.last_state()), "{name}");
        assert!(path.into_actions().len() <= 7);
    }
    assert!(safety_discoveries(&seven).is_empty());
}

/// Exact state counts of small spec-only searches. A change in any transition, input offer or
/// bound shows up here; update the numbers only for a deliberate change of behaviour.
///
/// `target_max_depth(6)` is what `raftcheck check --spec-only --depth 6` passes to Stateright;
/// the larger searches separate the flavours (raft-rs and etcd differ only in commit indexes
/// carried by messages, which first matter after 5 inputs).
#[test]
fn pinned_unique_state_counts() {
    let count = |flavour: Flavour, depth: usize| {
        RaftModel::new(Bounds::default(), flavour, Mode::SpecOnly)
            .checker()
            .target_max_depth(depth)
            .spawn_bfs()
            .join()
            .unique_state_count()
    };
    assert_eq!(count(Flavour::raft_rs(), 6), 1_498);
    assert_eq!(count(Flavour::etcd(), 6), 1_498);
    assert_eq!(count(Flavour::raft_rs(), 9), 64_474);
    assert_eq!(count(Flavour::etcd(), 9), 64_462);
    assert_eq!(count(Flavour::textbook(), 9), 29_839);
}

/// Lockstep mode offers inputs only: a spec-only state space contains the lockstep one.
#[test]
fn spec_only_mode_adds_the_send_menu_to_the_actions() {
    let s = {
        let model = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::Lockstep);
        let mut s = model.initial_state();
        for step in [
            Input::Timeout { node: 1 },
            Input::Receive {
                message: Message {
                    from: 1,
                    to: 2,
                    term: 1,
                    payload: Payload::RequestVote {
                        pre: false,
                        last_log_index: 0,
                        last_log_term: 0,
                        commit: 0,
                        commit_term: 0,
                    },
                },
            },
        ] {
            let t = model.apply(&s, &step);
            s = t.state;
            RaftModel::post_outputs(&mut s, &t.outputs);
        }
        s
    };
    let lockstep = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::Lockstep);
    let spec_only = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::SpecOnly);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    lockstep.actions(&s, &mut a);
    spec_only.actions(&s, &mut b);
    assert_eq!(a, b, "no leader yet: no menu");
    let a_count = lockstep
        .checker()
        .target_max_depth(7)
        .spawn_bfs()
        .join()
        .unique_state_count();
    let b_count = spec_only
        .checker()
        .target_max_depth(7)
        .spawn_bfs()
        .join()
        .unique_state_count();
    assert!(a_count < b_count, "{a_count} vs {b_count}");
}

// ------------------------------------------------------------------------------------------
// Membership and snapshots: each property with the spec bug it catches
// ------------------------------------------------------------------------------------------

/// A leader accepts a second configuration change while the first is unapplied: elected in 3
/// inputs, it proposes two changes.
#[test]
fn conf_change_while_pending_is_caught_by_one_at_a_time() {
    caught(
        Bounds {
            conf_changes: 2,
            spares: 1,
            ..quiet(1)
        },
        Flavour::raft_rs(),
        Mutation::ConfChangeWhilePending,
        5,
        ONE_CONF_CHANGE_AT_A_TIME,
        "holds uncommitted configuration changes at indexes [2, 3]",
    );
}

/// Joint consensus: n1, elected (3 inputs), replaces n3 by the spare n4 in one joint change
/// (4), which commits with n2 under the old configuration (7) and puts n1 in the joint
/// configuration {n1,n2,n4}&{n1,n2,n3}, where it appends the automatic leave. n4, caught up
/// from the start (10), makes an incoming majority {n1,n4}: a leader that counts the incoming
/// voters alone commits the leave, held by one of the three outgoing voters.
#[test]
fn commit_by_incoming_only_is_caught_by_the_quorum_of_every_voter_set() {
    caught(
        Bounds {
            conf_changes: 1,
            spares: 1,
            joint: true,
            max_in_flight: 3,
            ..quiet(1)
        },
        Flavour::raft_rs(),
        Mutation::CommitByIncomingOnly,
        10,
        QUORUM_OF_EVERY_VOTER_SET,
        "held by 1 of the 3 outgoing voters",
    );
}

/// A leader commits its empty entry (6 inputs), takes a value (7) and compacts its whole log
/// (8): the snapshot holds an entry nobody has committed.
#[test]
fn compact_past_applied_is_caught_by_the_snapshot_property() {
    caught(
        Bounds {
            values: 1,
            snapshots: 1,
            ..quiet(1)
        },
        Flavour::raft_rs(),
        Mutation::CompactPastApplied,
        8,
        SNAPSHOT_IS_COMMITTED_PREFIX,
        "only 1 entries are committed",
    );
}
