//! Throughput of the lockstep engine per implementation, on the same bounds, in one run:
//! raft-rs in-process, raft-rs behind the adapter protocol (`raftcheck serve`, so the only
//! difference is the protocol), and etcd raft through its Go adapter (when Go and the sources
//! are there). Ratios are what to compare: the machine is shared and noisy.
//!
//! ```sh
//! cargo bench --bench throughput                 # depth 10 by default
//! RAFTCHECK_BENCH_DEPTH=12 cargo bench --bench throughput
//! ```

use std::time::Duration;

use raftcheck::adapters::ImplChoice;
use raftcheck::commands::check::prepare;
use raftcheck::engine::{search, SearchOptions};
use raftcheck_spec::Bounds;

fn main() {
    let depth: usize = std::env::var("RAFTCHECK_BENCH_DEPTH")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(10);
    let threads = raftcheck::commands::check::default_threads();
    let served = format!("cmd:{} serve", env!("CARGO_BIN_EXE_raftcheck"));
    let subjects = [
        ("raft-rs in-process", "raft-rs".to_string()),
        ("raft-rs over the protocol", served),
        ("etcd over the protocol", "etcd".to_string()),
    ];
    println!("lockstep throughput, default bounds at depth {depth}, {threads} threads");
    println!(
        "{:<28} {:>10} {:>12} {:>9} {:>12} {:>8}",
        "implementation", "states", "events", "seconds", "events/s", "ratio"
    );
    let mut baseline = None;
    for (label, name) in subjects {
        let choice = ImplChoice::new(&name, None)
            .expect("a known implementation")
            .with_timeout(Duration::from_secs(30));
        let bounds = Bounds {
            depth,
            ..Bounds::default()
        };
        let model = match prepare(&choice, bounds) {
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
        let factory = || choice.build();
        let options = SearchOptions {
            threads,
            ..SearchOptions::default()
        };
        let outcome = search(&model, &factory, &options).expect("the search runs");
        assert!(outcome.problems.is_empty(), "{label} diverged");
        let rate = outcome.stats.events_per_second();
        let base = *baseline.get_or_insert(rate);
        println!(
            "{label:<28} {:>10} {:>12} {:>9.1} {:>12.0} {:>7.1}x",
            outcome.stats.states,
            outcome.stats.events,
            outcome.stats.seconds,
            rate,
            base / rate
        );
    }
}
