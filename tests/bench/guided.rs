//! Time to find each injected bug: guided walks (`check --guided`) against plain random walks
//! (`check --random`) with the same seeds and the same budget of walks, in one run, on raft-rs
//! in-process and etcd raft 3.4 over the adapter protocol (when Go and its sources are there).
//!
//! For every bug an implementation has, both pre-vote configurations and seeds `1..=SEEDS`, each
//! mode runs until its first divergence or the budget; the time of a seed that finds nothing is
//! the time the whole budget took. The ratio is random's total time over guided's, so above 1
//! guided walks find the bug sooner. Walks use the walk bounds (8 terms, 4 values, 3 restarts,
//! 8 heartbeats, 100 inputs), with one configuration change and a spare for the membership bugs
//! and one compaction for the snapshot bugs. "len" is the median length of the trace reported
//! (shrunk, then shortened); the last line counts, with pre-vote off, the traces within 1.5x of
//! the length of the corpus's trace of the bug (found by exhaustive search, so shortest within
//! the bug's bounds).
//!
//! ```sh
//! cargo bench --bench guided
//! RAFTCHECK_BENCH_SEEDS=5 RAFTCHECK_BENCH_WALKS=5000 RAFTCHECK_BENCH_IMPLS=raft-rs \
//!   RAFTCHECK_BENCH_BUGS=conflict-not-truncated,snapshot-keeps-log cargo bench --bench guided
//! ```

use clap::Parser;
use raftcheck::cli::{Cli, Command};
use raftcheck::plan::Request;
use raftcheck::run::{model_of, run, Report, Stats};
use raftcheck_adapter::inject::Bug;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The extra bounds a bug needs beyond the walk bounds.
fn bug_flags(bug: Bug) -> Vec<&'static str> {
    let bounds = bug.bounds();
    let mut flags = Vec::new();
    if bounds.conf_changes > 0 {
        flags.extend(["--conf-changes", "1", "--spares", "1"]);
    }
    if bounds.snapshots > 0 {
        flags.extend(["--snapshots", "1"]);
    }
    flags
}

/// One seed's run: the walk the bug was found at (None: not within the budget), the seconds the
/// walks took, and the length of the shrunk trace.
struct Find {
    walk: Option<usize>,
    seconds: f64,
    length: Option<usize>,
}

fn find(
    implementation: &str,
    bug: Bug,
    pre_vote: bool,
    mode: &str,
    seed: u64,
    walks: usize,
) -> Option<Find> {
    let out = std::env::temp_dir().join(format!("raftcheck-bench-guided-{}", std::process::id()));
    let mut line: Vec<String> = [
        "raftcheck",
        "check",
        "--quiet",
        mode,
        "--impl",
        implementation,
        "--inject",
        bug.name(),
        "--pre-vote",
        if pre_vote { "on" } else { "off" },
        "--timeout",
        "30",
        "--out",
    ]
    .map(str::to_string)
    .to_vec();
    line.push(out.display().to_string());
    for (flag, value) in [("--seed", seed.to_string()), ("--walks", walks.to_string())] {
        line.push(flag.to_string());
        line.push(value);
    }
    line.extend(bug_flags(bug).into_iter().map(str::to_string));
    let Command::Check(args) = Cli::parse_from(line).command else {
        unreachable!("a check command line")
    };
    let plan = Request::from_args(&args).plan().ok()?;
    let (model, failure) = model_of(&plan).ok()?;
    if failure.is_some() {
        return None;
    }
    let report: Report = run(&plan, &model, None).ok()?;
    let stats = match &report.stats {
        Stats::Random(s) => s.clone(),
        Stats::Guided(g) => g.walks.clone(),
        _ => unreachable!("walks"),
    };
    Some(Find {
        walk: stats.walk,
        seconds: stats.seconds,
        length: report.step,
    })
}

/// The length of the corpus's trace of `bug` on `implementation` with pre-vote off (found by
/// exhaustive search, so shortest within the bug's bounds), the shortest if there are several.
fn corpus_length(implementation: &str, bug: Bug) -> Option<usize> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let prefix = format!("{implementation}-{}-", bug.name());
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter_map(|e| raftcheck::trace::Trace::load(&e.path()).ok())
        .map(|t| t.inputs().count())
        .min()
}

fn median(mut xs: Vec<usize>) -> String {
    if xs.is_empty() {
        return "-".into();
    }
    xs.sort_unstable();
    xs[xs.len() / 2].to_string()
}

fn main() {
    let seeds: u64 = env_or("RAFTCHECK_BENCH_SEEDS", 3);
    let walks: usize = env_or("RAFTCHECK_BENCH_WALKS", 2000);
    let impls: String = env_or("RAFTCHECK_BENCH_IMPLS", "raft-rs,etcd".to_string());
    let only: Option<String> = std::env::var("RAFTCHECK_BENCH_BUGS").ok();
    println!("time to find each injected bug, guided vs random walks: seeds 1..={seeds}, budget {walks} walks of 100 inputs");
    println!(
        "{:<8} {:<24} {:<4} | {:>5} {:>7} {:>8} {:>4} | {:>5} {:>7} {:>8} {:>4} | {:>6}",
        "impl",
        "bug",
        "pv",
        "found",
        "walk",
        "seconds",
        "len",
        "found",
        "walk",
        "seconds",
        "len",
        "ratio"
    );
    println!("{:<39} | {:^29} | {:^29} |", "", "random", "guided");
    let (mut total_random, mut total_guided) = (0.0, 0.0);
    // (trace lengths within 1.5x of the corpus's, trace lengths compared), pre-vote off.
    let mut within = (0, 0);
    for implementation in impls.split(',') {
        for bug in Bug::ALL {
            if raftcheck::adapters::ImplChoice::new(implementation, Some(bug.name())).is_err()
                || only
                    .as_ref()
                    .is_some_and(|o| !o.split(',').any(|b| b == bug.name()))
            {
                continue;
            }
            for pre_vote in [false, true] {
                let mut columns = Vec::new();
                let mut skipped = false;
                for mode in ["--random", "--guided"] {
                    let runs: Vec<Find> = (1..=seeds)
                        .filter_map(|seed| find(implementation, bug, pre_vote, mode, seed, walks))
                        .collect();
                    if runs.len() as u64 != seeds {
                        skipped = true;
                        break;
                    }
                    let found: Vec<usize> = runs.iter().filter_map(|r| r.walk).collect();
                    let lengths: Vec<usize> = runs.iter().filter_map(|r| r.length).collect();
                    if let (false, Some(shortest)) = (pre_vote, corpus_length(implementation, bug))
                    {
                        within.0 += lengths.iter().filter(|&&l| 2 * l <= 3 * shortest).count();
                        within.1 += lengths.len();
                    }
                    let seconds: f64 = runs.iter().map(|r| r.seconds).sum();
                    columns.push((found.len(), median(found), seconds, median(lengths)));
                }
                let pv = if pre_vote { "on" } else { "off" };
                if skipped {
                    println!(
                        "{implementation:<8} {:<24} {pv:<4} | skipped: the adapter could not run",
                        bug.name()
                    );
                    continue;
                }
                let (r, g) = (&columns[0], &columns[1]);
                total_random += r.2;
                total_guided += g.2;
                println!(
                    "{implementation:<8} {:<24} {pv:<4} | {:>2}/{seeds:<2} {:>7} {:>8.2} {:>4} | {:>2}/{seeds:<2} {:>7} {:>8.2} {:>4} | {:>5.1}x",
                    bug.name(),
                    r.0,
                    r.1,
                    r.2,
                    r.3,
                    g.0,
                    g.1,
                    g.2,
                    g.3,
                    r.2 / g.2.max(1e-6)
                );
            }
        }
    }
    println!(
        "total: random {total_random:.1} s, guided {total_guided:.1} s, ratio {:.1}x",
        total_random / total_guided.max(1e-6)
    );
    println!(
        "traces within 1.5x of the corpus's shortest (pre-vote off): {} of {}",
        within.0, within.1
    );
}
