//! etcd raft v3.6 as a real cluster (`clusters/etcd-raftexample`): three OS processes with
//! etcd's WAL and snapshotter, a loopback transport and seeded faults write event logs, and
//! `raftcheck validate` judges them: a stock run with faults is valid (exit 0), and each injected
//! bug is caught (exit 1) within a few attempts.
//!
//! etcd raft v3.6 answers a rejected append with the hint findConflictByTerm finds (raft.go
//! `handleAppendEntries`: `hint_term` the term there), where 3.4 — and the spec's etcd flavour —
//! send the last index and term 0. The logs declare the flavour `etcd-3.6`, which says so, and
//! one test pins that validating them as etcd 3.4 diverges on exactly that hint.
//!
//! The Go program is built in module mode from the committed go.mod/go.sum (GOFLAGS=-mod=readonly;
//! `.ci/run` downloads the modules first), into the cargo target directory. Without Go the tests
//! fail with the install hint; RAFTCHECK_SKIP_ETCD_CLUSTER=1 skips them deliberately.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

use common::{code, run as raftcheck, stderr, stdout};
use raftcheck_format::eventlog::{Event, EventKind, Header};

/// Runs are serialized: three node processes per run already share two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn skip() -> bool {
    if std::env::var("RAFTCHECK_SKIP_ETCD_CLUSTER").is_ok_and(|v| v == "1") {
        eprintln!("RAFTCHECK_SKIP_ETCD_CLUSTER=1: skipping an etcd cluster test");
        return true;
    }
    false
}

/// The cargo target directory (the raftcheck binary's grandparent: target/<profile>/raftcheck).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_raftcheck"))
        .parent()
        .and_then(Path::parent)
        .expect("the binary lives in target/<profile>")
        .to_path_buf()
}

/// Builds `etcd-cluster` once per test binary and returns its path.
fn cluster_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let target = target_dir();
        let bin = target.join("etcd-cluster").join("etcd-cluster");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("clusters/etcd-raftexample");
        let out = Command::new("go")
            .args(["build", "-o"])
            .arg(&bin)
            .arg(".")
            .current_dir(&src)
            .env("GOFLAGS", "-mod=readonly")
            .env("GOCACHE", target.join("go-cache-etcd-cluster"))
            .env("CGO_ENABLED", "0")
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run go ({e}): install Go 1.26 (the image's /usr/local/go) or set RAFTCHECK_SKIP_ETCD_CLUSTER=1")
            });
        assert!(
            out.status.success(),
            "go build in {} failed (run `go mod download` there first):\n{}",
            src.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        bin
    })
}

/// A fresh output directory for one run.
fn scratch(name: &str) -> PathBuf {
    common::scratch("etcd-cluster", name)
}

/// Runs the cluster for `seconds` with `seed` (and `bug`) into `out`, hint_term left out.
fn run_cluster(out: &Path, seconds: &str, seed: u64, bug: Option<&str>) -> Output {
    run_cluster_with(out, seconds, seed, bug, false)
}

fn run_cluster_with(
    out: &Path,
    seconds: &str,
    seed: u64,
    bug: Option<&str>,
    omit_hint_term: bool,
) -> Output {
    let _ = std::fs::remove_dir_all(out);
    let mut c = Command::new(cluster_binary());
    c.args(["run", "--nodes", "3", "--seconds", seconds, "--seed"])
        .arg(seed.to_string())
        .arg("--out")
        .arg(out)
        .arg(format!("--omit-hint-term={omit_hint_term}"));
    if let Some(bug) = bug {
        c.args(["--inject", bug]);
    }
    c.output().expect("etcd-cluster runs")
}

/// The run's per-node logs, n1..n3.
fn logs(out: &Path) -> Vec<PathBuf> {
    (1..=3).map(|i| out.join(format!("n{i}.ndjson"))).collect()
}

/// Reads every line of every log strictly (the format crate's types refuse unknown fields) and
/// returns the events per kind; panics with the line otherwise.
fn read_logs(out: &Path) -> Vec<Event> {
    let mut all = Vec::new();
    for path in logs(out) {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut lines = text.lines();
        let header: Header = serde_json::from_str(lines.next().expect("a header"))
            .unwrap_or_else(|e| panic!("{}: header: {e}", path.display()));
        assert_eq!(header.nodes, vec![1, 2, 3]);
        assert_eq!(header.flavour.as_deref(), Some("etcd-3.6"));
        assert_eq!(header.immediate, Some(true));
        let mut seq = 0;
        for (i, line) in lines.enumerate() {
            let e: Event = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("{}:{}: {err}: {line}", path.display(), i + 2));
            assert!(
                e.seq > seq,
                "{}:{}: seq {} after {seq}",
                path.display(),
                i + 2,
                e.seq
            );
            seq = e.seq;
            all.push(e);
        }
    }
    all
}

fn validate(out: &Path) -> Output {
    validate_as(out, &[])
}

fn validate_as(out: &Path, flags: &[&str]) -> Output {
    let files: Vec<String> = logs(out).iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["validate"];
    args.extend(flags);
    args.extend(files.iter().map(String::as_str));
    raftcheck(&args, out)
}

#[test]
fn a_stock_run_with_faults_is_valid() {
    if skip() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = scratch("stock");
    let run = run_cluster(&out, "8", 1, None);
    assert!(
        run.status.success(),
        "the cluster run failed: {}{}",
        stdout(&run),
        stderr(&run)
    );
    let faults = std::fs::read_to_string(out.join("faults.txt")).unwrap();
    assert!(
        faults.contains("kill -9"),
        "no kill in the schedule:\n{faults}"
    );
    let events = read_logs(&out);
    let count = |k: EventKind| events.iter().filter(|e| e.ev == k).count();
    assert!(count(EventKind::Restart) >= 1, "no restart logged");
    assert!(
        count(EventKind::Apply) >= 50,
        "only {} applies",
        count(EventKind::Apply)
    );
    assert!(count(EventKind::Timeout) >= 1 && count(EventKind::Heartbeat) >= 10);
    let v = validate(&out);
    assert_eq!(
        code(&v),
        0,
        "a stock run diverged (logs in {}):\n{}{}",
        out.display(),
        stdout(&v),
        stderr(&v)
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn etcd_v3_6_reject_hint_is_not_the_etcd_3_4_flavour() {
    if skip() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut seen = Vec::new();
    for seed in 1..=3 {
        let out = scratch("hint-term");
        let run = run_cluster_with(&out, "6", seed, None, false);
        assert!(
            run.status.success(),
            "the cluster run failed: {}{}",
            stdout(&run),
            stderr(&run)
        );
        let v = validate_as(&out, &["--flavour", "etcd"]);
        match code(&v) {
            1 => {
                let as_3_6 = validate(&out);
                assert_eq!(
                    code(&as_3_6),
                    0,
                    "the run is not valid as etcd-3.6 either:\n{}",
                    stdout(&as_3_6)
                );
                let said = stdout(&v);
                assert!(
                    said.contains("AppendEntriesResponse")
                        && said.contains("\"reject\":true")
                        && said.contains("hint=("),
                    "a stock run diverged elsewhere than on a rejection's hint (logs in {}):\n{said}",
                    out.display()
                );
                let _ = std::fs::remove_dir_all(&out);
                return;
            }
            // No append was rejected in this run.
            0 => seen.push(format!("seed {seed}: valid")),
            c => panic!("validate exited {c}: {}{}", stdout(&v), stderr(&v)),
        }
    }
    panic!("no run rejected an append: {}", seen.join("; "));
}

/// Runs the cluster with `bug` for up to three seeds until the validator rejects the run.
fn caught(bug: &str) {
    if skip() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut seen = Vec::new();
    for seed in 1..=3 {
        let out = scratch(bug);
        // The driver may report a node that died by itself: etcd's own guards panic on some
        // damage the bugs do. The logs are what counts.
        let run = run_cluster(&out, "5", seed, Some(bug));
        read_logs(&out);
        let v = validate(&out);
        match code(&v) {
            1 => {
                let _ = std::fs::remove_dir_all(&out);
                return;
            }
            0 => seen.push(format!("seed {seed}: valid ({})", stdout(&run).trim())),
            c => panic!(
                "validate exited {c} on {}: {}{}",
                out.display(),
                stdout(&v),
                stderr(&v)
            ),
        }
    }
    panic!("{bug} was never caught: {}", seen.join("; "));
}

#[test]
fn vote_not_persisted_is_caught() {
    caught("vote-not-persisted");
}

#[test]
fn unsynced_tail_lost_is_caught() {
    caught("unsynced-tail-lost");
}

#[test]
fn apply_uncommitted_is_caught() {
    caught("apply-uncommitted");
}
