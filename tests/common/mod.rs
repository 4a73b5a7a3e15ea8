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
    o.status.code().expect("exited normally")
}

/// Runs `raftcheck check ARGS --quiet --format json` in `cwd`, which must agree (exit 0), and
/// returns its report.
pub fn agreeing_check(args: &[&str], cwd: &Path) -> Value {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--quiet", "--format", "json"]);
    let o = run(&all, cwd);
    assert_eq!(code(&o), 0, "raftcheck {}: {}", all.join(" "), stderr(&o));
    json(&o)
}
