//! Every trace of the corpus (`traces/`) loads through format v1 into spec values and writes
//! back byte for byte: each event line of the file is exactly what v1 makes of its spec values.
//! A spec refactor that would change how an old trace reads or is rewritten fails here.

use std::path::Path;

use raftcheck_format::v1;

/// The event lines of a trace file as written (`    {...}` one per line, comma-separated).
fn event_lines(text: &str) -> Vec<&str> {
    let start = text
        .lines()
        .position(|l| l.starts_with("  \"events\": ["))
        .expect("an events array");
    text.lines()
        .skip(start + 1)
        .take_while(|l| l.starts_with("    "))
        .map(|l| l.trim().trim_end_matches(','))
        .collect()
}

#[test]
fn every_corpus_trace_round_trips_its_events_byte_for_byte() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces");
    let mut files = 0;
    let mut events = 0;
    let mut pre_vote = 0;
    for entry in std::fs::read_dir(&dir).expect("the corpus directory") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        let whole: serde_json::Value = serde_json::from_str(&text).unwrap();
        let count = whole["events"].as_array().map_or(0, Vec::len);
        let lines = event_lines(&text);
        assert_eq!(lines.len(), count, "{}: one event per line", path.display());
        for (i, line) in lines.into_iter().enumerate() {
            let read: v1::Event = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{} event {}: {e}", path.display(), i + 1));
            let (input, send, outputs) = read.into_spec();
            let again = v1::Event::from_spec(input.as_ref(), send.as_ref(), &outputs);
            assert_eq!(
                serde_json::to_string(&again).unwrap(),
                line,
                "{} event {}",
                path.display(),
                i + 1
            );
            events += 1;
            pre_vote += usize::from(line.contains("RequestPreVote"));
        }
    }
    assert!(files >= 10 && events > 0, "{files} traces, {events} events");
    assert!(
        pre_vote > 0,
        "the corpus has pre-vote events: the pre marker is exercised"
    );
}
