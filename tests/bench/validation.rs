//! Throughput of `raftcheck validate`, and what partial logging costs, in one run: one long
//! stock raft-rs lockstep walk (restarts, drops, many terms and values) is written as event
//! logs — whole, and with kinds of event left out as some implementations do — and each
//! variant is validated from its files. Ratios against the whole log are what to compare: the
//! machine is shared and noisy.
//!
//! ```sh
//! cargo bench --bench validation                       # 20,000 inputs by default
//! RAFTCHECK_BENCH_INPUTS=50000 cargo bench --bench validation
//! ```

use raftcheck::adapters::ImplChoice;
use raftcheck::validate::{self, record, Request};
use raftcheck_format::eventlog::{Event, EventKind as K};
use raftcheck_spec::{Bounds, Mode, RaftModel};

fn main() {
    let inputs: usize = std::env::var("RAFTCHECK_BENCH_INPUTS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(20_000);
    let mut adapter = ImplChoice::new("raft-rs", None).unwrap().build().unwrap();
    let bounds = Bounds {
        max_term: 10_000,
        values: 100_000,
        restarts: 1_000,
        heartbeats: 100_000,
        drops: 1_000,
        max_in_flight: 10_000,
        ..Bounds::default()
    };
    let model = RaftModel::new(bounds, adapter.flavour(), Mode::Lockstep);
    let (initial, steps) = record::walk(&model, adapter.as_mut(), 7, inputs, false).unwrap();
    let whole = record::record(&model.flavour.name, false, &initial, &steps);
    let dir = std::env::temp_dir().join(format!("raftcheck-bench-validate-{}", std::process::id()));
    type Variant = (&'static str, fn(&mut Event) -> bool, Option<bool>);
    let variants: [Variant; 5] = [
        ("whole log", |_| true, None),
        ("no state events", |e| e.ev != K::State, None),
        (
            "no log events",
            |e| !matches!(e.ev, K::Append | K::Truncate),
            None,
        ),
        (
            "timers as ticks",
            |e| {
                if matches!(e.ev, K::Timeout | K::Heartbeat) {
                    e.ev = K::Tick;
                }
                true
            },
            None,
        ),
        (
            "timers unlogged, late",
            |e| !matches!(e.ev, K::Timeout | K::Heartbeat),
            Some(false),
        ),
    ];
    println!(
        "validation of a stock raft-rs walk of {} inputs ({} steps taken)",
        inputs,
        steps.len()
    );
    println!(
        "{:<24} {:>9} {:>9} {:>11} {:>11} {:>10} {:>7}",
        "log", "events", "seconds", "events/s", "spec steps", "max hyps", "ratio"
    );
    let mut baseline = None;
    for (label, keep, immediate) in variants {
        let mut recorded = record::record(&model.flavour.name, false, &initial, &steps);
        for events in recorded.nodes.values_mut() {
            events.retain_mut(keep);
        }
        if let Some(i) = immediate {
            recorded.header.immediate = Some(i);
        }
        let files = record::write(&recorded, &dir.join(label.replace(' ', "-"))).unwrap();
        let v = validate::validate(&Request {
            files,
            flavour: None,
            pre_vote: None,
            max_frontier: 64,
            unlogged: 1,
            immediate: None,
            election_timeout_us: None,
        })
        .unwrap();
        assert!(v.outcome.agrees(), "{label}: {}", v.outcome);
        let rate = v.explained as f64 / v.seconds;
        let base = *baseline.get_or_insert(v.seconds);
        println!(
            "{:<24} {:>9} {:>9.2} {:>11.0} {:>11} {:>10} {:>6.2}x",
            label,
            v.explained,
            v.seconds,
            rate,
            v.cost.spec_steps,
            v.cost.max_frontier,
            v.seconds / base
        );
    }
    let total: usize = whole.nodes.values().map(Vec::len).sum();
    println!("({total} events in the whole log)");
    if std::env::var_os("RAFTCHECK_BENCH_KEEP").is_some() {
        println!("logs kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
