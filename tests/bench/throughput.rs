//! Throughput of the lockstep engine per implementation, on the same bounds, in one run:
//! raft-rs in-process, raft-rs behind the adapter protocol (`raftcheck serve`, so the only
//! difference is the protocol), and etcd raft 3.4 and v3.6 through the Go adapter built against
//! each (when Go, the sources and the module are there). Ratios are what to compare: the machine is shared and noisy.
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
        ("raft-rs in-process", "raft-rs".to_string()),
        ("raft-rs over the protocol", served),
        ("etcd over the protocol", "etcd".to_string()),
        ("etcd v3.6 over the protocol", "etcd-3.6".to_string()),
    ];
    let out = std::env::temp_dir().join(format!("raftcheck-bench-{}", std::process::id()));
    println!("lockstep throughput, default bounds at depth {depth}, {threads} threads");
    println!(
        "{:<28} {:>10} {:>12} {:>9} {:>12} {:>8}",
        "implementation", "states", "events", "seconds", "events/s", "ratio"
    );
    let mut baseline = None;
    for (label, name) in subjects {
        let line = [
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
        .map(str::to_string);
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
        let rate = stats.events_per_second;
        let base = *baseline.get_or_insert(rate);
        println!(
            "{label:<28} {:>10} {:>12} {:>9.1} {:>12.0} {:>7.1}x",
            stats.states,
            stats.events,
            stats.seconds,
            rate,
            base / rate
        );
    }
}
