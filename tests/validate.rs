//! `raftcheck validate` on logs of real raft-rs behaviour: lockstep walks of the in-process
//! raft-rs adapter, written as the event logs an implementation that logs every step would
//! write (`raftcheck::validate::record`), then validated from the files. Stock runs must
//! validate clean — whole, and with kinds of event left out — and runs of injected bugs must
//! not.

mod common;

use std::path::PathBuf;

use raftcheck::adapters::ImplChoice;
use raftcheck::engine::Step;
use raftcheck::validate::{self, record, Request};
use raftcheck_spec::{Bounds, ClusterView, Mode, RaftModel};

/// A seeded walk of `len` inputs on raft-rs (with `bug` injected), stopping at a divergence.
fn walk(bug: Option<&str>, seed: u64, len: usize) -> (RaftModel, ClusterView, Vec<Step>) {
    walk_past(bug, seed, len, false)
}

/// [`walk`], going on past divergences with `past` (until the implementation refuses an input
/// or fails): the log of what the implementation went on to do.
fn walk_past(
    bug: Option<&str>,
    seed: u64,
    len: usize,
    past: bool,
) -> (RaftModel, ClusterView, Vec<Step>) {
    let mut adapter = ImplChoice::new("raft-rs", bug).unwrap().build().unwrap();
    let bounds = Bounds {
        max_term: 5,
        values: 4,
        restarts: 3,
        heartbeats: 6,
        drops: 2,
        max_in_flight: 64,
        ..Bounds::default()
    };
    let model = RaftModel::new(bounds, adapter.flavour(), Mode::Lockstep);
    let (initial, steps) = record::walk(&model, adapter.as_mut(), seed, len, past).unwrap();
    (model, initial, steps)
}

fn logs_of(
    name: &str,
    model: &RaftModel,
    initial: &ClusterView,
    steps: &[Step],
    keep: impl Fn(&raftcheck_format::eventlog::Event) -> bool,
) -> Vec<PathBuf> {
    let mut recorded = record::record(&model.flavour.name, false, initial, steps);
    for events in recorded.nodes.values_mut() {
        events.retain(|e| keep(e));
    }
    let dir = common::scratch("validate", name);
    record::write(&recorded, &dir).unwrap()
}

fn request(files: Vec<PathBuf>) -> Request {
    Request {
        files,
        flavour: None,
        pre_vote: None,
        max_frontier: 64,
        unlogged: 1,
        immediate: None,
        election_timeout_us: None,
    }
}

#[test]
fn stock_raft_rs_walks_validate_clean() {
    for seed in 0..40 {
        let (model, initial, steps) = walk(None, seed, 60);
        let files = logs_of(&format!("stock-{seed}"), &model, &initial, &steps, |_| true);
        let v = validate::validate(&request(files)).unwrap();
        assert!(
            v.outcome.agrees(),
            "seed {seed}: {} {:?}",
            v.outcome,
            v.divergence.as_ref().map(|d| d.miss.reason.clone())
        );
        assert_eq!(v.explained, v.logs.len());
    }
}

/// The raft-rs adapter's injected bugs that a walk reaches, each with the seeds that reach it.
const BUGS: [&str; 6] = [
    "vote-not-persisted",
    "term-not-persisted",
    "ack-before-persist",
    "unsynced-tail-lost",
    "stale-term-as-current",
    "reply-to-wrong-peer",
];

#[test]
fn injected_bugs_are_found_from_their_logs() {
    for bug in BUGS {
        let mut found = 0;
        let mut diverging = 0;
        for seed in 0..200 {
            let (model, initial, steps) = walk(Some(bug), seed, 60);
            let Some(last) = steps.last().filter(|s| s.findings.kind().is_some()) else {
                continue;
            };
            // A restarted node's application re-applies from its own durable state: a log says
            // what it applies, not what it kept, so a run whose only difference is the applied
            // index or state machine right after a restart leaves no trace in a log.
            let fields = &last.findings.diff;
            if last.findings.lines().len() == fields.len()
                && fields
                    .iter()
                    .all(|f| f.field.ends_with(".applied") || f.field.ends_with(".state_machine"))
            {
                continue;
            }
            diverging += 1;
            let files = logs_of(&format!("{bug}-{seed}"), &model, &initial, &steps, |_| true);
            let v = validate::validate(&request(files)).unwrap();
            if !v.outcome.agrees() {
                found += 1;
            } else {
                println!(
                    "{bug} seed {seed} not found: lockstep {:?}",
                    last.findings.lines()
                );
            }
            if diverging == 10 {
                break;
            }
        }
        println!("{bug}: {found} of {diverging} diverging walks found from their logs");
        assert!(diverging > 0, "{bug}: no walk reached it");
        assert_eq!(found, diverging, "{bug}");
    }
}

#[test]
fn partial_logs_of_stock_runs_validate_clean() {
    use raftcheck_format::eventlog::EventKind as K;
    // Each variant leaves out what some implementations do not log.
    type Keep = fn(&raftcheck_format::eventlog::Event) -> bool;
    let variants: [(&str, Keep); 3] = [
        ("no-state", |e| e.ev != K::State),
        ("no-commit-apply", |e| !matches!(e.ev, K::Commit | K::Apply)),
        ("no-log", |e| !matches!(e.ev, K::Append | K::Truncate)),
    ];
    for (name, keep) in variants {
        for seed in 0..20 {
            let (model, initial, steps) = walk(None, seed, 60);
            let files = logs_of(&format!("{name}-{seed}"), &model, &initial, &steps, keep);
            let v = validate::validate(&request(files)).unwrap();
            assert!(v.outcome.agrees(), "{name} seed {seed}: {}", v.outcome);
        }
    }
}

#[test]
fn timers_left_unlogged_are_inferred_from_what_follows() {
    use raftcheck_format::eventlog::EventKind as K;
    for seed in 0..20 {
        let (model, initial, steps) = walk(None, seed, 60);
        let mut recorded = record::record(&model.flavour.name, false, &initial, &steps);
        // Timer firings logged as plain ticks (etcd's and raft-rs's Tick does not say).
        for events in recorded.nodes.values_mut() {
            for e in events.iter_mut() {
                if matches!(e.ev, K::Timeout | K::Heartbeat) {
                    e.ev = K::Tick;
                }
            }
        }
        let dir = common::scratch("validate", &format!("ticks-{seed}"));
        let v = validate::validate(&request(record::write(&recorded, &dir).unwrap())).unwrap();
        assert!(v.outcome.agrees(), "seed {seed}: {}", v.outcome);
        // And not logged at all, with the logs not immediate: one unlogged input each.
        for events in recorded.nodes.values_mut() {
            events.retain(|e| e.ev != K::Tick);
        }
        recorded.header.immediate = Some(false);
        let v = validate::validate(&request(record::write(&recorded, &dir).unwrap())).unwrap();
        assert!(v.outcome.agrees(), "seed {seed}, no ticks: {}", v.outcome);
    }
}

#[test]
fn a_divergence_found_in_a_partial_log_is_still_found() {
    use raftcheck_format::eventlog::EventKind as K;
    // Without state events, a forgotten vote shows in the second vote it grants.
    let mut found = 0;
    for seed in 0..200 {
        let (model, initial, steps) = walk_past(Some("vote-not-persisted"), seed, 60, true);
        if steps.iter().all(|s| s.findings.kind().is_none()) {
            continue;
        }
        let files = logs_of(
            &format!("partial-vnp-{seed}"),
            &model,
            &initial,
            &steps,
            |e| e.ev != K::State,
        );
        let v = validate::validate(&request(files)).unwrap();
        if !v.outcome.agrees() {
            found += 1;
        }
    }
    assert!(
        found > 0,
        "no partial log of a vote-not-persisted run diverged"
    );
}

/// The files of a stock walk and of a vote-not-persisted walk that diverges, in `dir`.
fn written(dir: &std::path::Path, bug: Option<&str>) -> Vec<String> {
    let seed = (0..200)
        .find(|&seed| {
            let (_, _, steps) = walk(bug, seed, 60);
            bug.is_none() || steps.last().is_some_and(|s| s.findings.kind().is_some())
        })
        .unwrap();
    let (model, initial, steps) = walk(bug, seed, 60);
    let recorded = record::record(&model.flavour.name, false, &initial, &steps);
    record::write(&recorded, dir)
        .unwrap()
        .into_iter()
        .map(|p| p.display().to_string())
        .collect()
}

#[test]
fn the_command_agrees_on_a_stock_log_and_reports_its_summary_as_json() {
    let dir = common::scratch("validate", "cli-stock");
    let mut args = vec!["validate", "--format", "json"];
    let files = written(&dir.join("logs"), None);
    args.extend(files.iter().map(String::as_str));
    let out = common::run(&args, &dir);
    assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));
    let report = common::json(&out);
    assert_eq!(report["result"], "agree");
    assert_eq!(report["explained"], report["events"]);
    assert!(report["events_per_second"].as_f64().unwrap() > 0.0);
    assert!(report["summary"].is_object());
    assert!(!dir.join("traces").exists(), "an agreement writes no trace");
}

#[test]
fn the_command_reports_a_divergence_with_a_trace_that_replays() {
    let dir = common::scratch("validate", "cli-bug");
    let mut args = vec!["validate"];
    let files = written(&dir.join("logs"), Some("vote-not-persisted"));
    args.extend(files.iter().map(String::as_str));
    let out = common::run(&args, &dir);
    let text = common::stdout(&out);
    assert_eq!(common::code(&out), 1, "{text}");
    assert!(text.contains("is explained by no spec behaviour"), "{text}");
    assert!(text.contains("spec states possible just before"), "{text}");
    assert!(
        text.contains("n2.vote: spec") || text.contains(".vote: spec"),
        "{text}"
    );
    let traces: Vec<_> = std::fs::read_dir(dir.join("traces")).unwrap().collect();
    assert_eq!(traces.len(), 1);
    let trace = traces[0].as_ref().unwrap().path();
    let replay = common::run(&["replay", &trace.display().to_string()], &dir);
    assert_eq!(common::code(&replay), 0, "{}", common::stdout(&replay));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    assert_eq!(saved["mode"], "validation");
    assert!(
        saved["findings"][0]
            .as_str()
            .unwrap()
            .contains("n1.ndjson:")
            || saved["findings"][0].as_str().unwrap().contains(".ndjson:")
    );
    // The same command writes the same trace.
    let again = common::run(&args, &dir);
    assert_eq!(common::stdout(&again).lines().count(), text.lines().count());
    let bytes = std::fs::read(&trace).unwrap();
    assert_eq!(bytes, std::fs::read(&trace).unwrap());
}

#[test]
fn a_malformed_log_is_a_usage_error_naming_file_and_line() {
    let dir = common::scratch("validate", "cli-malformed");
    let log = dir.join("n1.ndjson");
    std::fs::write(
        &log,
        "{\"raftcheck_eventlog\":1,\"nodes\":[1,2,3],\"flavour\":\"etcd\"}\n\
         {\"node\":1,\"seq\":1,\"ev\":\"timeout\"}\n\
         {\"node\":1,\"seq\":2,\"ev\":\"append\",\"index\":1}\n",
    )
    .unwrap();
    let out = common::run(&["validate", "n1.ndjson"], &dir);
    assert_eq!(common::code(&out), 2);
    let err = common::stderr(&out);
    assert!(
        err.contains("n1.ndjson:3: an append event needs \"entries\""),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    std::fs::write(
        dir.join("empty.ndjson"),
        "{\"raftcheck_eventlog\":1,\"nodes\":[1]}\n",
    )
    .unwrap();
    for (args, want) in [
        (vec!["validate", "missing.ndjson"], "cannot read"),
        (
            vec!["validate", "empty.ndjson", "--flavour", "zab"],
            "unknown flavour",
        ),
        (
            vec!["validate", "empty.ndjson"],
            "the header names no flavour",
        ),
        (vec!["validate"], "required"),
    ] {
        let out = common::run(&args, &dir);
        assert_eq!(common::code(&out), 2, "{args:?}");
        assert!(
            common::stderr(&out).contains(want),
            "{args:?}: {}",
            common::stderr(&out)
        );
    }
}

#[test]
fn a_node_killed_between_logging_an_input_and_acting_on_it_never_took_the_step() {
    let dir = common::scratch("validate", "cut-off");
    let header = r#"{"raftcheck_eventlog":1,"nodes":[1,2,3],"flavour":"etcd","immediate":true}"#;
    let vote = |to: u64| {
        format!(
            r#"{{"type":"RequestVote","to":{to},"term":1,"last_log_index":0,"last_log_term":0}}"#
        )
    };
    let n1 = format!(
        "{header}\n\
         {{\"node\":1,\"seq\":1,\"t\":1,\"ev\":\"timeout\"}}\n\
         {{\"node\":1,\"seq\":2,\"t\":2,\"ev\":\"state\",\"term\":1,\"role\":\"candidate\",\"vote\":1}}\n\
         {{\"node\":1,\"seq\":3,\"t\":3,\"ev\":\"send\",\"msg\":{}}}\n\
         {{\"node\":1,\"seq\":4,\"t\":4,\"ev\":\"send\",\"msg\":{}}}\n",
        vote(2),
        vote(3)
    );
    // n2 logs the request, dies before its vote reaches the disk, and comes back at term 0.
    let n2 = format!(
        "{header}\n\
         {{\"node\":2,\"seq\":1,\"t\":5,\"ev\":\"receive\",\"msg\":{{\"type\":\"RequestVote\",\"from\":1,\"term\":1}}}}\n\
         {{\"node\":2,\"seq\":2,\"t\":6,\"ev\":\"crash\"}}\n\
         {{\"node\":2,\"seq\":3,\"t\":7,\"ev\":\"restart\"}}\n\
         {{\"node\":2,\"seq\":4,\"t\":8,\"ev\":\"state\",\"term\":0,\"role\":\"follower\",\"vote\":0}}\n"
    );
    std::fs::write(dir.join("n1.ndjson"), n1).unwrap();
    std::fs::write(dir.join("n2.ndjson"), &n2).unwrap();
    let files = vec![dir.join("n1.ndjson"), dir.join("n2.ndjson")];
    let v = validate::validate(&request(files.clone())).unwrap();
    assert!(v.outcome.agrees(), "{}", v.outcome);
    // Had it logged its vote before dying, the vote must have survived.
    let acted = n2.replace(
        "\"ev\":\"crash\"",
        "\"ev\":\"state\",\"term\":1,\"role\":\"follower\",\"vote\":1",
    );
    std::fs::write(dir.join("n2.ndjson"), acted).unwrap();
    let v = validate::validate(&request(files)).unwrap();
    assert!(
        !v.outcome.agrees(),
        "a vote logged before the crash was forgotten"
    );
}
