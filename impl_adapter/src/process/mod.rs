//! The process adapter: an implementation in any language, driven over the JSON-lines protocol
//! of `impl_adapter/PROTOCOL.md` in a child process.
//!
//! Every request has a deadline. A child that hangs, exits, writes something that is not a
//! protocol response, answers another request, or speaks another protocol version is an
//! [`AdapterError::Fault`] whose message says what happened and ends with the child's stderr
//! tail; the child is killed. The next `reset` starts a new child, so one crash does not end a
//! `--keep-going` run.
//!
//! Backtracking uses the child's `reset_node` when offered (only nodes whose inputs differ are
//! rebuilt, see [`crate::history`]); fingerprints come from the child's `fingerprint` when
//! offered, and otherwise from the per-node input histories.

pub mod child;
pub mod server;
pub mod wire;

use std::hash::{Hash, Hasher};
use std::time::Duration;

use siphasher::sip::SipHasher13;
use spec::{ClusterView, Flavour, Input, Output};

use crate::history::NodeHistories;
use crate::inject::Bug;
use crate::{Adapter, AdapterError, ClusterSetup};
use child::Child;
use wire::{Applied, ErrorKind, FlavourSpec, Hello, Observed, Op, Request, Response};

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
    /// The adapter's name in reports and traces.
    pub name: String,
}

/// An implementation in a child process.
pub struct ProcessAdapter {
    config: ProcessConfig,
    child: Option<Child>,
    hello: Hello,
    flavour: Flavour,
    next_id: u64,
    nodes: u64,
    history: NodeHistories,
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
        let flavour = flavour_of(&hello.flavour)
            .map_err(|e| AdapterError::Fault(format!("{}: {e}", config.program)))?;
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
            history: NodeHistories::default(),
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
                &child,
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

    /// Sends a request and decodes the `ok` results; any failure of the child kills it.
    fn call<T: serde::de::DeserializeOwned>(&mut self, op: Op) -> Result<T, AdapterError> {
        let Some(child) = self.child.as_mut() else {
            return Err(AdapterError::Fault(format!(
                "{} is not running (it failed earlier)",
                self.config.name
            )));
        };
        let id = self.next_id;
        self.next_id += 1;
        let result = exchange(child, self.config.timeout, &Request { id, op });
        if let Err(AdapterError::Fault(_)) = &result {
            // A broken child is not trusted again: stop it now.
            self.child = None;
        }
        result
    }

    fn ensure_running(&mut self) -> Result<(), AdapterError> {
        if self.child.is_none() {
            let (child, hello) = Self::spawn(&self.config)?;
            self.child = Some(child);
            self.hello = hello;
            self.next_id = 1;
        }
        Ok(())
    }
}

fn fault(child: &Child, what: String) -> AdapterError {
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

/// One request/response round trip with every check of the protocol.
fn exchange<T: serde::de::DeserializeOwned>(
    child: &mut Child,
    timeout: Duration,
    request: &Request,
) -> Result<T, AdapterError> {
    let op = request.op.name();
    let text = serde_json::to_string(request).expect("requests serialise");
    child
        .send(&text)
        .map_err(|e| fault(child, format!("sending {op}: {e}")))?;
    let line = child
        .receive(timeout)
        .map_err(|e| fault(child, format!("waiting for the answer to {op}: {e}")))?;
    let response: Response = serde_json::from_str(&line).map_err(|e| {
        fault(
            child,
            format!(
                "answered {op} with a line that is not a protocol response ({e}): {}",
                shorten(&line)
            ),
        )
    })?;
    if response.id != request.id {
        return Err(fault(
            child,
            format!(
                "answered request {} ({op}) with id {}",
                request.id, response.id
            ),
        ));
    }
    match (response.ok, response.error) {
        (Some(ok), None) => serde_json::from_value(ok).map_err(|e| {
            fault(
                child,
                format!("the results of {op} do not have the protocol's shape: {e}"),
            )
        }),
        (None, Some(error)) => Err(match error.kind {
            ErrorKind::Refused => AdapterError::Refused {
                input: op.to_string(),
                reason: error.message,
            },
            ErrorKind::Unmodelled => AdapterError::Unmodelled(error.message),
            ErrorKind::Fault => fault(
                child,
                format!("reported a fault in {op}: {}", error.message),
            ),
        }),
        _ => Err(fault(
            child,
            format!("answered {op} with neither or both of \"ok\" and \"error\""),
        )),
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

    fn reset(&mut self, setup: &ClusterSetup) -> Result<(), AdapterError> {
        self.ensure_running()?;
        self.history = NodeHistories::new(setup.nodes);
        self.nodes = setup.nodes;
        let inject = self.config.bug.map(|b| b.name().to_string());
        let Empty {} = self.call(Op::Reset {
            nodes: setup.nodes,
            inject,
        })?;
        Ok(())
    }

    fn apply(&mut self, input: &Input) -> Result<Vec<Output>, AdapterError> {
        let result = self.call::<Applied>(Op::Apply {
            input: input.clone(),
        });
        self.history.record(input);
        match result {
            Ok(applied) => Ok(applied.outputs),
            Err(AdapterError::Refused { reason, .. }) => Err(AdapterError::Refused {
                input: input.to_string(),
                reason,
            }),
            Err(e) => Err(e),
        }
    }

    fn observe(&mut self) -> Result<ClusterView, AdapterError> {
        let observed: Observed = self.call(Op::Observe)?;
        if observed.nodes.len() as u64 != self.nodes {
            return Err(AdapterError::Fault(format!(
                "{}: observe returned {} nodes for a {}-node cluster",
                self.config.name,
                observed.nodes.len(),
                self.nodes
            )));
        }
        Ok(ClusterView {
            nodes: observed.nodes,
        })
    }

    fn fingerprint(&mut self) -> Result<Option<u64>, AdapterError> {
        if self.has(wire::FEATURE_FINGERPRINT) {
            let f: wire::Fingerprinted = self.call(Op::Fingerprint)?;
            let mut h = SipHasher13::new_with_keys(7, 11);
            f.fingerprint.hash(&mut h);
            Ok(Some(h.finish()))
        } else {
            Ok(Some(self.history.fingerprint()))
        }
    }

    fn replay_to(&mut self, setup: &ClusterSetup, path: &[Input]) -> Result<u64, AdapterError> {
        let incremental = self.has(wire::FEATURE_RESET_NODE)
            && self.child.is_some()
            && self.nodes == setup.nodes
            && self.history.len() as u64 == setup.nodes;
        if !incremental {
            self.reset(setup)?;
        }
        let plan = self.history.plan(path).map_err(AdapterError::Fault)?;
        let mut driven = 0;
        for step in plan {
            if step.rebuild {
                let Empty {} = self.call(Op::ResetNode { node: step.node })?;
                self.history.rebuilt(step.node);
            }
            for input in step.inputs {
                self.apply(input).map_err(|e| {
                    AdapterError::Fault(format!("replaying {input} did not repeat: {e}"))
                })?;
                driven += 1;
            }
        }
        Ok(driven)
    }
}
