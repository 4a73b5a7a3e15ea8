//! etcd raft v3.6 for real: the Go adapter built in module mode against `go.etcd.io/raft/v3`
//! v3.6.0 conforms to the `etcd-3.6` flavour, every injected bug is found in it with a
//! replayable trace, and `diff-impls` tells 3.4 and v3.6 apart (and an implementation from
//! itself with a bug) while finding two equal where they are.
//!
//! These tests need Go and the module pinned by `impl_adapter/etcd/go.mod` (in Go's module
//! cache, or from the module proxy; `.ci/run` downloads it), and the 3.4 tests' sources for the
//! comparison with 3.4. Without them they fail with what is missing; set RAFTCHECK_SKIP_ETCD=1
//! to skip them deliberately.

mod common;

use std::path::PathBuf;

use common::{assert_says, code, json, run as raftcheck, stdout};

fn skip() -> bool {
    if std::env::var("RAFTCHECK_SKIP_ETCD").is_ok_and(|v| v == "1") {
        eprintln!("RAFTCHECK_SKIP_ETCD=1: skipping an etcd v3.6 test");
        return true;
    }
    false
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("etcd36", name)
}

#[test]
fn stock_etcd_3_6_conforms_to_the_etcd_3_6_flavour() {
    if skip() {
        return;
    }
    let dir = scratch("stock");
    let r = common::agreeing_check(&["--impl", "etcd-3.6", "--depth", "8"], &dir);
    assert_eq!(r["flavour"], "etcd-3.6");
    assert_eq!(r["complete"], true);
    for (name, depth) in r["reached"].as_object().unwrap() {
        assert!(depth.is_u64(), "{name} not reached at depth 8");
    }
    // The same product states as 3.4 at these bounds (tests/etcd.rs pins more than 10,000).
    assert!(r["states"].as_u64().unwrap() > 10_000, "{r}");
}

#[test]
fn every_injected_bug_is_found_in_etcd_3_6() {
    if skip() {
        return;
    }
    let dir = scratch("bugs");
    let bugs = stdout(&raftcheck(&["check", "--inject", "list"], &dir));
    assert!(bugs.lines().count() >= 12, "{bugs}");
    for bug in bugs.lines() {
        // Each bug within its own bounds (`Bug::bounds`, added by the helper).
        common::assert_bug_found_and_replayed(
            &["--impl", "etcd-3.6"],
            bug,
            "traces/etcd-3.6-",
            &dir,
        );
    }
}

#[test]
fn diff_impls_finds_where_3_4_and_3_6_differ_the_rejection_hint() {
    if skip() {
        return;
    }
    let dir = scratch("diff-versions");
    // One term, no restarts or heartbeats: a leader replicates a value and a follower that
    // missed it rejects the next append, with v3.6's hint term where 3.4 sends 0.
    let args = [
        "diff-impls",
        "etcd",
        "etcd-3.6",
        "--max-term",
        "1",
        "--restarts",
        "0",
        "--heartbeats",
        "0",
        "--depth",
        "11",
        "--format",
        "json",
    ];
    let o = raftcheck(&args, &dir);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let r = json(&o);
    assert_eq!(r["result"], "different");
    assert_eq!(r["step"], 11, "the first difference is a shortest one: {r}");
    let only = |side: &str| r[side][0]["message"].clone();
    let (a, b) = (only("only_first"), only("only_second"));
    assert_eq!(a["type"], "AppendEntriesResponse");
    assert_eq!(
        (a["reject"].clone(), b["reject"].clone()),
        (true.into(), true.into())
    );
    assert_eq!(a["reject_hint"], b["reject_hint"]);
    assert_eq!(
        (a["hint_term"].as_u64(), b["hint_term"].as_u64()),
        (Some(0), Some(1))
    );
    assert!(r["state"].as_array().unwrap().is_empty(), "{r}");
    // One trace per side, each replaying to its recorded outcome (both agree with their specs).
    let traces = r["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 2);
    for trace in traces {
        let replay = raftcheck(&["replay", trace.as_str().unwrap()], &dir);
        assert_eq!(code(&replay), 0, "{}", stdout(&replay));
        assert_says(&stdout(&replay), &["recorded outcome holds: agreement"]);
    }
}

#[test]
fn diff_impls_finds_3_4_and_3_6_the_same_where_they_are() {
    if skip() {
        return;
    }
    let dir = scratch("diff-same");
    let o = raftcheck(
        &["diff-impls", "etcd", "etcd-3.6", "--depth", "6", "--quiet"],
        &dir,
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_says(&stdout(&o), &["result: same", "depth 6 reached (complete)"]);
    assert!(!dir.join("diffs").exists(), "no traces for no difference");
}

#[test]
fn diff_impls_finds_an_injected_bug_against_the_same_implementation() {
    if skip() {
        return;
    }
    let dir = scratch("diff-bug");
    let o = raftcheck(
        &[
            "diff-impls",
            "etcd-3.6",
            "etcd-3.6",
            "--inject",
            "vote-not-persisted",
            "--depth",
            "4",
            "--quiet",
        ],
        &dir,
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    // The vote is lost across a restart: the shortest path is a campaign and a restart.
    assert_says(
        &stdout(&o),
        &[
            "part after 2 input(s)",
            "1. Timeout n1",
            "2. Restart n1",
            "n1.vote: n1 | none",
        ],
    );
    // Against its spec, the buggy side's trace diverges where the comparison parted.
    let second = dir
        .join("diffs")
        .join("diff-etcd-3.6-vs-etcd-3.6-vote-not-persisted-316472bc-second.json");
    let replay = raftcheck(&["replay", second.to_str().unwrap()], &dir);
    assert_eq!(code(&replay), 0, "{}", stdout(&replay));
    assert_says(&stdout(&replay), &["state-mismatch"]);
}

#[test]
fn diff_impls_refuses_unknown_implementations() {
    let dir = scratch("diff-usage");
    let o = raftcheck(&["diff-impls", "etcd", "paxos"], &dir);
    assert_eq!(code(&o), 2);
    assert_says(&common::stderr(&o), &["unknown implementation 'paxos'"]);
}
