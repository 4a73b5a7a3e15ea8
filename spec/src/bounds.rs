//! The bounds that make the state space finite.
//!
//! Bounds act in two places: [`crate::RaftModel::inputs`] offers an input only while the budget it
//! spends (terms, values, restarts, heartbeats, drops, duplicates) lasts, and
//! [`crate::RaftModel::within_bounds`] stops exploring past a state whose network holds more than
//! `max_in_flight` messages. Depth is counted by whoever explores (the engine or Stateright).

use serde::{Deserialize, Serialize};

/// The table of bounds, declared once: `bounds_table!(callback)` calls `callback!` with one
/// `name: type = default, "help";` row per bound. The spec builds [`Bounds`] from it, and the
/// command line and `raftcheck.toml` build their flags and keys from the same table, so adding a
/// bound is one edit here. The order is the order of the fields in trace files. A row may end in
/// `[...]`: extra `clap` argument settings for its flag (a boolean bound is a flag that may go
/// without a value).
#[macro_export]
macro_rules! bounds_table {
    ($callback:ident) => {
        $callback! {
            nodes: u64 = 3, "Number of nodes in the cluster";
            max_term: u64 = 3, "No node starts an election that would take it past this term";
            values: u64 = 1, "Number of client values that may be proposed (values 1..=values)";
            restarts: u32 = 1, "Number of Restart inputs on one path";
            heartbeats: u32 = 1, "Number of leader Heartbeat inputs on one path";
            drops: u32 = 0, "Number of messages the network may drop on one path";
            duplicates: u32 = 0, "Number of messages the network may duplicate on one path";
            max_in_flight: usize = 4,
                "States with more messages in flight than this are checked but not explored further";
            depth: usize = 12, "Maximum number of inputs on one path";
            conf_changes: u32 = 0,
                "Number of configuration changes a client may propose on one path (ProposeConfChange)";
            spares: u64 = 0,
                "Nodes outside the initial configuration, there to be added (ids after the voters; 1 when conf changes are on and this is not given)";
            snapshots: u32 = 0,
                "Number of log compactions on one path (Compact); a follower behind a compacted leader is caught up by snapshot";
            joint: bool = false,
                "Offer joint configuration changes (enter, leave, replace a voter) besides single ones"
                [num_args = 0..=1, default_missing_value = "true"];
        }
    };
}

macro_rules! define_bounds {
    ($($name:ident : $ty:ty = $default:expr, $help:literal $([$($flag:tt)*])?;)*) => {
        /// The exploration bounds. [`Bounds::default`] is what `raftcheck check` uses without
        /// flags. Declared by [`bounds_table!`].
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Bounds {
            $(
                #[doc = concat!($help, ".")]
                pub $name: $ty,
            )*
        }

        impl Default for Bounds {
            fn default() -> Self {
                Bounds { $($name: $default,)* }
            }
        }

        impl Bounds {
            /// Every bound as (name, value), in table order.
            pub fn entries(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($name), self.$name as u64),)*]
            }
        }
    };
}

bounds_table!(define_bounds);

/// A bound that cannot be explored: which one, and why. It names the bound as the spec does
/// (`max_term`); whoever read the bounds says where they came from (a flag, a key of
/// `raftcheck.toml`, a trace file's field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundsError {
    /// The bound's name, as in [`Bounds`].
    pub bound: &'static str,
    /// What is wrong with its value.
    pub problem: String,
}

impl std::fmt::Display for BoundsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.bound, self.problem)
    }
}

impl std::error::Error for BoundsError {}

impl Bounds {
    /// Largest cluster the spec accepts; beyond it no exhaustive run finishes anyway.
    pub const MAX_NODES: u64 = 9;

    /// Checks that the bounds describe a cluster that can be explored.
    pub fn validate(&self) -> Result<(), BoundsError> {
        let bad = |bound, problem: String| Err(BoundsError { bound, problem });
        if self.nodes == 0 || self.nodes > Self::MAX_NODES {
            return bad(
                "nodes",
                format!(
                    "must be between 1 and {}, got {}",
                    Self::MAX_NODES,
                    self.nodes
                ),
            );
        }
        if self.max_term == 0 {
            return bad(
                "max_term",
                "must be at least 1, or no election can happen".into(),
            );
        }
        if self.max_in_flight == 0 {
            return bad(
                "max_in_flight",
                "must be at least 1, or no message can be sent".into(),
            );
        }
        if self.depth == 0 {
            return bad("depth", "must be at least 1".into());
        }
        if self.nodes + self.spares > Self::MAX_NODES {
            return bad(
                "spares",
                format!(
                    "makes {} nodes with the {} voters; at most {} are explored",
                    self.nodes + self.spares,
                    self.nodes,
                    Self::MAX_NODES
                ),
            );
        }
        if self.joint && self.conf_changes == 0 {
            return bad(
                "joint",
                "needs conf_changes of at least 1, or no change is ever proposed".into(),
            );
        }
        Ok(())
    }

    /// The number of votes (or matching logs) that make a majority of the initial voters.
    pub fn quorum(&self) -> usize {
        (self.nodes as usize) / 2 + 1
    }

    /// Every node of the cluster, voters and spares: `1..=nodes + spares`.
    pub fn node_ids(&self) -> std::ops::RangeInclusive<u64> {
        1..=self.nodes + self.spares
    }
}
