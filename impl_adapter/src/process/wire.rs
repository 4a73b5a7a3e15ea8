//! The JSON shapes of protocol version 1 (see `impl_adapter/PROTOCOL.md`).
//!
//! The envelopes (requests, responses, handshake) are defined here. The spec values they carry
//! — inputs, outputs, observed node views — are held as spec types but written and read in
//! their `raftcheck_format::v1` form (`#[serde(with = ...)]`), so the protocol's bytes do not
//! move when the spec's representation does. The flavour in the handshake is the spec's
//! `Flavour`, pinned by the golden tests of `raftcheck-format` (see that crate for why).

use raftcheck_spec::{Flavour, Input, NodeView, Output};
use serde::{Deserialize, Serialize};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u64 = 1;

/// Feature name: the child answers `fingerprint`.
pub const FEATURE_FINGERPRINT: &str = "fingerprint";
/// Feature name: the child answers `reset_node`.
pub const FEATURE_RESET_NODE: &str = "reset_node";
/// Feature name: the child runs its implementation with pre-vote when `reset` asks for it.
pub const FEATURE_PRE_VOTE: &str = "pre_vote";
/// Feature name: the child builds spares (`reset`'s `spares`), applies `propose_conf_change`,
/// carries configuration changes in entries, and reports each node's `config`, `applied` and
/// `state_machine`.
pub const FEATURE_MEMBERSHIP: &str = "membership";
/// Feature name: the child applies `compact`, sends and installs `Snapshot` messages, and
/// reports each node's `snapshot_index` and `snapshot_term`.
pub const FEATURE_SNAPSHOTS: &str = "snapshots";

/// Feature name: the child answers `step` (apply, observe and fingerprint in one answer) and
/// `replay` (a batch of `reset_node` and `apply` requests in one answer).
pub const FEATURE_STEP: &str = "step";

/// Feature name: the child answers `node_step` (apply an input, then the view and fingerprint
/// of the one node it was addressed to) and `node_fingerprints`, so raftcheck can remember each
/// node's transitions and answer a step it has seen before without the child (§7).
pub const FEATURE_NODE_STEP: &str = "node_step";

/// A request, as sent on the child's stdin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Increases from 0; the response carries the same id.
    pub id: u64,
    /// The operation and its arguments.
    #[serde(flatten)]
    pub op: Op,
}

/// The operations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// The handshake.
    Hello {
        /// The version raftcheck speaks.
        protocol: u64,
    },
    /// A brand-new cluster.
    Reset {
        /// Number of voters of the initial configuration.
        nodes: u64,
        /// Nodes outside it, ids after the voters (sent only when there are any).
        #[serde(default, skip_serializing_if = "is_zero")]
        spares: u64,
        /// The bug to inject, if any.
        inject: Option<String>,
        /// Pre-vote on (sent only when true; absent means off).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        pre_vote: bool,
    },
    /// Drive one input.
    Apply {
        /// The input.
        #[serde(with = "raftcheck_format::v1::via::input")]
        input: Input,
    },
    /// The abstract state.
    Observe,
    /// The hidden-state fingerprint.
    Fingerprint,
    /// Replace one node by a fresh one.
    ResetNode {
        /// The node.
        node: u64,
    },
    /// Feature `step`: drive one input, then observe and (with feature `fingerprint`)
    /// fingerprint, all in one answer.
    Step {
        /// The input.
        #[serde(with = "raftcheck_format::v1::via::input")]
        input: Input,
    },
    /// Feature `step`: the requests in `steps`, in order, answered once (outputs discarded).
    Replay {
        /// What to do.
        steps: Vec<ReplayStep>,
    },
    /// Feature `node_step`: drive one input addressed to a node, then that node's view and
    /// fingerprint, in one answer.
    NodeStep {
        /// The input.
        #[serde(with = "raftcheck_format::v1::via::input")]
        input: Input,
    },
    /// Feature `node_step`: every node's own fingerprint.
    NodeFingerprints,
}

/// One request of a `replay` batch: an `apply` or a `reset_node` without an id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ReplayStep {
    /// Drive one input; its outputs are not returned.
    Apply {
        /// The input.
        #[serde(with = "raftcheck_format::v1::via::input")]
        input: Input,
    },
    /// Replace one node by a fresh one.
    ResetNode {
        /// The node.
        node: u64,
    },
}

impl Op {
    /// The operation's name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Hello { .. } => "hello",
            Op::Reset { .. } => "reset",
            Op::Apply { .. } => "apply",
            Op::Observe => "observe",
            Op::Fingerprint => "fingerprint",
            Op::ResetNode { .. } => "reset_node",
            Op::Step { .. } => "step",
            Op::Replay { .. } => "replay",
            Op::NodeStep { .. } => "node_step",
            Op::NodeFingerprints => "node_fingerprints",
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A response line: `ok` or `error`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// The id of the request answered.
    pub id: u64,
    /// The results, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<serde_json::Value>,
    /// The error, on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<WireError>,
}

/// An error response's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    /// `refused`, `unmodelled` or `fault`.
    pub kind: ErrorKind,
    /// What happened.
    pub message: String,
    /// In the answer to a `replay`: the index in `steps` of the step that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
}

/// The error kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The implementation rejected the input.
    Refused,
    /// The implementation did something the spec cannot express.
    Unmodelled,
    /// The adapter failed.
    Fault,
}

/// A flavour given by name or in full.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FlavourSpec {
    /// One of the named flavours.
    Named(String),
    /// A full flavour object.
    Full(Flavour),
}

/// `hello` results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// The version the child speaks.
    pub protocol: u64,
    /// Free text naming the implementation.
    #[serde(default)]
    pub implementation: String,
    /// The flavour it conforms to.
    pub flavour: FlavourSpec,
    /// The injectable bugs it supports.
    #[serde(default)]
    pub bugs: Vec<String>,
    /// The optional requests it answers.
    #[serde(default)]
    pub features: Vec<String>,
}

/// `apply` results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Applied {
    /// Everything the step emitted, in order.
    #[serde(with = "raftcheck_format::v1::via::outputs")]
    pub outputs: Vec<Output>,
}

/// `observe` results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    /// One view per node, in id order.
    #[serde(with = "raftcheck_format::v1::via::node_views")]
    pub nodes: Vec<NodeView>,
}

/// `step` results: those of `apply`, `observe` and `fingerprint` together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stepped {
    /// Everything the step emitted, in order.
    #[serde(with = "raftcheck_format::v1::via::outputs")]
    pub outputs: Vec<Output>,
    /// One view per node after the step, in id order.
    #[serde(with = "raftcheck_format::v1::via::node_views")]
    pub nodes: Vec<NodeView>,
    /// The fingerprint after the step (from a child with the `fingerprint` feature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// `node_step` results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeStepped {
    /// Everything the step emitted, in order.
    #[serde(with = "raftcheck_format::v1::via::outputs")]
    pub outputs: Vec<Output>,
    /// The view of the node the input was addressed to, after the step.
    #[serde(with = "raftcheck_format::v1::via::node_view")]
    pub node: NodeView,
    /// That node's fingerprint after the step.
    pub fingerprint: String,
}

/// `node_fingerprints` results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeFingerprints {
    /// One fingerprint per node, in id order.
    pub fingerprints: Vec<String>,
}

/// `fingerprint` results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fingerprinted {
    /// Any string summarising hidden state.
    pub fingerprint: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_look_like_the_protocol_document() {
        let r = Request {
            id: 3,
            op: Op::Apply {
                input: Input::Timeout { node: 1 },
            },
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"id":3,"op":"apply","input":{"input":"timeout","node":1}}"#
        );
        // Pre-vote off and no spares is the protocol as before: no fields for them.
        for (spares, pre_vote, text) in [
            (0, false, r#"{"id":1,"op":"reset","nodes":3,"inject":null}"#),
            (
                0,
                true,
                r#"{"id":1,"op":"reset","nodes":3,"inject":null,"pre_vote":true}"#,
            ),
            (
                1,
                false,
                r#"{"id":1,"op":"reset","nodes":3,"spares":1,"inject":null}"#,
            ),
        ] {
            let r = Request {
                id: 1,
                op: Op::Reset {
                    nodes: 3,
                    spares,
                    inject: None,
                    pre_vote,
                },
            };
            assert_eq!(serde_json::to_string(&r).unwrap(), text);
            assert_eq!(serde_json::from_str::<Request>(text).unwrap(), r);
        }
        let r = Request {
            id: 4,
            op: Op::Observe,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"id":4,"op":"observe"}"#
        );
    }

    #[test]
    fn pre_votes_keep_their_v1_types_on_the_wire() {
        use raftcheck_spec::{Message, Payload, Role};
        let pre_vote = Message {
            from: 1,
            to: 2,
            term: 1,
            payload: Payload::vote_request(true, 0, 0),
        };
        let r = Request {
            id: 2,
            op: Op::Apply {
                input: Input::Receive {
                    message: pre_vote.clone(),
                },
            },
        };
        let text = r#"{"id":2,"op":"apply","input":{"input":"receive","message":{"from":1,"to":2,"term":1,"type":"RequestPreVote","last_log_index":0,"last_log_term":0,"commit":0,"commit_term":0}}}"#;
        assert_eq!(serde_json::to_string(&r).unwrap(), text);
        assert_eq!(serde_json::from_str::<Request>(text).unwrap(), r);

        let applied = Applied {
            outputs: vec![Output::Send { message: pre_vote }],
        };
        let text = r#"{"outputs":[{"output":"send","message":{"from":1,"to":2,"term":1,"type":"RequestPreVote","last_log_index":0,"last_log_term":0,"commit":0,"commit_term":0}}]}"#;
        assert_eq!(serde_json::to_string(&applied).unwrap(), text);
        assert_eq!(serde_json::from_str::<Applied>(text).unwrap(), applied);

        let text = r#"{"nodes":[{"term":0,"role":"PreCandidate","vote":null,"leader":null,"log":[],"commit":0,"config":{"voters":[1]},"applied":0,"state_machine":[]}]}"#;
        let observed: Observed = serde_json::from_str(text).unwrap();
        assert_eq!(observed.nodes[0].role, Role::PreCandidate);
        assert_eq!(serde_json::to_string(&observed).unwrap(), text);
    }

    #[test]
    fn step_and_replay_look_like_the_protocol_document() {
        let step = Request {
            id: 5,
            op: Op::Step {
                input: Input::Timeout { node: 1 },
            },
        };
        let text = r#"{"id":5,"op":"step","input":{"input":"timeout","node":1}}"#;
        assert_eq!(serde_json::to_string(&step).unwrap(), text);
        assert_eq!(serde_json::from_str::<Request>(text).unwrap(), step);
        let replay = Request {
            id: 6,
            op: Op::Replay {
                steps: vec![
                    ReplayStep::ResetNode { node: 2 },
                    ReplayStep::Apply {
                        input: Input::Restart { node: 2 },
                    },
                ],
            },
        };
        let text = r#"{"id":6,"op":"replay","steps":[{"op":"reset_node","node":2},{"op":"apply","input":{"input":"restart","node":2}}]}"#;
        assert_eq!(serde_json::to_string(&replay).unwrap(), text);
        assert_eq!(serde_json::from_str::<Request>(text).unwrap(), replay);
        let answer = r#"{"outputs":[],"nodes":[{"term":0,"role":"Follower","vote":null,"leader":null,"log":[],"commit":0}],"fingerprint":"ab"}"#;
        let stepped: Stepped = serde_json::from_str(answer).unwrap();
        assert_eq!(stepped.fingerprint.as_deref(), Some("ab"));
        assert_eq!(stepped.nodes.len(), 1);
        let failed: WireError =
            serde_json::from_str(r#"{"kind":"refused","message":"step 1: no","step":1}"#).unwrap();
        assert_eq!(failed.step, Some(1));
    }

    #[test]
    fn flavours_by_name_or_in_full() {
        let h: Hello = serde_json::from_str(r#"{"protocol":1,"flavour":"etcd"}"#).unwrap();
        assert_eq!(h.flavour, FlavourSpec::Named("etcd".into()));
        let full = serde_json::to_value(Flavour::textbook()).unwrap();
        let h: Hello =
            serde_json::from_value(serde_json::json!({"protocol": 1, "flavour": full})).unwrap();
        assert_eq!(h.flavour, FlavourSpec::Full(Flavour::textbook()));
    }
}
