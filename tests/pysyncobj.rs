//! PySyncObj for real: the Python adapter drives the `pysyncobj` package from PyPI (the pinned
//! version), stock PySyncObj agrees with the pysyncobj flavour at small bounds, every bug the
//! adapter injects is found with a replayable trace, and a Python without the package is a clear
//! setup error.
//!
//! These tests need python3 with the pinned package (`.ci/run` installs it with pip). Without it
//! they fail under CI=true and are skipped with a printed reason elsewhere.

mod common;

use std::path::PathBuf;
use std::process::Command;

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
const BUGS: [&str; 4] = [
    "vote-not-persisted",
    "term-not-persisted",
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
