//! The Raft model: which inputs the environment may choose in a state, what each input does, and
//! what a node may send of its own accord. [`RaftModel`] serves both modes: the lockstep engine
//! calls [`RaftModel::inputs`], [`RaftModel::apply`] and [`RaftModel::may_send`] directly, and
//! Stateright explores it as a [`stateright::Model`] in spec-only mode.

use serde::{Deserialize, Serialize};
use stateright::{Model, Property};

use crate::bounds::Bounds;
use crate::cluster::ClusterState;
use crate::configuration::Configuration;
use crate::flavour::Flavour;
use crate::node::{conf_change_menu, Mutation, Outbox};
use crate::properties;
use crate::symmetry::Symmetry;
use crate::types::{Input, Message, Output, Role};

/// Whether the spec runs alone or judges an implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mode {
    /// The spec alone: a leader's discretionary sends become spec actions from a bounded menu.
    SpecOnly,
    /// Lockstep with an implementation: the implementation chooses discretionary sends and the
    /// spec judges them with [`RaftModel::may_send`].
    Lockstep,
}

/// A spec action: an input, or (spec-only mode) a discretionary send.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Action {
    /// An input chosen by the environment.
    Input(Input),
    /// A leader sends a message of its own accord.
    Send(Message),
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Input(i) => write!(f, "{i}"),
            Action::Send(m) => write!(f, "Send {m}"),
        }
    }
}

/// The result of applying an input: the next state (network without the outputs) and the
/// outputs the spec requires, in emission order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The state after the input and its deterministic consequences. Messages in `outputs` are
    /// not yet in its network: the caller posts the messages actually sent.
    pub state: ClusterState,
    /// The outputs that must come out of this step.
    pub outputs: Vec<Output>,
}

/// The Raft specification for one flavour and one set of bounds.
#[derive(Clone, Debug)]
pub struct RaftModel {
    /// The bounds.
    pub bounds: Bounds,
    /// The implementation family's behaviour choices.
    pub flavour: Flavour,
    /// Spec alone or lockstep.
    pub mode: Mode,
    /// A deliberate spec bug, for testing that the safety properties catch bugs. `None` always,
    /// except in tests of the properties themselves.
    #[doc(hidden)]
    pub mutation: Option<Mutation>,
    /// Judge the progress obligations of [`crate::obligation`] in lockstep (on by default).
    /// Off only to show what a check without them lets through.
    pub obligations: bool,
    /// Spec-only symmetry reduction: when set, every state the model yields to a checker is
    /// the representative of its class under this group of node-id renamings
    /// ([`crate::symmetry`]). `None` by default and in lockstep.
    pub symmetry: Option<Symmetry>,
}

impl RaftModel {
    /// A model in the given mode.
    pub fn new(bounds: Bounds, flavour: Flavour, mode: Mode) -> Self {
        RaftModel {
            bounds,
            flavour,
            mode,
            mutation: None,
            obligations: true,
            symmetry: None,
        }
    }

    /// This model with symmetry reduction over its bounds' group ([`Symmetry::for_bounds`]):
    /// the states it yields to a checker are representatives.
    pub fn with_symmetry(mut self) -> Self {
        self.symmetry = Some(Symmetry::for_bounds(&self.bounds));
        self
    }

    /// `state`, or its representative when the model reduces by symmetry.
    fn reduced(&self, state: ClusterState) -> ClusterState {
        match &self.symmetry {
            Some(group) => group.representative(&state),
            None => state,
        }
    }

    /// The configuration every run starts in: the `nodes` initial voters.
    pub fn initial_config(&self) -> Configuration {
        Configuration::with_voters(1..=self.bounds.nodes)
    }

    /// The initial state.
    pub fn initial_state(&self) -> ClusterState {
        ClusterState::with_spares(self.bounds.nodes, self.bounds.spares)
    }

    /// The inputs the environment may choose in `state`, in a fixed order: receives (one per
    /// distinct message in flight), timeouts, client requests, heartbeats, step-downs, restarts, drops,
    /// duplicates, configuration changes, compactions.
    ///
    /// Inputs that both families treat as a no-op are not offered, to keep the state space to
    /// what can happen: a timeout only at a voter of its own configuration (learners and nodes
    /// outside it do not campaign), a client request or a restart only at a node that takes part
    /// in the cluster (a spare before it is added takes part in nothing; a removed node still
    /// does — it can restart, and refuses values as a removed leader). Configuration changes
    /// are proposed to leaders that are members of their configuration only: a proposal at a
    /// follower is forwarded like a client value, which the `values` bound already explores.
    pub fn inputs(&self, state: &ClusterState) -> Vec<Input> {
        let mut inputs = Vec::new();
        self.for_each_input(state, |input| inputs.push(input));
        inputs
    }

    /// Hands each input of [`RaftModel::inputs`] to `push`, in the same order, without
    /// collecting them.
    pub fn for_each_input(&self, state: &ClusterState, mut push: impl FnMut(Input)) {
        for m in state.distinct_in_flight() {
            push(Input::Receive { message: m.clone() });
        }
        for node in state.nodes.values() {
            if node.role != Role::Leader
                && node.term < self.bounds.max_term
                && node.config.is_promotable(node.id)
            {
                push(Input::Timeout { node: node.id });
            }
        }
        let members = || state.nodes.values().filter(|n| n.takes_part());
        if state.spent.values < self.bounds.values {
            for node in members() {
                push(Input::ClientRequest {
                    node: node.id,
                    value: state.spent.values + 1,
                });
            }
        }
        if self.flavour.heartbeat_input && state.spent.heartbeats < self.bounds.heartbeats {
            for node in state.nodes.values().filter(|n| n.role == Role::Leader) {
                push(Input::Heartbeat { node: node.id });
            }
        }
        if self.flavour.lease_step_down {
            for node in state.nodes.values().filter(|n| n.role == Role::Leader) {
                push(Input::StepDown { node: node.id });
            }
        }
        if state.spent.restarts < self.bounds.restarts {
            for node in members() {
                push(Input::Restart { node: node.id });
            }
        }
        if state.spent.drops < self.bounds.drops {
            for m in state.distinct_in_flight() {
                push(Input::Drop { message: m.clone() });
            }
        }
        if state.spent.duplicates < self.bounds.duplicates {
            for m in state.distinct_in_flight() {
                push(Input::Duplicate { message: m.clone() });
            }
        }
        if state.spent.conf_changes < self.bounds.conf_changes {
            let leaders = state.nodes.values().filter(|n| n.role == Role::Leader);
            for node in leaders.filter(|n| n.config.contains(n.id)) {
                for change in
                    conf_change_menu(&node.config, self.bounds.node_ids(), self.bounds.joint)
                {
                    push(Input::ProposeConfChange {
                        node: node.id,
                        change,
                    });
                }
            }
        }
        if state.spent.snapshots < self.bounds.snapshots {
            for node in state.nodes.values().filter(|n| n.can_compact()) {
                push(Input::Compact { node: node.id });
            }
        }
    }

    /// Checks that `input` is one the environment may choose in `state`; the error says why not.
    /// [`RaftModel::apply`] assumes this holds; replaying a trace file checks it first.
    pub fn check_enabled(&self, state: &ClusterState, input: &Input) -> Result<(), String> {
        if let Some(node) = input.target() {
            if !state.has_node(node) {
                return Err(format!(
                    "n{node} is not a node of this {}-node cluster",
                    state.nodes.len()
                ));
            }
        }
        if let Input::Receive { message } | Input::Drop { message } | Input::Duplicate { message } =
            input
        {
            if !state.has_node(message.from) {
                return Err(format!("n{} is not a node of this cluster", message.from));
            }
            if !state.in_flight(message) {
                return Err(format!("no message {message} is in flight"));
            }
        }
        if self.inputs(state).contains(input) {
            Ok(())
        } else {
            Err(match input {
                Input::Timeout { node } => format!(
                    "n{node} cannot time out: it is the leader or at the term bound {}",
                    self.bounds.max_term
                ),
                Input::ClientRequest { value, .. } => format!(
                    "the next client value is v{} (of {}), not v{value}",
                    state.spent.values + 1,
                    self.bounds.values
                ),
                Input::Heartbeat { node } => format!(
                    "n{node} cannot send heartbeats: not a leader, the flavour has no heartbeat \
                     input, or the heartbeat bound {} is spent",
                    self.bounds.heartbeats
                ),
                Input::Restart { .. } => {
                    format!("the restart bound {} is spent", self.bounds.restarts)
                }
                Input::Drop { .. } => format!("the drop bound {} is spent", self.bounds.drops),
                Input::Duplicate { .. } => {
                    format!("the duplicate bound {} is spent", self.bounds.duplicates)
                }
                Input::Receive { .. } => "the message is not deliverable".into(),
                Input::ProposeConfChange { node, change } => format!(
                    "{change} cannot be proposed to n{node}: it is not a leader in its \
                     configuration, the change is not one of its menu, or the conf-change bound \
                     {} is spent",
                    self.bounds.conf_changes
                ),
                Input::StepDown { node } => format!(
                    "n{node} cannot step down: it is not a leader, or the flavour has no \
                     lease step-down"
                ),
                Input::Compact { node } => format!(
                    "n{node} cannot compact: nothing is applied past its snapshot, or the \
                     snapshot bound {} is spent",
                    self.bounds.snapshots
                ),
            })
        }
    }

    /// Applies an enabled input: the state change and the outputs that must come out. The
    /// messages among the outputs are not posted to the network (see [`Transition`]).
    pub fn apply(&self, state: &ClusterState, input: &Input) -> Transition {
        let mut next = state.clone();
        let outputs = self.apply_in_place(&mut next, input);
        Transition {
            state: next,
            outputs,
        }
    }

    /// [`RaftModel::apply`] on `state` itself, for callers that do not keep the state before
    /// (log validation follows one behaviour at a time): returns the outputs.
    pub fn apply_in_place(&self, state: &mut ClusterState, input: &Input) -> Vec<Output> {
        let next = state;
        let mut out = Outbox::new(&self.flavour);
        out.mutation = self.mutation;
        let before = input.target().map(|id| (id, next.node(id).commit));
        // Whether the target was a leader outside its voters, as the step began.
        let removed_leader = input
            .target()
            .map(|id| next.node(id))
            .is_some_and(|n| n.role == Role::Leader && !n.config.is_voter(n.id));
        match input {
            Input::Timeout { node } => next.node_mut(*node).timeout(&mut out),
            Input::Receive { message } => {
                next.take(message);
                next.node_mut(message.to).receive(message, &mut out);
            }
            Input::Restart { node } => {
                next.spent.restarts += 1;
                let n = next.node_mut(*node);
                n.restart(&self.flavour);
                if self.mutation == Some(Mutation::RestartForgetsCommit) {
                    n.commit = 0;
                }
            }
            Input::ClientRequest { node, value } => {
                next.spent.values = *value;
                next.node_mut(*node).client_request(*value, &mut out);
            }
            Input::Heartbeat { node } => {
                next.spent.heartbeats += 1;
                next.node_mut(*node).heartbeat(&mut out);
            }
            Input::Drop { message } => {
                next.spent.drops += 1;
                next.take(message);
            }
            Input::Duplicate { message } => {
                next.spent.duplicates += 1;
                next.post(message.clone());
            }
            Input::ProposeConfChange { node, change } => {
                next.spent.conf_changes += 1;
                next.node_mut(*node).propose_conf_change(change, &mut out);
            }
            Input::StepDown { node } => next.node_mut(*node).step_down(),
            Input::Compact { node } => {
                next.spent.snapshots += 1;
                next.node_mut(*node).compact(&out);
            }
        }
        if let Some(id) = input.target() {
            // The application applies what the step committed, in the same step.
            next.node_mut(id).apply_committed(&mut out);
            if removed_leader
                && next.node(id).role != Role::Leader
                && !next.history.removed_leader_stepped_down
            {
                next.history_mut().removed_leader_stepped_down = true;
            }
        }
        if let (true, Some(id)) = (out.installed_snapshot, input.target()) {
            if let Err(at) = next.history.installed_snapshot.binary_search(&id) {
                next.history_mut().installed_snapshot.insert(at, id);
            }
        }
        if let Some(id) = input.target() {
            next.record_leader_commits(id, &out.leader_commits);
        }
        if let Some((id, old)) = before {
            // A restart that forgets the commit index starts over from 0, legitimately.
            let forgets =
                matches!(input, Input::Restart { .. }) && !self.flavour.restart_keeps_commit;
            next.record_commit(id, if forgets { 0 } else { old });
        }
        for output in &out.outputs {
            if let Output::BecomeLeader { node, term } = output {
                next.record_election(*term, *node);
            }
        }
        out.outputs
    }

    /// Checks that node `m.from` may send `m` of its own accord in `state` (the state after the
    /// step in which it was sent). The error explains what is wrong with the message.
    pub fn may_send(&self, state: &ClusterState, m: &Message) -> Result<(), String> {
        if !state.has_node(m.from) || !state.has_node(m.to) {
            return Err(format!(
                "addressed n{}→n{} in a {}-node cluster",
                m.from,
                m.to,
                state.nodes.len()
            ));
        }
        state.node(m.from).may_send(m)
    }

    /// [`RaftModel::may_send`] for a message sent during the step from `before` to `after`: a
    /// leader that applied a configuration change in the step may still have sent to a member
    /// of the configuration it had when the step began (raft-rs and etcd broadcast the commit
    /// of a change before the application applies it).
    pub fn may_send_in_step(
        &self,
        before: &ClusterState,
        after: &ClusterState,
        m: &Message,
    ) -> Result<(), String> {
        let verdict = self.may_send(after, m);
        if verdict.is_err() && before.has_node(m.from) && after.has_node(m.from) {
            let (was, is) = (before.node(m.from), after.node(m.from));
            if was.config != is.config && was.config.contains(m.to) && !is.config.contains(m.to) {
                let mut then = is.clone();
                then.config = was.config.clone();
                return then.may_send(m);
            }
        }
        verdict
    }

    /// Spec-only mode: the discretionary sends on offer in `state`.
    pub fn send_menu(&self, state: &ClusterState) -> Vec<Message> {
        let mut menu = Vec::new();
        for node in state.nodes.values() {
            node.send_menu(&mut menu);
        }
        menu
    }

    /// True while the state is inside the bounds and worth exploring further.
    pub fn within_bounds(&self, state: &ClusterState) -> bool {
        state.network.len() <= self.bounds.max_in_flight
    }

    /// Posts the messages among `outputs` to the state's network.
    pub fn post_outputs(state: &mut ClusterState, outputs: &[Output]) {
        for message in outputs.iter().filter_map(Output::sent) {
            state.post(message.clone());
        }
    }
}

impl Model for RaftModel {
    type State = ClusterState;
    type Action = Action;

    fn init_states(&self) -> Vec<ClusterState> {
        vec![self.reduced(self.initial_state())]
    }

    fn actions(&self, state: &ClusterState, actions: &mut Vec<Action>) {
        self.for_each_input(state, |input| actions.push(Action::Input(input)));
        if self.mode == Mode::SpecOnly {
            actions.extend(self.send_menu(state).into_iter().map(Action::Send));
        }
    }

    fn next_state(&self, state: &ClusterState, action: Action) -> Option<ClusterState> {
        match action {
            Action::Input(input) => {
                // A state to post the sends into without growing its network again.
                let mut next = state.successor();
                let outputs = self.apply_in_place(&mut next, &input);
                for output in outputs {
                    if let Output::Send { message } = output {
                        next.post(message);
                    }
                }
                Some(self.reduced(next))
            }
            Action::Send(m) => {
                let mut next = state.successor();
                next.post(m);
                Some(self.reduced(next))
            }
        }
    }

    fn format_action(&self, action: &Action) -> String {
        action.to_string()
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::all(&self.bounds)
    }

    fn within_boundary(&self, state: &ClusterState) -> bool {
        self.within_bounds(state)
    }
}
