//! The process adapter: an implementation in any language, driven over the JSON-lines protocol
//! of `impl_adapter/PROTOCOL.md` in a child process.
//!
//! Every request has a deadline. A child that hangs, exits, closes its stdin, writes something
//! that is not a protocol response, answers another request, or speaks another protocol version
//! is an [`AdapterError::Fault`] whose message says what happened and ends with the child's
//! stderr tail; the child is killed. A child that died of a panic, Go's or Rust's, printed on its
//! stderr is an [`AdapterError::Panicked`] with the panic's location and message instead. The
//! next `reset` starts a new child, so one crash does not end a `--keep-going` run.
//!
//! Backtracking uses the child's `reset_node` when offered (only nodes whose inputs differ are
//! rebuilt, see [`crate::history`]); fingerprints come from the child's `fingerprint` when
//! offered, and otherwise from the per-node input histories.

pub mod child;
pub mod memo;
pub mod server;
mod stderr;
pub mod wire;

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use raftcheck_spec::{ClusterView, Flavour, Input, Output};
use siphasher::sip::SipHasher13;

use crate::history::NodeHistories;
use crate::inject::Bug;
use crate::{Adapter, AdapterError, ClusterSetup};
use child::Child;
use memo::{Logical, MemoStats, NodeMemo, NodeState, Transition};
use raftcheck_spec::NodeView;
use wire::{
    Applied, ErrorKind, FlavourSpec, Hello, Observed, Op, ReplayStep, Request, Response, Stepped,
    WireError,
};

/// The default deadline for one answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to start and talk to an adapter process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessConfig {
    /// The program.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// The deadline for each answer.
    pub timeout: Duration,
    /// The bug to inject (must be among those the child lists in `hello`).
    pub bug: Option<Bug>,
    /// Run the implementation with pre-vote (the child must list the `pre_vote` feature,
    /// unless the flavour it declares has pre-vote already).
    pub pre_vote: bool,
    /// The adapter's name in reports and traces.
    pub name: String,
    /// Remember node transitions and answer repeated steps without the child, when it offers
    /// the `node_step` feature (see [`memo`]).
    pub node_memo: bool,
}

/// An implementation in a child process.
pub struct ProcessAdapter {
    config: ProcessConfig,
    child: Option<Child>,
    hello: Hello,
    flavour: Flavour,
    next_id: u64,
    nodes: u64,
    /// The voters of the initial configuration of the cluster built last.
    voters: u64,
    history: NodeHistories,
    /// Requests sent whose answers have not been read, oldest first.
    pending: VecDeque<Sent>,
    /// What the last `step` answered besides its outputs (feature `step`): the views and the
    /// fingerprint after it, until `observe` and `fingerprint` take them or the cluster moves.
    stepped: Option<StepState>,
    /// With the node memo: the transitions remembered.
    memo: NodeMemo,
    /// With the node memo: the cluster as raftcheck knows it (the child's nodes may lag).
    logical: Option<Logical>,
    /// With the node memo: the fresh nodes of the last setup the child built.
    initial: Option<(ClusterSetup, Vec<Arc<NodeState>>)>,
    /// The setup the child's cluster was built for (`None` before or after a fault).
    child_setup: Option<ClusterSetup>,
    /// Inputs the child was driven through since the adapter started.
    driven: u64,
}

/// The state after a `step`, as its answer gave it.
struct StepState {
    nodes: Option<Vec<NodeView>>,
    fingerprint: Option<String>,
}

/// A request on its way: its id and operation, and whether it was sent ahead of being asked
/// for (an `observe` or `fingerprint` sent right after an `apply`).
#[derive(Clone, Copy, Debug)]
struct Sent {
    id: u64,
    op: &'static str,
    prefetched: bool,
}

fn flavour_of(spec: &FlavourSpec) -> Result<Flavour, String> {
    match spec {
        FlavourSpec::Full(f) => Ok(f.clone()),
        FlavourSpec::Named(name) => Flavour::by_name(name).ok_or_else(|| {
            format!(
                "the child names flavour '{name}'; known: {}",
                Flavour::NAMES.join(", ")
            )
        }),
    }
}

impl ProcessAdapter {
    /// Starts the child and shakes hands. Refuses a bug the child does not support with
    /// [`AdapterError::Setup`].
    pub fn start(config: ProcessConfig) -> Result<Self, AdapterError> {
        let (child, hello) = Self::spawn(&config)?;
        let declared = flavour_of(&hello.flavour)
            .map_err(|e| AdapterError::Fault(format!("{}: {e}", config.program)))?;
        let offers_pre_vote = hello.features.iter().any(|f| f == wire::FEATURE_PRE_VOTE);
        if config.pre_vote && !declared.pre_vote && !offers_pre_vote {
            return Err(AdapterError::Setup(format!(
                "{} cannot run with pre-vote: its handshake does not list the '{}' feature",
                config.name,
                wire::FEATURE_PRE_VOTE
            )));
        }
        let pre_vote = declared.pre_vote || config.pre_vote;
        let flavour = declared.with_pre_vote(pre_vote);
        if let Some(bug) = config.bug {
            if !hello.bugs.iter().any(|b| b == bug.name()) {
                return Err(AdapterError::Setup(format!(
                    "{} cannot inject '{bug}'; it supports: {}",
                    config.name,
                    if hello.bugs.is_empty() {
                        "none".to_string()
                    } else {
                        hello.bugs.join(", ")
                    }
                )));
            }
        }
        Ok(ProcessAdapter {
            config,
            child: Some(child),
            hello,
            flavour,
            next_id: 1,
            nodes: 0,
            voters: 0,
            history: NodeHistories::default(),
            pending: VecDeque::new(),
            stepped: None,
            memo: NodeMemo::default(),
            logical: None,
            initial: None,
            child_setup: None,
            driven: 0,
        })
    }

    fn spawn(config: &ProcessConfig) -> Result<(Child, Hello), AdapterError> {
        let mut child = Child::spawn(&config.program, &config.args)
            .map_err(|e| AdapterError::Fault(format!("cannot start {}: {e}", config.program)))?;
        let hello: Hello = exchange(
            &mut child,
            config.timeout,
            &Request {
                id: 0,
                op: Op::Hello {
                    protocol: wire::PROTOCOL_VERSION,
                },
            },
        )?;
        if hello.protocol != wire::PROTOCOL_VERSION {
            return Err(fault(
                &mut child,
                format!(
                    "the child speaks protocol version {}; raftcheck speaks version {}",
                    hello.protocol,
                    wire::PROTOCOL_VERSION
                ),
            ));
        }
        Ok((child, hello))
    }

    /// What the child said in the handshake.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// The child's process id, while it runs.
    pub fn child_id(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn has(&self, feature: &str) -> bool {
        self.hello.features.iter().any(|f| f == feature)
    }

    fn not_running(&self) -> AdapterError {
        AdapterError::Fault(format!(
            "{} is not running (it failed earlier)",
            self.config.name
        ))
    }

    /// Sends a request without waiting for its answer (answers are read in order by
    /// [`ProcessAdapter::collect`]). The child reads the next request only after answering the
    /// previous one; while a request waits for room, the child's answers are read
    /// meanwhile (see [`child::Child::send`]), so sending ahead cannot deadlock.
    fn send(&mut self, op: Op, prefetched: bool) -> Result<(), AdapterError> {
        let Some(child) = self.child.as_mut() else {
            return Err(self.not_running());
        };
        let id = self.next_id;
        self.next_id += 1;
        let name = op.name();
        let text = serde_json::to_string(&Request { id, op }).expect("requests serialise");
        if let Err(e) = child.send(&text, self.config.timeout) {
            let error = fault(child, format!("sending {name}: {e}"));
            self.broken();
            return Err(error);
        }
        self.pending.push_back(Sent {
            id,
            op: name,
            prefetched,
        });
        Ok(())
    }

    /// Reads the answer to the oldest request sent; a broken child is stopped and not trusted
    /// again.
    fn collect<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, AdapterError> {
        let sent = self.pending.pop_front().expect("an answer is awaited");
        let Some(child) = self.child.as_mut() else {
            return Err(self.not_running());
        };
        let result = receive(child, self.config.timeout, sent.id, sent.op);
        if result.as_ref().is_err_and(AdapterError::is_fault) {
            self.broken();
        }
        result
    }

    fn broken(&mut self) {
        self.child = None;
        self.pending.clear();
        self.stepped = None;
        self.child_setup = None;
    }

    /// True when steps go through the node memo: asked for, and the child offers `node_step`
    /// and the `reset_node` and `replay` it relies on to catch up.
    fn memo_on(&self) -> bool {
        self.config.node_memo
            && self.has(wire::FEATURE_NODE_STEP)
            && self.has(wire::FEATURE_RESET_NODE)
            && self.has(wire::FEATURE_STEP)
    }

    /// Builds a fresh cluster of `setup` in the child.
    fn reset_child(&mut self, setup: &ClusterSetup) -> Result<(), AdapterError> {
        self.ensure_running()?;
        self.stepped = None;
        self.child_setup = None;
        self.history = NodeHistories::new(setup.total());
        self.nodes = setup.total();
        self.voters = setup.nodes;
        let inject = self.config.bug.map(|b| b.name().to_string());
        let Empty {} = self.call(Op::Reset {
            nodes: setup.nodes,
            spares: setup.spares,
            inject,
            pre_vote: self.config.pre_vote,
        })?;
        self.child_setup = Some(setup.clone());
        Ok(())
    }

    /// A fresh logical cluster of `setup` (node memo). The child builds the first cluster of a
    /// setup and reports its nodes; later fresh clusters of the same setup are those nodes again
    /// and cost the child nothing.
    fn memo_reset(&mut self, setup: &ClusterSetup) -> Result<(), AdapterError> {
        self.memo.keep_for(setup);
        if let Some((built, initial)) = &self.initial {
            if built == setup {
                self.logical = Some(Logical::new(setup.clone(), initial));
                return Ok(());
            }
        }
        self.logical = None;
        self.reset_child(setup)?;
        let Observed { nodes: views } = self.call(Op::Observe)?;
        let wire::NodeFingerprints { fingerprints } = self.call(Op::NodeFingerprints)?;
        if views.len() as u64 != setup.total() || fingerprints.len() as u64 != setup.total() {
            return Err(AdapterError::Fault(format!(
                "{}: a fresh {}-node cluster was observed as {} nodes with {} fingerprints",
                self.config.name,
                setup.total(),
                views.len(),
                fingerprints.len()
            )));
        }
        let initial: Vec<Arc<NodeState>> = views
            .into_iter()
            .zip(&fingerprints)
            .enumerate()
            .map(|(i, (view, fp))| Arc::new(NodeState::new(i as u64 + 1, fp, view)))
            .collect();
        self.logical = Some(Logical::new(setup.clone(), &initial));
        self.initial = Some((setup.clone(), initial));
        Ok(())
    }

    /// The logical cluster (node memo; built by the first reset or replay).
    fn logical(&self) -> &Logical {
        self.logical
            .as_ref()
            .expect("the memo has a logical cluster")
    }

    /// The logical cluster, to move it.
    fn logical_mut(&mut self) -> &mut Logical {
        self.logical
            .as_mut()
            .expect("the memo has a logical cluster")
    }

    /// Brings the child's node `node` to the logical cluster's state of it (node memo).
    fn sync_node(&mut self, node: u64) -> Result<(), AdapterError> {
        let setup = self.logical().setup.clone();
        if self.child.is_none() || self.child_setup.as_ref() != Some(&setup) {
            self.reset_child(&setup)?;
        }
        self.discard_prefetched()?;
        let wanted = self.logical().inputs(node).to_vec();
        if let Some(plan) = self
            .history
            .plan_node(node, &wanted)
            .map_err(AdapterError::Fault)?
        {
            let replayed = self.replay_batch(vec![plan])?;
            self.driven += replayed;
            self.memo.stats.replayed += replayed;
        }
        Ok(())
    }

    /// Drives `input` in the logical cluster (node memo): from the memo when this node has
    /// taken this step from this state before, otherwise by the child, which first catches up.
    fn memo_apply(&mut self, input: &Input) -> Result<Vec<Output>, AdapterError> {
        let Some(node) = input.target() else {
            // Drops and duplicates happen in raftcheck's network, not in the implementation.
            return Ok(Vec::new());
        };
        let logical = self.logical();
        if node == 0 || node as usize > logical.len() {
            return Err(AdapterError::Fault(format!(
                "{input} addresses n{node}, not in the {}-node cluster",
                logical.len()
            )));
        }
        let from = logical.current(node).key;
        if let Some(t) = self.memo.get(from, input) {
            self.logical_mut().push(node, input.clone(), t.next.clone());
            return Ok(t.outputs.clone());
        }
        self.sync_node(node)?;
        let result = self.call::<wire::NodeStepped>(Op::NodeStep {
            input: input.clone(),
        });
        self.history.record(input);
        self.driven += 1;
        let stepped = result.map_err(|e| refused_input(e, input))?;
        let next = Arc::new(NodeState::new(node, &stepped.fingerprint, stepped.node));
        self.memo.insert(
            from,
            input.clone(),
            Arc::new(Transition {
                outputs: stepped.outputs.clone(),
                next: next.clone(),
            }),
        );
        self.logical_mut().push(node, input.clone(), next);
        Ok(stepped.outputs)
    }

    /// [`Adapter::replay_to`] with the node memo: each node is rewound to where its inputs and
    /// the path's part ways, then driven on, from the memo as far as it knows the way.
    fn memo_replay_to(
        &mut self,
        setup: &ClusterSetup,
        path: &[Input],
    ) -> Result<u64, AdapterError> {
        if self.logical.as_ref().map(|l| &l.setup) != Some(setup) {
            self.memo_reset(setup)?;
        }
        let nodes = self.logical.as_ref().map_or(0, Logical::len);
        let wanted = crate::history::inputs_by_node(nodes, path).map_err(AdapterError::Fault)?;
        let before = self.driven;
        for (i, inputs) in wanted.iter().enumerate() {
            let node = i as u64 + 1;
            let common = self.logical_mut().rewind_to_common_prefix(node, inputs);
            for input in &inputs[common..] {
                self.memo_apply(input).map_err(|e| {
                    AdapterError::Fault(format!("replaying {input} did not repeat: {e}"))
                })?;
            }
        }
        Ok(self.driven - before)
    }

    /// Reads and discards the answers to requests sent ahead and not asked for after all;
    /// a fault among them still counts.
    fn discard_prefetched(&mut self) -> Result<(), AdapterError> {
        while self.pending.front().is_some_and(|s| s.prefetched) {
            match self.collect::<serde_json::Value>() {
                Ok(_) | Err(AdapterError::Refused { .. }) | Err(AdapterError::Unmodelled(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Takes the answer to a request of kind `op` sent ahead, if one is waiting.
    fn take_prefetched<T: serde::de::DeserializeOwned>(
        &mut self,
        op: &'static str,
    ) -> Option<Result<T, AdapterError>> {
        if !self.pending.iter().any(|s| s.prefetched && s.op == op) {
            return None;
        }
        while let Some(front) = self.pending.front().copied() {
            if front.op == op {
                return Some(self.collect());
            }
            if let Err(e) = self.collect::<serde_json::Value>() {
                if e.is_fault() {
                    return Some(Err(e));
                }
            }
        }
        None
    }

    /// Sends a request and waits for its answer.
    fn call<T: serde::de::DeserializeOwned>(&mut self, op: Op) -> Result<T, AdapterError> {
        self.discard_prefetched()?;
        self.send(op, false)?;
        self.collect()
    }

    /// Carries out `plan` with one `replay` request (feature `step`).
    fn replay_batch(
        &mut self,
        plan: Vec<crate::history::NodePlan<'_>>,
    ) -> Result<u64, AdapterError> {
        let mut steps = Vec::new();
        // What each step replays, for the message when one fails.
        let mut what = Vec::new();
        for step in &plan {
            if step.rebuild {
                steps.push(ReplayStep::ResetNode { node: step.node });
                what.push(None);
            }
            for input in &step.inputs {
                steps.push(ReplayStep::Apply {
                    input: (*input).clone(),
                });
                what.push(Some(*input));
            }
        }
        let driven = what.iter().filter(|w| w.is_some()).count() as u64;
        if steps.is_empty() {
            return Ok(0);
        }
        match self.call_replay(steps) {
            Ok(()) => {}
            Err((e, at)) => {
                // A cluster that does not repeat its path is not trusted any more.
                self.broken();
                return Err(
                    match at.and_then(|k| what.get(k as usize).copied().flatten()) {
                        Some(input) => {
                            AdapterError::Fault(format!("replaying {input} did not repeat: {e}"))
                        }
                        None => e,
                    },
                );
            }
        }
        for step in plan {
            if step.rebuild {
                self.history.rebuilt(step.node);
            }
            for input in step.inputs {
                self.history.record(input);
            }
        }
        Ok(driven)
    }

    /// Sends a `replay` and reads its answer; an error comes with the index of the failed step
    /// when the child named it.
    fn call_replay(&mut self, steps: Vec<ReplayStep>) -> Result<(), (AdapterError, Option<u64>)> {
        self.send(Op::Replay { steps }, false)
            .map_err(|e| (e, None))?;
        let sent = self.pending.pop_front().expect("the replay is awaited");
        let Some(child) = self.child.as_mut() else {
            return Err((self.not_running(), None));
        };
        answer::<Empty>(child, self.config.timeout, sent.id, sent.op).map(|Empty {}| ())
    }

    fn ensure_running(&mut self) -> Result<(), AdapterError> {
        if self.child.is_none() {
            let (child, hello) = Self::spawn(&self.config)?;
            self.child = Some(child);
            self.hello = hello;
            self.next_id = 1;
            self.pending.clear();
            self.stepped = None;
        }
        Ok(())
    }
}

/// `e`, an error applying `input`, naming the input when the implementation refused it.
fn refused_input(e: AdapterError, input: &Input) -> AdapterError {
    match e {
        AdapterError::Refused { reason, .. } => AdapterError::Refused {
            input: input.to_string(),
            reason,
        },
        e => e,
    }
}

/// The error for a child that failed doing `what`: the panic it died of, when its stderr shows
/// one; otherwise a fault saying what happened, with its stderr tail.
fn fault(child: &mut Child, what: String) -> AdapterError {
    if let Some(panic) = child.panic() {
        return panic.into();
    }
    let tail = child.stderr_tail();
    let mut message = format!("{}: {what}", child.command());
    if tail.is_empty() {
        message.push_str(" (stderr: empty)");
    } else {
        message.push_str("\n  stderr tail:");
        for line in tail {
            message.push_str("\n    ");
            message.push_str(&line);
        }
    }
    AdapterError::Fault(message)
}

fn shorten(line: &str) -> String {
    const MAX: usize = 200;
    if line.len() <= MAX {
        line.to_string()
    } else {
        let mut end = MAX;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}… ({} bytes)", &line[..end], line.len())
    }
}

/// One request/response round trip (used for the handshake).
fn exchange<T: serde::de::DeserializeOwned>(
    child: &mut Child,
    timeout: Duration,
    request: &Request,
) -> Result<T, AdapterError> {
    let op = request.op.name();
    let text = serde_json::to_string(request).expect("requests serialise");
    child
        .send(&text, timeout)
        .map_err(|e| fault(child, format!("sending {op}: {e}")))?;
    receive(child, timeout, request.id, op)
}

/// Reads the answer to request `id` with every check of the protocol.
fn receive<T: serde::de::DeserializeOwned>(
    child: &mut Child,
    timeout: Duration,
    id: u64,
    op: &str,
) -> Result<T, AdapterError> {
    answer(child, timeout, id, op).map_err(|(e, _)| e)
}

/// [`receive`], and for an error answer the index of the failed step it names (`replay`).
fn answer<T: serde::de::DeserializeOwned>(
    child: &mut Child,
    timeout: Duration,
    id: u64,
    op: &str,
) -> Result<T, (AdapterError, Option<u64>)> {
    let plain = |e| (e, None);
    let line = child
        .receive(timeout)
        .map_err(|e| plain(fault(child, format!("waiting for the answer to {op}: {e}"))))?;
    // The usual case in one pass: a well-formed answer with results of the expected shape.
    // Anything else goes the long way below, which says precisely what is wrong.
    if let Ok(typed) = serde_json::from_str::<TypedResponse<T>>(&line) {
        if typed.id == id {
            match (typed.ok, typed.error) {
                (Some(ok), None) => return Ok(ok),
                (None, Some(error)) => {
                    let at = error.step;
                    return Err((error_answer(child, op, error), at));
                }
                _ => {}
            }
        }
    }
    let response: Response = serde_json::from_str(&line).map_err(|e| {
        plain(fault(
            child,
            format!(
                "answered {op} with a line that is not a protocol response ({e}): {}",
                shorten(&line)
            ),
        ))
    })?;
    if response.id != id {
        return Err(plain(fault(
            child,
            format!("answered request {id} ({op}) with id {}", response.id),
        )));
    }
    match (response.ok, response.error) {
        (Some(ok), None) => serde_json::from_value(ok).map_err(|e| {
            plain(fault(
                child,
                format!("the results of {op} do not have the protocol's shape: {e}"),
            ))
        }),
        (None, Some(error)) => {
            let at = error.step;
            Err((error_answer(child, op, error), at))
        }
        _ => Err(plain(fault(
            child,
            format!("answered {op} with neither or both of \"ok\" and \"error\""),
        ))),
    }
}

/// An answer whose results are read straight into their type.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TypedResponse<T> {
    id: u64,
    #[serde(default = "none")]
    ok: Option<T>,
    #[serde(default)]
    error: Option<WireError>,
}

fn none<T>() -> Option<T> {
    None
}

/// The error for an error answer to `op`.
fn error_answer(child: &mut Child, op: &str, error: WireError) -> AdapterError {
    match error.kind {
        ErrorKind::Refused => AdapterError::Refused {
            input: op.to_string(),
            reason: error.message,
        },
        ErrorKind::Unmodelled => AdapterError::Unmodelled(error.message),
        ErrorKind::Fault => fault(
            child,
            format!("reported a fault in {op}: {}", error.message),
        ),
    }
}

#[derive(serde::Deserialize)]
struct Empty {}

impl Adapter for ProcessAdapter {
    fn name(&self) -> String {
        self.config.name.clone()
    }

    fn flavour(&self) -> Flavour {
        self.flavour.clone()
    }

    fn memo_stats(&self) -> Option<MemoStats> {
        self.memo_on().then_some(self.memo.stats)
    }

    fn reset(&mut self, setup: &ClusterSetup) -> Result<(), AdapterError> {
        self.ensure_running()?;
        if setup.spares > 0 && !self.has(wire::FEATURE_MEMBERSHIP) {
            return Err(AdapterError::Setup(format!(
                "{} does not declare the \"{}\" feature, so it cannot build spare nodes or \
                 change its configuration; run it without --conf-changes and --spares",
                self.config.name,
                wire::FEATURE_MEMBERSHIP
            )));
        }
        if self.memo_on() {
            return self.memo_reset(setup);
        }
        self.reset_child(setup)
    }

    fn apply(&mut self, input: &Input) -> Result<Vec<Output>, AdapterError> {
        if self.memo_on() {
            return self.memo_apply(input);
        }
        self.discard_prefetched()?;
        self.stepped = None;
        if self.has(wire::FEATURE_STEP) {
            let result = self.call::<Stepped>(Op::Step {
                input: input.clone(),
            });
            self.history.record(input);
            return match result {
                Ok(stepped) => {
                    self.stepped = Some(StepState {
                        nodes: Some(stepped.nodes),
                        fingerprint: stepped.fingerprint,
                    });
                    Ok(stepped.outputs)
                }
                Err(e) => Err(refused_input(e, input)),
            };
        }
        self.send(
            Op::Apply {
                input: input.clone(),
            },
            false,
        )?;
        // The engine observes (and fingerprints) after every step: ask now, read when asked.
        self.send(Op::Observe, true)?;
        if self.has(wire::FEATURE_FINGERPRINT) {
            self.send(Op::Fingerprint, true)?;
        }
        let result = self.collect::<Applied>();
        self.history.record(input);
        result
            .map(|applied| applied.outputs)
            .map_err(|e| refused_input(e, input))
    }

    fn observe(&mut self) -> Result<ClusterView, AdapterError> {
        let stepped = self.stepped.as_mut().and_then(|s| s.nodes.take());
        let memo = if self.memo_on() {
            self.logical.as_ref().map(Logical::views)
        } else {
            None
        };
        let observed: Observed = match memo.or(stepped) {
            Some(nodes) => Observed { nodes },
            None => match self.take_prefetched("observe") {
                Some(result) => result?,
                None => self.call(Op::Observe)?,
            },
        };
        if observed.nodes.len() as u64 != self.nodes {
            return Err(AdapterError::Fault(format!(
                "{}: observe returned {} nodes for a {}-node cluster",
                self.config.name,
                observed.nodes.len(),
                self.nodes
            )));
        }
        let mut nodes = observed.nodes;
        if !self.has(wire::FEATURE_MEMBERSHIP) {
            // Without the feature the configuration never changes: it is the initial one.
            let initial = raftcheck_spec::Configuration::with_voters(1..=self.voters);
            for view in &mut nodes {
                view.config = initial.clone();
            }
        }
        Ok(ClusterView { nodes })
    }

    fn fingerprint(&mut self) -> Result<Option<u64>, AdapterError> {
        if self.memo_on() {
            if let Some(logical) = &self.logical {
                return Ok(Some(logical.fingerprint()));
            }
        }
        if self.has(wire::FEATURE_FINGERPRINT) {
            let stepped = self.stepped.as_mut().and_then(|s| s.fingerprint.take());
            let f: wire::Fingerprinted = match stepped {
                Some(fingerprint) => wire::Fingerprinted { fingerprint },
                None => match self.take_prefetched("fingerprint") {
                    Some(result) => result?,
                    None => self.call(Op::Fingerprint)?,
                },
            };
            let mut h = SipHasher13::new_with_keys(7, 11);
            f.fingerprint.hash(&mut h);
            Ok(Some(h.finish()))
        } else {
            Ok(Some(self.history.fingerprint()))
        }
    }

    fn replay_to(&mut self, setup: &ClusterSetup, path: &[Input]) -> Result<u64, AdapterError> {
        if self.memo_on() {
            return self.memo_replay_to(setup, path);
        }
        let incremental = self.has(wire::FEATURE_RESET_NODE)
            && self.child.is_some()
            && self.nodes == setup.total()
            && self.voters == setup.nodes
            && self.history.len() as u64 == setup.total();
        if !incremental {
            self.reset(setup)?;
        }
        self.discard_prefetched()?;
        self.stepped = None;
        let plan = self.history.plan(path).map_err(AdapterError::Fault)?;
        if self.has(wire::FEATURE_STEP) {
            return self.replay_batch(plan);
        }
        // One batch: every rebuild and every input is sent before the answers are read.
        let mut driven = 0;
        let mut expected = Vec::new();
        for step in &plan {
            if step.rebuild {
                self.send(Op::ResetNode { node: step.node }, false)?;
                expected.push(None);
            }
            for input in &step.inputs {
                self.send(
                    Op::Apply {
                        input: (*input).clone(),
                    },
                    false,
                )?;
                expected.push(Some(*input));
            }
        }
        for slot in expected {
            let answer = match slot {
                None => self.collect::<Empty>().map(|_| ()),
                Some(input) => self.collect::<Applied>().map(|_| ()).map_err(|e| {
                    AdapterError::Fault(format!("replaying {input} did not repeat: {e}"))
                }),
            };
            if let Err(e) = answer {
                // The rest of the batch is unread: this child cannot be trusted any more.
                self.broken();
                return Err(e);
            }
            driven += u64::from(slot.is_some());
        }
        for step in plan {
            if step.rebuild {
                self.history.rebuilt(step.node);
            }
            for input in step.inputs {
                self.history.record(input);
            }
        }
        Ok(driven)
    }
}
