//! The shipped trace corpus: every trace in `traces/` replays to its recorded outcome, and
//! every injectable bug has a trace there.

use std::path::{Path, PathBuf};
use std::time::Duration;

use raftcheck::commands::replay::{replay, Verdict};
use raftcheck::engine::Outcome;
use raftcheck::trace::Trace;
use raftcheck_adapter::inject::Bug;

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("traces/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// etcd traces need Go and etcd's sources (`.ci/run` installs them); RAFTCHECK_SKIP_ETCD=1
/// leaves them out deliberately.
fn skip_etcd() -> bool {
    std::env::var("RAFTCHECK_SKIP_ETCD").is_ok_and(|v| v == "1")
}

/// PySyncObj traces need python3 with the pinned pysyncobj (`.ci/run` installs it with pip):
/// under CI=true they must run; elsewhere they are skipped, saying why, when it is missing.
fn skip_pysyncobj() -> bool {
    let pinned = raftcheck_adapter::pysyncobj::pinned_version();
    let found = std::process::Command::new(raftcheck_adapter::pysyncobj::python())
        .args(["-c", "import pysyncobj.version as v; print(v.VERSION)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if found.as_deref() == Some(pinned) || std::env::var("CI").as_deref() == Ok("true") {
        return false;
    }
    eprintln!(
        "skipping the PySyncObj traces: python3 has no pysyncobj {pinned}; install it with `{}`",
        raftcheck_adapter::pysyncobj::PIP_INSTALL
    );
    true
}

#[test]
fn every_trace_replays_to_its_recorded_outcome() {
    let files = corpus();
    assert!(!files.is_empty());
    for file in files {
        let trace = Trace::load(&file).unwrap_or_else(|e| panic!("{e}"));
        if matches!(trace.adapter.as_deref(), Some("etcd" | "etcd-3.6")) && skip_etcd() {
            continue;
        }
        if trace.adapter.as_deref() == Some("pysyncobj") && skip_pysyncobj() {
            continue;
        }
        let expected = trace.expect.clone();
        let r = replay(trace, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(
            r.verdict,
            Verdict::Holds,
            "{}: recorded {expected}, now {:?}",
            file.display(),
            r.execution.end
        );
    }
}

#[test]
fn every_injectable_bug_has_a_diverging_trace_for_each_implementation() {
    let traces: Vec<Trace> = corpus().iter().map(|f| Trace::load(f).unwrap()).collect();
    for adapter in ["raft-rs", "etcd", "etcd-3.6"] {
        for bug in Bug::ALL {
            let found = traces.iter().any(|t| {
                t.adapter.as_deref() == Some(adapter)
                    && t.inject.as_deref() == Some(bug.name())
                    && matches!(t.expect, Outcome::Divergence { .. })
            });
            assert!(found, "no {adapter} trace for {bug} in traces/");
        }
    }
}

#[test]
fn every_trace_is_named_by_the_tag_of_its_path() {
    // A refactor of the spec's types must not rename the traces a check writes: the tag hashes
    // the path in its trace-file form.
    for file in corpus() {
        let trace = Trace::load(&file).unwrap();
        let inputs: Vec<_> = trace.inputs().cloned().collect();
        let tag = raftcheck::record::path_tag(&inputs);
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with(&tag), "{}: tag {tag}", file.display());
    }
}
