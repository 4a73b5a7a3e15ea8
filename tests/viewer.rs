//! The trace viewer in a real browser: `raftcheck view` writes a page, headless Chromium loads
//! it and runs its script, and the tests read the DOM it rendered — a lane per node, an arrow
//! per delivered message, the divergent step marked with its differing fields — and take a
//! screenshot under `target/viewer/`. A trace carrying markup renders it as text, a broken
//! trace file gets a clear CLI error, and a page whose embedded data is broken shows an error.
//!
//! Chromium is Debian's `chromium`, installed by `.ci/run`. Without it these tests fail in CI
//! (`CI=true`) and are skipped, with the reason printed, elsewhere.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{code, run, scratch, stderr};
use raftcheck::trace::Trace;
use serde_json::Value;

/// The Chromium binary, or `None` (skip) outside CI; in CI a missing one fails the test.
fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("chromium is missing: .ci/run installs it (apt-get install -y chromium)");
        }
        eprintln!("skipped: no /usr/bin/chromium (apt-get install -y chromium to run this test)");
    }
    found
}

/// Chromium's common flags, with a profile of its own so tests may run at once.
fn browser(chromium: &Path, profile: &Path) -> Command {
    let mut c = Command::new(chromium);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// The DOM of `page` after its script ran.
fn dom(chromium: &Path, page: &Path) -> String {
    let profile = page.with_extension("profile");
    let out = browser(chromium, &profile)
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the DOM is UTF-8")
}

/// A screenshot of `page` at `target/viewer/NAME.png`, checked to be a non-empty PNG.
fn screenshot(chromium: &Path, page: &Path, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/viewer");
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&png);
    let out = browser(chromium, &page.with_extension("shot-profile"))
        .args(["--hide-scrollbars", "--window-size=1400,1000"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "{}",
        png.display()
    );
    png
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// `raftcheck view TRACE -o PAGE` in `dir`; the page's path.
fn view(trace: &Path, dir: &Path) -> PathBuf {
    let page = dir.join(format!(
        "{}.html",
        trace.file_stem().unwrap().to_string_lossy()
    ));
    let o = run(
        &[
            "view",
            &trace.display().to_string(),
            "-o",
            &page.display().to_string(),
        ],
        dir,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    page
}

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces")
        .join(name)
}

/// Deliveries in a trace file: its `receive` inputs.
fn receives(trace: &Path) -> usize {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(trace).unwrap()).unwrap();
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["input"]["input"] == "receive")
        .count()
}

/// What every rendered page has: drawn, no error, one lane head per node, one arrow group per
/// delivery.
fn assert_drawn(dom: &str, nodes: usize, deliveries: usize) {
    assert!(
        !dom.contains("id=\"view-error\""),
        "the page shows an error"
    );
    assert!(
        dom.contains("data-rendered=\"true\""),
        "the script finished drawing"
    );
    assert_eq!(
        count(dom, "class=\"lane-head\""),
        nodes,
        "one lane per node"
    );
    assert_eq!(
        count(dom, "<g class=\"arrow"),
        deliveries,
        "one arrow per delivery"
    );
}

#[test]
fn a_corpus_divergence_shows_lanes_arrows_and_the_divergent_step() {
    let Some(chromium) = chromium() else { return };
    let dir = scratch("viewer", "corpus");
    let name = "raft-rs-conflict-not-truncated-state-mismatch-e6399b4b.json";
    let file = corpus(name);
    let trace = Trace::load(&file).unwrap();
    let page = view(&file, &dir);
    let dom = dom(&chromium, &page);
    let deliveries = receives(&file);
    assert!(deliveries > 5, "a trace with messages: {deliveries}");
    assert_drawn(&dom, trace.bounds.nodes as usize, deliveries);
    let step = trace.expect.step().unwrap();
    assert_eq!(count(&dom, "data-divergent=\"true\""), 1);
    assert!(
        dom.contains(&format!(
            "<tr class=\"row divergent selected\" data-step=\"{step}\""
        )),
        "the divergent row is marked and selected"
    );
    // Every differing field the trace names is in the side-by-side table.
    let fields: Vec<&str> = trace
        .findings
        .iter()
        .filter_map(|f| f.strip_prefix("state mismatch: "))
        .filter_map(|f| f.split(": spec ").next())
        .collect();
    assert!(!fields.is_empty());
    for field in fields {
        assert!(
            dom.contains(&format!("<td class=\"diff-field\">{field}</td>")),
            "{field} is named"
        );
    }
    let png = screenshot(&chromium, &page, "corpus-divergence");
    eprintln!("screenshot: {}", png.display());
}

#[test]
fn wrong_replies_and_pre_vote_traces_render_with_their_outputs_compared() {
    let Some(chromium) = chromium() else { return };
    let dir = scratch("viewer", "kinds");
    for name in [
        "etcd-reply-to-wrong-peer-unexpected-output-2b36307c.json",
        "raft-rs-pre-vote-vote-not-persisted-state-mismatch-12191341.json",
        "raft-rs-snapshot-keeps-log-state-mismatch-80c251f0.json",
    ] {
        let file = corpus(name);
        let trace = Trace::load(&file).unwrap();
        let dom = dom(&chromium, &view(&file, &dir));
        let nodes = (trace.bounds.nodes + trace.bounds.spares) as usize;
        assert_drawn(&dom, nodes, receives(&file));
        assert_eq!(count(&dom, "data-divergent=\"true\""), 1, "{name}");
        if name.contains("unexpected-output") {
            assert!(dom.contains("implementation emitted"), "{name}");
            assert!(
                dom.contains("class=\"unmatched\""),
                "{name}: the differing output"
            );
        }
    }
}

#[test]
fn trace_strings_carrying_markup_render_as_text() {
    let Some(chromium) = chromium() else { return };
    let dir = scratch("viewer", "xss");
    let mut trace = Trace::load(&corpus(
        "raft-rs-vote-not-persisted-state-mismatch-316472bc.json",
    ))
    .unwrap();
    let script = "</script><script>document.title='pwned'</script>";
    let img = "<img src=x onerror=\"document.title='pwned'\">";
    trace.adapter = Some(format!("raft-rs{img}"));
    trace.inject = Some("<b id=\"bold\">bold</b>".into());
    trace.flavour.name = format!("raft-rs{script}");
    trace.findings = vec![
        format!("state mismatch: n1.vote{img}: spec n1{script}, impl none"),
        img.to_string(),
    ];
    let file = dir.join("hostile.json");
    trace.save(&file).unwrap();
    let page = view(&file, &dir);
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(
        count(&html, "</script>"),
        2,
        "only the page's own two script elements close"
    );
    assert!(!html.contains("<img") && !html.contains("<b id"));
    let dom = dom(&chromium, &page);
    assert_drawn(&dom, 3, 0);
    assert!(!dom.contains("<img"), "no image element was injected");
    assert!(
        !dom.contains("<b id=\"bold\">"),
        "no bold element was injected"
    );
    assert!(!dom.contains("<title>pwned"), "no injected script ran");
    assert!(dom.contains("&lt;img src=x onerror=\"document.title='pwned'\"&gt;"));
    assert!(dom.contains("&lt;/script&gt;&lt;script&gt;document.title='pwned'&lt;/script&gt;"));
    assert!(dom.contains("&lt;b id=\"bold\"&gt;bold&lt;/b&gt;"));
    // The field with markup in its name is still named, as text.
    assert!(dom.contains("<td class=\"diff-field\">n1.vote&lt;img"));
}

#[test]
fn a_broken_trace_file_is_a_clear_error() {
    let dir = scratch("viewer", "broken-file");
    let file = dir.join("broken.json");
    std::fs::write(
        &file,
        "{\n  \"format\": \"raftcheck-trace\",\n  \"version\": 1,\n  \"events\": [\n",
    )
    .unwrap();
    let o = run(&["view", "broken.json"], &dir);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("broken.json") && err.contains("line 5"),
        "{err}"
    );
    assert!(
        !dir.join("broken.html").exists(),
        "no page for a broken trace"
    );
    let o = run(&["view", "missing.json"], &dir);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("missing.json"), "{}", stderr(&o));
}

#[test]
fn a_page_whose_data_is_broken_shows_an_error_not_a_blank_page() {
    let Some(chromium) = chromium() else { return };
    let dir = scratch("viewer", "broken-page");
    for (name, data) in [
        ("not-json", "{\"format\": \"raftcheck-view\", \"rows\": ["),
        ("not-a-view", "{\"format\": \"something-else\"}"),
        ("no-rows", "{\"format\": \"raftcheck-view\", \"version\": 1, \"header\": {}, \"nodes\": [1], \"rows\": [], \"messages\": []}"),
    ] {
        let page = dir.join(format!("{name}.html"));
        std::fs::write(&page, raftcheck::view::html::page_with_data(name, data)).unwrap();
        let dom = dom(&chromium, &page);
        assert!(dom.contains("id=\"view-error\""), "{name}: an error is shown");
        assert!(dom.contains("This trace view cannot be shown"), "{name}");
        assert!(!dom.contains("data-rendered=\"true\""), "{name}");
    }
    let dom = dom(&chromium, &dir.join("not-json.html"));
    assert!(dom.contains("not valid JSON"), "{dom}");
}

#[test]
fn a_trace_of_more_than_a_thousand_events_renders() {
    let Some(chromium) = chromium() else { return };
    let dir = scratch("viewer", "large");
    let file = dir.join("long-walk.json");
    long_walk(1200).save(&file).unwrap();
    let page = view(&file, &dir);
    let dom = dom(&chromium, &page);
    assert_drawn(&dom, 3, receives(&file));
    assert_eq!(
        count(&dom, "<tr class=\"row"),
        1201,
        "row 0 and every event"
    );
    screenshot(&chromium, &page, "long-walk");
}

/// A lockstep trace of a seeded walk of `len` inputs on stock raft-rs (it agrees throughout).
fn long_walk(len: usize) -> Trace {
    use raftcheck::adapters::ImplChoice;
    use raftcheck::engine::{Execution, Outcome};
    use raftcheck_spec::{Bounds, Mode, RaftModel};
    let mut adapter = ImplChoice::new("raft-rs", None).unwrap().build().unwrap();
    let bounds = Bounds {
        max_term: 1000,
        values: 1000,
        restarts: 100,
        heartbeats: 1000,
        drops: 100,
        max_in_flight: 64,
        depth: len,
        ..Bounds::default()
    };
    let model = RaftModel::new(bounds, adapter.flavour(), Mode::Lockstep);
    let (_, steps) = raftcheck::validate::record::walk(&model, adapter.as_mut(), 7, len, false)
        .expect("the walk starts");
    assert_eq!(
        steps.len(),
        len,
        "stock raft-rs agrees along the walk: {:?}",
        steps.last().map(|s| s.findings.lines())
    );
    let execution = Execution {
        initial: model.initial_state(),
        initial_findings: Default::default(),
        steps,
        end: Ok(Outcome::Agree),
    };
    Trace {
        format: raftcheck::trace::FORMAT.into(),
        version: raftcheck::trace::VERSION,
        mode: raftcheck::trace::TraceMode::Lockstep,
        adapter: Some("raft-rs".into()),
        inject: None,
        flavour: model.flavour.clone(),
        bounds: model.bounds.clone(),
        events: raftcheck::record::events_of(&execution),
        expect: Outcome::Agree,
        findings: Vec::new(),
    }
}

#[test]
fn a_spec_only_counterexample_shows_the_property_and_the_states_that_break_it() {
    use raftcheck::engine::execute;
    use raftcheck_spec::{Action, Bounds, Flavour, Input, Mode, Mutation, RaftModel};
    let Some(chromium) = chromium() else { return };
    let dir = scratch("viewer", "spec-only");
    // A spec whose voters grant twice in a term (Mutation::VoteTwice): n3 votes for n1 and n2,
    // and both lead term 1.
    let mut model = RaftModel::new(
        Bounds {
            max_in_flight: 8,
            ..Bounds::default()
        },
        Flavour::raft_rs(),
        Mode::SpecOnly,
    );
    model.mutation = Some(Mutation::VoteTwice);
    let mut actions = vec![
        Action::Input(Input::Timeout { node: 1 }),
        Action::Input(Input::Timeout { node: 2 }),
    ];
    let sent_to = |actions: &[Action], from: u64, to: u64| {
        let e = execute(&model, None, actions, |_, a| a.clone());
        let state = &e.steps.last().unwrap().next;
        let m = state
            .network
            .iter()
            .find(|m| m.from == from && m.to == to)
            .unwrap_or_else(|| panic!("a message n{from}→n{to} in flight"))
            .clone();
        Action::Input(Input::Receive { message: m })
    };
    for (from, to) in [(1, 3), (2, 3), (3, 1), (3, 2)] {
        let next = sent_to(&actions, from, to);
        actions.push(next);
    }
    let execution = execute(&model, None, &actions, |_, a| a.clone());
    let outcome = execution.outcome().cloned().unwrap();
    assert_eq!(outcome.kind_name(), "violation", "{outcome}");
    let trace = Trace {
        format: raftcheck::trace::FORMAT.into(),
        version: raftcheck::trace::VERSION,
        mode: raftcheck::trace::TraceMode::SpecOnly,
        adapter: None,
        inject: None,
        flavour: model.flavour.clone(),
        bounds: model.bounds.clone(),
        events: raftcheck::record::events_of(&execution),
        expect: outcome.clone(),
        findings: execution.final_findings(),
    };
    let view = raftcheck::view::build(
        &trace,
        "spec-only.json",
        &model,
        &execution,
        &trace.findings,
    );
    let v = view.violation.as_ref().expect("the violation");
    assert_eq!(v.nodes, [1, 2], "both leaders are named: {}", v.detail);
    let page = dir.join("spec-only.html");
    std::fs::write(&page, raftcheck::view::html::page(&view)).unwrap();
    let dom = dom(&chromium, &page);
    assert_drawn(&dom, 3, 4);
    assert!(dom.contains("data-violation=\"true\""));
    assert!(dom.contains(&format!("Violation of {}", v.property)));
    assert_eq!(
        count(&dom, "<tr class=\"broken-node\""),
        2,
        "the two states that break it are outlined"
    );
}

#[test]
fn a_validation_trace_renders_with_the_unexplained_event_marked() {
    use raftcheck::adapters::ImplChoice;
    use raftcheck::validate::record;
    use raftcheck_spec::{Bounds, Mode, RaftModel};
    let Some(chromium) = chromium() else { return };
    let dir = scratch("viewer", "validation");
    // Logs of raft-rs with a vote that is not persisted: validation finds the restart.
    let mut adapter = ImplChoice::new("raft-rs", Some("vote-not-persisted"))
        .unwrap()
        .build()
        .unwrap();
    let bounds = Bounds {
        max_term: 5,
        values: 4,
        restarts: 3,
        heartbeats: 6,
        max_in_flight: 64,
        ..Bounds::default()
    };
    let model = RaftModel::new(bounds, adapter.flavour(), Mode::Lockstep);
    let logs = (0..40u64)
        .find_map(|seed| {
            let (initial, steps) = record::walk(&model, adapter.as_mut(), seed, 60, true).ok()?;
            let recorded = record::record(&model.flavour.name, false, &initial, &steps);
            let logs = record::write(&recorded, &dir.join(format!("seed-{seed}"))).ok()?;
            let mut all = vec!["validate".to_string()];
            all.extend(logs.iter().map(|p| p.display().to_string()));
            let o = common::run(&all.iter().map(String::as_str).collect::<Vec<_>>(), &dir);
            (code(&o) == 1).then_some(logs)
        })
        .expect("a seed whose logs do not validate");
    let mut args: Vec<String> = vec!["validate".into(), "--html".into(), "v.html".into()];
    args.extend(logs.iter().map(|p| p.display().to_string()));
    let o = common::run(&args.iter().map(String::as_str).collect::<Vec<_>>(), &dir);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let dom = dom(&chromium, &dir.join("v.html"));
    assert!(!dom.contains("id=\"view-error\""));
    assert_eq!(count(&dom, "class=\"lane-head\""), 3);
    assert_eq!(count(&dom, "data-divergent=\"true\""), 1);
    assert!(
        dom.contains("ev Unexplained"),
        "the unexplained log event has a row"
    );
    assert!(
        dom.contains("<li class=\"finding\">"),
        "the findings are listed"
    );
}
