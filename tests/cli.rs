//! End-to-end tests of the `raftcheck` binary: exit codes, output, trace files, replay.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    assert_run, assert_says, assert_usage_error, code, json, read_json, run as raftcheck, stderr,
    stdout, write_json,
};
use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    common::scratch("cli", name)
}

/// Checks raft-rs with `bug` injected in `dir` (it must diverge) and returns the trace written.
fn found_trace(dir: &Path, bug: &str) -> Value {
    let r = common::diverging_check(&["--inject", bug], dir);
    read_json(&dir.join(r["trace"].as_str().unwrap()))
}

fn bug_names(dir: &Path) -> Vec<String> {
    let o = raftcheck(&["check", "--inject", "list"], dir);
    assert_eq!(code(&o), 0);
    stdout(&o).lines().map(str::to_string).collect()
}

#[test]
fn default_check_agrees_on_raft_rs_and_reaches_interesting_states() {
    let dir = scratch("default");
    let r = common::agreeing_check(&[], &dir);
    assert_eq!(r["result"], "agree");
    assert_eq!(r["complete"], true);
    assert_eq!(r["depth"], 12);
    assert!(r["states"].as_u64().unwrap() > 100_000, "{r}");
    assert!(r["events"].as_u64().unwrap() > r["states"].as_u64().unwrap());
    assert!(r["seconds"].as_f64().unwrap() > 0.0);
    for (name, depth) in r["reached"].as_object().unwrap() {
        assert!(depth.is_u64(), "{name} not reached at the default bounds");
    }
    assert!(!dir.join("traces").exists(), "no trace for an agreeing run");
}

#[test]
fn human_summary_names_the_result_and_the_speed() {
    let dir = scratch("human");
    assert_run(
        &["check", "--quiet", "--depth", "6"],
        &dir,
        0,
        &["result: agree", "implementation events/s", "product states"],
    );
}

#[test]
fn inject_list_prints_each_bug_once() {
    let dir = scratch("list");
    let names = bug_names(&dir);
    assert!(names.len() >= 6, "{names:?}");
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len());
    assert!(names.contains(&"vote-not-persisted".to_string()));
}

#[test]
fn every_injected_bug_is_found_with_a_short_replayable_trace() {
    let dir = scratch("bugs");
    for bug in bug_names(&dir) {
        let replay =
            common::assert_bug_found_and_replayed(&["--out", "found"], &bug, "found/", &dir);
        assert_says(&stdout(&replay), &["recorded outcome holds", "DIFFER"]);
    }
}

#[test]
fn a_divergence_prints_the_trace_the_diff_and_the_replay_command() {
    let dir = scratch("divergence");
    assert_run(
        &["check", "--inject", "vote-not-persisted", "--quiet"],
        &dir,
        1,
        &[
            "DIVERGENCE (state-mismatch) at step 2",
            "1  Timeout n1",
            "2  Restart n1",
            "n1.vote: spec n1, impl none",
            "replay with: raftcheck replay traces/",
        ],
    );
}

#[test]
fn replay_says_plainly_when_a_divergence_is_gone() {
    let dir = scratch("fixed");
    // The same events against stock raft-rs: the bug is "fixed".
    let mut t = found_trace(&dir, "term-not-persisted");
    t.as_object_mut().unwrap().remove("inject");
    write_json(&dir.join("fixed.json"), &t);
    assert_run(
        &["replay", "fixed.json"],
        &dir,
        1,
        &["the trace no longer diverges"],
    );
    let replay = raftcheck(&["replay", "fixed.json", "--format", "json"], &dir);
    assert_eq!(json(&replay)["verdict"], "fixed");
    assert_eq!(json(&replay)["result"], "agree");
}

#[test]
fn replay_reports_a_changed_outcome() {
    let dir = scratch("changed");
    let mut t = found_trace(&dir, "reply-to-wrong-peer");
    t["inject"] = Value::from("vote-not-persisted");
    write_json(&dir.join("changed.json"), &t);
    let replay = raftcheck(&["replay", "changed.json", "--format", "json"], &dir);
    assert_eq!(code(&replay), 1);
    assert_eq!(json(&replay)["verdict"], "fixed");
    // Recorded as agreeing, but the bug is back: a new divergence.
    t["inject"] = Value::from("reply-to-wrong-peer");
    t["expect"] = serde_json::json!({"result": "agree"});
    write_json(&dir.join("changed.json"), &t);
    assert_run(&["replay", "changed.json"], &dir, 1, &["outcome changed"]);
}

#[test]
fn malformed_trace_files_are_usage_errors_naming_the_position() {
    let dir = scratch("malformed");
    let cases: &[(&str, &str, &str)] = &[
        ("empty.json", "", "line 1, column 0"),
        ("cut.json", "{\"format\": \"raftcheck-trace\",\n", "line 2"),
        (
            "other.json",
            "{\"format\": \"junit\"}",
            "expected \"raftcheck-trace\"",
        ),
        ("list.json", "[1, 2]", "not a raftcheck trace"),
        (
            "version.json",
            "{\"format\": \"raftcheck-trace\", \"version\": 7}",
            "version 7 is not supported",
        ),
        (
            "fields.json",
            "{\"format\": \"raftcheck-trace\", \"version\": 1, \"mode\": \"lockstep\"}",
            "missing field",
        ),
    ];
    for (file, text, expected) in cases {
        std::fs::write(dir.join(file), text).unwrap();
        let o = raftcheck(&["replay", file], &dir);
        assert_eq!(code(&o), 2, "{file}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(file), "{file}: {err}");
        assert!(err.contains(expected), "{file}: {err}");
        assert!(!err.contains("panicked"), "{file}: {err}");
    }
    let o = raftcheck(&["replay", "no-such-file.json"], &dir);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no-such-file.json"));
}

/// A change to a trace file.
type TraceEdit = fn(&mut Value);

#[test]
fn a_trace_naming_an_unknown_node_or_bug_is_refused() {
    let dir = scratch("semantic");
    let original = found_trace(&dir, "vote-not-persisted");

    // Each edit, the replay refused (exit 2) with the message.
    let edits: [(&str, TraceEdit, &str); 3] = [
        (
            "node.json",
            |t| t["events"][1]["input"]["node"] = Value::from(9),
            "event 2",
        ),
        (
            "bug.json",
            |t| t["inject"] = Value::from("no-such-bug"),
            "unknown bug",
        ),
        (
            "adapter.json",
            |t| t["adapter"] = Value::from("paxos"),
            "unknown implementation",
        ),
    ];
    for (file, edit, expected) in edits {
        let mut t = original.clone();
        edit(&mut t);
        write_json(&dir.join(file), &t);
        assert_usage_error(&["replay", file], &dir, &[expected]);
    }
}

#[test]
fn a_trace_whose_messages_were_never_sent_stops_applying() {
    let dir = scratch("inapplicable");
    let mut t = found_trace(&dir, "unsynced-tail-lost");
    // Deliver a vote request that was never sent: term 5.
    t["events"][1]["input"]["message"]["term"] = Value::from(5);
    write_json(&dir.join("edited.json"), &t);
    assert_run(
        &["replay", "edited.json"],
        &dir,
        1,
        &["stops applying at step 2"],
    );
}

#[test]
fn a_check_covers_both_pre_vote_configurations_by_default() {
    let dir = scratch("both-configurations");
    // Two items, pre-vote off first, one JSON report per line.
    let o = raftcheck(
        &["check", "--quiet", "--depth", "7", "--format", "json"],
        &dir,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let reports: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON report per line"))
        .collect();
    let configurations: Vec<_> = reports.iter().map(|r| r["pre_vote"].clone()).collect();
    assert_eq!(
        configurations,
        [serde_json::json!(false), serde_json::json!(true)]
    );
    assert!(reports[1]["coverage"]["outputs"]["Send RequestPreVote"].as_u64() > Some(0));
    // Each reports what its search held in memory.
    for r in &reports {
        let per_state = r["bytes_per_state"].as_u64().expect("bytes per state");
        assert!(
            per_state > 0 && r["peak_memory_bytes"].as_u64() > Some(per_state),
            "{r}"
        );
    }

    // A bug is found in both; the people's report names both items, and the exit status is
    // the worst of the two.
    let o = raftcheck(
        &["check", "--quiet", "--inject", "vote-not-persisted"],
        &dir,
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert_says(
        &stdout(&o),
        &[
            "== 1 of 2: raft-rs with vote-not-persisted exhaustive",
            "== 2 of 2: raft-rs pre-vote with vote-not-persisted exhaustive",
            "2 configurations:",
            "raft-rs-pre-vote-vote-not-persisted",
        ],
    );
    // `--pre-vote off` and `--pre-vote` alone choose one.
    for (flag, on) in [
        (&["--pre-vote", "off"][..], false),
        (&["--pre-vote"][..], true),
    ] {
        let mut args = vec!["check", "--quiet", "--depth", "5", "--format", "json"];
        args.extend_from_slice(flag);
        let o = raftcheck(&args, &dir);
        assert_eq!(stdout(&o).lines().count(), 1, "{flag:?}");
        assert_eq!(json(&o)["pre_vote"], on, "{flag:?}");
    }
}

#[test]
fn pre_vote_is_checked_in_lockstep_and_its_traces_replay_with_it() {
    let dir = scratch("pre-vote");
    let r = common::agreeing_check(&["--pre-vote", "--depth", "9"], &dir);
    assert_eq!(
        (r["result"].clone(), r["pre_vote"].clone()),
        ("agree".into(), true.into())
    );
    assert!(r["coverage"]["outputs"]["Send RequestPreVoteResponse"].as_u64() > Some(0));

    // A bug is still found with pre-vote, and its trace records the flavour with pre-vote, so
    // replay drives the implementation with pre-vote again.
    let r = common::diverging_check(&["--pre-vote", "--inject", "vote-not-persisted"], &dir);
    let trace = r["trace"].as_str().unwrap();
    assert_says(trace, &["raft-rs-pre-vote-vote-not-persisted"]);
    let t = read_json(&dir.join(trace));
    assert_eq!(t["flavour"]["pre_vote"], true);
    assert!(t["events"].to_string().contains("RequestPreVote"));
    let replay = raftcheck(&["replay", trace], &dir);
    assert_eq!(code(&replay), 0, "{}", stdout(&replay));

    // The same events without pre-vote no longer even apply: the replay says the outcome changed.
    let mut plain = t.clone();
    plain["flavour"].as_object_mut().unwrap().remove("pre_vote");
    write_json(&dir.join("plain.json"), &plain);
    assert_eq!(code(&raftcheck(&["replay", "plain.json"], &dir)), 1);

    // The spec alone with pre-vote.
    let o = raftcheck(
        &[
            "check",
            "--spec-only",
            "--pre-vote",
            "--depth",
            "8",
            "--format",
            "json",
        ],
        &dir,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["pre_vote"], true);
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let dir = scratch("closed-pipe");
    let mut child = common::command(&["check", "--depth", "6"], &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `raftcheck check | head -0`
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(status.code(), Some(101), "{err}");
}

#[test]
fn bad_flags_are_usage_errors() {
    let dir = scratch("flags");
    let cases: &[&[&str]] = &[
        &["check", "--nodes", "0"],
        &["check", "--depth", "0"],
        &["check", "--max-term", "0"],
        &["check", "--nodes", "12"],
        &["check", "--impl", "paxos"],
        &["check", "--inject", "no-such-bug"],
        &["check", "--flavour", "etcd"],
        &["check", "--spec-only", "--inject", "vote-not-persisted"],
        &["check", "--spec-only", "--flavour", "zab"],
        &["check", "--shard", "3/2"],
        &["check", "--threads", "0"],
        &["check", "--depth", "many"],
        &["check", "--bogus"],
        &["frobnicate"],
        &["replay"],
    ];
    for args in cases {
        let o = raftcheck(args, &dir);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty(), "{args:?}: no message");
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn an_unwritable_trace_directory_is_refused_before_the_run() {
    let dir = scratch("unwritable-out");
    std::fs::write(dir.join("a-file"), "").unwrap();
    for mode in [&[][..], &["--spec-only"][..], &["--random"][..]] {
        let mut args = vec![
            "check",
            "--inject",
            "vote-not-persisted",
            "--out",
            "a-file/traces",
        ];
        if mode == ["--spec-only"] {
            args.truncate(1);
            args.extend(["--out", "a-file/traces"]);
        }
        args.extend(mode);
        let o = raftcheck(&args, &dir);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("traces cannot be written to a-file/traces")
                && stderr(&o).contains("is not a directory"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(
            stdout(&o).is_empty(),
            "{args:?}: refused before anything ran: {}",
            stdout(&o)
        );
    }
    // A directory that does not exist yet is fine: it is created when a trace is written.
    let o = raftcheck(
        &[
            "check",
            "--inject",
            "vote-not-persisted",
            "--out",
            "new/traces",
            "--quiet",
        ],
        &dir,
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    // One trace per pre-vote configuration checked.
    assert_eq!(
        std::fs::read_dir(dir.join("new/traces")).unwrap().count(),
        2
    );
}

#[test]
fn spec_only_holds_and_reports_states() {
    let dir = scratch("spec-only");
    let o = raftcheck(
        &[
            "check",
            "--spec-only",
            "--pre-vote",
            "off",
            "--depth",
            "8",
            "--format",
            "json",
        ],
        &dir,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["result"], "agree");
    assert_eq!(r["mode"], "spec-only");
    assert!(r["states"].as_u64().unwrap() > 1000);
    assert!(r["events"].is_u64() && r["seconds"].is_f64());
}

#[test]
fn check_output_is_deterministic_whatever_the_thread_count() {
    let dir = scratch("determinism");
    let run = |threads: &str| {
        let r = common::agreeing_check(&["--depth", "9", "--threads", threads], &dir);
        (
            r["states"].clone(),
            r["spec_states"].clone(),
            r["steps"].clone(),
            r["reached"].clone(),
            r["coverage"].clone(),
        )
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("1"));

    let bug = |threads: &str| {
        let r = common::diverging_check(
            &["--inject", "conflict-not-truncated", "--threads", threads],
            &dir,
        );
        let trace = std::fs::read_to_string(dir.join(r["trace"].as_str().unwrap())).unwrap();
        (r["trace"].clone(), trace)
    };
    assert_eq!(bug("1"), bug("2"));
}

#[test]
fn explore_serves_stateright_s_explorer_on_the_spec() {
    use std::io::{Read, Write};
    let dir = scratch("explore");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_raftcheck"))
        .args(["explore", "--address", &address, "--depth", "4"])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut body = String::new();
    for _ in 0..100 {
        if let Ok(mut s) = std::net::TcpStream::connect(&address) {
            write!(s, "GET /.status HTTP/1.0\r\nHost: {address}\r\n\r\n").unwrap();
            s.read_to_string(&mut body).unwrap();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        body.starts_with("HTTP/1.") && body.contains(" 200 "),
        "{body}"
    );
    assert!(body.contains("election safety"), "{body}");
    assert!(body.contains("RaftModel"), "{body}");

    let o = raftcheck(&["explore", "--address", "no-such-host:-1"], &dir);
    assert_eq!(code(&o), 2);
}
