//! PySyncObj for real: the Python adapter drives the `pysyncobj` package from PyPI (the pinned
//! version), stock PySyncObj agrees with the pysyncobj flavour at small bounds, every bug the
//! adapter injects is found with a replayable trace, and a Python without the package is a clear
//! setup error.
//!
//! These tests need python3 with the pinned package (`.ci/run` installs it with pip). Without it
//! they fail under CI=true and are skipped with a printed reason elsewhere.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use common::{assert_says, stdout};

/// Bounds at which the whole tree is explored in seconds: two terms, a restart, no values.
const SMALL: [&str; 8] = [
    "--max-term",
    "2",
    "--depth",
    "5",
    "--values",
    "0",
    "--heartbeats",
    "0",
];

/// The bugs the PySyncObj adapter injects (impl_adapter/pysyncobj/README.md says why the others
/// do not apply or are not there).
const BUGS: [&str; 6] = [
    "vote-not-persisted",
    "term-not-persisted",
    "unsynced-tail-lost",
    "ack-before-persist",
    "stale-term-as-current",
    "reply-to-wrong-peer",
];

/// True when python3 has the pinned pysyncobj; otherwise fails under CI and skips elsewhere.
fn available() -> bool {
    let pinned = raftcheck_adapter::pysyncobj::pinned_version();
    let found = Command::new(raftcheck_adapter::pysyncobj::python())
        .args(["-c", "import pysyncobj.version as v; print(v.VERSION)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if found.as_deref() == Some(pinned) {
        return true;
    }
    let why = format!(
        "python3 has no pysyncobj {pinned} (found {found:?}); install it with `{}`",
        raftcheck_adapter::pysyncobj::PIP_INSTALL
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
    eprintln!("skipping a PySyncObj test: {why}");
    false
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("pysyncobj", name)
}

fn args(extra: &[&'static str]) -> Vec<&'static str> {
    let mut all = vec!["--impl", "pysyncobj"];
    all.extend_from_slice(&SMALL);
    all.extend_from_slice(extra);
    all
}

#[test]
fn stock_pysyncobj_agrees_with_its_flavour_at_small_bounds() {
    if !available() {
        return;
    }
    let dir = scratch("stock");
    let r = common::agreeing_check(&args(&[]), &dir);
    assert_eq!(r["result"], "agree");
    assert_eq!(r["flavour"], "pysyncobj");
    assert_eq!(r["complete"], true);
}

#[test]
fn every_bug_the_adapter_injects_is_found_and_replays() {
    if !available() {
        return;
    }
    let dir = scratch("bugs");
    for bug in BUGS {
        let replay = common::assert_bug_found_and_replayed(
            &args(&[]),
            bug,
            &format!("traces/pysyncobj-{bug}-"),
            &dir,
        );
        assert_says(&stdout(&replay), &["holds"]);
    }
}

#[test]
fn a_bug_the_adapter_does_not_inject_is_refused_before_the_run() {
    if !available() {
        return;
    }
    let dir = scratch("unsupported-bug");
    let mut all = vec!["check"];
    all.extend(args(&["--inject", "snapshot-keeps-log"]));
    let o = common::run(&all, &dir);
    assert_eq!(common::code(&o), 2, "{}", stdout(&o));
    assert_says(
        &common::stderr(&o),
        &[
            "pysyncobj cannot inject 'snapshot-keeps-log'",
            "vote-not-persisted",
        ],
    );
}

#[test]
fn a_python_without_the_package_is_a_setup_error_that_says_how_to_install() {
    let dir = scratch("no-package");
    // The same interpreter without its site-packages: no pysyncobj.
    let python = dir.join("python-without-site");
    std::fs::write(&python, "#!/bin/sh\nexec python3 -S \"$@\"\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let o = common::run_with(
        &["check", "--impl", "pysyncobj", "--depth", "1"],
        &dir,
        &[("RAFTCHECK_PYTHON", python.as_os_str())],
    );
    assert_eq!(common::code(&o), 2, "{}{}", stdout(&o), common::stderr(&o));
    let said = format!("{}{}", stdout(&o), common::stderr(&o));
    assert_says(
        &said,
        &[
            "no pysyncobj package",
            "pip install -r impl_adapter/pysyncobj/requirements.txt",
        ],
    );
}

/// The adapter process over pipes, one request at a time.
struct Session {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
    id: u64,
}

impl Session {
    fn start() -> Session {
        let (program, args) = raftcheck_adapter::pysyncobj::command().expect("the adapter starts");
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let out = BufReader::new(child.stdout.take().unwrap());
        let mut s = Session { child, out, id: 0 };
        let hello = s.ok(json!({"op": "hello", "protocol": 1}));
        for feature in ["fingerprint", "reset_node", "step", "node_step"] {
            assert!(
                hello["features"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(feature)),
                "{hello}"
            );
        }
        s.ok(json!({"op": "reset", "nodes": 3, "inject": null}));
        s
    }

    fn call(&mut self, mut request: Value) -> Value {
        request["id"] = json!(self.id);
        self.id += 1;
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{request}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    fn ok(&mut self, request: Value) -> Value {
        let answer = self.call(request.clone());
        answer
            .get("ok")
            .unwrap_or_else(|| panic!("{request} answered {answer}"))
            .clone()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A path that elects n1, commits nothing yet, and restarts n2 (which must recover its vote).
fn a_path() -> Vec<Value> {
    let vote = json!({"from": 1, "to": 2, "term": 1, "type": "RequestVote",
                      "last_log_index": 0, "last_log_term": 0});
    let granted = json!({"from": 2, "to": 1, "term": 1, "type": "RequestVoteResponse"});
    vec![
        json!({"input": "timeout", "node": 1}),
        json!({"input": "receive", "message": vote}),
        json!({"input": "receive", "message": granted}),
        json!({"input": "restart", "node": 2}),
    ]
}

#[test]
fn step_answers_what_apply_observe_and_fingerprint_answer() {
    if !available() {
        return;
    }
    let (mut single, mut stepped) = (Session::start(), Session::start());
    for input in a_path() {
        let outputs = single.ok(json!({"op": "apply", "input": input}))["outputs"].clone();
        let nodes = single.ok(json!({"op": "observe"}))["nodes"].clone();
        let fingerprint = single.ok(json!({"op": "fingerprint"}))["fingerprint"].clone();
        let step = stepped.ok(json!({"op": "step", "input": input}));
        assert_eq!(step["outputs"], outputs, "{input}");
        assert_eq!(step["nodes"], nodes, "{input}");
        assert_eq!(step["fingerprint"], fingerprint, "{input}");
    }
    // The restarted n2 kept its vote for n1, from its journal.
    let nodes = single.ok(json!({"op": "observe"}))["nodes"].clone();
    assert_eq!(nodes[1]["vote"], 1, "{nodes}");
    assert_eq!(nodes[1]["term"], 1, "{nodes}");
}

#[test]
fn node_step_answers_apply_and_the_stepped_nodes_own_view_and_fingerprint() {
    if !available() {
        return;
    }
    let (mut single, mut stepped) = (Session::start(), Session::start());
    for input in a_path() {
        let target = input["node"]
            .as_u64()
            .or(input["message"]["to"].as_u64())
            .unwrap() as usize;
        let before = stepped.ok(json!({"op": "node_fingerprints"}))["fingerprints"].clone();
        let outputs = single.ok(json!({"op": "apply", "input": input}))["outputs"].clone();
        let nodes = single.ok(json!({"op": "observe"}))["nodes"].clone();
        let step = stepped.ok(json!({"op": "node_step", "input": input}));
        assert_eq!(step["outputs"], outputs, "{input}");
        assert_eq!(step["node"], nodes[target - 1], "{input}");
        let after = stepped.ok(json!({"op": "node_fingerprints"}))["fingerprints"].clone();
        assert_eq!(step["fingerprint"], after[target - 1], "{input}");
        for k in 0..3 {
            if k != target - 1 {
                assert_eq!(before[k], after[k], "{input} changed n{}", k + 1);
            }
        }
    }
    // A fresh n2 and one that took inputs differ; n3, untouched, has a fresh node's print.
    let fresh = Session::start().ok(json!({"op": "node_fingerprints"}))["fingerprints"].clone();
    let now = stepped.ok(json!({"op": "node_fingerprints"}))["fingerprints"].clone();
    assert_ne!(fresh[1], now[1]);
    assert_eq!(fresh[2], now[2]);
}

/// The node memo answers most of PySyncObj's steps and changes nothing the check reports.
#[test]
fn the_node_memo_changes_nothing_pysyncobj_reports() {
    if !available() {
        return;
    }
    let dir = scratch("memo");
    let memo = common::agreeing_check(&args(&[]), &dir);
    let plain = common::agreeing_check(&args(&["--no-node-memo"]), &dir);
    common::assert_memo_changes_nothing(
        &memo,
        &plain,
        &["states", "spec_states", "steps", "coverage", "reached"],
        5,
        "pysyncobj",
    );
}

#[test]
fn replay_and_reset_node_return_to_an_explored_state() {
    if !available() {
        return;
    }
    let mut s = Session::start();
    let steps: Vec<Value> = a_path()
        .into_iter()
        .map(|input| json!({"op": "apply", "input": input}))
        .collect();
    assert_eq!(s.ok(json!({"op": "replay", "steps": steps})), json!({}));
    let there = (
        s.ok(json!({"op": "observe"})),
        s.ok(json!({"op": "fingerprint"})),
    );
    // n1 rebuilt and its inputs replayed: the same state and fingerprint as before.
    let again = vec![
        json!({"op": "reset_node", "node": 1}),
        json!({"op": "apply", "input": a_path()[0]}),
        json!({"op": "apply", "input": a_path()[2]}),
    ];
    assert_eq!(s.ok(json!({"op": "replay", "steps": again})), json!({}));
    assert_eq!(
        (
            s.ok(json!({"op": "observe"})),
            s.ok(json!({"op": "fingerprint"}))
        ),
        there
    );
    // A fresh n1 differs from its elected self, in state and in fingerprint.
    s.ok(json!({"op": "reset_node", "node": 1}));
    let fresh = s.ok(json!({"op": "observe"}));
    assert_eq!(fresh["nodes"][0]["term"], 0, "{fresh}");
    assert_ne!(s.ok(json!({"op": "fingerprint"})), there.1);
    // A failed step is named by its index.
    let bad = s.call(json!({"op": "replay", "steps": [
        {"op": "apply", "input": {"input": "timeout", "node": 1}},
        {"op": "observe"}]}));
    assert_eq!(bad["error"]["step"], 1, "{bad}");
    assert_eq!(bad["error"]["kind"], "fault", "{bad}");
}
