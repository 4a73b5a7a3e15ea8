//! The lockstep engine: enumerate input traces from the spec, drive spec and implementation side
//! by side, judge every step, and find the shortest divergence.

pub mod coverage;
pub mod judge;
pub mod lockstep;
pub mod pool;
pub mod random;
pub mod search;
pub mod shrink;

pub use coverage::Coverage;
pub use judge::{DivergenceKind, Findings};
pub use lockstep::{step, StepOutcome};
pub use random::{random_walks, WalkOptions, WalkOutcome};
pub use search::{search, Outcome, Problem, ProblemKind, SearchOptions, SearchStats};
pub use shrink::shrink;
