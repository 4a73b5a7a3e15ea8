//! The bounds that make the state space finite.
//!
//! Bounds act in two places: [`crate::RaftModel::inputs`] offers an input only while the budget it
//! spends (terms, values, restarts, heartbeats, drops, duplicates) lasts, and
//! [`crate::RaftModel::within_bounds`] stops exploring past a state whose network holds more than
//! `max_in_flight` messages. Depth is counted by whoever explores (the engine or Stateright).

use serde::{Deserialize, Serialize};

use crate::types::Term;

/// The exploration bounds. [`Bounds::default`] is what `raftcheck check` uses without flags.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bounds {
    /// Number of nodes in the cluster: nodes `1..=nodes`, all voters of the initial
    /// configuration.
    pub nodes: u64,
    /// No node starts an election that would take it past this term.
    pub max_term: Term,
    /// Number of client values that may be proposed (values `1..=values`).
    pub values: u64,
    /// Number of `Restart` inputs on one path.
    pub restarts: u32,
    /// Number of `Heartbeat` inputs on one path.
    pub heartbeats: u32,
    /// Number of `Drop` inputs on one path (0 = the network never loses a message).
    pub drops: u32,
    /// Number of `Duplicate` inputs on one path (0 = the network never duplicates).
    pub duplicates: u32,
    /// States whose network holds more messages than this are checked but not explored further.
    pub max_in_flight: usize,
    /// Maximum number of inputs on one path.
    pub depth: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            nodes: 3,
            max_term: 3,
            values: 1,
            restarts: 1,
            heartbeats: 1,
            drops: 0,
            duplicates: 0,
            max_in_flight: 4,
            depth: 12,
        }
    }
}

/// A bound that cannot be explored, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundsError(pub String);

impl std::fmt::Display for BoundsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BoundsError {}

impl Bounds {
    /// Largest cluster the spec accepts; beyond it no exhaustive run finishes anyway.
    pub const MAX_NODES: u64 = 9;

    /// Checks that the bounds describe a cluster that can be explored.
    pub fn validate(&self) -> Result<(), BoundsError> {
        if self.nodes == 0 || self.nodes > Self::MAX_NODES {
            return Err(BoundsError(format!(
                "--nodes must be between 1 and {}, got {}",
                Self::MAX_NODES,
                self.nodes
            )));
        }
        if self.max_term == 0 {
            return Err(BoundsError(
                "--max-term must be at least 1, or no election can happen".into(),
            ));
        }
        if self.max_in_flight == 0 {
            return Err(BoundsError(
                "--max-in-flight must be at least 1, or no message can be sent".into(),
            ));
        }
        if self.depth == 0 {
            return Err(BoundsError("--depth must be at least 1".into()));
        }
        Ok(())
    }
}
