//! Throughput of the lockstep engine per implementation, on the same bounds, in one run:
//! raft-rs in-process, raft-rs behind the adapter protocol (`raftcheck serve`, so the only
//! difference is the protocol), and etcd raft 3.4 and v3.6 through the Go adapter built against
//! each (when Go, the sources and the module are there), each process adapter with and without
//! raftcheck's node memo (`--no-node-memo`). Ratios are what to compare: the machine is shared
//! and noisy. The ratio is wall time against raft-rs in-process; "driven" is the inputs the
//! implementation itself ran (with the memo, the steps it computed and the replays to catch up).
//!
//! ```sh
//! cargo bench --bench throughput                 # depth 10 by default
//! RAFTCHECK_BENCH_DEPTH=12 cargo bench --bench throughput
//! ```

use clap::Parser;
use raftcheck::cli::{Cli, Command};
use raftcheck::plan::{default_threads, Request};
use raftcheck::run::{model_of, run, Stats};

fn main() {
    let depth: usize = std::env::var("RAFTCHECK_BENCH_DEPTH")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(10);
    let threads = default_threads();
    let served = format!("cmd:{} serve", env!("CARGO_BIN_EXE_raftcheck"));
    let subjects = [
        ("raft-rs in-process", "raft-rs".to_string(), true),
        ("raft-rs over the protocol", served.clone(), false),
        ("  with the node memo", served, true),
        ("etcd over the protocol", "etcd".to_string(), false),
        ("  with the node memo", "etcd".to_string(), true),
        ("etcd v3.6 over the protocol", "etcd-3.6".to_string(), false),
        ("  with the node memo", "etcd-3.6".to_string(), true),
    ];
    let out = std::env::temp_dir().join(format!("raftcheck-bench-{}", std::process::id()));
    println!("lockstep throughput, default bounds at depth {depth}, {threads} threads");
    println!(
        "{:<28} {:>10} {:>12} {:>12} {:>9} {:>12} {:>8}",
        "implementation", "states", "events", "driven", "seconds", "events/s", "ratio"
    );
    let mut baseline = None;
    for (label, name, memo) in subjects {
        let mut line = [
            "raftcheck",
            "check",
            "--quiet",
            "--impl",
            &name,
            "--depth",
            &depth.to_string(),
            "--timeout",
            "30",
            "--out",
            &out.display().to_string(),
        ]
        .map(str::to_string)
        .to_vec();
        if !memo {
            line.push("--no-node-memo".to_string());
        }
        let Command::Check(args) = Cli::parse_from(line).command else {
            unreachable!("a check command line")
        };
        let plan = Request::from_args(&args).plan().expect("a valid plan");
        let model = match model_of(&plan) {
            Ok((model, None)) => model,
            Ok((_, Some(e))) => {
                println!("{label:<28} skipped: {e}");
                continue;
            }
            Err(e) => {
                println!("{label:<28} skipped: {e}");
                continue;
            }
        };
        let report = run(&plan, &model, None).expect("the check runs");
        assert!(report.problems.is_empty(), "{label} diverged");
        let Stats::Exhaustive(stats) = &report.stats else {
            unreachable!("an exhaustive check")
        };
        let base = *baseline.get_or_insert(stats.seconds);
        let driven = stats.memo.map_or(stats.events, |m| m.driven());
        println!(
            "{label:<28} {:>10} {:>12} {:>12} {:>9.1} {:>12.0} {:>7.1}x",
            stats.states,
            stats.events,
            driven,
            stats.seconds,
            stats.events_per_second,
            stats.seconds / base
        );
    }
}
