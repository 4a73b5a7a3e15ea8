//! `raftcheck explore`: Stateright's web explorer on the spec.

use raftcheck_spec::{Flavour, Mode, RaftModel};
use stateright::Model;

use crate::cli::ExploreArgs;
use crate::{ExitStatus, UsageError};

/// Serves the explorer until interrupted.
pub fn run(args: &ExploreArgs) -> Result<ExitStatus, UsageError> {
    let bounds = args.bounds.bounds();
    bounds.validate().map_err(|e| UsageError(e.to_string()))?;
    let flavour = Flavour::by_name(&args.flavour).ok_or_else(|| {
        UsageError(format!(
            "unknown flavour '{}'; known: {}",
            args.flavour,
            Flavour::NAMES.join(", ")
        ))
    })?;
    let addr: std::net::SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(&args.address)
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| UsageError(format!("cannot resolve address '{}'", args.address)))?;
    let depth = bounds.depth;
    let model = RaftModel::new(bounds, flavour, Mode::SpecOnly);
    println!("raftcheck explore: Stateright explorer on http://{addr} (Ctrl-C to stop)");
    model.checker().target_max_depth(depth).serve(addr);
    Ok(ExitStatus::Agree)
}
