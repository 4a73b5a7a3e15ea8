//! The protocol's other side: serve any in-process [`Adapter`] over JSON lines.
//!
//! `raftcheck serve` uses it to put raft-rs behind the protocol, which gives the process adapter
//! a real implementation to talk to without any other toolchain, and measures what the protocol
//! costs against driving the same implementation in-process.

use std::io::{BufRead, Write};

use serde::Serialize;

use super::wire::{
    Applied, ErrorKind, Fingerprinted, FlavourSpec, Hello, NodeFingerprints, NodeStepped, Observed,
    Op, ReplayStep, Request, Response, Stepped, WireError, FEATURE_FINGERPRINT, FEATURE_MEMBERSHIP,
    FEATURE_NODE_STEP, FEATURE_PRE_VOTE, FEATURE_RESET_NODE, FEATURE_SNAPSHOTS, FEATURE_STEP,
    PROTOCOL_VERSION,
};
use crate::history::NodeHistories;
use crate::inject::Bug;
use crate::{Adapter, AdapterError, ClusterSetup};

/// Builds the served adapter, with a bug injected or not, and pre-vote on or off.
pub type AdapterMaker = dyn Fn(Option<Bug>, bool) -> Box<dyn Adapter>;

/// The optional features served (each may be left out, see [`serve`]).
pub const FEATURES: &[&str] = &[
    FEATURE_FINGERPRINT,
    FEATURE_RESET_NODE,
    FEATURE_PRE_VOTE,
    FEATURE_MEMBERSHIP,
    FEATURE_SNAPSHOTS,
    FEATURE_STEP,
    FEATURE_NODE_STEP,
];

struct Session<'a> {
    make: &'a AdapterMaker,
    implementation: String,
    features: Vec<String>,
    adapter: Box<dyn Adapter>,
    setup: ClusterSetup,
    history: NodeHistories,
}

fn wire_error(e: AdapterError) -> WireError {
    let (kind, message) = match e {
        AdapterError::Refused { reason, .. } => (ErrorKind::Refused, reason),
        AdapterError::Unmodelled(m) => (ErrorKind::Unmodelled, m),
        // Protocol version 1 has no error kind for a panic: it travels as a fault saying so.
        AdapterError::Panicked { .. } => (ErrorKind::Fault, e.to_string()),
        AdapterError::Fault(m) | AdapterError::Setup(m) => (ErrorKind::Fault, m),
    };
    WireError {
        kind,
        message,
        step: None,
    }
}

fn fault(message: String) -> WireError {
    WireError {
        kind: ErrorKind::Fault,
        message,
        step: None,
    }
}

fn ok<T: Serialize>(value: T) -> Result<serde_json::Value, WireError> {
    Ok(serde_json::to_value(value).expect("results serialise"))
}

impl Session<'_> {
    fn handle(&mut self, op: Op) -> Result<serde_json::Value, WireError> {
        match op {
            Op::Hello { protocol } => {
                if protocol != PROTOCOL_VERSION {
                    return Err(fault(format!(
                        "only protocol version {PROTOCOL_VERSION} is served"
                    )));
                }
                ok(Hello {
                    protocol: PROTOCOL_VERSION,
                    implementation: self.implementation.clone(),
                    flavour: FlavourSpec::Full(self.adapter.flavour()),
                    bugs: Bug::ALL.iter().map(|b| b.name().to_string()).collect(),
                    features: self.features.clone(),
                })
            }
            Op::Reset {
                nodes,
                spares,
                inject,
                pre_vote,
            } => {
                let bug = inject
                    .map(|name| name.parse::<Bug>())
                    .transpose()
                    .map_err(fault)?;
                self.adapter = (self.make)(bug, pre_vote);
                self.setup = ClusterSetup { nodes, spares };
                self.history = NodeHistories::new(self.setup.total());
                self.adapter.reset(&self.setup).map_err(wire_error)?;
                ok(serde_json::json!({}))
            }
            Op::Apply { input } => ok(Applied {
                outputs: self.apply(&input)?,
            }),
            Op::Observe => ok(Observed {
                nodes: self.adapter.observe().map_err(wire_error)?.nodes,
            }),
            Op::Fingerprint => ok(Fingerprinted {
                fingerprint: self.fingerprint()?,
            }),
            Op::ResetNode { node } => {
                self.reset_node(node)?;
                ok(serde_json::json!({}))
            }
            Op::Step { input } => {
                let outputs = self.apply(&input)?;
                let nodes = self.adapter.observe().map_err(wire_error)?.nodes;
                let fingerprint = if self.features.iter().any(|f| f == FEATURE_FINGERPRINT) {
                    Some(self.fingerprint()?)
                } else {
                    None
                };
                ok(Stepped {
                    outputs,
                    nodes,
                    fingerprint,
                })
            }
            Op::NodeStep { input } => {
                let Some(node) = input
                    .target()
                    .filter(|n| (1..=self.setup.total()).contains(n))
                else {
                    return Err(fault(format!(
                        "node_step needs an input addressed to a node of the cluster, not {input}"
                    )));
                };
                let outputs = self.apply(&input)?;
                let mut nodes = self.adapter.observe().map_err(wire_error)?.nodes;
                let fingerprint = self.node_fingerprints()?.swap_remove(node as usize - 1);
                ok(NodeStepped {
                    outputs,
                    node: nodes.swap_remove(node as usize - 1),
                    fingerprint,
                })
            }
            Op::NodeFingerprints => ok(NodeFingerprints {
                fingerprints: self.node_fingerprints()?,
            }),
            Op::Replay { steps } => {
                for (k, step) in steps.iter().enumerate() {
                    let done = match step {
                        ReplayStep::Apply { input } => self.apply(input).map(|_| ()),
                        ReplayStep::ResetNode { node } => self.reset_node(*node),
                    };
                    done.map_err(|e| WireError {
                        step: Some(k as u64),
                        ..e
                    })?;
                }
                ok(serde_json::json!({}))
            }
        }
    }

    fn apply(
        &mut self,
        input: &raftcheck_spec::Input,
    ) -> Result<Vec<raftcheck_spec::Output>, WireError> {
        let result = self.adapter.apply(input);
        self.history.record(input);
        result.map_err(wire_error)
    }

    fn fingerprint(&mut self) -> Result<String, WireError> {
        Ok(match self.adapter.fingerprint().map_err(wire_error)? {
            Some(f) => format!("{f:016x}"),
            None => format!("h{:016x}", self.history.fingerprint()),
        })
    }

    /// Every node's fingerprint: the adapter's own, or else its input history's.
    fn node_fingerprints(&mut self) -> Result<Vec<String>, WireError> {
        Ok(
            match self.adapter.node_fingerprints().map_err(wire_error)? {
                Some(fps) => fps.iter().map(|f| format!("{f:016x}")).collect(),
                None => (1..=self.setup.total())
                    .map(|n| format!("h{:016x}", self.history.node_fingerprint(n)))
                    .collect(),
            },
        )
    }

    fn reset_node(&mut self, node: u64) -> Result<(), WireError> {
        if node == 0 || node > self.setup.nodes {
            return Err(fault(format!(
                "no node n{node} in a {}-node cluster",
                self.setup.nodes
            )));
        }
        self.history.rebuilt(node);
        self.adapter
            .replay_to(&self.setup, &self.history.path())
            .map_err(wire_error)?;
        Ok(())
    }
}

/// Serves requests from `input` until it closes, answering on `output`, with every feature of
/// [`FEATURES`] but those `without`.
pub fn serve(
    make: &AdapterMaker,
    implementation: &str,
    without: &[String],
    input: impl BufRead,
    mut output: impl Write,
) -> std::io::Result<()> {
    let mut session = Session {
        make,
        implementation: implementation.to_string(),
        features: FEATURES
            .iter()
            .filter(|f| !without.iter().any(|w| w == *f))
            .map(|f| f.to_string())
            .collect(),
        adapter: make(None, false),
        setup: ClusterSetup::new(0),
        history: NodeHistories::default(),
    };
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let response = match serde_json::from_str::<Request>(&line) {
            Ok(request) => {
                let id = request.id;
                match session.handle(request.op) {
                    Ok(value) => Response {
                        id,
                        ok: Some(value),
                        error: None,
                    },
                    Err(error) => Response {
                        id,
                        ok: None,
                        error: Some(error),
                    },
                }
            }
            Err(e) => {
                let id = serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v.get("id").and_then(|i| i.as_u64()))
                    .unwrap_or(0);
                Response {
                    id,
                    ok: None,
                    error: Some(fault(format!("not a protocol request: {e}"))),
                }
            }
        };
        serde_json::to_writer(&mut output, &response)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
    Ok(())
}
