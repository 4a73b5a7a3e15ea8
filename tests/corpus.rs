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

#[test]
fn every_trace_replays_to_its_recorded_outcome() {
    let files = corpus();
    assert!(!files.is_empty());
    for file in files {
        let trace = Trace::load(&file).unwrap_or_else(|e| panic!("{e}"));
        if trace.adapter.as_deref() == Some("etcd") && skip_etcd() {
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
    for adapter in ["raft-rs", "etcd"] {
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
