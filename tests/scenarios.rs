//! Scenario scripts: every `testdata/*.txt` runs on four targets — the spec alone (the fixture
//! adapter, raft-rs flavour), raft-rs in-process, and etcd 3.4 and v3.6 through the Go adapter
//! built against each — with every step judged in lockstep against the spec, and what each
//! target printed must be what the script expects (testdata/README.md describes the format).
//!
//! `RAFTCHECK_REWRITE=1 cargo test --release --test scenarios` rewrites the expected output of
//! every script from what the targets print (all four are needed for that).
//!
//! The etcd targets need Go, etcd raft 3.4's sources and the v3.6 module (see tests/etcd.rs and
//! tests/etcd36.rs). When they are missing the run fails under `CI=true` and is skipped with a
//! notice otherwise; `RAFTCHECK_SKIP_ETCD=1` skips them deliberately.

#[path = "scenarios/runner.rs"]
mod runner;
#[path = "scenarios/script.rs"]
mod script;

use std::path::{Path, PathBuf};

use raftcheck::adapters::ImplChoice;
use raftcheck_adapter::etcd::{self, EtcdVersion};
use raftcheck_adapter::fixture::{Defect, FixtureAdapter};
use raftcheck_adapter::inject::Bug;
use raftcheck_adapter::raft_rs::RaftRsAdapter;
use raftcheck_adapter::Adapter;
use raftcheck_spec::Flavour;

use runner::{Setup, Target};
use script::{expectations, Script};

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

fn spec_target(defect: Option<Defect>) -> Target {
    Target {
        name: "spec",
        flavour: |s| Flavour::raft_rs().with_pre_vote(s.pre_vote),
        build: Box::new(move |s: &Setup| {
            let mut a = FixtureAdapter::new(Flavour::raft_rs().with_pre_vote(s.pre_vote));
            if let Some(d) = defect {
                a = a.with_defect(d);
            }
            Ok(Box::new(a) as Box<dyn Adapter>)
        }),
    }
}

fn raft_rs_target(bug: Option<Bug>) -> Target {
    Target {
        name: "raft-rs",
        flavour: |s| Flavour::raft_rs().with_pre_vote(s.pre_vote),
        build: Box::new(move |s: &Setup| {
            Ok(
                Box::new(RaftRsAdapter::with_bug(bug).with_pre_vote(s.pre_vote))
                    as Box<dyn Adapter>,
            )
        }),
    }
}

fn etcd_target(version: EtcdVersion) -> Target {
    let (name, flavour): (&'static str, fn(&Setup) -> Flavour) = match version {
        EtcdVersion::V3_4 => ("etcd", |s| Flavour::etcd().with_pre_vote(s.pre_vote)),
        EtcdVersion::V3_6 => ("etcd-3.6", |s| {
            Flavour::etcd_3_6().with_pre_vote(s.pre_vote)
        }),
    };
    Target {
        name,
        flavour,
        build: Box::new(move |s: &Setup| {
            ImplChoice::new(name, None)
                .expect("a known implementation")
                .with_pre_vote(s.pre_vote)
                .build()
        }),
    }
}

/// The etcd targets (3.4 and v3.6) if they can run here; none after printing why not (a panic
/// under CI).
fn etcd_if_available() -> Vec<Target> {
    EtcdVersion::ALL
        .into_iter()
        .filter_map(etcd_version_if_available)
        .collect()
}

fn etcd_version_if_available(version: EtcdVersion) -> Option<Target> {
    if std::env::var("RAFTCHECK_SKIP_ETCD").is_ok_and(|v| v == "1") {
        eprintln!("RAFTCHECK_SKIP_ETCD=1: the scenario scripts run without the etcd targets");
        return None;
    }
    match etcd::ensure_built_version(version) {
        Ok(_) => Some(etcd_target(version)),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "CI=true and the etcd target cannot run: {e}\n(set {} to a GOPATH with etcd raft \
             3.4's sources, or RAFTCHECK_SKIP_ETCD=1 to skip it deliberately)",
            etcd::GOPATH_VARIABLE
        ),
        Err(e) => {
            eprintln!(
                "NOTICE: the scenario scripts run without the etcd target, which cannot run \
                 here: {e}"
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running and comparing
// ---------------------------------------------------------------------------------------------

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// Every `testdata/*.txt`, sorted: (name as shown, path, text).
fn scripts() -> Vec<(String, PathBuf, String)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(testdata())
        .expect("testdata/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = format!("testdata/{}", p.file_name().unwrap().to_string_lossy());
            let text = std::fs::read_to_string(&p).expect("readable script");
            (name, p, text)
        })
        .collect()
}

/// What every target printed for every block of a script.
struct Printed<'t> {
    by_target: Vec<(&'t str, Vec<Vec<String>>)>,
}

/// Runs `script` on every target; an error (script error or divergence) for the first target
/// that cannot run it through.
fn run_all<'t>(script: &Script, targets: &'t [Target]) -> Result<Printed<'t>, String> {
    let mut by_target = Vec::new();
    for target in targets {
        by_target.push((target.name, runner::run(script, target)?));
    }
    Ok(Printed { by_target })
}

/// Every block whose printed output differs from what the script expects for that target: a
/// message naming the script, the line where they first differ, the target, and a diff.
fn mismatches(script: &Script, printed: &Printed) -> Vec<String> {
    let mut found = Vec::new();
    for (k, block) in script.blocks.iter().enumerate() {
        for (target, outputs) in &printed.by_target {
            let actual = &outputs[k];
            let Some(expected) = block.expected_for(target) else {
                found.push(format!(
                    "{}:{}: `{}` has no expected output for {target}",
                    script.name, block.line, block.command
                ));
                continue;
            };
            if expected.lines == *actual {
                continue;
            }
            let first = (0..)
                .find(|&i| expected.lines.get(i) != actual.get(i))
                .expect("the outputs differ somewhere");
            let mut message = format!(
                "{}:{}: `{}` on {target}: the output differs from the expected output\n",
                script.name,
                expected.first_line + first,
                block.command
            );
            for i in 0..expected.lines.len().max(actual.len()) {
                match (expected.lines.get(i), actual.get(i)) {
                    (Some(e), Some(a)) if e == a => message.push_str(&format!("    {e}\n")),
                    (e, a) => {
                        if let Some(e) = e {
                            message.push_str(&format!(
                                "  - {e}    (line {})\n",
                                expected.first_line + i
                            ));
                        }
                        if let Some(a) = a {
                            message.push_str(&format!("  + {a}\n"));
                        }
                    }
                }
            }
            found.push(message);
        }
    }
    found
}

/// The script's text with the expectations rewritten from what the targets printed.
fn rewritten(script: &Script, printed: &Printed) -> String {
    let outputs: Vec<_> = (0..script.blocks.len())
        .map(|k| {
            let per_target: Vec<(&str, Vec<String>)> = printed
                .by_target
                .iter()
                .map(|(t, o)| (*t, o[k].clone()))
                .collect();
            expectations(&per_target)
        })
        .collect();
    script.render_with(&outputs)
}

/// Parses and runs `text` as script `name` on `targets`: every problem, one message each.
fn check_text(name: &str, text: &str, targets: &[Target]) -> Vec<String> {
    let script = match Script::parse(name, text) {
        Ok(s) => s,
        Err(e) => return vec![e],
    };
    match run_all(&script, targets) {
        Ok(printed) => mismatches(&script, &printed),
        Err(e) => vec![e],
    }
}

// ---------------------------------------------------------------------------------------------
// The scripts
// ---------------------------------------------------------------------------------------------

/// Every script, on the spec, raft-rs and etcd: each step agrees with the spec in lockstep and
/// prints what the script expects. With RAFTCHECK_REWRITE=1 the expectations are rewritten.
#[test]
fn every_script_runs_on_every_target_as_expected() {
    let mut targets = vec![spec_target(None), raft_rs_target(None)];
    let etcd = etcd_if_available();
    let complete = etcd.len() == EtcdVersion::ALL.len();
    targets.extend(etcd);
    let rewrite = std::env::var("RAFTCHECK_REWRITE").is_ok_and(|v| v == "1");
    assert!(
        complete || !rewrite,
        "RAFTCHECK_REWRITE=1 needs every target, and etcd cannot run here"
    );
    let all = scripts();
    assert!(all.len() >= 8, "testdata/ holds {} scripts", all.len());
    let mut problems = Vec::new();
    for (name, path, text) in &all {
        let script = match Script::parse(name, text) {
            Ok(s) => s,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let printed = match run_all(&script, &targets) {
            Ok(p) => p,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        if rewrite {
            let new = rewritten(&script, &printed);
            if new != *text {
                std::fs::write(path, new).expect("script written");
                eprintln!("rewrote {name}");
            }
        } else {
            problems.extend(mismatches(&script, &printed));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) in the scenario scripts (RAFTCHECK_REWRITE=1 rewrites the expected \
         output):\n\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Every script is in canonical form: parsing and rendering it gives the same text, so a
/// rewrite changes only what the targets print differently.
#[test]
fn every_script_is_in_canonical_form() {
    for (name, _, text) in scripts() {
        let script = Script::parse(&name, &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(script.render(), text, "{name} is not in canonical form");
    }
}

// ---------------------------------------------------------------------------------------------
// The harness fails when it should
// ---------------------------------------------------------------------------------------------

/// One expected line changed on purpose: the harness fails, naming the script and the line,
/// with the expected and the printed line side by side.
#[test]
fn a_wrong_expected_line_fails_with_a_diff_naming_the_script_and_line() {
    let (name, _, text) = scripts()
        .into_iter()
        .find(|(n, _, _)| n == "testdata/election.txt")
        .expect("testdata/election.txt");
    let targets = [spec_target(None), raft_rs_target(None)];
    assert_eq!(check_text(&name, &text, &targets), Vec::<String>::new());

    let script = Script::parse(&name, &text).unwrap();
    let block = &script.blocks[1];
    let expected = block.expected_for("raft-rs").unwrap();
    // `  → Send RequestVote n1→n2 t1 last=(0,t0)`, the second line of `timeout 1`.
    let line = expected.first_line + 1;
    let right = &expected.lines[1];
    let wrong = right.replace("n2", "n3");
    assert_ne!(&wrong, right);
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[line - 1], right);
    lines[line - 1] = &wrong;
    let broken = lines.join("\n") + "\n";

    let problems = check_text(&name, &broken, &targets);
    assert!(!problems.is_empty(), "a wrong line passed");
    let report = problems.join("\n");
    assert!(
        report.contains(&format!(
            "testdata/election.txt:{line}: `{}`",
            block.command
        )),
        "{report}"
    );
    assert!(
        report.contains(&format!("  - {wrong}    (line {line})")),
        "{report}"
    );
    assert!(report.contains(&format!("  + {right}")), "{report}");
}

/// A rewrite turns a script with wrong expectations into one that passes, keeping comments.
#[test]
fn the_rewrite_regenerates_the_expected_output() {
    let text = "# an election\ntimeout 1\n----\nnothing right\n\nstate\n----\n";
    let targets = [spec_target(None)];
    let script = Script::parse("t.txt", text).unwrap();
    let printed = run_all(&script, &targets).unwrap();
    assert_eq!(mismatches(&script, &printed).len(), 2);
    let new = rewritten(&script, &printed);
    assert!(
        new.starts_with("# an election\ntimeout 1\n----\nTimeout n1\n"),
        "{new}"
    );
    assert_eq!(check_text("t.txt", &new, &targets), Vec::<String>::new());
}

/// A script that drives a target into a divergence fails loudly, whatever it expects: the
/// lockstep judgement runs on every step.
#[test]
fn a_divergence_fails_the_script_instead_of_being_printed() {
    let text = "timeout 1\n----\n\nrestart 1\n----\n";
    for target in [
        spec_target(Some(Defect::VoteForgottenOnRestart)),
        raft_rs_target(Some(Bug::VoteNotPersisted)),
    ] {
        let problems = check_text("t.txt", text, std::slice::from_ref(&target));
        assert_eq!(problems.len(), 1, "{problems:?}");
        let p = &problems[0];
        assert!(p.starts_with("t.txt:4: `restart 1` on "), "{p}");
        assert!(p.contains("diverges from the spec at Restart n1"), "{p}");
        assert!(p.contains("n1.vote: spec n1, impl none"), "{p}");
    }
}

/// Bad scripts are errors naming the line, never panics.
#[test]
fn bad_commands_name_the_script_and_line() {
    let targets = [spec_target(None)];
    for (text, want) in [
        (
            "state\n----\n\njump 1\n----\n",
            "t.txt:4: `jump 1` on spec: unknown command",
        ),
        (
            "propose 1 v2\n----\n",
            "t.txt:1: `propose 1 v2` on spec: ClientRequest n1 v2 cannot be taken: the next \
             client value is v1",
        ),
        (
            "timeout 4\n----\n",
            "t.txt:1: `timeout 4` on spec: Timeout n4 cannot be taken",
        ),
        (
            "timeout 1\nTimeout n1\n",
            "t.txt:1: `timeout 1` is not followed by a `----` line",
        ),
    ] {
        let problems = check_text("t.txt", text, &targets);
        assert!(
            problems.len() == 1 && problems[0].starts_with(want),
            "{text:?}: {problems:?}"
        );
    }
}
