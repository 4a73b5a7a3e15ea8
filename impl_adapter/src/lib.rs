//! Adapters drive a real Raft implementation through the spec's events and map its state back to
//! spec terms.
//!
//! An [`Adapter`] owns one cluster of a real implementation. The engine resets it, applies inputs
//! one at a time ([`Adapter::apply`] runs the implementation to quiescence and returns what it
//! emitted), and observes the abstract state after every step ([`Adapter::observe`]). Each
//! adapter documents its abstraction function field by field, and declares the spec
//! [`raftcheck_spec::Flavour`] it conforms to.
//!
//! Adapters know nothing of the engine; the engine knows adapters only through this trait.
//!
//! - [`raft_rs`]: the `raft` crate (raft-rs 0.7), in-process, the default.
//! - [`process`]: any implementation in a child process speaking the JSON-lines protocol of
//!   `impl_adapter/PROTOCOL.md`; [`process::server`] serves that protocol for an in-process
//!   adapter.

#![warn(missing_docs)]

pub mod etcd;
pub mod fixture;
pub mod guard;
pub mod history;
pub mod inject;
pub mod process;
pub mod pysyncobj;
pub mod raft_rs;

pub use process::memo::MemoStats;

use raftcheck_spec::{ClusterView, Flavour, Input, Output, Renaming};

/// How an implementation failed to take a step in the spec's terms.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    /// The implementation rejected an input the spec allows, or returned an error for it.
    #[error("the implementation refused {input}: {reason}")]
    Refused {
        /// The input, rendered.
        input: String,
        /// What the implementation said.
        reason: String,
    },
    /// The implementation emitted something the spec has no words for (a message type or field
    /// it does not model). The engine reports it as an unexpected output.
    #[error("the implementation emitted something the spec does not model: {0}")]
    Unmodelled(String),
    /// The implementation crashed (exited, or panicked without saying where and why), hung past
    /// its timeout, or broke the adapter protocol.
    #[error("adapter fault: {0}")]
    Fault(String),
    /// The implementation panicked: a raft-rs panic caught in-process, or a child process that
    /// died with a Go or Rust panic on its stderr. Still an adapter fault (exit 3), but told
    /// apart from an adapter that broke the protocol.
    #[error(
        "implementation panicked{}: {message}",
        .location.as_ref().map(|at| format!(" at {at}")).unwrap_or_default()
    )]
    Panicked {
        /// Where it panicked, `FILE:LINE`, when known.
        location: Option<String>,
        /// The panic's message.
        message: String,
    },
    /// The adapter cannot be set up as asked: a tool or source is missing, or it does not
    /// support the requested bug. A configuration error, not a fault of the implementation.
    #[error("{0}")]
    Setup(String),
}

impl AdapterError {
    /// The message without the kind's prefix (a panic has none: its text is its kind).
    pub fn detail(&self) -> String {
        match self {
            AdapterError::Refused { input, reason } => format!("{input}: {reason}"),
            AdapterError::Panicked { .. } => self.to_string(),
            AdapterError::Unmodelled(m) | AdapterError::Fault(m) | AdapterError::Setup(m) => {
                m.clone()
            }
        }
    }

    /// True when the implementation itself failed (a fault or a panic): it is in an unknown
    /// state and cannot be driven further.
    pub fn is_fault(&self) -> bool {
        matches!(self, AdapterError::Fault(_) | AdapterError::Panicked { .. })
    }
}

/// The cluster an adapter builds on [`Adapter::reset`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterSetup {
    /// Number of voters of the initial configuration, with ids `1..=nodes`.
    pub nodes: u64,
    /// Nodes outside the initial configuration, ids `nodes + 1..=nodes + spares`. They start
    /// knowing the initial configuration, in which they are not members, so they take part in
    /// nothing until a configuration change adds them.
    pub spares: u64,
}

impl ClusterSetup {
    /// `nodes` voters and no spares.
    pub const fn new(nodes: u64) -> Self {
        ClusterSetup { nodes, spares: 0 }
    }

    /// Every node id, voters then spares.
    pub fn ids(&self) -> std::ops::RangeInclusive<u64> {
        1..=self.nodes + self.spares
    }

    /// Total number of nodes.
    pub fn total(&self) -> u64 {
        self.nodes + self.spares
    }
}

/// A real Raft implementation driven in the spec's terms.
pub trait Adapter: Send {
    /// The adapter's name as used on the command line and in traces (`raft-rs`, `etcd`, ...).
    fn name(&self) -> String;

    /// The spec flavour this implementation conforms to.
    fn flavour(&self) -> Flavour;

    /// Discards the current cluster and builds a brand-new one: nothing survives from earlier runs.
    fn reset(&mut self, setup: &ClusterSetup) -> Result<(), AdapterError>;

    /// Drives one input and runs the implementation to quiescence; returns everything it emitted
    /// during the step, in emission order.
    fn apply(&mut self, input: &Input) -> Result<Vec<Output>, AdapterError>;

    /// The implementation's state mapped to spec terms.
    fn observe(&mut self) -> Result<ClusterView, AdapterError>;

    /// A fingerprint of the implementation's hidden state (everything beyond [`Adapter::observe`]
    /// that can change its future behaviour), or `None` if the adapter cannot provide one. Two
    /// clusters with equal observations and equal fingerprints must behave identically from
    /// then on; the engine merges such states.
    fn fingerprint(&mut self) -> Result<Option<u64>, AdapterError> {
        Ok(None)
    }

    /// How often a memo of node transitions answered a step without the implementation, for
    /// adapters that keep one (the process adapter with a `node_step` child); `None` otherwise.
    fn memo_stats(&self) -> Option<MemoStats> {
        None
    }

    /// Each node's own fingerprint, in id order, or `None` if the adapter cannot fingerprint
    /// nodes one by one: [`Adapter::fingerprint`]'s contract for a single node, so that two
    /// nodes with the same id, equal views and equal fingerprints behave identically for every
    /// future input addressed to them. The protocol's `node_step` feature serves these.
    fn node_fingerprints(&mut self) -> Result<Option<Vec<u64>>, AdapterError> {
        Ok(None)
    }

    /// For each renaming, the [`Adapter::fingerprint`] the cluster would have if every node id
    /// in it (the nodes' own, and every id they hold: votes, leaders, peers' progress, messages
    /// waiting to leave) were renamed; `None` if the adapter cannot rename its hidden state.
    ///
    /// Symmetry reduction in lockstep (`check --symmetry`) merges a product state with every
    /// renamed copy of it, and needs this to tell two renamed clusters apart from two
    /// different ones. The identity renaming must give [`Adapter::fingerprint`] itself.
    fn renamed_fingerprints(
        &mut self,
        renamings: &[Renaming],
    ) -> Result<Option<Vec<u64>>, AdapterError> {
        let _ = renamings;
        Ok(None)
    }

    /// Brings the cluster to the state reached by applying `path` to a fresh cluster of `setup`,
    /// discarding the outputs (they were judged when the path was first explored). Returns the
    /// number of inputs the implementation was driven through to get there.
    ///
    /// The default resets and applies the whole path. An adapter whose nodes depend only on the
    /// inputs addressed to them may do better, e.g. rebuild only the nodes whose input history
    /// differs from the path's.
    fn replay_to(&mut self, setup: &ClusterSetup, path: &[Input]) -> Result<u64, AdapterError> {
        self.reset(setup)?;
        for input in path {
            self.apply(input).map_err(|e| {
                AdapterError::Fault(format!("replaying {input} did not repeat: {e}"))
            })?;
        }
        Ok(path.len() as u64)
    }
}
