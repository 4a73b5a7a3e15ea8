//! Explaining a merged log with the spec, event by event.
//!
//! The validator keeps a *frontier*: every spec hypothesis still consistent with the log so far
//! (the spec state, the replies the spec requires that the log has not shown yet, and which
//! nodes are in the middle of a step). A trigger (`receive`, `timeout`, `client_request`, ...)
//! applies the spec input it stands for to each hypothesis — every input it may stand for when
//! the log leaves that open (a `tick`, or a received message several in-flight messages match) —
//! and each consequence (`send`, `state`, `append`, ...) keeps the hypotheses it agrees with. When
//! no hypothesis explains an event, up to `unlogged` unlogged spec inputs at the node may be
//! inserted before it; when that fails too, the event is the first divergence.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use raftcheck_format::eventlog::{Event, EventKind, LogMessage};
use raftcheck_spec::{
    properties, ClusterState, ClusterView, FieldDiff, Input, Message, NodeId, NodeState, Output,
    RaftModel, Role,
};

use super::matching::{complete, describe, matches_spec, spec_entry, spec_value, Values};
use crate::engine::DivergenceKind;
use crate::trace::TraceEvent;

/// How hard to search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// At most this many hypotheses are kept (the first ones, in a fixed order).
    pub max_frontier: usize,
    /// At most this many unlogged inputs are inserted before an event nothing else explains.
    pub unlogged: usize,
    /// Every consequence of a trigger is logged before the node's next trigger.
    pub immediate: bool,
}

/// A persistent list of the spec actions a hypothesis took, newest first.
#[derive(Debug)]
struct PathNode {
    event: TraceEvent,
    prev: Option<Rc<PathNode>>,
}

/// One spec behaviour consistent with the log so far.
#[derive(Clone, Debug)]
pub struct Hypothesis {
    /// The spec state.
    pub state: ClusterState,
    /// Replies the spec requires that the log has not shown yet, by sender.
    pending: BTreeMap<NodeId, Vec<Message>>,
    /// Nodes with a step in progress (a trigger seen, the next not yet).
    open: BTreeSet<NodeId>,
    /// Nodes whose step in progress is a restart.
    restarted: BTreeSet<NodeId>,
    /// Each node's state before the step in progress.
    before: BTreeMap<NodeId, Rc<NodeState>>,
    /// Each node's last state as a leader, for sends built then and logged later.
    leader_past: BTreeMap<NodeId, Rc<NodeState>>,
    path: Option<Rc<PathNode>>,
    length: usize,
}

impl Hypothesis {
    fn initial(model: &RaftModel) -> Self {
        Hypothesis {
            state: model.initial_state(),
            pending: BTreeMap::new(),
            open: BTreeSet::new(),
            restarted: BTreeSet::new(),
            before: BTreeMap::new(),
            leader_past: BTreeMap::new(),
            path: None,
            length: 0,
        }
    }

    fn record(&mut self, event: TraceEvent) {
        self.path = Some(Rc::new(PathNode {
            event,
            prev: self.path.take(),
        }));
        self.length += 1;
    }

    /// Posts a message its sender sent of its own accord, and records the send.
    fn post_own(&mut self, m: Message) {
        self.state.post(m.clone());
        self.record(TraceEvent {
            input: None,
            send: Some(m),
            outputs: Vec::new(),
        });
    }

    /// The spec actions taken, oldest first.
    pub fn path(&self) -> Vec<TraceEvent> {
        let mut out = Vec::with_capacity(self.length);
        let mut at = self.path.as_ref();
        while let Some(node) = at {
            out.push(node.event.clone());
            at = node.prev.as_ref();
        }
        out.reverse();
        out
    }

    /// Replies required and never logged, over all nodes.
    pub fn pending(&self) -> usize {
        self.pending.values().map(Vec::len).sum()
    }

    /// A hash of everything but the messages in flight.
    fn fingerprint(&self) -> u64 {
        let mut h = siphasher::sip::SipHasher13::new();
        self.state.nodes.hash(&mut h);
        self.state.spent.hash(&mut h);
        self.state.history.hash(&mut h);
        self.pending.hash(&mut h);
        self.open.hash(&mut h);
        self.restarted.hash(&mut h);
        self.leader_past.hash(&mut h);
        h.finish()
    }
}

/// Why a hypothesis does not explain an event.
#[derive(Clone, Debug)]
pub struct Miss {
    /// The kind of divergence.
    pub kind: DivergenceKind,
    /// What is wrong, for people.
    pub reason: String,
    /// The fields where the log and the spec differ.
    pub diff: Vec<FieldDiff>,
}

impl Miss {
    fn new(kind: DivergenceKind, reason: impl Into<String>) -> Self {
        Miss {
            kind,
            reason: reason.into(),
            diff: Vec::new(),
        }
    }
}

/// The first event nothing explains.
#[derive(Clone, Debug)]
pub struct Unexplained {
    /// The hypotheses that were possible just before it.
    pub before: Vec<Hypothesis>,
    /// The closest of them and why it does not explain the event.
    pub closest: (Hypothesis, Miss),
}

/// What the search cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// Spec inputs applied, over all hypotheses.
    pub spec_steps: u64,
    /// The most hypotheses held at once.
    pub max_frontier: usize,
    /// Events that needed an unlogged input inserted before them.
    pub unlogged_inserted: u64,
    /// Hypotheses dropped because the frontier was full.
    pub truncated: u64,
}

/// The validator's running state.
pub struct Explainer<'m> {
    model: &'m RaftModel,
    options: Options,
    frontier: Vec<Hypothesis>,
    /// The search cost so far.
    pub cost: Cost,
    /// The event being explained is a trigger its node's crash follows at once: the node may
    /// have died before the step took effect.
    cut_off: bool,
}

impl<'m> Explainer<'m> {
    /// Starts from the spec's initial state.
    pub fn new(model: &'m RaftModel, options: Options) -> Self {
        Explainer {
            model,
            options,
            frontier: vec![Hypothesis::initial(model)],
            cost: Cost {
                max_frontier: 1,
                ..Cost::default()
            },
            cut_off: false,
        }
    }

    /// The hypotheses now possible.
    pub fn frontier(&self) -> &[Hypothesis] {
        &self.frontier
    }

    /// Explains `event` (values numbered by `values`). `Err` when nothing does. `cut_off` says
    /// that the event is a trigger after which its node logged nothing before it crashed or
    /// restarted: a process killed between logging an input and acting on it never took the
    /// step, so the hypothesis that it did not is kept beside the ones that it did.
    pub fn explain(
        &mut self,
        event: &Event,
        values: &mut Values,
        cut_off: bool,
    ) -> Result<(), Box<Unexplained>> {
        self.cut_off = cut_off && event.ev.is_trigger();
        let event = number_values(event, values);
        let frontier = std::mem::take(&mut self.frontier);
        let (mut next, mut misses) = self.advance(frontier, &event);
        let mut depth = 0;
        while next.is_empty() && depth < self.options.unlogged && !self.options.immediate {
            depth += 1;
            let starts: Vec<Hypothesis> = misses.iter().map(|(h, _)| h.clone()).collect();
            // Timers first, the rest only when no timer explains the event: most unlogged
            // steps are timers, and trying every in-flight message costs a spec step each.
            for timers in [true, false] {
                let mut widened = Vec::new();
                for h in &starts {
                    for input in self.unlogged_inputs(h, event.node) {
                        let timer =
                            matches!(input, Input::Timeout { .. } | Input::Heartbeat { .. });
                        if timer == timers {
                            widened.push(self.take_input(h.clone(), event.node, &input));
                        }
                    }
                }
                let widened = self.dedup(widened);
                let (n, _) = self.advance(widened, &event);
                if !n.is_empty() {
                    self.cost.unlogged_inserted += 1;
                    next = n;
                    break;
                }
            }
        }
        if next.is_empty() {
            let before: Vec<Hypothesis> = misses.iter().map(|(h, _)| h.clone()).collect();
            misses.sort_by_key(|(_, m)| m.diff.len().max(1));
            let closest = misses.swap_remove(0);
            return Err(Box::new(Unexplained { before, closest }));
        }
        self.frontier = next;
        self.cost.max_frontier = self.cost.max_frontier.max(self.frontier.len());
        Ok(())
    }

    /// The end of the logs: hypotheses are final. Returns the replies required and never
    /// logged in the first hypothesis.
    pub fn finish(&self) -> usize {
        self.frontier.first().map_or(0, Hypothesis::pending)
    }

    /// Drops repeated hypotheses, and those another one covers: equal but for messages in
    /// flight, where the other holds every message this one does (it can do all this one can,
    /// and receive more). A node killed before acting on a message leaves just such a pair —
    /// the message received and lost, or still in flight — that no later event tells apart.
    /// Keeps the first `max_frontier`.
    fn dedup(&mut self, hypotheses: Vec<Hypothesis>) -> Vec<Hypothesis> {
        if hypotheses.len() <= 1 {
            return hypotheses;
        }
        let prints: Vec<u64> = hypotheses.iter().map(Hypothesis::fingerprint).collect();
        let covered = |i: usize, j: usize| {
            prints[i] == prints[j]
                && is_sub_multiset(&hypotheses[i].state.network, &hypotheses[j].state.network)
        };
        let mut keep = vec![true; hypotheses.len()];
        for i in 0..hypotheses.len() {
            for j in 0..hypotheses.len() {
                // i goes when j covers it (and, for equal ones, j comes first).
                if i != j && keep[j] && covered(i, j) && (!covered(j, i) || j < i) {
                    keep[i] = false;
                    break;
                }
            }
        }
        let mut out = Vec::new();
        for (h, kept) in hypotheses.into_iter().zip(keep) {
            if !kept {
                continue;
            }
            if out.len() < self.options.max_frontier {
                out.push(h);
            } else {
                self.cost.truncated += 1;
            }
        }
        out
    }

    /// Every hypothesis that survives `event`, and every miss (the hypothesis before the event
    /// and why).
    fn advance(
        &mut self,
        frontier: Vec<Hypothesis>,
        event: &Event,
    ) -> (Vec<Hypothesis>, Vec<(Hypothesis, Miss)>) {
        let mut next = Vec::new();
        let mut misses = Vec::new();
        for h in frontier {
            if event.ev.is_trigger() {
                self.trigger(h, event, &mut next, &mut misses);
            } else {
                // A consequence changes a hypothesis only when it explains the event, so the
                // hypothesis is checked in place.
                let mut h = h;
                match self.consequence(&mut h, event) {
                    Ok(()) => next.push(h),
                    Err(miss) => misses.push((h, miss)),
                }
            }
        }
        (self.dedup(next), misses)
    }

    /// The inputs the spec could have taken at `node` without the log saying so.
    fn unlogged_inputs(&self, h: &Hypothesis, node: NodeId) -> Vec<Input> {
        // Timers first: they are what implementations most often leave unlogged, and the
        // frontier keeps the first hypotheses when it is full.
        let state = &h.state;
        let mut inputs = self.timer_inputs(state, node);
        if state.node(node).takes_part() {
            inputs.push(Input::ClientRequest {
                node,
                value: state.spent.values + 1,
            });
        }
        for m in state.distinct_in_flight().filter(|m| m.to == node) {
            inputs.push(Input::Receive { message: m.clone() });
        }
        inputs
    }

    /// What a timer may fire at `node`: an election timeout (not at a leader, only at a voter
    /// that may campaign), a leader's heartbeat (flavours with a heartbeat input) or a leader's
    /// lease running out (flavours with a lease step-down).
    fn timer_inputs(&self, state: &ClusterState, node: NodeId) -> Vec<Input> {
        let n = state.node(node);
        let mut inputs = Vec::new();
        if n.role != Role::Leader && n.config.is_promotable(node) {
            inputs.push(Input::Timeout { node });
        }
        if n.role == Role::Leader && self.model.flavour.heartbeat_input {
            inputs.push(Input::Heartbeat { node });
        }
        if n.role == Role::Leader && self.model.flavour.lease_step_down {
            // The leader's lease timer (hashicorp `checkLeaderLease`).
            inputs.push(Input::StepDown { node });
        }
        inputs
    }

    /// Applies a trigger: every input it may stand for.
    fn trigger(
        &mut self,
        h: Hypothesis,
        event: &Event,
        next: &mut Vec<Hypothesis>,
        misses: &mut Vec<(Hypothesis, Miss)>,
    ) {
        let node = event.node;
        match self.trigger_inputs(&h, event) {
            Ok(inputs) => {
                let without = self.cut_off.then(|| h.clone());
                let taken = self.take_inputs(h, node, inputs);
                // The step may not have taken effect before the crash. That matters only where
                // it changed what survives one (term, vote, log): anything else the restart
                // forgets, and a message taken and lost is one the network may lose.
                if let Some(without) = without {
                    let was = without.state.node(node);
                    let same = |n: &NodeState| {
                        n.term == was.term && n.vote == was.vote && n.log == was.log
                    };
                    if taken.iter().any(|t| !same(t.state.node(node))) {
                        next.extend(taken);
                        next.push(without);
                        return;
                    }
                }
                next.extend(taken);
            }
            Err(miss) => misses.push((h, miss)),
        }
    }

    /// The inputs a trigger may stand for in `h`, or why it stands for none.
    fn trigger_inputs(
        &mut self,
        h: &Hypothesis,
        event: &Event,
    ) -> Result<Vec<Option<Input>>, Miss> {
        let node = event.node;
        if self.options.immediate && event.ev != EventKind::Restart {
            if let Some(missing) = h.pending.get(&node).filter(|p| !p.is_empty()) {
                let list: Vec<String> = missing.iter().map(|m| m.to_string()).collect();
                return Err(Miss::new(
                    DivergenceKind::MissingOutput,
                    format!(
                        "n{node}'s step before this {} should have sent {}",
                        event.ev.name(),
                        list.join(", ")
                    ),
                ));
            }
        }
        let state = &h.state;
        let inputs: Vec<Option<Input>> = match event.ev {
            EventKind::Receive => {
                let logged = event.msg.as_ref().expect("checked when read");
                let from = logged.from.expect("checked when read");
                let mut seen = BTreeSet::new();
                let matching: Vec<Option<Input>> = state
                    .network
                    .iter()
                    .filter(|m| m.to == node && m.from == from && matches_spec(logged, m))
                    .filter(|m| seen.insert(*m))
                    .map(|m| Some(Input::Receive { message: m.clone() }))
                    .collect();
                if matching.is_empty() {
                    return Err(Miss::new(
                        DivergenceKind::UnexpectedOutput,
                        format!(
                            "n{node} received {}, but no such message from n{from} is in flight \
                             in the spec (never sent, or already received)",
                            describe(logged)
                        ),
                    ));
                }
                matching
            }
            EventKind::Timeout => {
                let n = state.node(node);
                if n.role == Role::Leader || !n.config.is_promotable(node) {
                    return Err(Miss::new(
                        DivergenceKind::UnexpectedOutput,
                        format!(
                            "n{node} timed out, but it is a {} the spec never lets campaign",
                            n.role
                        ),
                    ));
                }
                vec![Some(Input::Timeout { node })]
            }
            EventKind::Heartbeat => {
                let n = state.node(node);
                if n.role != Role::Leader || !self.model.flavour.heartbeat_input {
                    return Err(Miss::new(
                        DivergenceKind::UnexpectedOutput,
                        format!(
                            "n{node}'s heartbeat timer fired, but it is a {} (or the flavour has \
                             no heartbeat input)",
                            n.role
                        ),
                    ));
                }
                vec![Some(Input::Heartbeat { node })]
            }
            EventKind::Tick => {
                let mut inputs = vec![None];
                inputs.extend(self.timer_inputs(state, node).into_iter().map(Some));
                inputs
            }
            EventKind::ClientRequest => {
                let value = event.value.as_ref().and_then(spec_value).expect("numbered");
                if value != state.spent.values + 1 {
                    return Err(Miss::new(
                        DivergenceKind::InputRefused,
                        format!(
                            "the value numbered v{value} is proposed again, or before v{} \
                             (values must be distinct)",
                            state.spent.values + 1
                        ),
                    ));
                }
                vec![Some(Input::ClientRequest { node, value })]
            }
            EventKind::Restart => vec![Some(Input::Restart { node })],
            _ => unreachable!("not a trigger"),
        };
        Ok(inputs)
    }

    /// Takes each of `inputs` (`None`: no input, the trigger did nothing) at `node` in `h`: the
    /// last takes the hypothesis itself, the others a copy.
    fn take_inputs(
        &mut self,
        h: Hypothesis,
        node: NodeId,
        inputs: Vec<Option<Input>>,
    ) -> Vec<Hypothesis> {
        let mut out = Vec::with_capacity(inputs.len());
        let mut h = Some(h);
        let last = inputs.len() - 1;
        for (k, input) in inputs.into_iter().enumerate() {
            let mine = if k == last {
                h.take().expect("taken once")
            } else {
                h.as_ref().expect("not yet taken").clone()
            };
            out.push(match &input {
                Some(input) => self.take_input(mine, node, input),
                None => {
                    let mut mine = mine;
                    let now = Rc::new(mine.state.node(node).clone());
                    mine.before.insert(node, now);
                    mine.open.insert(node);
                    mine.restarted.remove(&node);
                    mine
                }
            });
        }
        out
    }

    /// Takes `input` at `node` in `h`: the spec state moves, the replies it requires become
    /// pending.
    fn take_input(&mut self, mut h: Hypothesis, node: NodeId, input: &Input) -> Hypothesis {
        self.cost.spec_steps += 1;
        let was = Rc::new(h.state.node(node).clone());
        let outputs = self.model.apply_in_place(&mut h.state, input);
        if matches!(input, Input::Restart { .. }) {
            h.pending.remove(&node);
            h.restarted.insert(node);
        } else {
            h.restarted.remove(&node);
        }
        let pending = h.pending.entry(node).or_default();
        for output in &outputs {
            if let Output::Send { message } = output {
                pending.push(message.clone());
            }
        }
        h.open.insert(node);
        if was.role == Role::Leader && h.state.node(node).role != Role::Leader {
            h.leader_past.insert(node, was.clone());
        }
        h.before.insert(node, was);
        h.record(TraceEvent {
            input: Some(input.clone()),
            send: None,
            outputs,
        });
        h
    }

    /// Checks a consequence against `h`, and takes its effect (a send enters the network).
    fn consequence(&mut self, h: &mut Hypothesis, event: &Event) -> Result<(), Miss> {
        let node = event.node;
        match event.ev {
            EventKind::Send => self.send(h, event),
            EventKind::Crash => {
                h.pending.remove(&node);
                h.open.remove(&node);
                Ok(())
            }
            EventKind::State => check_state(h.state.node(node), event),
            EventKind::Append => check_append(h.state.node(node), event),
            EventKind::Truncate => {
                let index = event.index.expect("checked when read");
                let now = h.state.node(node);
                let was = h.before.get(&node).map_or(now, |b| &**b);
                let lost = was.last_index() >= index
                    && (now.last_index() < index || was.entry(index) != now.entry(index));
                if lost {
                    Ok(())
                } else {
                    Err(Miss {
                        kind: DivergenceKind::StateMismatch,
                        reason: format!(
                            "n{node} truncated its log from {index}, but in the spec its step \
                             kept entry {index} ({})",
                            entry_text(was.entry(index))
                        ),
                        diff: vec![FieldDiff {
                            field: format!("n{node}.log[{index}]"),
                            spec: entry_text(now.entry(index)),
                            implementation: "truncated".into(),
                        }],
                    })
                }
            }
            EventKind::Commit if h.restarted.contains(&node) => {
                // The commit index a restarted node came back with. Neither etcd raft nor
                // raft-rs needs a HardState whose only change is the commit index synced
                // (`MustSync`), so it may be older than the one before the crash. How much older
                // the log cannot tell: anything from the snapshot index up to the spec's commit
                // is accepted, and the spec node takes it.
                let index = event.index.expect("checked when read");
                let n = h.state.node_mut(node);
                if index > n.commit || index < n.log.snapshot_index() {
                    return Err(field_miss(
                        node,
                        "commit",
                        n.commit.to_string(),
                        format!("{index} after the restart"),
                    ));
                }
                n.commit = index;
                Ok(())
            }
            EventKind::Commit => {
                let index = event.index.expect("checked when read");
                let spec = h.state.node(node).commit;
                let ok = if self.options.immediate {
                    index == spec
                } else {
                    index <= spec
                };
                if ok {
                    Ok(())
                } else {
                    Err(field_miss(
                        node,
                        "commit",
                        spec.to_string(),
                        index.to_string(),
                    ))
                }
            }
            EventKind::Apply => {
                let index = event.index.expect("checked when read");
                let n = h.state.node(node);
                if index > n.commit {
                    return Err(Miss {
                        kind: DivergenceKind::StateMismatch,
                        reason: format!(
                            "n{node} applied entry {index}, but the spec's commit index there is {}",
                            n.commit
                        ),
                        diff: vec![FieldDiff {
                            field: format!("n{node}.applied"),
                            spec: n.commit.to_string(),
                            implementation: index.to_string(),
                        }],
                    });
                }
                if let Some(v) = event.value.as_ref().and_then(spec_value) {
                    let held = n.entry(index).and_then(|e| e.value);
                    if held.is_some_and(|held| held != v) {
                        return Err(field_miss(
                            node,
                            &format!("log[{index}]"),
                            format!("value v{}", held.unwrap_or(0)),
                            format!("applied v{v}"),
                        ));
                    }
                }
                Ok(())
            }
            _ => unreachable!("a trigger"),
        }
    }

    /// A logged send: a reply the spec requires, or a message the sender may send of its own
    /// accord — judged in its state now or, for a message built while it led and logged after it
    /// stopped (a replication thread's append), in its last state as leader.
    fn send(&mut self, h: &mut Hypothesis, event: &Event) -> Result<(), Miss> {
        let node = event.node;
        let mut logged = event.msg.clone().expect("checked when read");
        logged.from = Some(logged.from.unwrap_or(node));
        if let Some(pending) = h.pending.get_mut(&node) {
            if let Some(at) = pending.iter().position(|m| matches_spec(&logged, m)) {
                let m = pending.remove(at);
                h.state.post(m);
                return Ok(());
            }
        }
        let mut why = String::from("a node sends this only in reply to an input");
        if let Some(m) = complete(&logged, h.state.node(node)) {
            match self.may_send_now(h, &m) {
                Ok(()) => {
                    h.post_own(m);
                    return Ok(());
                }
                Err(e) => why = e,
            }
        }
        if let Some(past) = h.leader_past.get(&node) {
            if let Some(m) = complete(&logged, past).filter(|m| m.term == past.term) {
                if past.may_send(&m).is_ok() {
                    h.post_own(m);
                    return Ok(());
                }
            }
            // A deposed leader's append of its old term built from its current state
            // (flavours with `stale_leader_sends_current_log`).
            if self.model.flavour.stale_leader_sends_current_log {
                let now = h.state.node(node);
                if let Some(m) = complete(&logged, now).filter(|m| m.term == past.term) {
                    if now.may_send_for_past_term(&m).is_ok() {
                        h.post_own(m);
                        return Ok(());
                    }
                }
            }
        }
        let required: Vec<String> = h
            .pending
            .get(&node)
            .into_iter()
            .flatten()
            .filter(|m| m.payload.kind() == kind_name(&logged))
            .map(|m| m.to_string())
            .collect();
        let reason = if required.is_empty() {
            format!("n{node} sent {}: {why}", describe(&logged))
        } else {
            format!(
                "n{node} sent {}, but the spec requires {}",
                describe(&logged),
                required.join(" or ")
            )
        };
        Err(Miss::new(DivergenceKind::UnexpectedOutput, reason))
    }

    /// [`RaftModel::may_send_in_step`] for the sender's step in progress.
    fn may_send_now(&self, h: &Hypothesis, m: &Message) -> Result<(), String> {
        let node = m.from;
        match h.before.get(&node) {
            Some(was) if *was.config != *h.state.node(node).config => {
                let mut before = h.state.clone();
                *before.node_mut(node) = (**was).clone();
                self.model.may_send_in_step(&before, &h.state, m)
            }
            _ => self.model.may_send(&h.state, m),
        }
    }
}

/// True when every message of the sorted `a` is in the sorted `b`, as often.
fn is_sub_multiset(a: &[Message], b: &[Message]) -> bool {
    let mut rest = b.iter();
    'outer: for m in a {
        for n in rest.by_ref() {
            match n.cmp(m) {
                std::cmp::Ordering::Less => continue,
                std::cmp::Ordering::Equal => continue 'outer,
                std::cmp::Ordering::Greater => return false,
            }
        }
        return false;
    }
    true
}

fn kind_name(m: &LogMessage) -> &'static str {
    use raftcheck_format::eventlog::MessageType as T;
    match m.kind {
        T::RequestVote if m.pre == Some(true) => "RequestPreVote",
        T::RequestVote => "RequestVote",
        T::RequestVoteResponse if m.pre == Some(true) => "RequestPreVoteResponse",
        T::RequestVoteResponse => "RequestVoteResponse",
        T::AppendEntries => "AppendEntries",
        T::AppendEntriesResponse => "AppendEntriesResponse",
        T::Heartbeat => "Heartbeat",
        T::HeartbeatResponse => "HeartbeatResponse",
        T::Propose => "Propose",
    }
}

fn entry_text(e: Option<&raftcheck_spec::Entry>) -> String {
    e.map_or_else(|| "missing".into(), |e| e.to_string())
}

fn field_miss(node: NodeId, field: &str, spec: String, implementation: String) -> Miss {
    let diff = FieldDiff {
        field: format!("n{node}.{field}"),
        spec,
        implementation,
    };
    mismatch(vec![diff]).unwrap_err()
}

/// A state mismatch on the fields of `diff`, if there are any.
fn mismatch(diff: Vec<FieldDiff>) -> Result<(), Miss> {
    if diff.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = diff.iter().map(ToString::to_string).collect();
    Err(Miss {
        kind: DivergenceKind::StateMismatch,
        reason: format!("state mismatch: {}", lines.join("; ")),
        diff,
    })
}

fn check_state(n: &NodeState, event: &Event) -> Result<(), Miss> {
    let name = |id: Option<NodeId>| id.map_or_else(|| "none".to_string(), |id| format!("n{id}"));
    let logged_id = |id: u64| if id == 0 { None } else { Some(id) };
    let mut diff = Vec::new();
    let mut differ = |field: &str, spec: String, implementation: String| {
        if spec != implementation {
            diff.push(FieldDiff {
                field: format!("n{}.{field}", n.id),
                spec,
                implementation,
            });
        }
    };
    if let Some(term) = event.term {
        differ("term", n.term.to_string(), term.to_string());
    }
    if let Some(role) = &event.role {
        differ(
            "role",
            super::log::role_name(n.role).to_string(),
            role.clone(),
        );
    }
    if let Some(vote) = event.vote {
        differ("vote", name(n.vote), name(logged_id(vote)));
    }
    if let Some(leader) = event.leader {
        differ("leader", name(n.leader), name(logged_id(leader)));
    }
    mismatch(diff)
}

fn check_append(n: &NodeState, event: &Event) -> Result<(), Miss> {
    let index = event.index.expect("checked when read");
    let entries = event.entries.as_ref().expect("checked when read");
    let mut diff = Vec::new();
    for (k, logged) in entries.iter().enumerate() {
        let at = index + k as u64;
        let want = spec_entry(logged);
        let held = n.entry(at);
        if held != Some(&want) {
            diff.push(FieldDiff {
                field: format!("n{}.log[{at}]", n.id),
                spec: entry_text(held),
                implementation: want.to_string(),
            });
        }
    }
    let last = index + entries.len() as u64 - 1;
    if !entries.is_empty() && n.last_index() > last {
        diff.push(FieldDiff {
            field: format!("n{}.log[{}]", n.id, last + 1),
            spec: entry_text(n.entry(last + 1)),
            implementation: "missing".into(),
        });
    }
    mismatch(diff)
}

/// The event with its values numbered as the spec numbers them.
fn number_values(event: &Event, values: &mut Values) -> Event {
    let mut e = event.clone();
    if let Some(v) = &e.value {
        e.value = Some(raftcheck_format::eventlog::LogValue::Number(
            values.number(v),
        ));
    }
    if let Some(entries) = &mut e.entries {
        values.entries(entries);
    }
    if let Some(m) = &mut e.msg {
        values.message(m);
    }
    e
}

/// The properties a hypothesis's state violates (the first), if any.
pub fn violation(model: &RaftModel, state: &ClusterState) -> Option<(String, String)> {
    properties::violations(model, state)
        .into_iter()
        .next()
        .map(|v| (v.property.to_string(), v.detail))
}

/// A node's view line in a hypothesis, for reports.
pub fn node_view(state: &ClusterState, node: NodeId) -> raftcheck_spec::NodeView {
    let view = ClusterView::from(state);
    let at = state
        .nodes
        .values()
        .position(|n| n.id == node)
        .expect("a node of the cluster");
    view.nodes[at].clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftcheck_spec::Payload;

    fn m(to: u64, commit: u64) -> Message {
        Message {
            from: 1,
            to,
            term: 1,
            payload: Payload::Heartbeat { commit },
        }
    }

    #[test]
    fn sub_multisets_count_copies() {
        let (a, b, c) = (m(2, 0), m(2, 1), m(3, 0));
        assert!(is_sub_multiset(&[], std::slice::from_ref(&a)));
        assert!(is_sub_multiset(
            &[a.clone(), c.clone()],
            &[a.clone(), b.clone(), c.clone()]
        ));
        assert!(!is_sub_multiset(
            &[a.clone(), a.clone()],
            &[a.clone(), b.clone()]
        ));
        assert!(!is_sub_multiset(std::slice::from_ref(&c), &[a, b]));
        assert!(!is_sub_multiset(&[c], &[]));
    }
}
