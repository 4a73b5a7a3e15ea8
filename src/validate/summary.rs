//! The run summary of a validated log, from its events alone.

use raftcheck_format::eventlog::Event;

/// What a validated run looked like, computed from its events alone.
#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    events: usize,
}

impl RunSummary {
    /// Computes the summary of `events` (merged order).
    pub fn from_events(events: &[Event], _election_timeout_us: Option<u64>) -> RunSummary {
        RunSummary {
            events: events.len(),
        }
    }

    /// Human lines for the report.
    pub fn lines(&self) -> Vec<String> {
        vec![format!("{} events", self.events)]
    }

    /// The same for `--format json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "events": self.events })
    }
}
