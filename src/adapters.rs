//! Choosing an implementation by name: `--impl raft-rs` (the default), with an optional
//! injected bug.

use impl_adapter::inject::Bug;
use impl_adapter::raft_rs::RaftRsAdapter;
use impl_adapter::{Adapter, AdapterError};

/// The implementations `--impl` accepts.
pub const NAMES: [&str; 1] = ["raft-rs"];

/// Which implementation to drive, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImplChoice {
    /// The adapter's name.
    pub name: String,
    /// The bug injected into its integration code, if any.
    pub bug: Option<Bug>,
}

impl ImplChoice {
    /// Validates a name and an optional bug name.
    pub fn new(name: &str, bug: Option<&str>) -> Result<Self, String> {
        if !NAMES.contains(&name) {
            return Err(format!(
                "unknown implementation '{name}'; known: {}",
                NAMES.join(", ")
            ));
        }
        let bug = bug.map(str::parse::<Bug>).transpose()?;
        Ok(ImplChoice {
            name: name.to_string(),
            bug,
        })
    }

    /// Builds a fresh adapter for this choice.
    pub fn build(&self) -> Result<Box<dyn Adapter>, AdapterError> {
        match self.name.as_str() {
            "raft-rs" => Ok(Box::new(RaftRsAdapter::with_bug(self.bug))),
            other => Err(AdapterError::Fault(format!("no adapter named {other}"))),
        }
    }

    /// A short label for file names and reports: `raft-rs` or `raft-rs-vote-not-persisted`.
    pub fn label(&self) -> String {
        match self.bug {
            Some(bug) => format!("{}-{}", self.name, bug.name()),
            None => self.name.clone(),
        }
    }
}
