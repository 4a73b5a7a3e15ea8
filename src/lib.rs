//! raftcheck: the lockstep engine.
pub mod engine;
