//! `raftcheck explore`: Stateright's web explorer on the spec.

use raftcheck_spec::{Bounds, Flavour, Mode, RaftModel};
use stateright::Model;

use crate::cli::{bound_flag, ExploreArgs};
use crate::engine::spec_only::stateright_depth;
use crate::{ExitStatus, UsageError};

/// Serves the explorer until interrupted.
pub fn run(args: &ExploreArgs) -> Result<ExitStatus, UsageError> {
    // The same bounds, with the same meaning, as `check --spec-only`.
    let bounds = args.bounds.over(Bounds {
        depth: 10,
        ..Bounds::default()
    });
    bounds
        .validate()
        .map_err(|e| UsageError(format!("{} {}", bound_flag(e.bound), e.problem)))?;
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
    model
        .checker()
        .target_max_depth(stateright_depth(depth))
        .serve(addr);
    Ok(ExitStatus::Agree)
}
