//! A real raft-rs cluster (`clusters/raft-rs`: threads, a real clock, a faulty network, crashes)
//! writes event logs that `raftcheck validate` accepts when the integration code is stock, and
//! rejects when it has one of the cluster's injected storage bugs.
//!
//! The runs are short and nondeterministic (the threads' timing is the machine's); the fault
//! schedules are chosen so each bug's triggering situation comes up within a few seconds: a node
//! crashing right after it voted, or right after it acknowledged entries.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{code, run as raftcheck, stderr, stdout};
use raftcheck_cluster_raft_rs::{run, Bug, ClusterConfig, Fault, Summary};

fn scratch(name: &str) -> PathBuf {
    common::scratch("cluster-raft-rs", name)
}

/// The schedule the bug tests run: a fault every 150 ms on average, a crashed node down for
/// 50-200 ms; a third of the crashes right after the node grants a vote, a third right after it
/// acknowledges new entries.
fn crash_heavy(cfg: &mut ClusterConfig) {
    cfg.fault_every = Duration::from_millis(150);
    cfg.down = (Duration::from_millis(50), Duration::from_millis(200));
}

fn cluster(
    dir: &Path,
    seconds: f64,
    seed: u64,
    faults: &[Fault],
    bug: Option<Bug>,
    heavy: bool,
) -> Summary {
    let mut cfg = ClusterConfig::new(seconds, seed, dir.to_path_buf());
    cfg.faults = faults.to_vec();
    cfg.bug = bug;
    if heavy {
        crash_heavy(&mut cfg);
    }
    let summary = run(&cfg).expect("the cluster runs");
    assert_eq!(summary.unmodelled, 0, "every message has a spec form");
    assert!(summary.events > 0, "{summary}");
    summary
}

/// `raftcheck validate` on the run's logs: its exit code and what it printed.
fn validate(summary: &Summary, cwd: &Path) -> (i32, String) {
    let mut args = vec!["validate".to_string()];
    args.extend(summary.files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = raftcheck(&args, cwd);
    (code(&out), format!("{}{}", stdout(&out), stderr(&out)))
}

#[test]
fn a_stock_run_with_every_fault_validates() {
    let dir = scratch("stock");
    let summary = cluster(&dir, 4.0, 1, &Fault::ALL, None, false);
    assert!(summary.disagreement.is_none(), "{summary}");
    assert!(summary.applied > 10, "the cluster made progress: {summary}");
    let (exit, said) = validate(&summary, &dir);
    assert_eq!(
        exit, 0,
        "a stock run is a behaviour of the spec:\n{summary}\n{said}"
    );
}

/// The bug tests' schedule finds nothing in stock integration code: what they find is the bug.
#[test]
fn a_stock_run_under_the_bug_schedule_validates() {
    let dir = scratch("stock-heavy");
    let summary = cluster(&dir, 3.0, 2, &[Fault::Crash, Fault::Delay], None, true);
    assert!(summary.crashes >= 3, "{summary}");
    let (exit, said) = validate(&summary, &dir);
    assert_eq!(
        exit, 0,
        "a stock run is a behaviour of the spec:\n{summary}\n{said}"
    );
}

/// Runs with `bug` under [`crash_heavy`] (with delays too for `restart-trusts-log`, so that
/// acknowledged entries stay uncommitted for a while) until `raftcheck validate` rejects one;
/// three attempts at most (each finds the bug 6 to 10 times in 10).
fn assert_found(bug: Bug) {
    let faults: &[Fault] = match bug {
        Bug::RestartTrustsLog => &[Fault::Crash, Fault::Delay],
        _ => &[Fault::Crash],
    };
    let mut tried = Vec::new();
    for seed in 1..=3 {
        let dir = scratch(&format!("{bug}-{seed}"));
        let summary = cluster(&dir, 3.0, seed, faults, Some(bug), true);
        let (exit, said) = validate(&summary, &dir);
        match exit {
            1 => return,
            0 => tried.push(format!("seed {seed}: valid ({} crashes)", summary.crashes)),
            _ => panic!("validate failed on the {bug} run (exit {exit}):\n{said}"),
        }
    }
    panic!("{bug} was never found: {}", tried.join("; "));
}

#[test]
fn vote_not_persisted_is_found() {
    assert_found(Bug::VoteNotPersisted);
}

#[test]
fn unsynced_tail_lost_is_found() {
    assert_found(Bug::UnsyncedTailLost);
}

#[test]
fn restart_trusts_log_is_found() {
    assert_found(Bug::RestartTrustsLog);
}
