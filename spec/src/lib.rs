//! A Stateright model of Raft, written in the terms of real implementation families.
//!
//! The model's actions are **inputs** chosen by the environment — [`Input::Timeout`],
//! [`Input::Receive`], [`Input::Restart`], [`Input::ClientRequest`], a leader's
//! [`Input::Heartbeat`], and network faults [`Input::Drop`] and [`Input::Duplicate`] — and
//! applying one yields the next state and the **outputs** that must come out
//! ([`Output::Send`] of a reply, [`Output::BecomeLeader`], [`Output::ProposalDropped`]).
//! What a leader sends of its own accord (appends, probes) is not dictated: in lockstep the
//! implementation chooses and [`RaftModel::may_send`] judges; in spec-only mode the same rule's
//! bounded menu ([`RaftModel::send_menu`]) becomes spec actions.
//!
//! A [`Flavour`] makes the spec say what an implementation family does where the paper leaves
//! room (the empty entry of a new leader, commit indexes carried by votes, rejection hints).
//!
//! Each node works with its own [`Configuration`] (voters, incoming and outgoing while joint,
//! and learners), which alone decides elections and commit indexes through the quorum rules of
//! [`quorum`], and keeps a [`Log`] whose indexes run over a compacted prefix.
//!
//! The crate is pure: no I/O, no knowledge of adapters, deterministic ordering everywhere.
//!
//! ```
//! use raftcheck_spec::{Bounds, Flavour, Input, Mode, RaftModel, Role};
//!
//! let model = RaftModel::new(Bounds::default(), Flavour::raft_rs(), Mode::Lockstep);
//! let s0 = model.initial_state();
//! let step = model.apply(&s0, &Input::Timeout { node: 1 });
//! assert_eq!(step.state.node(1).role, Role::Candidate);
//! assert_eq!(step.outputs.len(), 2); // a vote request to each peer
//! ```

#![warn(missing_docs)]

pub mod bounds;
pub mod cluster;
pub mod configuration;
pub mod flavour;
pub mod flow;
pub mod idmap;
pub mod log;
pub mod model;
pub mod node;
pub mod obligation;
pub mod properties;
pub mod quorum;
pub mod symmetry;
pub mod types;
pub mod view;

pub use bounds::{Bounds, BoundsError};
pub use cluster::{ClusterState, History, Spent};
pub use configuration::Configuration;
pub use flavour::{Flavour, RejectHint};
pub use idmap::IdMap;
pub use log::{Log, LogError};
pub use model::{Action, Mode, RaftModel, Transition};
pub use node::{conf_change_menu, Mutation, NodeState};
pub use obligation::{Obligation, Rule};
pub use quorum::{JointConfig, MajorityConfig, VoteResult};
pub use symmetry::{Renaming, Symmetry};
pub use types::{
    AppendAnswer, Change, ChangeOp, ConfChange, Entry, Input, LogIndex, Message, NodeId, Output,
    Payload, Role, Snapshot, Term, Value,
};
pub use view::{ClusterView, FieldDiff, NodeView};
