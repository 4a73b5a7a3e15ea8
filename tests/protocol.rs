//! The adapter protocol end to end: a real implementation behind it (raft-rs served by
//! `raftcheck serve`) agrees exactly like the in-process adapter, and children that misbehave in
//! every way the protocol rules out end the run with exit 3, a clear message with their stderr
//! tail, and a trace on disk — never a hang, never a leftover process.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::json;

fn raftcheck(args: &[&str], cwd: &Path, env: &[(&str, &Path)]) -> Output {
    let mut command = common::command(args, cwd);
    command.envs(env.iter().copied());
    command.output().expect("raftcheck runs")
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("protocol", name)
}

fn served() -> String {
    format!("cmd:{} serve", env!("CARGO_BIN_EXE_raftcheck"))
}

fn fake(mode: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake-child.sh");
    format!("cmd:{} {mode}", script.display())
}

/// True while the process exists.
fn alive(pid: &str) -> bool {
    Path::new("/proc").join(pid).exists()
}

#[test]
fn served_raft_rs_explores_exactly_like_the_in_process_adapter() {
    let dir = scratch("served");
    let args = |imp: &str| {
        let o = raftcheck(
            &[
                "check", "--impl", imp, "--depth", "8", "--quiet", "--format", "json",
            ],
            &dir,
            &[],
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "{imp}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let r = json(&o);
        (
            r["states"].clone(),
            r["spec_states"].clone(),
            r["steps"].clone(),
        )
    };
    assert_eq!(args("raft-rs"), args(&served()));
}

#[test]
fn pre_vote_travels_through_the_protocol() {
    let dir = scratch("served-pre-vote");
    let run = |imp: &str| {
        let o = raftcheck(
            &[
                "check",
                "--impl",
                imp,
                "--pre-vote",
                "--depth",
                "9",
                "--quiet",
                "--format",
                "json",
            ],
            &dir,
            &[],
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "{imp}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let r = json(&o);
        assert_eq!(r["pre_vote"], true, "{imp}");
        (
            r["states"].clone(),
            r["steps"].clone(),
            r["coverage"].clone(),
        )
    };
    let in_process = run("raft-rs");
    assert!(
        in_process.2["inputs"]["Receive RequestPreVote"].as_u64() > Some(0),
        "pre-votes were exercised: {}",
        in_process.2
    );
    assert_eq!(in_process, run(&served()));

    // A child that does not list the pre_vote feature cannot be checked with it: a usage error.
    let o = raftcheck(
        &[
            "check",
            "--impl",
            &fake("well-behaved"),
            "--pre-vote",
            "--quiet",
        ],
        &dir,
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot run with pre-vote"), "{err}");
}

#[test]
fn bugs_are_injected_through_the_protocol_and_traces_replay() {
    let dir = scratch("served-bug");
    let o = raftcheck(
        &[
            "check",
            "--impl",
            &served(),
            "--inject",
            "stale-term-as-current",
            "--quiet",
            "--format",
            "json",
        ],
        &dir,
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let r = json(&o);
    assert_eq!(r["result"], "divergence");
    assert_eq!(r["step"], 4);
    let trace = r["trace"].as_str().unwrap();
    let replay = raftcheck(&["replay", trace], &dir, &[]);
    assert_eq!(replay.status.code(), Some(0));
}

#[test]
fn a_bug_the_child_does_not_support_is_a_usage_error() {
    let dir = scratch("unsupported");
    let o = raftcheck(
        &[
            "check",
            "--impl",
            &fake("well-behaved"),
            "--inject",
            "vote-not-persisted",
        ],
        &dir,
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot inject 'vote-not-persisted'"), "{err}");
}

#[test]
fn misbehaving_children_are_faults_with_a_message_a_trace_and_no_leftovers() {
    let dir = scratch("misbehaving");
    let pids = dir.join("pids");
    std::fs::create_dir_all(&pids).unwrap();
    let cases: &[(&str, usize, &str)] = &[
        ("hang-at-start", 0, "no answer within 0.5 s"),
        ("exit-at-start", 0, "the child exited (exit status: 7)"),
        ("wrong-version", 0, "speaks protocol version 2"),
        ("garbage-at-start", 0, "not a protocol response"),
        ("unknown-flavour", 0, "names flavour 'paxos'"),
        ("hang-on-apply", 1, "no answer within 0.5 s"),
        ("exit-on-apply", 1, "the child exited (exit status: 2)"),
        ("garbage-on-apply", 1, "DEBUG applying input"),
        ("wrong-id-on-apply", 1, "with id"),
        ("bad-shape-on-apply", 1, "unknown variant `teleport`"),
        (
            "fault-on-apply",
            1,
            "reported a fault in apply: assertion failed",
        ),
    ];
    for (mode, step, expected) in cases {
        let out = format!("traces-{mode}");
        let o = raftcheck(
            &[
                "check",
                "--impl",
                &fake(mode),
                "--timeout",
                "0.5",
                "--depth",
                "3",
                "--quiet",
                "--format",
                "json",
                "--out",
                &out,
            ],
            &dir,
            &[("FAKE_PIDS", &pids)],
        );
        assert_eq!(
            o.status.code(),
            Some(3),
            "{mode}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        let r = json(&o);
        assert_eq!(r["result"], "fault", "{mode}");
        assert_eq!(r["kind"], "adapter-fault", "{mode}");
        assert_eq!(r["step"], *step, "{mode}");
        let findings = r["problems"][0]["findings"].to_string();
        assert!(findings.contains(expected), "{mode}: {findings}");
        if !mode.contains("flavour") {
            assert!(findings.contains("stderr tail"), "{mode}: {findings}");
        }
        let trace = dir.join(r["trace"].as_str().unwrap());
        assert!(trace.is_file(), "{mode}: no trace");
        // The trace replays to the same fault.
        let replay = raftcheck(
            &["replay", trace.to_str().unwrap(), "--timeout", "0.5"],
            &dir,
            &[("FAKE_PIDS", &pids)],
        );
        assert_eq!(replay.status.code(), Some(0), "{mode}: replay");
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let started: Vec<String> = std::fs::read_dir(&pids)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(started.len() >= cases.len());
    let left: Vec<&String> = started.iter().filter(|p| alive(p)).collect();
    assert!(left.is_empty(), "children left behind: {left:?}");
}

#[test]
fn a_refusal_through_the_protocol_is_an_input_refused_divergence() {
    let dir = scratch("refused");
    let o = raftcheck(
        &[
            "check",
            "--impl",
            &fake("refuse-on-apply"),
            "--depth",
            "2",
            "--quiet",
            "--format",
            "json",
        ],
        &dir,
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json(&o)["kind"], "input-refused");
}

#[test]
fn a_missing_program_is_a_fault_naming_it() {
    let dir = scratch("missing");
    let o = raftcheck(
        &["check", "--impl", "cmd:./no-such-adapter", "--quiet"],
        &dir,
        &[],
    );
    assert_eq!(o.status.code(), Some(3));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("cannot start ./no-such-adapter"), "{out}");
    assert!(
        out.contains("result: ADAPTER FAULT at step 0 — the implementation failed here"),
        "a fault is reported as a fault, not as a divergence: {out}"
    );
    assert!(
        out.contains("coverage: no input reached the implementation"),
        "{out}"
    );
}
