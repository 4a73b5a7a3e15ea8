//! `raftcheck validate`: checking event logs of real runs (this branch holds only the run summary).

pub mod summary;
