//! raftcheck: model-based conformance checking for Raft implementations.
//!
//! The engine ([`engine`]) enumerates input traces from the spec (the `spec` crate), drives spec
//! and implementation (an `raftcheck_adapter::Adapter`) side by side, and judges every step; the
//! first divergence becomes a trace file ([`trace`]) that `replay` re-runs step by step.

#![warn(missing_docs)]

pub mod adapters;
pub mod cli;
pub mod commands;
pub mod config;
pub mod engine;
pub mod junit;
pub mod plan;
pub mod record;
pub mod report;
pub mod run;
pub mod trace;
pub mod validate;
pub mod view;

/// The process exit status of a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Agreement: no divergence, every property holds (or a replayed outcome holds).
    Agree = 0,
    /// A divergence or a property violation (or a replayed outcome that no longer holds).
    Problem = 1,
    /// A usage, configuration or input error.
    Usage = 2,
    /// An adapter fault: the implementation crashed, hung or broke the protocol.
    Fault = 3,
}

/// A usage, configuration or input error, with a message for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs a parsed command line.
pub fn run(cli: &cli::Cli) -> ExitStatus {
    let result = match &cli.command {
        cli::Command::Check(args) => commands::check::run(args),
        cli::Command::Replay(args) => commands::replay::run(args),
        cli::Command::Explore(args) => commands::explore::run(args),
        cli::Command::Serve(args) => commands::serve::run(args),
        cli::Command::Validate(args) => commands::validate::run(args),
        cli::Command::Ci(args) => commands::ci::run(args),
        cli::Command::View(args) => commands::view::run(args),
        cli::Command::DiffImpls(args) => commands::diff::run(args),
    };
    match result {
        Ok(status) => status,
        Err(e) => {
            eprintln!("raftcheck: {e}");
            ExitStatus::Usage
        }
    }
}
