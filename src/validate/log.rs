//! Reading event logs (`impl_adapter/EVENTLOG.md`): every file's header and lines checked, the
//! header's offsets subtracted, each node's events sorted by sequence number. A malformed log
//! is an error naming the file, the line and what was expected.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use raftcheck_format::eventlog::{Event, EventKind, Header, LogMessage, VERSION};

/// Where an event came from: a file (by its index in [`Logs::files`]) and a 1-based line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Index into [`Logs::files`].
    pub file: usize,
    /// 1-based line number.
    pub line: usize,
}

/// An event with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// Where it was read.
    pub at: Position,
    /// The event, offsets subtracted.
    pub event: Event,
}

/// All logs of one run, read and checked.
#[derive(Clone, Debug)]
pub struct Logs {
    /// The files, in the order given.
    pub files: Vec<PathBuf>,
    /// The run's header: the first file's, with `immediate` and `pre_vote` true only when every
    /// file says so.
    pub header: Header,
    /// Each node's events, sorted by `seq`.
    pub nodes: BTreeMap<u64, Vec<Logged>>,
    /// Lines cut short by a crash, ignored.
    pub torn: Vec<Position>,
}

impl Logs {
    /// `file:line` of a position, for messages.
    pub fn locate(&self, at: Position) -> String {
        format!("{}:{}", self.files[at.file].display(), at.line)
    }

    /// The number of events in all files.
    pub fn len(&self) -> usize {
        self.nodes.values().map(Vec::len).sum()
    }

    /// True when the logs hold no event.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A malformed log: where, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogError {
    /// The file.
    pub file: PathBuf,
    /// The 1-based line, 0 for the file as a whole.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        }
    }
}

impl std::error::Error for LogError {}

/// Reads and checks the logs at `paths`.
pub fn read(paths: &[PathBuf]) -> Result<Logs, LogError> {
    if paths.is_empty() {
        return Err(LogError {
            file: PathBuf::from("(none)"),
            line: 0,
            message: "no event log given".into(),
        });
    }
    let mut logs = Logs {
        files: paths.to_vec(),
        header: Header::default(),
        nodes: BTreeMap::new(),
        torn: Vec::new(),
    };
    for (index, path) in paths.iter().enumerate() {
        let text = std::fs::read_to_string(path).map_err(|e| LogError {
            file: path.clone(),
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        read_file(&mut logs, index, path, &text)?;
    }
    for events in logs.nodes.values_mut() {
        events.sort_by_key(|l| l.event.seq);
    }
    for events in logs.nodes.values() {
        for pair in events.windows(2) {
            if pair[0].event.seq == pair[1].event.seq {
                let (a, b) = (pair[0].at, pair[1].at);
                return Err(LogError {
                    file: logs.files[b.file].clone(),
                    line: b.line,
                    message: format!(
                        "node {} has seq {} twice (also at {})",
                        pair[1].event.node,
                        pair[1].event.seq,
                        logs.locate(a)
                    ),
                });
            }
        }
    }
    Ok(logs)
}

/// Parses one file's text (exposed for tests).
pub fn read_file(logs: &mut Logs, index: usize, path: &Path, text: &str) -> Result<(), LogError> {
    let error = |line: usize, message: String| LogError {
        file: path.to_path_buf(),
        line,
        message,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((first, header_line)) = lines.next() else {
        return Err(error(
            0,
            "empty file: expected a header line {\"raftcheck_eventlog\": 1, \"nodes\": [...]}"
                .into(),
        ));
    };
    let header: Header = serde_json::from_str(header_line).map_err(|e| {
        error(
            first,
            format!(
                "expected the header {{\"raftcheck_eventlog\": 1, \"nodes\": [...], ...}}: {e}"
            ),
        )
    })?;
    if header.raftcheck_eventlog != VERSION {
        return Err(error(
            first,
            format!(
                "event log version {} is not supported (this raftcheck reads version {VERSION})",
                header.raftcheck_eventlog
            ),
        ));
    }
    check_nodes(&header.nodes).map_err(|m| error(first, m))?;
    if index == 0 {
        logs.header = header.clone();
    } else {
        if header.nodes != logs.header.nodes {
            return Err(error(
                first,
                format!(
                    "nodes {:?} differ from {:?} in {}",
                    header.nodes,
                    logs.header.nodes,
                    logs.files[0].display()
                ),
            ));
        }
        if header.flavour.is_some()
            && logs.header.flavour.is_some()
            && header.flavour != logs.header.flavour
        {
            return Err(error(
                first,
                format!(
                    "flavour {:?} differs from {:?} in {}",
                    header.flavour.as_deref().unwrap_or_default(),
                    logs.header.flavour.as_deref().unwrap_or_default(),
                    logs.files[0].display()
                ),
            ));
        }
        logs.header.immediate =
            Some(logs.header.immediate.unwrap_or(false) && header.immediate.unwrap_or(false));
        logs.header.pre_vote = logs.header.pre_vote.or(header.pre_vote);
        logs.header.flavour = logs.header.flavour.clone().or(header.flavour.clone());
    }
    let lines: Vec<(usize, &str)> = lines.collect();
    let ends_torn = !text.ends_with('\n');
    for (k, &(line, text)) in lines.iter().enumerate() {
        let mut event: Event = match serde_json::from_str(text) {
            Ok(event) => event,
            // A process killed in the middle of writing a line leaves it cut short: at the end
            // of the file, or (after the writer of the next incarnation ended it) right before
            // that incarnation's `restart`.
            Err(e) if e.is_eof() && torn(&lines, k, ends_torn) => {
                logs.torn.push(Position { file: index, line });
                continue;
            }
            Err(e) => {
                return Err(error(
                    line,
                    format!("expected an event {{\"node\", \"seq\", \"ev\", ...}}: {e}"),
                ))
            }
        };
        check_event(&event, &header.nodes).map_err(|m| error(line, m))?;
        subtract_offsets(&mut event, header.term_offset, header.index_offset);
        logs.nodes.entry(event.node).or_default().push(Logged {
            at: Position { file: index, line },
            event,
        });
    }
    Ok(())
}

/// True when line `k` of `lines` may be one torn by a crash: the file's last line with no line
/// end after it, or a line followed by a `restart`.
fn torn(lines: &[(usize, &str)], k: usize, ends_torn: bool) -> bool {
    match lines.get(k + 1) {
        None => ends_torn,
        Some((_, next)) => {
            serde_json::from_str::<Event>(next).is_ok_and(|e| e.ev == EventKind::Restart)
        }
    }
}

/// Node ids must be `1..=n` (the spec numbers the initial voters so).
fn check_nodes(nodes: &[u64]) -> Result<(), String> {
    let want: Vec<u64> = (1..=nodes.len() as u64).collect();
    if nodes.is_empty() || nodes.len() > 9 || nodes != want.as_slice() {
        return Err(format!(
            "\"nodes\" must be the ids 1, 2, ..., n of the initial voters (n from 1 to 9), \
             got {nodes:?}"
        ));
    }
    Ok(())
}

/// The fields each kind may carry besides `node`, `seq`, `t`, `ev` and `impl`.
fn allowed(kind: EventKind) -> &'static [&'static str] {
    match kind {
        EventKind::Receive | EventKind::Send => &["msg"],
        EventKind::ClientRequest => &["value"],
        EventKind::State => &["term", "role", "vote", "leader"],
        EventKind::Append => &["index", "entries"],
        EventKind::Truncate | EventKind::Commit => &["index"],
        EventKind::Apply => &["index", "value"],
        EventKind::Timeout
        | EventKind::Heartbeat
        | EventKind::Tick
        | EventKind::Restart
        | EventKind::Crash => &[],
    }
}

/// `a send`, `an append`: the kind with its article, for messages.
fn a(kind: EventKind) -> String {
    let name = kind.name();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

fn check_event(e: &Event, nodes: &[u64]) -> Result<(), String> {
    let kind = a(e.ev);
    if !nodes.contains(&e.node) {
        return Err(format!(
            "node {} is not one of the header's nodes {nodes:?}",
            e.node
        ));
    }
    let present = [
        ("msg", e.msg.is_some()),
        ("term", e.term.is_some()),
        ("role", e.role.is_some()),
        ("vote", e.vote.is_some()),
        ("leader", e.leader.is_some()),
        ("index", e.index.is_some()),
        ("entries", e.entries.is_some()),
        ("value", e.value.is_some()),
    ];
    for (field, is) in present {
        if is && !allowed(e.ev).contains(&field) {
            return Err(format!("{kind} event has no field \"{field}\""));
        }
    }
    let need = |field: &str, has: bool| {
        if has {
            Ok(())
        } else {
            Err(format!("{kind} event needs \"{field}\""))
        }
    };
    match e.ev {
        EventKind::Receive | EventKind::Send => {
            let msg = e
                .msg
                .as_ref()
                .ok_or(format!("{kind} event needs \"msg\""))?;
            check_message(e, msg, nodes)?;
        }
        EventKind::ClientRequest => need("value", e.value.is_some())?,
        EventKind::Append => {
            need("index", e.index.is_some())?;
            need("entries", e.entries.is_some())?;
        }
        EventKind::Truncate | EventKind::Commit | EventKind::Apply => {
            need("index", e.index.is_some())?
        }
        EventKind::State => {
            if let Some(role) = &e.role {
                if !ROLES.contains(&role.as_str()) {
                    return Err(format!(
                        "\"role\" must be one of {}, got {role:?}",
                        ROLES.join(", ")
                    ));
                }
            }
            for (field, id) in [("vote", e.vote), ("leader", e.leader)] {
                if let Some(id) = id.filter(|id| *id != 0 && !nodes.contains(id)) {
                    return Err(format!("\"{field}\" {id} is not a node (0 means none)"));
                }
            }
        }
        _ => {}
    }
    if matches!(
        e.ev,
        EventKind::Append | EventKind::Truncate | EventKind::Apply
    ) && e.index == Some(0)
    {
        return Err(format!("{kind} event's \"index\" starts at 1"));
    }
    Ok(())
}

/// The role names of version 1.
pub const ROLES: [&str; 4] = ["follower", "pre_candidate", "candidate", "leader"];

/// A spec role's name in an event log.
pub fn role_name(role: raftcheck_spec::Role) -> &'static str {
    use raftcheck_spec::Role;
    match role {
        Role::Follower => "follower",
        Role::PreCandidate => "pre_candidate",
        Role::Candidate => "candidate",
        Role::Leader => "leader",
    }
}

fn check_message(e: &Event, m: &LogMessage, nodes: &[u64]) -> Result<(), String> {
    let (field, peer) = if e.ev == EventKind::Send {
        ("to", m.to)
    } else {
        ("from", m.from)
    };
    let Some(peer) = peer else {
        return Err(format!(
            "the msg of a {} event needs \"{field}\"",
            e.ev.name()
        ));
    };
    if !nodes.contains(&peer) {
        return Err(format!("msg \"{field}\" {peer} is not a node"));
    }
    // A sent message may name another sender: a node forwarding a proposal keeps the
    // proposer's id (raft-rs). A received one is addressed to the node that logs it.
    if let Some(to) =
        m.to.filter(|to| e.ev == EventKind::Receive && *to != e.node)
    {
        return Err(format!(
            "the msg names node {to} as its receiver but node {} logged it",
            e.node
        ));
    }
    if let Some(from) = m.from.filter(|f| !nodes.contains(f)) {
        return Err(format!("msg \"from\" {from} is not a node"));
    }
    Ok(())
}

fn subtract_offsets(e: &mut Event, terms: u64, indexes: u64) {
    if terms == 0 && indexes == 0 {
        return;
    }
    let t = |v: &mut Option<u64>| {
        if let Some(v) = v {
            *v = v.saturating_sub(terms);
        }
    };
    let i = |v: &mut Option<u64>| {
        if let Some(v) = v {
            *v = v.saturating_sub(indexes);
        }
    };
    t(&mut e.term);
    i(&mut e.index);
    for entry in e.entries.iter_mut().flatten() {
        entry.term = entry.term.saturating_sub(terms);
    }
    if let Some(m) = &mut e.msg {
        t(&mut m.term);
        t(&mut m.last_log_term);
        t(&mut m.prev_log_term);
        t(&mut m.commit_term);
        t(&mut m.hint_term);
        i(&mut m.last_log_index);
        i(&mut m.prev_log_index);
        i(&mut m.commit);
        i(&mut m.index);
        i(&mut m.reject_hint);
        for entry in m.entries.iter_mut().flatten() {
            entry.term = entry.term.saturating_sub(terms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Logs, LogError> {
        let mut logs = Logs {
            files: vec![PathBuf::from("n1.ndjson")],
            header: Header::default(),
            nodes: BTreeMap::new(),
            torn: Vec::new(),
        };
        read_file(&mut logs, 0, Path::new("n1.ndjson"), text)?;
        Ok(logs)
    }

    const HEADER: &str = r#"{"raftcheck_eventlog":1,"nodes":[1,2,3],"flavour":"etcd"}"#;

    fn with(lines: &[&str]) -> String {
        let mut text = format!("{HEADER}\n");
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        text
    }

    fn error_of(lines: &[&str]) -> String {
        parse(&with(lines)).unwrap_err().to_string()
    }

    #[test]
    fn every_event_kind_parses() {
        let logs = parse(&with(&[
            r#"{"node":1,"seq":1,"ev":"restart"}"#,
            r#"{"node":1,"seq":2,"ev":"tick"}"#,
            r#"{"node":1,"seq":3,"ev":"timeout"}"#,
            r#"{"node":1,"seq":4,"ev":"state","term":1,"role":"candidate","vote":1,"leader":0}"#,
            r#"{"node":1,"seq":5,"ev":"send","msg":{"type":"RequestVote","to":2,"term":1,"last_log_index":0,"last_log_term":0}}"#,
            r#"{"node":1,"seq":6,"ev":"receive","msg":{"type":"RequestVoteResponse","from":2,"term":1,"reject":false}}"#,
            r#"{"node":1,"seq":7,"ev":"heartbeat"}"#,
            r#"{"node":1,"seq":8,"ev":"client_request","value":"x=1"}"#,
            r#"{"node":1,"seq":9,"ev":"append","index":1,"entries":[{"term":1},{"term":1,"value":"x=1"}]}"#,
            r#"{"node":1,"seq":10,"ev":"truncate","index":2}"#,
            r#"{"node":1,"seq":11,"ev":"commit","index":1}"#,
            r#"{"node":1,"seq":12,"ev":"apply","index":1,"value":7}"#,
            r#"{"node":1,"seq":13,"t":5,"ev":"crash","impl":{"why":"kill -9"}}"#,
        ]))
        .unwrap();
        let kinds: Vec<&str> = logs.nodes[&1].iter().map(|l| l.event.ev.name()).collect();
        assert_eq!(
            kinds,
            [
                "restart",
                "tick",
                "timeout",
                "state",
                "send",
                "receive",
                "heartbeat",
                "client_request",
                "append",
                "truncate",
                "commit",
                "apply",
                "crash"
            ]
        );
        assert_eq!(logs.nodes[&1][12].at.line, 14);
    }

    #[test]
    fn malformed_lines_name_the_line_and_what_was_expected() {
        let cases: [(&[&str], &str); 10] = [
            (&["{not json"], "n1.ndjson:2: expected an event"),
            (
                &[r#"{"node":1,"seq":1,"ev":"jump"}"#],
                "unknown variant `jump`",
            ),
            (
                &[r#"{"node":4,"seq":1,"ev":"tick"}"#],
                "node 4 is not one of",
            ),
            (
                &[r#"{"node":1,"seq":1,"ev":"send"}"#],
                "a send event needs \"msg\"",
            ),
            (
                &[r#"{"node":1,"seq":1,"ev":"send","msg":{"type":"Heartbeat","from":1}}"#],
                "needs \"to\"",
            ),
            (
                &[r#"{"node":1,"seq":1,"ev":"state","role":"boss"}"#],
                "\"role\" must be one of",
            ),
            (
                &[r#"{"node":1,"seq":1,"ev":"commit","term":2,"index":1}"#],
                "a commit event has no field \"term\"",
            ),
            (
                &[r#"{"node":1,"seq":1,"ev":"append","index":1}"#],
                "needs \"entries\"",
            ),
            (
                &[
                    r#"{"node":1,"seq":1,"ev":"receive","msg":{"type":"Heartbeat","from":1,"to":2}}"#,
                ],
                "names node 2 as its receiver but node 1 logged it",
            ),
            (
                &[r#"{"node":1,"seq":1,"ev":"send","msg":{"type":"Heartbeat","to":2,"tem":1}}"#],
                "unknown field `tem`",
            ),
        ];
        for (lines, want) in cases {
            let got = error_of(lines);
            assert!(got.contains(want), "{lines:?}: want {want:?} in {got:?}");
            assert!(got.starts_with("n1.ndjson:2: "), "{got}");
        }
    }

    #[test]
    fn a_line_torn_by_a_crash_is_ignored_only_where_a_crash_leaves_one() {
        let torn = r#"{"node":1,"seq":2,"ev":"send","msg":{"type":"Append"#;
        let end = format!("{}{torn}", with(&[r#"{"node":1,"seq":1,"ev":"tick"}"#]));
        let logs = parse(&end).unwrap();
        assert_eq!(logs.torn, vec![Position { file: 0, line: 3 }]);
        assert_eq!(logs.nodes[&1].len(), 1);
        let restarted = with(&[torn, r#"{"node":1,"seq":2,"ev":"restart"}"#]);
        assert_eq!(parse(&restarted).unwrap().torn.len(), 1);
        // Anywhere else a cut-short line is malformed.
        let middle = with(&[torn, r#"{"node":1,"seq":2,"ev":"tick"}"#]);
        assert!(error_of_text(&middle).contains(":2: expected an event"));
        assert!(error_of_text(&format!("{end}\n")).contains(":3: expected an event"));
    }

    fn error_of_text(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn headers_are_checked() {
        let bad = |text: &str| parse(text).unwrap_err().to_string();
        assert!(bad("").contains("empty file"));
        assert!(bad(r#"{"nodes":[1]}"#).contains("n1.ndjson:1: expected the header"));
        assert!(bad(r#"{"raftcheck_eventlog":2,"nodes":[1]}"#).contains("version 2"));
        assert!(bad(r#"{"raftcheck_eventlog":1,"nodes":[2,3]}"#).contains("ids 1, 2, ..., n"));
    }

    #[test]
    fn offsets_are_subtracted() {
        let logs = parse(
            "{\"raftcheck_eventlog\":1,\"nodes\":[1,2],\"term_offset\":1,\"index_offset\":1}\n\
             {\"node\":1,\"seq\":1,\"ev\":\"append\",\"index\":2,\"entries\":[{\"term\":2}]}\n\
             {\"node\":1,\"seq\":2,\"ev\":\"send\",\"msg\":{\"type\":\"AppendEntries\",\"to\":2,\
             \"term\":2,\"prev_log_index\":1,\"prev_log_term\":1,\"commit\":0}}\n",
        )
        .unwrap();
        let e = &logs.nodes[&1];
        assert_eq!(e[0].event.index, Some(1));
        assert_eq!(e[0].event.entries.as_ref().unwrap()[0].term, 1);
        let m = e[1].event.msg.as_ref().unwrap();
        assert_eq!(
            (m.term, m.prev_log_index, m.prev_log_term),
            (Some(1), Some(0), Some(0))
        );
    }

    #[test]
    fn duplicate_sequence_numbers_are_an_error() {
        let dir = std::env::temp_dir().join(format!("raftcheck-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("n1.ndjson");
        std::fs::write(
            &path,
            with(&[
                r#"{"node":1,"seq":1,"ev":"tick"}"#,
                r#"{"node":1,"seq":1,"ev":"tick"}"#,
            ]),
        )
        .unwrap();
        let err = read(&[path]).unwrap_err().to_string();
        assert!(err.contains(":3: node 1 has seq 1 twice (also at"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
