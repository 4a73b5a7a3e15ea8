//! `raft-rs-cluster run`: a real raft-rs cluster with faults, writing raftcheck event logs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use raftcheck_cluster_raft_rs::{run, Bug, ClusterConfig, Fault};

#[derive(Parser)]
#[command(
    name = "raft-rs-cluster",
    about = "A real raft-rs cluster that writes raftcheck event logs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the cluster and writes `DIR/n<id>.ndjson`, one event log per node.
    Run {
        /// Number of nodes, all voters.
        #[arg(long, default_value_t = 3)]
        nodes: u64,
        /// How long the run lasts.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Seeds the fault schedule and the clients.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where the event logs go.
        #[arg(long)]
        out: PathBuf,
        /// all, none, or a comma-separated list of crash, partition, loss, delay, slow-disk.
        #[arg(long, default_value = "all")]
        faults: String,
        /// A bug in the integration code: vote-not-persisted, unsynced-tail-lost or
        /// restart-trusts-log.
        #[arg(long)]
        inject: Option<Bug>,
        /// Mean milliseconds between faults.
        #[arg(long, default_value_t = 400)]
        fault_every_ms: u64,
        /// Mean milliseconds between client proposals.
        #[arg(long, default_value_t = 40)]
        propose_every_ms: u64,
        /// Run raft-rs with pre-vote (`Config::pre_vote`); the logs say so.
        #[arg(long)]
        pre_vote: bool,
        /// How long a crashed node stays down, in milliseconds: LO-HI.
        #[arg(long, default_value = "100-800")]
        down_ms: String,
    },
}

fn main() -> ExitCode {
    // A raft-rs panic in a node thread is caught, logged (`crash`, `impl.panic`) and reported in
    // the summary; one line on stderr is enough.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let node_thread = std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("raft-n"));
        if node_thread {
            eprintln!("{}: {info}", std::thread::current().name().unwrap_or("?"));
        } else {
            default_hook(info);
        }
    }));
    let Command::Run {
        nodes,
        seconds,
        seed,
        out,
        faults,
        inject,
        fault_every_ms,
        propose_every_ms,
        pre_vote,
        down_ms,
    } = Cli::parse().command;
    let down = match down_ms.split_once('-').and_then(|(lo, hi)| {
        Some((
            lo.trim().parse::<u64>().ok()?,
            hi.trim().parse::<u64>().ok()?,
        ))
    }) {
        Some((lo, hi)) if lo <= hi => (Duration::from_millis(lo), Duration::from_millis(hi)),
        _ => {
            eprintln!("error: --down-ms takes LO-HI in milliseconds, LO <= HI, not {down_ms:?}");
            return ExitCode::from(2);
        }
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        eprintln!("error: --seconds must be a positive number");
        return ExitCode::from(2);
    }
    let faults = match Fault::parse_list(&faults) {
        Ok(faults) => faults,
        Err(e) => {
            eprintln!("error: --faults: {e}");
            return ExitCode::from(2);
        }
    };
    let mut cfg = ClusterConfig::new(seconds, seed, out);
    cfg.nodes = nodes;
    cfg.faults = faults;
    cfg.bug = inject;
    cfg.fault_every = Duration::from_millis(fault_every_ms.max(1));
    cfg.propose_every = Duration::from_millis(propose_every_ms.max(1));
    cfg.down = down;
    cfg.pre_vote = pre_vote;
    match run(&cfg) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
