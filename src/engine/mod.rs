//! The lockstep engine: enumerate input traces from the spec, drive spec and implementation side
//! by side, judge every step, and find the shortest divergence.

pub mod coverage;
pub mod judge;
pub mod lockstep;
pub mod search;

pub use coverage::Coverage;
pub use judge::{DivergenceKind, Findings};
pub use lockstep::{step, StepOutcome};
pub use search::{search, Outcome, Problem, ProblemKind, SearchOptions, SearchStats};
