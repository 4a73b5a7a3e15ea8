//! `raftcheck ci`: the corpus replays, fixed traces are "fixed?" rather than regressions, the
//! JUnit XML is valid with the right counts, GitHub annotations appear under Actions, and the
//! configuration file drives the checks.

mod common;

use std::path::{Path, PathBuf};

use common::{
    assert_says, assert_usage_error, json, read_json, run as raftcheck, run_with, stdout,
    write_json,
};
use serde_json::Value;

/// A project directory with a copy of the shipped corpus and a small configuration.
fn project(name: &str, config: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raftcheck-ci-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("traces")).unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    for entry in std::fs::read_dir(corpus).unwrap() {
        let path = entry.unwrap().path();
        let is_raft_rs = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("raft-rs-") && n.ends_with(".json"));
        if is_raft_rs {
            std::fs::copy(&path, dir.join("traces").join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(dir.join("raftcheck.toml"), config).unwrap();
    dir
}

const SMALL: &str = "[bounds]\ndepth = 6\n\n[[check]]\nimpl = \"raft-rs\"\n";

fn corpus_size(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("traces")).unwrap().count()
}

/// Edits one trace of the project's corpus.
fn edit_trace(dir: &Path, prefix: &str, edit: impl Fn(&mut Value)) -> String {
    let file = std::fs::read_dir(dir.join("traces"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap();
    let mut t = read_json(&file);
    edit(&mut t);
    write_json(&file, &t);
    format!("traces/{}", file.file_name().unwrap().to_string_lossy())
}

/// The item of a `ci --format json` report named `name`.
fn item_named(report: &Value, name: &str) -> Value {
    let items = report["items"].as_array().unwrap();
    let item = items.iter().find(|i| i["name"] == name);
    item.unwrap_or_else(|| panic!("no item {name}: {report}"))
        .clone()
}

#[test]
fn the_corpus_replays_and_the_check_passes() {
    let dir = project("pass", SMALL);
    let o = raftcheck(&["ci", "--quiet"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_says(&stdout(&o), &["result: pass", "as recorded"]);
    let o = raftcheck(&["ci", "--quiet", "--format", "json"], &dir);
    let r = json(&o);
    assert_eq!(r["result"], "pass");
    let items = r["items"].as_array().unwrap();
    // The one check covers both pre-vote configurations: two items, pre-vote off first.
    assert_eq!(items.len(), corpus_size(&dir) + 2);
    let names: Vec<_> = items[items.len() - 2..]
        .iter()
        .map(|i| i["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            serde_json::json!("raft-rs exhaustive"),
            serde_json::json!("raft-rs pre-vote exhaustive")
        ]
    );
    let check = &items[items.len() - 2];
    assert_eq!(check["kind"], "check");
    assert!(
        check["report"]["coverage"]["inputs"]["Timeout"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn a_fixed_bug_is_fixed_not_a_regression() {
    let dir = project("fixed", SMALL);
    let fixed = edit_trace(&dir, "raft-rs-term-not-persisted", |t| {
        t.as_object_mut().unwrap().remove("inject");
    });
    let o = raftcheck(&["ci", "--quiet", "--format", "json"], &dir);
    assert_eq!(o.status.code(), Some(0), "fixed? alone does not fail");
    let r = json(&o);
    assert_eq!(r["counts"]["fixed"], 1);
    assert_eq!(r["counts"]["failed"], 0);
    let item = item_named(&r, &fixed);
    assert_eq!(item["status"], "fixed");
    assert!(item["summary"].as_str().unwrap().contains("fixed?"));
    let o = raftcheck(&["ci", "--quiet", "--fail-on-fixed"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("fixed?"), "{}", stdout(&o));

    // Re-recorded, the trace expects agreement and passes.
    let o = raftcheck(&["replay", &fixed, "--update"], &dir);
    assert_eq!(o.status.code(), Some(0));
    let o = raftcheck(&["ci", "--quiet", "--fail-on-fixed"], &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn a_changed_outcome_is_a_regression() {
    let dir = project("regression", SMALL);
    let changed = edit_trace(&dir, "raft-rs-reply-to-wrong-peer", |t| {
        t["expect"] = serde_json::json!({"result": "agree"});
    });
    let o = raftcheck(&["ci", "--quiet", "--format", "json"], &dir);
    assert_eq!(o.status.code(), Some(1));
    let r = json(&o);
    assert_eq!(r["result"], "fail");
    assert_eq!(r["counts"]["failed"], 1);
    let item = item_named(&r, &changed);
    assert_eq!(item["status"], "failed");
    // The misaddressed reply is one finding, a wrong reply, not an unexpected output plus a
    // missing one.
    let details = item["details"].to_string();
    assert!(
        details.contains("wrong reply: n2 must send its RequestVoteResponse to n1")
            && !details.contains("missing output"),
        "{item}"
    );
}

#[test]
fn junit_xml_is_valid_with_the_right_counts() {
    let dir = project("junit", SMALL);
    edit_trace(&dir, "raft-rs-term-not-persisted", |t| {
        t.as_object_mut().unwrap().remove("inject");
    });
    edit_trace(&dir, "raft-rs-reply-to-wrong-peer", |t| {
        t["expect"] = serde_json::json!({"result": "agree"});
    });
    let o = raftcheck(&["ci", "--quiet", "--junit", "reports/junit.xml"], &dir);
    assert_eq!(o.status.code(), Some(1));
    let xml = std::fs::read_to_string(dir.join("reports/junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("valid XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let total = corpus_size(&dir) + 2;
    assert_eq!(root.attribute("tests"), Some(total.to_string().as_str()));
    assert_eq!(root.attribute("failures"), Some("1"));
    assert_eq!(root.attribute("skipped"), Some("1"));
    assert_eq!(root.attribute("errors"), Some("0"));
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    assert_eq!(suites[0].attribute("name"), Some("replay"));
    assert_eq!(
        suites[0].attribute("tests"),
        Some(corpus_size(&dir).to_string().as_str())
    );
    assert_eq!(suites[1].attribute("name"), Some("check"));
    assert_eq!(suites[1].attribute("tests"), Some("2"));
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, total);
}

#[test]
fn github_actions_gets_annotations() {
    let dir = project("annotations", SMALL);
    let changed = edit_trace(&dir, "raft-rs-reply-to-wrong-peer", |t| {
        t["expect"] = serde_json::json!({"result": "agree"});
    });
    let o = run_with(&["ci", "--quiet"], &dir, &[("GITHUB_ACTIONS", "true")]);
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("no annotation: {out}"));
    assert!(line.contains(&format!("file={changed}")), "{line}");
    assert!(line.contains("title=raftcheck replay FAIL::"), "{line}");
    let o = raftcheck(&["ci", "--quiet"], &dir);
    assert!(
        !stdout(&o).contains("::error"),
        "annotations only under Actions"
    );
}

#[test]
fn a_configured_check_that_diverges_fails_with_a_trace() {
    let config = "out = \"found\"\n[bounds]\ndepth = 4\n\n[[check]]\nimpl = \"raft-rs\"\ninject = \"vote-not-persisted\"\n";
    let dir = project("diverges", config);
    let o = raftcheck(&["ci", "--quiet", "--format", "json"], &dir);
    assert_eq!(o.status.code(), Some(1));
    let r = json(&o);
    let check = r["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(check["status"], "failed");
    let file = check["file"].as_str().unwrap();
    assert!(file.contains("found/"), "{file}");
    assert!(
        Path::new(file).is_file() || dir.join(file).is_file(),
        "{file}"
    );
}

#[test]
fn configuration_errors_are_usage_errors_naming_the_line() {
    let dir = project("bad-config", "[bounds]\ndepth = 6\nmax_trem = 2\n");
    assert_usage_error(&["ci"], &dir, &["raftcheck.toml", "line 3"]);
    assert_usage_error(&["ci", "--config", "missing.toml"], &dir, &["missing.toml"]);

    let dir = project(
        "unwritable-out",
        "out = \"a-file/new\"\n[[check]]\nimpl = \"raft-rs\"\n",
    );
    std::fs::write(dir.join("a-file"), "").unwrap();
    assert_usage_error(&["ci"], &dir, &["traces cannot be written to"]);
}
