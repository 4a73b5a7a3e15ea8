//! Helpers shared by the end-to-end tests: running the `raftcheck` binary, scratch directories,
//! and reading what it printed.

// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The `raftcheck` binary under test with `args`, run in `cwd`, outside GitHub Actions (so no
/// annotations appear unless a test asks for them).
pub fn command(args: &[&str], cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_raftcheck"));
    c.args(args).current_dir(cwd).env_remove("GITHUB_ACTIONS");
    c
}

/// Runs `raftcheck args` in `cwd` to completion.
pub fn run(args: &[&str], cwd: &Path) -> Output {
    command(args, cwd).output().expect("raftcheck runs")
}

/// A fresh, empty directory for one test of `suite`.
pub fn scratch(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raftcheck-{suite}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What the run printed on stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What the run printed on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The run's stdout as one JSON value; a panic showing both streams otherwise.
pub fn json(o: &Output) -> Value {
    serde_json::from_str(stdout(o).trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(o), stderr(o)))
}

/// The exit code (the run must have exited, not been killed).
pub fn code(o: &Output) -> i32 {
    o.status
        .code()
        .unwrap_or_else(|| panic!("raftcheck did not exit normally: {:?}", o.status))
}

/// Runs `raftcheck check ARGS --quiet --format json` in `cwd`, which must agree (exit 0), and
/// returns its report.
pub fn agreeing_check(args: &[&str], cwd: &Path) -> Value {
    let all = json_check_args(args);
    let o = run(&all, cwd);
    assert_eq!(code(&o), 0, "raftcheck {}: {}", all.join(" "), stderr(&o));
    json(&o)
}

/// Runs `raftcheck args` in `cwd` to completion, with the variables `env` set for it.
pub fn run_with<V: AsRef<std::ffi::OsStr>>(args: &[&str], cwd: &Path, env: &[(&str, V)]) -> Output {
    let mut c = command(args, cwd);
    c.envs(env.iter().map(|(k, v)| (k, v)));
    c.output().expect("raftcheck runs")
}

/// The arguments of `raftcheck check ARGS --quiet --format json`: one configuration, one
/// report (pre-vote off unless ARGS say `--pre-vote`).
pub fn json_check_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    if !args.iter().any(|a| a.starts_with("--pre-vote")) {
        all.extend_from_slice(&["--pre-vote", "off"]);
    }
    all.extend_from_slice(&["--quiet", "--format", "json"]);
    all
}

/// Runs `raftcheck check ARGS --quiet --format json` in `cwd` with the variables `env` set;
/// returns its exit code and its report.
pub fn check_with<V: AsRef<std::ffi::OsStr>>(
    args: &[&str],
    cwd: &Path,
    env: &[(&str, V)],
) -> (i32, Value) {
    let o = run_with(&json_check_args(args), cwd, env);
    (code(&o), json(&o))
}

/// Runs `raftcheck check ARGS --quiet --format json` in `cwd`; returns its exit code and its
/// report.
pub fn check(args: &[&str], cwd: &Path) -> (i32, Value) {
    check_with::<&str>(args, cwd, &[])
}

/// Runs `raftcheck check ARGS --quiet --format json` in `cwd`, which must find a divergence
/// (exit 1), and returns its report.
pub fn diverging_check(args: &[&str], cwd: &Path) -> Value {
    let (code, r) = check(args, cwd);
    assert_eq!(code, 1, "raftcheck check {}: {r}", args.join(" "));
    assert_eq!(r["result"], "divergence", "{r}");
    r
}

/// The JSON file at `path` (a trace, a report).
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Writes `value` as the JSON file at `path`.
pub fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, value.to_string()).unwrap();
}

/// Asserts that `text` (what a run printed) contains every one of `needles`.
pub fn assert_says(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
}

/// The flags of the bounds within which `bug` shows quickly (`Bug::bounds`), leaving out
/// those `given` sets already.
pub fn bug_bounds(bug: &str, given: &[&str]) -> Vec<String> {
    let bug: raftcheck_adapter::inject::Bug = bug.parse().expect("a known bug");
    let line = raftcheck::report::bounds_line(&bug.bounds());
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut flags = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if !word.starts_with("--") || given.contains(word) {
            continue;
        }
        flags.push(word.to_string());
        if let Some(value) = words.get(i + 1).filter(|w| !w.starts_with("--")) {
            flags.push(value.to_string());
        }
    }
    flags
}

/// Checks with `bug` injected (and `args`, and the bug's own bounds) in `cwd`: the check must
/// find it within twelve steps — a divergence (exit 1), or raft-rs or etcd panicking over what
/// the buggy integration did (exit 3) — and write its trace at a path starting with
/// `trace_prefix`, and that trace must replay to the recorded outcome (exit 0). Returns the
/// replay's run.
pub fn assert_bug_found_and_replayed(
    args: &[&str],
    bug: &str,
    trace_prefix: &str,
    cwd: &Path,
) -> Output {
    let bounds = bug_bounds(bug, args);
    let mut all = vec!["--inject", bug];
    all.extend(bounds.iter().map(String::as_str));
    all.extend_from_slice(args);
    let (exit, r) = check(&all, cwd);
    let panicked = r["kind"] == "implementation-panicked";
    assert!(
        exit == 1 || (exit == 3 && panicked),
        "raftcheck check {}: exit {exit}: {r}",
        all.join(" ")
    );
    let step = r["step"].as_u64().unwrap();
    assert!((1..=12).contains(&step), "{bug}: trace of {step} steps");
    let trace = r["trace"].as_str().unwrap();
    assert!(trace.starts_with(trace_prefix), "{bug}: {trace}");
    assert!(cwd.join(trace).is_file(), "{bug}: trace not written");
    let replay = run(&["replay", trace], cwd);
    assert_eq!(code(&replay), 0, "{bug}: replay: {}", stdout(&replay));
    replay
}

/// Runs `raftcheck args` in `cwd`; asserts that it exits with `exit` and prints every one of
/// `says` on stdout. Returns the run.
pub fn assert_run(args: &[&str], cwd: &Path, exit: i32, says: &[&str]) -> Output {
    let o = run(args, cwd);
    assert_eq!(
        code(&o),
        exit,
        "raftcheck {}: {}",
        args.join(" "),
        stderr(&o)
    );
    assert_says(&stdout(&o), says);
    o
}

/// Runs `raftcheck args` in `cwd`; asserts that it is a usage error (exit 2) whose message on
/// stderr says every one of `says`. Returns the run.
pub fn assert_usage_error(args: &[&str], cwd: &Path, says: &[&str]) -> Output {
    let o = run(args, cwd);
    assert_eq!(code(&o), 2, "raftcheck {}: {}", args.join(" "), stderr(&o));
    assert_says(&stderr(&o), says);
    o
}

/// Asserts that a check with the node memo (`memo`, its JSON report) reported what the same
/// check with `--no-node-memo` (`plain`) did in each of `fields`, that `plain` kept no memo, and
/// that the memo answered more than `factor` times as many node steps as the implementation
/// computed. `what` names the check in failure messages.
pub fn assert_memo_changes_nothing(
    memo: &Value,
    plain: &Value,
    fields: &[&str],
    factor: u64,
    what: &str,
) {
    for field in fields {
        assert_eq!(memo[field], plain[field], "{field} with {what}");
    }
    assert!(plain["memo"].is_null(), "--no-node-memo keeps no memo");
    let (hits, misses) = (&memo["memo"]["hits"], &memo["memo"]["misses"]);
    assert!(
        hits.as_u64().unwrap() > factor * misses.as_u64().unwrap(),
        "{what}: hits {hits}, misses {misses}"
    );
}
