//! `raftcheck serve`: an in-process implementation behind the adapter protocol.

use raftcheck_adapter::process::server;
use raftcheck_adapter::raft_rs::RaftRsAdapter;

use crate::cli::ServeArgs;
use crate::{ExitStatus, UsageError};

/// Serves until stdin closes.
pub fn run(args: &ServeArgs) -> Result<ExitStatus, UsageError> {
    if args.implementation != "raft-rs" {
        return Err(UsageError(format!(
            "serve offers in-process implementations only: raft-rs, not '{}'",
            args.implementation
        )));
    }
    let make = |bug, pre_vote| -> Box<dyn raftcheck_adapter::Adapter> {
        Box::new(RaftRsAdapter::with_bug(bug).with_pre_vote(pre_vote))
    };
    if let Some(unknown) = args
        .without
        .iter()
        .find(|f| !server::FEATURES.contains(&f.as_str()))
    {
        return Err(UsageError(format!(
            "serve has no feature '{unknown}' to leave out; its features: {}",
            server::FEATURES.join(", ")
        )));
    }
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    match server::serve(
        &make,
        "raft-rs 0.7 (in-process, served by raftcheck)",
        &args.without,
        stdin,
        stdout,
    ) {
        Ok(()) => Ok(ExitStatus::Agree),
        Err(e) => {
            eprintln!("raftcheck serve: {e}");
            Ok(ExitStatus::Fault)
        }
    }
}
