//! The lockstep engine: enumerate input traces from the spec, drive spec and implementation side
//! by side, judge every step, and find the shortest divergence.
//!
//! Every run takes its steps through [`executor`]; every run ends in an [`Outcome`].

pub mod coverage;
pub mod diff;
pub mod executor;
pub mod fingerprint;
pub mod guided;
pub mod judge;
pub mod memory;
pub mod outcome;
pub mod packed;
pub mod pool;
pub mod random;
mod reply;
pub mod search;
pub mod shorten;
pub mod shrink;
pub mod spec_only;

pub use coverage::Coverage;
pub use executor::{execute, execute_inputs, Execution, Step};
pub use guided::{guided_walks, GuidedOptions, GuidedOutcome};
pub use judge::Findings;
pub use outcome::{DivergenceKind, NotApplicable, Outcome, Problem};
pub use random::{random_walks, WalkOptions, WalkOutcome};
pub use search::{search, SearchOptions, SearchResult, SearchStats};
pub use shrink::shrink;
