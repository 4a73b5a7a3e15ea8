//! Random walks: reproducible from the seed, divergences shrunk to replayable traces.

mod common;

use std::path::{Path, PathBuf};

use common::{json, run as raftcheck};
use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    common::scratch("random", name)
}

fn walks(dir: &Path, extra: &[&str]) -> (Value, Option<String>) {
    let mut args = vec![
        "check", "--random", "--seed", "11", "--steps", "80", "--format", "json",
    ];
    if !extra.iter().any(|a| a.starts_with("--pre-vote")) {
        args.extend(["--pre-vote", "off"]);
    }
    if !extra.contains(&"--walks") {
        args.extend(["--walks", "40"]);
    }
    args.extend_from_slice(extra);
    let o = raftcheck(&args, dir);
    let r = json(&o);
    let trace = r["trace"]
        .as_str()
        .map(|t| std::fs::read_to_string(dir.join(t)).unwrap());
    (r, trace)
}

#[test]
fn stock_raft_rs_agrees_on_random_walks_and_reports_coverage() {
    let dir = scratch("stock");
    let (r, trace) = walks(&dir, &[]);
    assert_eq!(r["result"], "agree");
    assert!(trace.is_none());
    assert_eq!(r["walks"], 40);
    assert!(r["steps"].as_u64().unwrap() > 40 * 20);
    assert!(
        r["longest"].as_u64().unwrap() > 12,
        "walks go past the exhaustive depth"
    );
    assert!(r["coverage"]["spec_states"].as_u64().unwrap() > 100);
}

#[test]
fn the_same_seed_gives_the_same_walks_whatever_the_threads() {
    let dir = scratch("seed");
    let strip = |mut r: Value| {
        r.as_object_mut().unwrap().remove("seconds");
        r
    };
    let (a, _) = walks(&dir, &["--threads", "1"]);
    let (b, _) = walks(&dir, &["--threads", "2"]);
    assert_eq!(strip(a.clone()), strip(b));
    let (bug1, trace1) = walks(&dir, &["--inject", "unsynced-tail-lost", "--threads", "1"]);
    let (bug2, trace2) = walks(&dir, &["--inject", "unsynced-tail-lost", "--threads", "2"]);
    assert_eq!(strip(bug1), strip(bug2));
    assert_eq!(trace1, trace2);
    let other = raftcheck(
        &[
            "check",
            "--random",
            "--seed",
            "12",
            "--steps",
            "80",
            "--walks",
            "40",
            "--pre-vote",
            "off",
            "--format",
            "json",
        ],
        &dir,
    );
    assert_ne!(strip(a)["coverage"], strip(json(&other))["coverage"]);
}

#[test]
fn a_divergence_is_shrunk_to_a_shorter_trace_that_still_diverges() {
    let dir = scratch("shrink");
    for bug in [
        "stale-term-as-current",
        "conflict-not-truncated",
        "unsynced-tail-lost",
    ] {
        let (r, trace) = walks(&dir, &["--inject", bug, "--walks", "200"]);
        assert_eq!(r["result"], "divergence", "{bug}: {r}");
        let found = r["found_at_step"].as_u64().unwrap();
        let shrunk = r["step"].as_u64().unwrap();
        assert!(shrunk <= found, "{bug}: {shrunk} > {found}");
        let trace: Value = serde_json::from_str(&trace.unwrap()).unwrap();
        assert_eq!(trace["events"].as_array().unwrap().len() as u64, shrunk);
        let replay = raftcheck(&["replay", r["trace"].as_str().unwrap()], &dir);
        assert_eq!(
            replay.status.code(),
            Some(0),
            "{bug}: the shrunk trace replays"
        );
    }
}

#[test]
fn random_flags_are_checked() {
    let dir = scratch("flags");
    for args in [
        &["check", "--seed", "3"][..],
        &["check", "--random", "--walks", "0"],
        &["check", "--random", "--spec-only"],
    ] {
        let o = raftcheck(args, &dir);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}
