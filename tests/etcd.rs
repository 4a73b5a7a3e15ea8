//! etcd raft for real: the Go adapter is built from etcd's sources, stock etcd conforms to the
//! etcd flavour, every injected bug is found through the protocol with a replayable trace, a
//! fork of etcd raft named by RAFTCHECK_ETCD_GOPATH is what gets checked, and a missing
//! toolchain is a clear usage error.
//!
//! These tests need Go and etcd 3.4's raft sources (`.ci/run` installs them). Without them they
//! fail with the install command; set RAFTCHECK_SKIP_ETCD=1 to skip them deliberately.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assert_says, check_with, code, run as raftcheck, run_with, stderr, stdout};

fn skip() -> bool {
    if std::env::var("RAFTCHECK_SKIP_ETCD").is_ok_and(|v| v == "1") {
        eprintln!("RAFTCHECK_SKIP_ETCD=1: skipping an etcd test");
        return true;
    }
    false
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("etcd", name)
}

/// The GOPATH entries holding etcd's raft sources on this machine.
fn source_gopath() -> String {
    let candidates = std::env::var("RAFTCHECK_ETCD_GOPATH")
        .ok()
        .into_iter()
        .flat_map(|v| v.split(':').map(str::to_string).collect::<Vec<_>>())
        .chain(["/usr/share/gocode".to_string()]);
    for dir in candidates {
        if Path::new(&dir)
            .join("src/go.etcd.io/etcd/raft/raft.go")
            .is_file()
        {
            return dir;
        }
    }
    panic!(
        "etcd raft sources not found (RAFTCHECK_ETCD_GOPATH or /usr/share/gocode): \
         apt-get install golang-etcd-server-dev, or set RAFTCHECK_SKIP_ETCD=1"
    );
}

#[test]
fn stock_etcd_conforms_to_the_etcd_flavour() {
    if skip() {
        return;
    }
    let dir = scratch("stock");
    let r = common::agreeing_check(&["--impl", "etcd", "--depth", "8"], &dir);
    assert_eq!(r["result"], "agree");
    assert_eq!(r["flavour"], "etcd");
    assert_eq!(r["complete"], true);
    for (name, depth) in r["reached"].as_object().unwrap() {
        assert!(depth.is_u64(), "{name} not reached at depth 8");
    }
    assert!(r["states"].as_u64().unwrap() > 10_000);
}

#[test]
fn stock_etcd_with_pre_vote_conforms_and_a_bug_is_still_found() {
    if skip() {
        return;
    }
    let dir = scratch("pre-vote");
    let args = ["--impl", "etcd", "--pre-vote", "--depth", "8"];
    let r = common::agreeing_check(&args, &dir);
    assert_eq!(
        (r["flavour"].clone(), r["pre_vote"].clone()),
        ("etcd".into(), true.into())
    );
    assert!(r["coverage"]["inputs"]["Receive RequestPreVoteResponse"].as_u64() > Some(0));
    // The bug within its own bounds (the helper adds them): no --depth of ours.
    common::assert_bug_found_and_replayed(
        &["--impl", "etcd", "--pre-vote"],
        "vote-not-persisted",
        "traces/etcd-",
        &dir,
    );
}

/// The bounds at which stock etcd is checked with membership changes and snapshots: a
/// configuration change is proposed, committed and applied, and a value committed in the new
/// configuration (no restarts, terms up to 2, to keep the Go adapter's run short).
const MEMBERSHIP: [&str; 10] = [
    "--impl",
    "etcd",
    "--conf-changes",
    "1",
    "--snapshots",
    "1",
    "--restarts",
    "0",
    "--max-term",
    "2",
];

#[test]
fn stock_etcd_conforms_with_membership_changes_and_snapshots() {
    if skip() {
        return;
    }
    let dir = scratch("membership");
    let mut args = MEMBERSHIP.to_vec();
    args.extend(["--depth", "9"]);
    let r = common::agreeing_check(&args, &dir);
    assert_eq!(r["complete"], true);
    for goal in [
        "a configuration change is committed",
        "a value is committed in a new configuration",
    ] {
        assert!(r["reached"][goal].is_u64(), "{goal} not reached: {r}");
    }
    for input in ["ProposeConfChange", "Compact"] {
        let count = r["coverage"]["inputs"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(name, _)| name.starts_with(input))
            .map(|(_, n)| n.as_u64().unwrap())
            .sum::<u64>();
        assert!(count > 0, "{input} never exercised: {r}");
    }
}

/// The node memo (feature `node_step`) answers most of etcd's steps and changes nothing a check
/// reports — with pre-vote, and with membership changes and snapshots — so the Go adapter's
/// node fingerprints leave out nothing a node's next step depends on (at these bounds).
#[test]
fn the_node_memo_changes_nothing_etcd_reports() {
    if skip() {
        return;
    }
    let dir = scratch("memo");
    let mut membership = MEMBERSHIP.to_vec();
    membership.extend(["--depth", "8"]);
    for args in [
        vec!["--impl", "etcd", "--depth", "9"],
        vec!["--impl", "etcd", "--pre-vote", "--depth", "9"],
        membership,
    ] {
        let memo = common::agreeing_check(&args, &dir);
        let mut plain_args = args.clone();
        plain_args.push("--no-node-memo");
        let plain = common::agreeing_check(&plain_args, &dir);
        common::assert_memo_changes_nothing(
            &memo,
            &plain,
            &["states", "spec_states", "steps", "coverage", "reached"],
            5,
            &format!("{args:?}"),
        );
    }
}

#[test]
fn every_injected_bug_is_found_through_the_protocol() {
    if skip() {
        return;
    }
    let dir = scratch("bugs");
    let bugs = stdout(&raftcheck(&["check", "--inject", "list"], &dir));
    for bug in bugs.lines() {
        // Each bug within its own bounds (`Bug::bounds`, added by the helper).
        common::assert_bug_found_and_replayed(&["--impl", "etcd"], bug, "traces/etcd-", &dir);
    }
}

#[test]
fn a_fork_named_by_raftcheck_etcd_gopath_is_what_gets_checked() {
    if skip() {
        return;
    }
    let dir = scratch("fork");
    let original = source_gopath();
    // The fork: etcd's raft package with a bug — a new leader does not append its empty entry.
    let fork = dir.join("fork");
    let raft = fork.join("src/go.etcd.io/etcd/raft");
    std::fs::create_dir_all(raft.parent().unwrap()).unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(Path::new(&original).join("src/go.etcd.io/etcd/raft"))
        .arg(&raft)
        .status()
        .unwrap();
    assert!(copied.success());
    let source = std::fs::read_to_string(raft.join("raft.go")).unwrap();
    let patched = source.replace(
        "if !r.appendEntry(emptyEnt) {",
        "if false && !r.appendEntry(emptyEnt) {",
    );
    assert_ne!(
        source, patched,
        "etcd's becomeLeader changed; update this test's patch"
    );
    std::fs::write(raft.join("raft.go"), patched).unwrap();

    // The fork's etcd, or the unpatched one, built in a directory of this test's own.
    let check = |gopath: &str| {
        let build = dir.join("build");
        check_with(
            &["--impl", "etcd", "--depth", "4"],
            &dir,
            &[
                ("RAFTCHECK_ETCD_GOPATH", gopath),
                ("RAFTCHECK_BUILD_DIR", build.to_str().unwrap()),
            ],
        )
    };
    let (code, r) = check(&format!("{}:{original}", fork.display()));
    assert_eq!(code, 1, "the fork's bug is found: {r}");
    assert_eq!(r["kind"], "state-mismatch");
    assert_eq!(r["step"], 3);
    assert!(
        r["problems"][0]["findings"]
            .to_string()
            .contains("log[1]: spec t1:empty, impl missing"),
        "{r}"
    );

    // The same check against the unpatched sources agrees.
    let (code, r) = check(&original);
    assert_eq!(code, 0, "{r}");
}

#[test]
fn a_missing_go_toolchain_names_the_apt_command() {
    if skip() {
        return;
    }
    let dir = scratch("no-go");
    let o = without_etcd(&dir, ("PATH", "/nonexistent"));
    assert_says(&stderr(&o), &["apt-get install golang-go"]);
}

#[test]
fn missing_raft_sources_name_the_apt_command_and_the_variable() {
    if skip() {
        return;
    }
    if Path::new("/usr/share/gocode/src/go.etcd.io/etcd/raft").exists() {
        // Debian's package is installed: the fallback would find the sources.
        eprintln!("golang-etcd-server-dev is installed here; the fallback is exercised instead");
        return;
    }
    let dir = scratch("no-sources");
    let empty = dir.join("empty-gopath");
    std::fs::create_dir_all(&empty).unwrap();
    let o = without_etcd(&dir, ("RAFTCHECK_ETCD_GOPATH", empty.to_str().unwrap()));
    assert_says(
        &stderr(&o),
        &["golang-etcd-server-dev", "RAFTCHECK_ETCD_GOPATH"],
    );
}

/// Runs `check --impl etcd` in `dir` with the variable `missing` set to hide what the etcd
/// adapter needs (building in a directory of `dir`'s own); it must be a usage error (exit 2).
fn without_etcd(dir: &Path, missing: (&str, &str)) -> std::process::Output {
    let build = dir.join("build");
    let o = run_with(
        &["check", "--impl", "etcd", "--depth", "2"],
        dir,
        &[missing, ("RAFTCHECK_BUILD_DIR", build.to_str().unwrap())],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    o
}
