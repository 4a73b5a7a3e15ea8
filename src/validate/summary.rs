//! The run summary of `raftcheck validate`: what a run looked like, computed from its events
//! alone — who led which term and from when, the elections that failed and why, how long the
//! cluster went without a leader, how long values took to commit — with a warning naming the
//! likely cause when a quorum of nodes was up and still went without a leader for many
//! election timeouts.
//!
//! Everything here is a heuristic over what the log shows; every figure says what it is based
//! on, and a figure the log cannot support (no timestamps, no state events) is skipped with a
//! note saying why. No input makes it panic.
//!
//! How the figures are computed:
//!
//! - **Leaders.** A node leads term `T` from the first event that shows it: a `state` event with
//!   `role: leader` (the term is the event's, else the node's last known one), a `state` event of
//!   any node naming it as `leader`, or an `AppendEntries` / `Heartbeat` it sent (or that was
//!   received from it) with term `T`.
//! - **Candidacies.** A `state` event with `role: candidate`, or a `RequestVote` that is not a
//!   pre-vote sent by (or received from) the node. A candidacy starts when the election timer
//!   fired: the `timeout` (or `tick`) that began the node's election, else the event itself.
//!   Votes: the candidate's own, `RequestVoteResponse`s granting it, `state` events with `vote`.
//! - **Time without a leader.** A leader is lost at the first of: it crashes or restarts, it
//!   steps down or moves to a higher term itself, its incarnation ends without a `crash` (its
//!   next event is a `restart`: lost at its last event), or a higher term becomes known to a
//!   quorum (a term only a minority knows is an isolated minority's, and disturbs nobody): then
//!   it was lost when that term began. A partition is invisible in a log, so a leader cut off
//!   from the others is lost when they move on. A stretch without a leader runs from that loss
//!   (or the start of the log) to the next leader's first event.
//! - **Round trip.** A request sent by `A` to `B`, received by `B` in the step where `B` sends
//!   its answer to `A`, whose receipt at `A` ends the round trip. Sends are paired with receives
//!   of the same message (the latest such send; older identical ones count as lost).
//! - **Election timeout.** Given, or estimated as the shortest time (the 10th percentile, to
//!   ignore outliers) from a timer reset at a node (a message from a leader of its term, a vote
//!   it granted, a term change, its previous election, its start) to its next election.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;
use std::ops::Bound::{Excluded, Included};

use raftcheck_format::eventlog::{Event, EventKind, LogMessage, LogValue, MessageType};
use serde::Serialize;

/// A stretch without a leader longer than this many election timeouts, while a quorum of
/// nodes was up, is warned about.
pub const WARN_ELECTION_TIMEOUTS: u64 = 10;

/// Without a known election timeout (and no timestamps), a stretch without a leader with at
/// least this many failed elections is warned about.
pub const WARN_FAILED_ELECTIONS: usize = 10;

/// How many terms [`RunSummary::lines`] lists one by one (the first and last half of them).
const TERM_LINES: usize = 20;

/// What a validated run looked like, computed from its events alone.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    /// The number of events.
    pub events: usize,
    /// How many of them carry a timestamp `t`.
    pub events_with_time: usize,
    /// First to last timestamp; `None` without timestamps.
    pub span: Option<Span>,
    /// The nodes seen (as event nodes or message ends), with their figures.
    pub nodes: Vec<NodeSummary>,
    /// The size of a majority of the nodes seen.
    pub quorum: usize,
    /// The highest term seen.
    pub max_term: u64,
    /// Every term seen above 0, in order.
    pub terms: Vec<TermSummary>,
    /// The terms in which no leader was seen.
    pub terms_without_leader: Vec<u64>,
    /// The terms without a leader whose votes were split: two or more candidates, or a
    /// candidate that got votes but no majority.
    pub split_votes: Vec<u64>,
    /// Time without a leader.
    pub leaderless: Leaderless,
    /// Client values and how long they took to commit.
    pub commits: Commits,
    /// Round trips: a request sent to its answer received (microseconds).
    pub round_trip_us: Option<Stats>,
    /// One-way message delays: a send to its receipt (microseconds).
    pub message_delay_us: Option<Stats>,
    /// The election timeout the warnings are measured in.
    pub election_timeout: Option<ElectionTimeout>,
    /// Warnings, each with the numbers it is based on.
    pub warnings: Vec<Warning>,
    /// What the log lacked and which figures were skipped or inferred because of it.
    pub notes: Vec<String>,
}

/// First to last timestamp of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    /// The first timestamp (microseconds, as logged).
    pub first_t: u64,
    /// The last timestamp.
    pub last_t: u64,
    /// `last_t - first_t`.
    pub duration_us: u64,
}

/// One node's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeSummary {
    /// The node id.
    pub node: u64,
    /// Events logged at it.
    pub events: usize,
    /// `crash` events.
    pub crashes: usize,
    /// Restarts not preceded by a `crash` event: the node stopped after its last event.
    pub unlogged_crashes: usize,
    /// `restart` events.
    pub restarts: usize,
    /// Elections it started (its election timer fired).
    pub elections_started: usize,
    /// The terms it led.
    pub terms_led: Vec<u64>,
}

/// One term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TermSummary {
    /// The term.
    pub term: u64,
    /// Its leader, if one was seen.
    pub leader: Option<u64>,
    /// When the leader was first seen, microseconds after the start of the run.
    pub leader_at_us: Option<u64>,
    /// The candidates, by node.
    pub candidates: Vec<Candidacy>,
    /// How the election went.
    pub outcome: TermOutcome,
    /// For two or more candidates: the time between the first and the last candidacy start.
    pub candidacy_spread_us: Option<u64>,
}

/// A node's candidacy in a term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidacy {
    /// The candidate.
    pub node: u64,
    /// When it started (its election timer fired), microseconds after the start of the run.
    pub at_us: Option<u64>,
    /// The votes seen for it, its own included.
    pub votes: usize,
}

/// How a term's election went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TermOutcome {
    /// A leader was seen.
    Elected,
    /// No leader: two or more candidates, or a candidate got votes but no majority.
    SplitVote,
    /// No leader: a single candidate got no vote but its own.
    NoVotes,
    /// No leader and no candidacy seen (the term was only heard of).
    NoCandidate,
    /// The last term, without a leader when the log ends.
    Unfinished,
}

impl TermOutcome {
    fn describe(self) -> &'static str {
        match self {
            TermOutcome::Elected => "elected",
            TermOutcome::SplitVote => "split vote",
            TermOutcome::NoVotes => "no votes but its own",
            TermOutcome::NoCandidate => "no candidacy seen",
            TermOutcome::Unfinished => "unfinished when the log ends",
        }
    }
}

/// Time without a leader.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Leaderless {
    /// The stretches without a leader, in order (the first may run from the start of the log).
    pub stretches: Vec<Stretch>,
    /// Their total duration; `None` without timestamps.
    pub total_us: Option<u64>,
    /// The index in `stretches` of the longest one.
    pub longest: Option<usize>,
}

/// A stretch of the run without a leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stretch {
    /// Its start, microseconds after the start of the run.
    pub from_us: Option<u64>,
    /// Its end.
    pub to_us: Option<u64>,
    /// `to_us - from_us`.
    pub duration_us: Option<u64>,
    /// Why it began: the leader's loss, or the start of the log.
    pub cause: String,
    /// The leader that ended it (node, term); `None` when the log ends first.
    pub ended_by: Option<(u64, u64)>,
    /// Elections started in it.
    pub elections: usize,
    /// Terms begun in it that got no leader, in order.
    pub failed_terms: Vec<u64>,
    /// Nodes up in it: that logged an event in it, or were heard from.
    pub nodes_up: Vec<u64>,
    /// How long a quorum of them was up together (each from its first to its last event in
    /// the stretch); `None` without timestamps.
    pub quorum_up_us: Option<u64>,
    /// Position in the merged events of its first and last event.
    pub events: (usize, usize),
}

/// Client values and their commits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Commits {
    /// Distinct values in `client_request` events.
    pub requested: usize,
    /// Of those, committed (or applied) at some node.
    pub committed: usize,
    /// Of those, never committed.
    pub never_committed: usize,
    /// The first few of them.
    pub never_committed_values: Vec<String>,
    /// Client request to the first commit or apply at any node (microseconds).
    pub latency_any_us: Option<Stats>,
    /// Client request to the first commit or apply at the node that took the request.
    pub latency_local_us: Option<Stats>,
}

/// Order statistics of a sample (microseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Sample size.
    pub count: usize,
    /// Smallest.
    pub min: u64,
    /// Median (the lower one for an even count).
    pub median: u64,
    /// 99th percentile (nearest rank).
    pub p99: u64,
    /// Largest.
    pub max: u64,
}

impl Stats {
    /// The statistics of `sample`; `None` when it is empty.
    pub fn of(mut sample: Vec<u64>) -> Option<Stats> {
        if sample.is_empty() {
            return None;
        }
        sample.sort_unstable();
        let n = sample.len();
        let rank = |p: usize| sample[((n * p).div_ceil(100)).clamp(1, n) - 1];
        Some(Stats {
            count: n,
            min: sample[0],
            median: sample[(n - 1) / 2],
            p99: rank(99),
            max: sample[n - 1],
        })
    }

    fn describe(&self) -> String {
        format!(
            "min {}, median {}, p99 {}, max {} ({} samples)",
            dur(self.min),
            dur(self.median),
            dur(self.p99),
            dur(self.max),
            self.count
        )
    }
}

/// The election timeout the warnings use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ElectionTimeout {
    /// Microseconds.
    pub us: u64,
    /// True when estimated from the log, false when given.
    pub estimated: bool,
    /// For an estimate: how many elections it is based on.
    pub samples: usize,
}

/// A warning: what went wrong, its likely cause, and the numbers it is based on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// A stable name of the cause: `synchronized_timeouts`, `messages_lost`, `votes_refused`,
    /// `no_elections`, `unclear`, `two_leaders`.
    pub cause: &'static str,
    /// The explanation, with its numbers.
    pub text: String,
}

impl RunSummary {
    /// `events`: all nodes' events in the merged order validation uses (causal; timestamps `t`
    /// in microseconds where logged; offsets already subtracted). `election_timeout_us`: the
    /// implementation's (minimum) election timeout when known (a `validate --election-timeout-ms`
    /// flag), else None: estimate it from the log.
    pub fn from_events(events: &[Event], election_timeout_us: Option<u64>) -> RunSummary {
        let mut scan = Scan::new(events);
        for (i, e) in events.iter().enumerate() {
            scan.event(i, e);
        }
        scan.finish(election_timeout_us)
    }

    /// Human lines for the report.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let ids: Vec<String> = self.nodes.iter().map(|n| n.node.to_string()).collect();
        let mut head = format!(
            "run: {} events, nodes {} (quorum {})",
            self.events,
            if ids.is_empty() {
                "none".to_string()
            } else {
                ids.join(", ")
            },
            self.quorum
        );
        match &self.span {
            Some(s) => {
                let _ = write!(
                    head,
                    ", span {} (t {} to {})",
                    dur(s.duration_us),
                    s.first_t,
                    s.last_t
                );
            }
            None => head.push_str(", no timestamps"),
        }
        out.push(head);
        if !self.nodes.is_empty() {
            let per: Vec<String> = self
                .nodes
                .iter()
                .map(|n| format!("{}: {}", n.node, n.events))
                .collect();
            out.push(format!("events per node: {}", per.join(", ")));
        }
        for n in &self.nodes {
            if n.crashes > 0 || n.restarts > 0 {
                out.push(format!(
                    "node {}: {} crash{}{}, {} restart{}",
                    n.node,
                    n.crashes,
                    plural_es(n.crashes),
                    if n.unlogged_crashes > 0 {
                        format!(" ({} more not logged)", n.unlogged_crashes)
                    } else {
                        String::new()
                    },
                    n.restarts,
                    plural(n.restarts)
                ));
            }
        }
        self.term_lines(&mut out);
        self.leaderless_lines(&mut out);
        self.commit_lines(&mut out);
        match &self.round_trip_us {
            Some(s) => out.push(format!(
                "round trip (request sent to its answer received): {}",
                s.describe()
            )),
            None => out.push("round trip: none measured".to_string()),
        }
        if let Some(s) = &self.message_delay_us {
            out.push(format!("message delay (send to receive): {}", s.describe()));
        }
        match &self.election_timeout {
            Some(e) if e.estimated => out.push(format!(
                "election timeout: about {} (estimated: the shortest time, 10th percentile, from \
                 a timer reset to the next election at a node, over {} election{})",
                dur(e.us),
                e.samples,
                plural(e.samples)
            )),
            Some(e) => out.push(format!("election timeout: {} (given)", dur(e.us))),
            None => out.push("election timeout: unknown".to_string()),
        }
        for w in &self.warnings {
            out.push(format!("WARNING: {}", w.text));
        }
        for n in &self.notes {
            out.push(format!("note: {n}"));
        }
        out
    }

    /// The same for `--format json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    fn term_lines(&self, out: &mut Vec<String>) {
        if self.terms.is_empty() {
            out.push("terms: none seen".to_string());
            return;
        }
        let led = self.terms.iter().filter(|t| t.leader.is_some()).count();
        out.push(format!(
            "terms: {} seen (up to {}), {} with a leader, {} without{}",
            self.terms.len(),
            self.max_term,
            led,
            self.terms_without_leader.len(),
            if self.split_votes.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} split vote{}: {})",
                    self.split_votes.len(),
                    plural(self.split_votes.len()),
                    ranges(&self.split_votes)
                )
            }
        ));
        if !self.terms_without_leader.is_empty() {
            out.push(format!(
                "terms without a leader: {}",
                ranges(&self.terms_without_leader)
            ));
        }
        let n = self.terms.len();
        for (k, t) in self.terms.iter().enumerate() {
            if n > TERM_LINES && k == TERM_LINES / 2 {
                out.push(format!(
                    "  ... {} more terms (all in --format json)",
                    n - TERM_LINES
                ));
            }
            if n > TERM_LINES && k >= TERM_LINES / 2 && k < n - TERM_LINES / 2 {
                continue;
            }
            let mut line = format!("  term {}: ", t.term);
            match t.leader {
                Some(l) => {
                    let _ = write!(line, "leader {l}");
                    if let Some(at) = t.leader_at_us {
                        let _ = write!(line, " from +{}", dur(at));
                        let first = t.candidates.iter().filter_map(|c| c.at_us).min();
                        if let Some(first) = first.filter(|&f| f <= at) {
                            let _ =
                                write!(line, " ({} after the first candidacy)", dur(at - first));
                        }
                    }
                }
                None => {
                    let _ = write!(line, "no leader, {}", t.outcome.describe());
                }
            }
            if !t.candidates.is_empty() {
                let cs: Vec<String> = t
                    .candidates
                    .iter()
                    .map(|c| {
                        let at = c
                            .at_us
                            .map(|a| format!(" at +{}", dur(a)))
                            .unwrap_or_default();
                        format!("{}{} ({} vote{})", c.node, at, c.votes, plural(c.votes))
                    })
                    .collect();
                let _ = write!(line, "; candidates {}", cs.join(", "));
            }
            if let Some(s) = t.candidacy_spread_us {
                let _ = write!(line, "; started within {}", dur(s));
            }
            out.push(line);
        }
    }

    fn leaderless_lines(&self, out: &mut Vec<String>) {
        let l = &self.leaderless;
        if l.stretches.is_empty() {
            out.push("without a leader: never".to_string());
            return;
        }
        let mut line = String::from("without a leader: ");
        match (l.total_us, &self.span) {
            (Some(total), Some(span)) => {
                let _ = write!(line, "{} in total", dur(total));
                if span.duration_us > 0 {
                    let _ = write!(
                        line,
                        " ({:.1}% of the span)",
                        total as f64 * 100.0 / span.duration_us as f64
                    );
                }
            }
            _ => line.push_str("time unknown (no timestamps)"),
        }
        let _ = write!(
            line,
            ", {} stretch{}",
            l.stretches.len(),
            plural_es(l.stretches.len())
        );
        out.push(line);
        if let Some(s) = l.longest.and_then(|k| l.stretches.get(k)) {
            out.push(format!("  longest: {}", s.describe()));
        }
        for s in l.stretches.iter().take(TERM_LINES) {
            out.push(format!("  {}", s.describe()));
        }
        if l.stretches.len() > TERM_LINES {
            out.push(format!(
                "  ... {} more stretches (all in --format json)",
                l.stretches.len() - TERM_LINES
            ));
        }
    }

    fn commit_lines(&self, out: &mut Vec<String>) {
        let c = &self.commits;
        if c.requested == 0 {
            out.push("client values: none requested".to_string());
            return;
        }
        out.push(format!(
            "client values: {} requested, {} committed, {} never committed{}",
            c.requested,
            c.committed,
            c.never_committed,
            if c.never_committed_values.is_empty() {
                String::new()
            } else {
                format!(
                    " ({}{})",
                    c.never_committed_values.join(", "),
                    if c.never_committed > c.never_committed_values.len() {
                        ", ..."
                    } else {
                        ""
                    }
                )
            }
        ));
        if let Some(s) = &c.latency_any_us {
            out.push(format!(
                "commit latency (client request to the first commit at any node): {}",
                s.describe()
            ));
        }
        if let Some(s) = &c.latency_local_us {
            out.push(format!(
                "commit latency at the requesting node: {}",
                s.describe()
            ));
        }
    }
}

impl Stretch {
    fn describe(&self) -> String {
        let mut s = String::new();
        match (self.from_us, self.to_us) {
            (Some(f), Some(t)) => {
                let _ = write!(
                    s,
                    "{} from +{} to +{}",
                    dur(t.saturating_sub(f)),
                    dur(f),
                    dur(t)
                );
            }
            _ => {
                let _ = write!(s, "events {} to {}", self.events.0, self.events.1);
            }
        }
        let _ = write!(s, ", after {}", self.cause);
        match self.ended_by {
            Some((node, term)) => {
                let _ = write!(s, ", until node {node} led term {term}");
            }
            None => s.push_str(", until the end of the log"),
        }
        let _ = write!(
            s,
            "; {} election{}, {} failed term{}, {} node{} up",
            self.elections,
            plural(self.elections),
            self.failed_terms.len(),
            plural(self.failed_terms.len()),
            self.nodes_up.len(),
            plural(self.nodes_up.len())
        );
        s
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn plural_es(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "es"
    }
}

/// A duration in microseconds for people.
fn dur(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1e3)
    } else {
        format!("{:.3} s", us as f64 / 1e6)
    }
}

/// How long at least `k` of the closed intervals `spans` overlap.
fn overlap(spans: &[(u64, u64)], k: usize) -> u64 {
    let mut edges: Vec<(u64, i64)> = Vec::with_capacity(spans.len() * 2);
    for &(a, b) in spans {
        edges.push((a.min(b), 1));
        edges.push((a.max(b), -1));
    }
    // At one instant, openings before closings: touching intervals overlap.
    edges.sort_unstable_by_key(|&(t, d)| (t, -d));
    let (mut open, mut since, mut total) = (0i64, 0u64, 0u64);
    for (t, d) in edges {
        let before = open >= k as i64;
        open += d;
        let after = open >= k as i64;
        if !before && after {
            since = t;
        } else if before && !after {
            total = total.saturating_add(t.saturating_sub(since));
        }
    }
    total
}

/// Sorted numbers as ranges: `1-3, 5`.
fn ranges(ns: &[u64]) -> String {
    let mut parts = Vec::new();
    let mut k = 0;
    while k < ns.len() {
        let start = ns[k];
        let mut end = start;
        while k + 1 < ns.len() && ns[k + 1] == end.saturating_add(1) {
            k += 1;
            end = ns[k];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        k += 1;
    }
    parts.join(", ")
}

/// The request kind a response answers.
fn request_of(kind: MessageType) -> Option<MessageType> {
    match kind {
        MessageType::RequestVoteResponse => Some(MessageType::RequestVote),
        MessageType::AppendEntriesResponse => Some(MessageType::AppendEntries),
        MessageType::HeartbeatResponse => Some(MessageType::Heartbeat),
        _ => None,
    }
}

/// The term a message puts its sender in: `None` for pre-votes (a pre-candidate asks for a
/// term it does not hold) and for messages without a term.
fn sender_term(m: &LogMessage) -> Option<u64> {
    match m.kind {
        MessageType::Propose => None,
        MessageType::RequestVote | MessageType::RequestVoteResponse if m.pre == Some(true) => None,
        _ => m.term,
    }
}

fn is_real_vote(m: &LogMessage) -> bool {
    m.pre != Some(true)
}

/// A leader in office during the scan.
#[derive(Clone, Copy, Debug)]
struct Office {
    node: u64,
    /// The event where its leadership was first seen.
    start: usize,
}

/// A stretch without a leader being scanned.
#[derive(Clone, Debug)]
struct OpenStretch {
    from: usize,
    cause: String,
}

/// A stretch without a leader, scanned: its first and last event, its cause, the leader
/// (node, term) that ended it.
struct ClosedStretch {
    from: usize,
    to: usize,
    cause: String,
    ended_by: Option<(u64, u64)>,
}

/// What is known about one node during the scan.
#[derive(Default)]
struct NodeScan {
    events: usize,
    crashes: usize,
    unlogged_crashes: usize,
    restarts: usize,
    elections: usize,
    term: u64,
    /// The current step's trigger: its position and kind.
    trigger: Option<(usize, EventKind)>,
    /// The current step already started an election.
    step_started: bool,
    /// The time of the node's latest election start, until a candidacy takes it.
    pending_start: Option<Option<u64>>,
    /// The time the election timer was last reset.
    last_reset: Option<u64>,
    /// The node's log as its `append` / `truncate` events show it.
    log: BTreeMap<u64, Option<LogValue>>,
    logs_appends: bool,
    commit: u64,
}

/// The single pass over the events.
struct Scan<'a> {
    events: &'a [Event],
    /// Each event's time: its own `t`, else the last one before it.
    times: Vec<Option<u64>>,
    t0: Option<u64>,
    nodes: BTreeMap<u64, NodeScan>,
    /// A majority of the nodes seen.
    quorum: usize,
    state_events: usize,
    // terms
    knowers: BTreeMap<u64, Vec<u64>>,
    /// Each term's first event (or the trigger of its step).
    first_seen: BTreeMap<u64, usize>,
    /// The last event of each incarnation that ends without a `crash` (its node restarts next).
    silent_before_restart: BTreeSet<usize>,
    max_real_term: u64,
    leaders: BTreeMap<u64, (u64, usize)>,
    two_leaders: Vec<(u64, u64, u64)>,
    candidates: BTreeMap<u64, BTreeMap<u64, (usize, Option<u64>)>>,
    votes: BTreeMap<(u64, u64), BTreeSet<u64>>,
    // office and stretches
    active: BTreeMap<u64, Office>,
    open: Option<OpenStretch>,
    stretches: Vec<ClosedStretch>,
    /// Positions of election starts, with their node.
    starts: Vec<(usize, u64)>,
    timeout_samples: Vec<u64>,
    // messages
    in_flight: HashMap<LogMessage, Vec<usize>>,
    delivered_from: HashMap<usize, usize>,
    answer_to: HashMap<usize, usize>,
    last_request: HashMap<(u64, u64, MessageType), usize>,
    delays: Vec<u64>,
    round_trips: Vec<u64>,
    one_sided_round_trips: Vec<u64>,
    // values
    requests: HashMap<LogValue, (u64, Option<u64>, usize)>,
    commits: HashMap<LogValue, BTreeMap<u64, Option<u64>>>,
    global_log: BTreeMap<u64, Option<LogValue>>,
}

impl<'a> Scan<'a> {
    fn new(events: &'a [Event]) -> Self {
        let mut times = Vec::with_capacity(events.len());
        let mut last = None;
        for e in events {
            if e.t.is_some() {
                last = e.t;
            }
            times.push(last);
        }
        let t0 = events.iter().filter_map(|e| e.t).min();
        let mut silent_before_restart = BTreeSet::new();
        let mut last_of: HashMap<u64, usize> = HashMap::new();
        for (i, e) in events.iter().enumerate() {
            if let Some(&p) = last_of.get(&e.node) {
                if e.ev == EventKind::Restart && events[p].ev != EventKind::Crash {
                    silent_before_restart.insert(p);
                }
            }
            last_of.insert(e.node, i);
        }
        let mut nodes = BTreeMap::new();
        for e in events {
            nodes.entry(e.node).or_insert_with(NodeScan::default);
            if let Some(m) = &e.msg {
                for id in [m.from, m.to].into_iter().flatten().filter(|&id| id != 0) {
                    nodes.entry(id).or_insert_with(NodeScan::default);
                }
            }
        }
        Scan {
            events,
            times,
            t0,
            quorum: nodes.len() / 2 + 1,
            nodes,
            state_events: 0,
            knowers: BTreeMap::new(),
            first_seen: BTreeMap::new(),
            silent_before_restart,
            max_real_term: 0,
            leaders: BTreeMap::new(),
            two_leaders: Vec::new(),
            candidates: BTreeMap::new(),
            votes: BTreeMap::new(),
            active: BTreeMap::new(),
            open: Some(OpenStretch {
                from: 0,
                cause: "the start of the log".to_string(),
            }),
            stretches: Vec::new(),
            starts: Vec::new(),
            timeout_samples: Vec::new(),
            in_flight: HashMap::new(),
            delivered_from: HashMap::new(),
            answer_to: HashMap::new(),
            last_request: HashMap::new(),
            delays: Vec::new(),
            round_trips: Vec::new(),
            one_sided_round_trips: Vec::new(),
            requests: HashMap::new(),
            commits: HashMap::new(),
            global_log: BTreeMap::new(),
        }
    }

    fn time(&self, i: usize) -> Option<u64> {
        self.times.get(i).copied().flatten()
    }

    fn rel(&self, t: Option<u64>) -> Option<u64> {
        Some(t?.saturating_sub(self.t0?))
    }

    fn node(&mut self, id: u64) -> &mut NodeScan {
        self.nodes.entry(id).or_default()
    }

    fn event(&mut self, i: usize, e: &Event) {
        let t = self.time(i);
        let id = e.node;
        {
            let n = self.node(id);
            n.events += 1;
            // The node's first event is its start, unless that event fires its timer itself.
            let timer = matches!(e.ev, EventKind::Timeout | EventKind::Tick);
            if n.events == 1 && (e.seq <= 1 || e.ev == EventKind::Restart) && !timer {
                n.last_reset = t;
            }
            if e.ev.is_trigger() {
                n.trigger = Some((i, e.ev));
                n.step_started = false;
            }
        }
        match e.ev {
            EventKind::Crash => {
                self.node(id).crashes += 1;
                self.own_loss(i, id, |_| Some(format!("leader {id} crashed")));
            }
            EventKind::Restart => {
                let n = self.node(id);
                n.restarts += 1;
                n.last_reset = t;
                n.commit = 0;
                self.own_loss(i, id, |_| Some(format!("leader {id} restarted")));
            }
            EventKind::Timeout => self.election_start(i, id, true),
            EventKind::ClientRequest => {
                if let Some(v) = &e.value {
                    self.requests.entry(v.clone()).or_insert((id, t, i));
                }
            }
            EventKind::Receive => {
                if let Some(m) = &e.msg {
                    self.receive(i, id, m);
                }
            }
            EventKind::Send => {
                if let Some(m) = &e.msg {
                    self.send(i, id, m);
                }
            }
            EventKind::State => self.state(i, id, e),
            EventKind::Append => {
                if let (Some(index), Some(entries)) = (e.index, &e.entries) {
                    let n = self.node(id);
                    n.logs_appends = true;
                    n.log.split_off(&index);
                    for (k, entry) in entries.iter().enumerate() {
                        let at = index.saturating_add(k as u64);
                        n.log.insert(at, entry.value.clone());
                    }
                    for (k, entry) in entries.iter().enumerate() {
                        let at = index.saturating_add(k as u64);
                        self.global_log.insert(at, entry.value.clone());
                    }
                }
            }
            EventKind::Truncate => {
                if let Some(index) = e.index {
                    let n = self.node(id);
                    n.logs_appends = true;
                    n.log.split_off(&index);
                }
            }
            EventKind::Commit => {
                if let Some(c) = e.index {
                    let n = self.node(id);
                    let from = n.commit;
                    n.commit = c;
                    if c > from {
                        let values: Vec<LogValue> = self
                            .log_of(id)
                            .range((Excluded(from), Included(c)))
                            .filter_map(|(_, v)| v.clone())
                            .collect();
                        for v in values {
                            self.committed(v, id, t);
                        }
                    }
                }
            }
            EventKind::Apply => {
                let value = e
                    .value
                    .clone()
                    .or_else(|| self.log_of(id).get(&e.index?).cloned().flatten());
                if let Some(v) = value {
                    self.committed(v, id, t);
                }
            }
            EventKind::Tick | EventKind::Heartbeat => {}
        }
        if self.silent_before_restart.contains(&i) {
            self.node(id).unlogged_crashes += 1;
            self.own_loss(i, id, |_| {
                Some(format!(
                    "leader {id} went silent (its next event is a restart: a crash not logged)"
                ))
            });
        }
    }

    /// The log a node's commits refer to: its own as its `append` events show it, else the
    /// entries seen anywhere (in appends and in `AppendEntries` messages).
    fn log_of(&self, id: u64) -> &BTreeMap<u64, Option<LogValue>> {
        match self.nodes.get(&id) {
            Some(n) if n.logs_appends => &n.log,
            _ => &self.global_log,
        }
    }

    fn committed(&mut self, v: LogValue, node: u64, t: Option<u64>) {
        self.commits.entry(v).or_default().entry(node).or_insert(t);
    }

    fn receive(&mut self, i: usize, id: u64, m: &LogMessage) {
        let t = self.time(i);
        let Some(from) = m.from else { return };
        // Pair with the latest identical send; older identical ones count as lost.
        let mut key = m.clone();
        key.from = Some(from);
        key.to = Some(id);
        if let Some(sends) = self.in_flight.remove(&key) {
            if let Some(&s) = sends.last() {
                self.delivered_from.insert(i, s);
                if let (Some(st), Some(rt)) = (self.time(s), t) {
                    self.delays.push(rt.saturating_sub(st));
                }
            }
        }
        // A round trip: our request, answered in the step that received it.
        if let Some(req) = request_of(m.kind) {
            let chain = self
                .delivered_from
                .get(&i)
                .and_then(|s| self.answer_to.get(s))
                .and_then(|c| self.delivered_from.get(c))
                .copied()
                .filter(|&s0| self.events.get(s0).is_some_and(|e| e.node == id));
            match chain {
                Some(s0) => {
                    if let (Some(st), Some(rt)) = (self.time(s0), t) {
                        self.round_trips.push(rt.saturating_sub(st));
                    }
                    self.last_request.remove(&(id, from, req));
                }
                None => {
                    if let Some(s0) = self.last_request.remove(&(id, from, req)) {
                        if let (Some(st), Some(rt)) = (self.time(s0), t) {
                            self.one_sided_round_trips.push(rt.saturating_sub(st));
                        }
                    }
                }
            }
        }
        let my_term = self.node(id).term;
        match m.kind {
            MessageType::AppendEntries | MessageType::Heartbeat => {
                if let Some(term) = m.term {
                    self.leader_seen(i, term, from);
                    if term >= my_term {
                        self.node(id).last_reset = t;
                    }
                }
                self.entries_seen(m);
            }
            MessageType::RequestVote if is_real_vote(m) => {
                if let Some(term) = m.term {
                    self.candidacy(i, term, from, false);
                }
            }
            MessageType::RequestVoteResponse if is_real_vote(m) && m.reject == Some(false) => {
                if let Some(term) = m.term {
                    self.votes.entry((term, id)).or_default().insert(from);
                }
            }
            _ => {}
        }
    }

    fn send(&mut self, i: usize, id: u64, m: &LogMessage) {
        let t = self.time(i);
        let Some(to) = m.to else { return };
        let mut key = m.clone();
        key.from = Some(id);
        key.to = Some(to);
        self.in_flight.entry(key).or_default().push(i);
        if let Some(req) = request_of(m.kind) {
            let trigger = self.nodes.get(&id).and_then(|n| n.trigger);
            if let Some((j, EventKind::Receive)) = trigger {
                let answers = self
                    .events
                    .get(j)
                    .and_then(|e| e.msg.as_ref())
                    .is_some_and(|r| r.kind == req && r.from == Some(to));
                if answers {
                    self.answer_to.insert(i, j);
                }
            }
        } else if m.kind != MessageType::Propose {
            self.last_request.insert((id, to, m.kind), i);
        }
        if let Some(term) = sender_term(m) {
            self.knows(i, id, term);
            self.own_loss(i, id, |lt| {
                (term > lt).then(|| format!("leader {id} moved to term {term}"))
            });
            let n = self.node(id);
            if term > n.term {
                n.term = term;
                n.last_reset = t;
            }
        }
        match m.kind {
            MessageType::AppendEntries | MessageType::Heartbeat => {
                if let Some(term) = m.term {
                    self.leader_seen(i, term, id);
                }
                self.entries_seen(m);
            }
            MessageType::RequestVote => {
                self.election_evidence(i, id);
                if is_real_vote(m) {
                    if let Some(term) = m.term {
                        self.candidacy(i, term, id, true);
                    }
                }
            }
            MessageType::RequestVoteResponse if is_real_vote(m) && m.reject == Some(false) => {
                if let Some(term) = m.term {
                    self.votes.entry((term, to)).or_default().insert(id);
                }
                self.node(id).last_reset = t;
            }
            _ => {}
        }
    }

    fn entries_seen(&mut self, m: &LogMessage) {
        if let (Some(prev), Some(entries)) = (m.prev_log_index, &m.entries) {
            for (k, entry) in entries.iter().enumerate() {
                let at = prev.saturating_add(1).saturating_add(k as u64);
                self.global_log.insert(at, entry.value.clone());
            }
        }
    }

    fn state(&mut self, i: usize, id: u64, e: &Event) {
        self.state_events += 1;
        let t = self.time(i);
        if let Some(term) = e.term {
            self.knows(i, id, term);
            self.own_loss(i, id, |lt| {
                (term > lt).then(|| format!("leader {id} moved to term {term}"))
            });
            let n = self.node(id);
            if term != n.term {
                n.last_reset = t;
            }
            n.term = term;
        }
        let term = self.node(id).term;
        match e.role.as_deref() {
            Some("leader") => self.leader_seen(i, term, id),
            Some(role @ ("follower" | "candidate" | "pre_candidate")) => {
                self.own_loss(i, id, |_| Some(format!("leader {id} became {role}")));
                if role != "follower" {
                    self.election_evidence(i, id);
                }
                if role == "candidate" {
                    self.candidacy(i, term, id, true);
                }
            }
            _ => {}
        }
        if let Some(v) = e.vote.filter(|&v| v != 0) {
            let fresh = self.votes.entry((term, v)).or_default().insert(id);
            if fresh && v != id {
                self.node(id).last_reset = t;
            }
        }
        if let Some(l) = e.leader.filter(|&l| l != 0) {
            self.leader_seen(i, term, l);
        }
    }

    /// Node `id` knows `term`: a term a quorum knows has reached the cluster, and ends every
    /// lower term's leadership (a term only a minority knows disturbs no leader).
    fn knows(&mut self, i: usize, id: u64, term: u64) {
        if !self.first_seen.contains_key(&term) {
            // The term began at the trigger of the step that shows it (the timer that fired).
            let from = match self.nodes.get(&id).and_then(|n| n.trigger) {
                Some((j, EventKind::Timeout | EventKind::Tick)) => j.min(i),
                _ => i,
            };
            self.first_seen.insert(term, from);
        }
        let quorum = self.quorum;
        let ks = self.knowers.entry(term).or_default();
        if ks.len() >= quorum || ks.contains(&id) {
            return;
        }
        ks.push(id);
        if ks.len() == quorum {
            let who: Vec<String> = ks.iter().map(u64::to_string).collect();
            self.max_real_term = self.max_real_term.max(term);
            let cause = format!("term {term} reached a quorum (nodes {})", who.join(", "));
            self.lose_below(i, term, &cause);
        }
    }

    /// Ends the office of every leader of a term below `term`. Leadership was lost when `term`
    /// began (its first event), unless the leader started after that.
    fn lose_below(&mut self, i: usize, term: u64, cause: &str) {
        let keep = self.active.split_off(&term);
        let lost = std::mem::replace(&mut self.active, keep);
        if !lost.is_empty() && self.active.is_empty() {
            let who: Vec<String> = lost
                .iter()
                .map(|(t, o)| format!("leader {} of term {t}", o.node))
                .collect();
            let began = self.first_seen.get(&term).copied().unwrap_or(i);
            let from = lost
                .values()
                .map(|o| o.start)
                .fold(began, usize::max)
                .min(i);
            self.open_stretch(from, format!("{} lost it: {cause}", who.join(", ")));
        }
    }

    /// Ends the office of leader `id` when `why(its term)` says so.
    fn own_loss(&mut self, i: usize, id: u64, why: impl Fn(u64) -> Option<String>) {
        let mut cause = None;
        self.active.retain(|&term, o| {
            if o.node != id {
                return true;
            }
            match why(term) {
                Some(c) => {
                    cause = Some(format!("{c} (it led term {term})"));
                    false
                }
                None => true,
            }
        });
        if let Some(c) = cause {
            if self.active.is_empty() {
                self.open_stretch(i, c);
            }
        }
    }

    fn open_stretch(&mut self, i: usize, cause: String) {
        if self.open.is_none() {
            self.open = Some(OpenStretch { from: i, cause });
        }
    }

    fn leader_seen(&mut self, i: usize, term: u64, node: u64) {
        match self.leaders.get(&term) {
            Some(&(other, _)) => {
                if other != node && !self.two_leaders.iter().any(|x| x.0 == term) {
                    self.two_leaders.push((term, other, node));
                }
                return;
            }
            None => {
                self.leaders.insert(term, (node, i));
            }
        }
        // A term below one a quorum already knew cannot lead the cluster.
        let stale = term < self.max_real_term;
        if !stale {
            self.active.insert(term, Office { node, start: i });
            if let Some(open) = self.open.take() {
                if !(open.from == 0 && i == 0 && self.stretches.is_empty()) {
                    self.stretches.push(ClosedStretch {
                        from: open.from,
                        to: i,
                        cause: open.cause,
                        ended_by: Some((node, term)),
                    });
                }
            }
        }
        self.knows(i, node, term);
        if !stale {
            self.lose_below(i, term, &format!("node {node} led term {term}"));
        }
    }

    /// An event at `id` shows it campaigning (a pre-candidacy or candidacy): the election
    /// started at this step's trigger, unless the step continues an election (a receive).
    fn election_evidence(&mut self, i: usize, id: u64) {
        let (started, trigger) = match self.nodes.get(&id) {
            Some(n) => (n.step_started, n.trigger),
            None => return,
        };
        if started {
            return;
        }
        match trigger {
            Some((_, EventKind::Receive | EventKind::ClientRequest)) => {}
            Some((j, EventKind::Tick)) => self.election_start(j, id, true),
            Some((j, _)) => self.election_start(j, id, false),
            None => self.election_start(i, id, false),
        }
    }

    /// Node `id`'s election timer fired at event `i`; `timer`: the event is a timer's (a
    /// `timeout` or `tick`), so the time since the last reset measures the election timeout.
    fn election_start(&mut self, i: usize, id: u64, timer: bool) {
        let t = self.time(i);
        let n = self.node(id);
        n.elections += 1;
        n.step_started = true;
        if let (Some(r), Some(t), true) = (n.last_reset, t, timer) {
            if t >= r {
                let sample = t - r;
                self.timeout_samples.push(sample);
            }
        }
        let n = self.node(id);
        n.last_reset = t;
        n.pending_start = Some(t);
        self.starts.push((i, id));
    }

    fn candidacy(&mut self, i: usize, term: u64, id: u64, own: bool) {
        self.knows(i, id, term);
        self.votes.entry((term, id)).or_default().insert(id);
        if self
            .candidates
            .get(&term)
            .is_some_and(|c| c.contains_key(&id))
        {
            return;
        }
        let t = self.time(i);
        let at = if own {
            self.node(id).pending_start.take().unwrap_or(t)
        } else {
            t
        };
        self.candidates.entry(term).or_default().insert(id, (i, at));
    }

    fn finish(mut self, election_timeout_us: Option<u64>) -> RunSummary {
        let n_events = self.events.len();
        // A tick's election is recorded when its candidacy shows: restore the order.
        self.starts.sort_unstable();
        if let Some(open) = self.open.take() {
            if n_events > 0 {
                self.stretches.push(ClosedStretch {
                    from: open.from,
                    to: n_events - 1,
                    cause: open.cause,
                    ended_by: None,
                });
            }
        }
        let quorum = self.nodes.len() / 2 + 1;
        let events_with_time = self.events.iter().filter(|e| e.t.is_some()).count();
        let span = match (self.t0, self.events.iter().filter_map(|e| e.t).max()) {
            (Some(first_t), Some(last_t)) => Some(Span {
                first_t,
                last_t,
                duration_us: last_t.saturating_sub(first_t),
            }),
            _ => None,
        };
        let mut notes = Vec::new();
        if n_events == 0 {
            notes.push("the log has no events".to_string());
        } else if events_with_time == 0 {
            notes.push(
                "no event has a timestamp (t): durations, latencies, round trips and the \
                 election timeout estimate are skipped; counts are reported"
                    .to_string(),
            );
        } else if events_with_time < n_events {
            notes.push(format!(
                "{} of {} events have no timestamp (t): each is taken to happen at the time of \
                 the event before it",
                n_events - events_with_time,
                n_events
            ));
        }
        if n_events > 0 && self.state_events == 0 {
            notes.push(
                "no state events: terms, leaders and candidacies are inferred from messages"
                    .to_string(),
            );
        }

        // Terms.
        let mut all_terms: BTreeSet<u64> = self.knowers.keys().copied().collect();
        all_terms.extend(self.leaders.keys());
        all_terms.extend(self.candidates.keys());
        all_terms.remove(&0);
        let max_term = all_terms.iter().next_back().copied().unwrap_or(0);
        let mut terms = Vec::new();
        for &term in &all_terms {
            let leader = self.leaders.get(&term).copied();
            let mut cands = Vec::new();
            let mut starts = Vec::new();
            if let Some(cs) = self.candidates.get(&term) {
                for (&node, &(_, at)) in cs {
                    let votes = self.votes.get(&(term, node)).map_or(0, |v| v.len());
                    let at_us = self.rel(at);
                    starts.extend(at_us);
                    cands.push(Candidacy { node, at_us, votes });
                }
            }
            let outcome = if leader.is_some() {
                TermOutcome::Elected
            } else if term == max_term {
                TermOutcome::Unfinished
            } else if cands.is_empty() {
                TermOutcome::NoCandidate
            } else if cands.len() >= 2 || cands.iter().any(|c| c.votes >= 2) {
                TermOutcome::SplitVote
            } else {
                TermOutcome::NoVotes
            };
            let candidacy_spread_us = match (starts.iter().min(), starts.iter().max()) {
                (Some(a), Some(b)) if starts.len() >= 2 => Some(b - a),
                _ => None,
            };
            terms.push(TermSummary {
                term,
                leader: leader.map(|l| l.0),
                leader_at_us: leader.and_then(|l| self.rel(self.time(l.1))),
                candidates: cands,
                outcome,
                candidacy_spread_us,
            });
        }
        let terms_without_leader: Vec<u64> = terms
            .iter()
            .filter(|t| t.leader.is_none())
            .map(|t| t.term)
            .collect();
        let split_votes: Vec<u64> = terms
            .iter()
            .filter(|t| t.outcome == TermOutcome::SplitVote)
            .map(|t| t.term)
            .collect();

        // Messages.
        let round_trip_us = if self.round_trips.is_empty() {
            if !self.one_sided_round_trips.is_empty() {
                notes.push(
                    "round trips measured at the requesting node only (the other end's events \
                     are missing): a request's latest send to its answer"
                        .to_string(),
                );
            }
            Stats::of(std::mem::take(&mut self.one_sided_round_trips))
        } else {
            Stats::of(std::mem::take(&mut self.round_trips))
        };
        let message_delay_us = Stats::of(std::mem::take(&mut self.delays));

        // Election timeout.
        let election_timeout = match election_timeout_us {
            Some(us) => Some(ElectionTimeout {
                us,
                estimated: false,
                samples: 0,
            }),
            None => {
                let mut samples = std::mem::take(&mut self.timeout_samples);
                samples.sort_unstable();
                let rank = samples.len().div_ceil(10).saturating_sub(1);
                samples.get(rank).map(|&us| ElectionTimeout {
                    us,
                    estimated: true,
                    samples: samples.len(),
                })
            }
        };
        if election_timeout.is_none() && events_with_time > 0 {
            notes.push(format!(
                "election timeout unknown (not given, and no election to estimate it from): a \
                 stretch without a leader is warned about after {WARN_FAILED_ELECTIONS} failed \
                 elections"
            ));
        }

        // Stretches without a leader; the terms without a leader by their first candidacy.
        let mut failed_firsts: Vec<(usize, u64)> = terms
            .iter()
            .filter(|t| t.leader.is_none())
            .filter_map(|t| {
                let first = self.candidates.get(&t.term)?.values().map(|c| c.0).min()?;
                Some((first, t.term))
            })
            .collect();
        failed_firsts.sort_unstable();
        let mut stretches = Vec::new();
        for ClosedStretch {
            from,
            to,
            cause,
            ended_by,
        } in std::mem::take(&mut self.stretches)
        {
            let from_t = if from == 0 { self.t0 } else { self.time(from) };
            let (from_us, to_us) = (self.rel(from_t), self.rel(self.time(to)));
            let duration_us = match (from_us, to_us) {
                (Some(f), Some(t)) => Some(t.saturating_sub(f)),
                _ => None,
            };
            let lo = self.starts.partition_point(|s| s.0 < from);
            let hi = self.starts.partition_point(|s| s.0 <= to);
            // A node is up from its first to its last event in the stretch (or message heard
            // from it); a crash is its last.
            let mut up: BTreeMap<u64, (Option<u64>, Option<u64>)> = BTreeMap::new();
            for (k, e) in self.events.get(from..=to).unwrap_or(&[]).iter().enumerate() {
                let t = self.time(from + k);
                let mut seen = |node: u64| {
                    let span = up.entry(node).or_insert((t, t));
                    span.0 = span.0.or(t);
                    span.1 = t.or(span.1);
                };
                seen(e.node);
                if e.ev == EventKind::Receive {
                    if let Some(f) = e.msg.as_ref().and_then(|m| m.from) {
                        seen(f);
                    }
                }
            }
            let quorum_up_us = if from_us.is_some() {
                let spans: Vec<(u64, u64)> =
                    up.values().filter_map(|&(a, b)| Some((a?, b?))).collect();
                Some(overlap(&spans, quorum))
            } else {
                None
            };
            let flo = failed_firsts.partition_point(|f| f.0 < from);
            let fhi = failed_firsts.partition_point(|f| f.0 <= to);
            let mut failed_terms: Vec<u64> = failed_firsts
                .get(flo..fhi)
                .unwrap_or(&[])
                .iter()
                .map(|f| f.1)
                .collect();
            failed_terms.sort_unstable();
            stretches.push(Stretch {
                from_us,
                to_us,
                duration_us,
                cause,
                ended_by,
                elections: hi.saturating_sub(lo),
                failed_terms,
                nodes_up: up.into_keys().collect(),
                quorum_up_us,
                events: (from, to),
            });
        }
        let total_us = if span.is_some() {
            Some(stretches.iter().filter_map(|s| s.duration_us).sum())
        } else {
            None
        };
        let longest = stretches
            .iter()
            .enumerate()
            .filter_map(|(k, s)| Some((s.duration_us?, k)))
            .max_by_key(|&(d, k)| (d, std::cmp::Reverse(k)))
            .map(|(_, k)| k);

        let mut warnings = Vec::new();
        for &(term, a, b) in &self.two_leaders {
            warnings.push(Warning {
                cause: "two_leaders",
                text: format!("two leaders in term {term}: nodes {a} and {b}"),
            });
        }
        for s in &stretches {
            if let Some(w) = self.stretch_warning(
                s,
                &terms,
                quorum,
                election_timeout,
                round_trip_us,
                message_delay_us,
            ) {
                warnings.push(w);
            }
        }

        // Commits.
        let mut lat_any = Vec::new();
        let mut lat_local = Vec::new();
        let mut never: Vec<(usize, &LogValue)> = Vec::new();
        let mut committed = 0;
        for (v, &(node, t, i)) in &self.requests {
            match self.commits.get(v) {
                Some(at) => {
                    committed += 1;
                    if let (Some(t), Some(first)) = (t, at.values().flatten().min()) {
                        lat_any.push(first.saturating_sub(t));
                    }
                    if let (Some(t), Some(Some(local))) = (t, at.get(&node)) {
                        lat_local.push(local.saturating_sub(t));
                    }
                }
                None => never.push((i, v)),
            }
        }
        never.sort();
        let commits = Commits {
            requested: self.requests.len(),
            committed,
            never_committed: never.len(),
            never_committed_values: never.iter().take(10).map(|(_, v)| v.to_string()).collect(),
            latency_any_us: Stats::of(lat_any),
            latency_local_us: Stats::of(lat_local),
        };

        let nodes = self
            .nodes
            .iter()
            .map(|(&node, n)| NodeSummary {
                node,
                events: n.events,
                crashes: n.crashes,
                unlogged_crashes: n.unlogged_crashes,
                restarts: n.restarts,
                elections_started: n.elections,
                terms_led: terms
                    .iter()
                    .filter(|t| t.leader == Some(node))
                    .map(|t| t.term)
                    .collect(),
            })
            .collect();

        RunSummary {
            events: n_events,
            events_with_time,
            span,
            nodes,
            quorum,
            max_term,
            terms,
            terms_without_leader,
            split_votes,
            leaderless: Leaderless {
                stretches,
                total_us,
                longest,
            },
            commits,
            round_trip_us,
            message_delay_us,
            election_timeout,
            warnings,
            notes,
        }
    }

    /// The warning for a stretch without a leader, if it lasted many election timeouts while a
    /// quorum was up, with the likely cause.
    fn stretch_warning(
        &self,
        s: &Stretch,
        terms: &[TermSummary],
        quorum: usize,
        timeout: Option<ElectionTimeout>,
        rtt: Option<Stats>,
        delay: Option<Stats>,
    ) -> Option<Warning> {
        if s.nodes_up.len() < quorum {
            return None;
        }
        let long = match (timeout, s.duration_us, s.quorum_up_us) {
            (Some(e), Some(d), Some(q)) if e.us > 0 => {
                let n = q / e.us;
                (n > WARN_ELECTION_TIMEOUTS).then(|| {
                    format!(
                        "no leader for {}, {} of it with a quorum up ({} election timeouts of \
                         {}{})",
                        dur(d),
                        dur(q),
                        n,
                        dur(e.us),
                        if e.estimated { ", estimated" } else { "" }
                    )
                })
            }
            _ => (s.failed_terms.len() >= WARN_FAILED_ELECTIONS).then(|| {
                format!(
                    "no leader over {} failed elections (no election timeout to measure time in)",
                    s.failed_terms.len()
                )
            }),
        }?;
        let when = match s.from_us {
            Some(f) => format!(" from +{}", dur(f)),
            None => format!(" from event {}", s.events.0),
        };
        let up = format!(
            "{} of {} nodes were up ({})",
            s.nodes_up.len(),
            self.nodes.len(),
            s.nodes_up
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        let head = format!("{long}{when}, after {}, while {up}", s.cause);

        // The failed terms of the stretch.
        let failed: Vec<&TermSummary> = terms
            .iter()
            .filter(|t| s.failed_terms.binary_search(&t.term).is_ok())
            .collect();
        let split: Vec<&TermSummary> = failed
            .iter()
            .copied()
            .filter(|t| t.candidates.len() >= 2)
            .collect();
        let spreads = Stats::of(split.iter().filter_map(|t| t.candidacy_spread_us).collect());

        // Vote requests and their answers in the stretch.
        let (mut asked, mut answered, mut granted, mut refused) = (0usize, 0usize, 0usize, 0usize);
        let mut answered_candidacies: BTreeSet<(u64, u64)> = BTreeSet::new();
        for e in self.events.get(s.events.0..=s.events.1).unwrap_or(&[]) {
            let Some(m) = &e.msg else { continue };
            match (e.ev, m.kind) {
                (EventKind::Send, MessageType::RequestVote) => asked += 1,
                (EventKind::Receive, MessageType::RequestVoteResponse) => {
                    answered += 1;
                    match m.reject {
                        Some(true) => refused += 1,
                        Some(false) => granted += 1,
                        None => {}
                    }
                    if let Some(term) = m.term {
                        answered_candidacies.insert((term, e.node));
                    }
                }
                _ => {}
            }
        }
        let candidacies: usize = failed.iter().map(|t| t.candidates.len()).sum();
        let unanswered = failed
            .iter()
            .flat_map(|t| t.candidates.iter().map(move |c| (t.term, c.node)))
            .filter(|k| !answered_candidacies.contains(k))
            .count();

        // Successive elections at one node: equal intervals mean timeouts are not randomized.
        let mut intervals = Vec::new();
        let lo = self.starts.partition_point(|x| x.0 < s.events.0);
        let hi = self.starts.partition_point(|x| x.0 <= s.events.1);
        let mut last_at: HashMap<u64, u64> = HashMap::new();
        for &(i, node) in self.starts.get(lo..hi).unwrap_or(&[]) {
            if let Some(t) = self.time(i) {
                if let Some(prev) = last_at.insert(node, t) {
                    intervals.push(t.saturating_sub(prev));
                }
            }
        }
        let intervals = Stats::of(intervals);
        let interval_text = intervals
            .map(|iv| {
                format!(
                    "; a node's successive elections came {} to {} apart{}",
                    dur(iv.min),
                    dur(iv.max),
                    if iv.count >= 2 && iv.max - iv.min <= iv.min / 100 {
                        " (within 1%: the timeouts are not randomized)"
                    } else {
                        ""
                    }
                )
            })
            .unwrap_or_default();
        let round_trip = rtt
            .map(|r| (r.median, "a round trip"))
            .or_else(|| delay.map(|d| (d.median.saturating_mul(2), "twice the message delay")));

        let votes_text = format!(
            "{asked} vote request{} sent, {answered} answer{} received ({granted} granted, \
             {refused} refused)",
            plural(asked),
            plural(answered)
        );
        let (cause, why) = if s.elections == 0 && failed.is_empty() {
            (
                "no_elections",
                "no node started an election: election timers did not fire (or their events \
                 were not logged)"
                    .to_string(),
            )
        } else if let (Some(sp), Some((rt, rt_name)), true) = (
            spreads,
            round_trip,
            split.len() >= 2 && split.len() * 2 >= failed.len(),
        ) {
            if sp.median <= rt {
                (
                    "synchronized_timeouts",
                    format!(
                        "every election timeout falls within one round trip, so all nodes time \
                         out together: {} of {} failed terms had two or more candidates, whose \
                         candidacies started within {} of each other (median; max {}), while \
                         {rt_name} took {} (median){interval_text}; randomize election timeouts \
                         over a range much wider than a round trip",
                        split.len(),
                        failed.len(),
                        dur(sp.median),
                        dur(sp.max),
                        dur(rt)
                    ),
                )
            } else {
                (
                    "unclear",
                    format!(
                        "votes split in {} of {} failed terms although candidacies started {} \
                         apart (median), more than {rt_name} ({}); {votes_text}{interval_text}",
                        split.len(),
                        failed.len(),
                        dur(sp.median),
                        dur(rt)
                    ),
                )
            }
        } else if candidacies > 0 && (answered * 10 <= asked || unanswered * 2 > candidacies) {
            (
                "messages_lost",
                format!(
                    "no node reached a quorum: messages lost (or the network partitioned): \
                     {unanswered} of {candidacies} candidacies got no answer; {votes_text}"
                ),
            )
        } else if answered > 0 && refused * 2 > answered {
            (
                "votes_refused",
                format!(
                    "votes were refused: {votes_text} (candidates' logs not up to date, votes \
                     already cast, or a leader lease)"
                ),
            )
        } else if let (Some(sp), None, true) = (spreads, round_trip, split.len() >= 2) {
            let close = timeout.is_some_and(|e| sp.median.saturating_mul(20) <= e.us);
            if close {
                (
                    "synchronized_timeouts",
                    format!(
                        "election timeouts fire (nearly) together at all nodes: {} of {} failed \
                         terms had two or more candidates, whose candidacies started within {} \
                         of each other (median), under 5% of the election timeout (no round \
                         trip measured){interval_text}",
                        split.len(),
                        failed.len(),
                        dur(sp.median)
                    ),
                )
            } else {
                (
                    "unclear",
                    format!(
                        "{} of {} failed terms had split votes; {votes_text}{interval_text}",
                        split.len(),
                        failed.len()
                    ),
                )
            }
        } else {
            (
                "unclear",
                format!(
                    "cause unclear: {} election{}, {} failed term{} ({} with split votes); \
                     {votes_text}{interval_text}",
                    s.elections,
                    plural(s.elections),
                    failed.len(),
                    plural(failed.len()),
                    split.len()
                ),
            )
        };
        Some(Warning {
            cause,
            text: format!("{head}: {why}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftcheck_format::eventlog::LogEntry;

    /// Builds a merged event sequence by hand, numbering each node's events.
    #[derive(Default)]
    struct Log {
        events: Vec<Event>,
        seq: HashMap<u64, u64>,
        /// Whether events get their timestamps.
        untimed: bool,
    }

    impl Log {
        fn push(&mut self, node: u64, t: u64, ev: EventKind) -> &mut Event {
            let seq = self.seq.entry(node).or_insert(0);
            *seq += 1;
            let mut e = Event::new(node, ev);
            e.seq = *seq;
            e.t = (!self.untimed).then_some(t);
            self.events.push(e);
            self.events.last_mut().unwrap()
        }
        fn state(&mut self, node: u64, t: u64, term: u64, role: &str) -> &mut Event {
            let e = self.push(node, t, EventKind::State);
            e.term = Some(term);
            e.role = Some(role.to_string());
            e
        }
        fn send(&mut self, node: u64, t: u64, to: u64, mut m: LogMessage) {
            m.to = Some(to);
            self.push(node, t, EventKind::Send).msg = Some(m);
        }
        fn recv(&mut self, node: u64, t: u64, from: u64, mut m: LogMessage) {
            m.from = Some(from);
            self.push(node, t, EventKind::Receive).msg = Some(m);
        }
        fn start(&mut self, nodes: &[u64]) {
            for &n in nodes {
                self.state(n, 0, 0, "follower");
            }
        }
        /// `c` times out at `t` and becomes candidate of `term`, asking `others`; `voters` grant
        /// (answering after `d`), the others refuse. Elected when a majority of `n` voted.
        #[allow(clippy::too_many_arguments)]
        fn campaign(
            &mut self,
            c: u64,
            t: u64,
            term: u64,
            others: &[u64],
            voters: &[u64],
            d: u64,
            n: usize,
        ) -> bool {
            self.push(c, t, EventKind::Timeout);
            self.state(c, t, term, "candidate").vote = Some(c);
            for &o in others {
                self.send(c, t, o, rv(term));
            }
            for &o in others {
                self.recv(o, t + d, c, rv(term));
                let grant = voters.contains(&o);
                if grant {
                    self.state(o, t + d, term, "follower").vote = Some(c);
                }
                self.send(o, t + d, c, rvr(term, !grant));
            }
            let mut votes = 1;
            for &o in others {
                self.recv(c, t + 2 * d, o, rvr(term, !voters.contains(&o)));
                if voters.contains(&o) {
                    votes += 1;
                }
            }
            let won = votes > n / 2;
            if won {
                self.state(c, t + 2 * d, term, "leader");
                for &o in others {
                    self.send(c, t + 2 * d, o, hb(term, 0));
                    self.recv(o, t + 3 * d, c, hb(term, 0));
                    self.send(o, t + 3 * d, c, hbr(term));
                    self.recv(c, t + 4 * d, o, hbr(term));
                }
            }
            won
        }
        #[allow(clippy::too_many_arguments)]
        /// Leader `l` of `term` replicates `value` at `index` to `others` and commits it.
        fn replicate(
            &mut self,
            l: u64,
            t: u64,
            term: u64,
            index: u64,
            value: &str,
            others: &[u64],
            d: u64,
        ) {
            self.push(l, t, EventKind::ClientRequest).value = Some(text(value));
            let entries = vec![LogEntry {
                term,
                value: Some(text(value)),
            }];
            let e = self.push(l, t, EventKind::Append);
            e.index = Some(index);
            e.entries = Some(entries.clone());
            let mut ae = LogMessage::new(MessageType::AppendEntries);
            ae.term = Some(term);
            ae.prev_log_index = Some(index - 1);
            ae.entries = Some(entries.clone());
            for &o in others {
                self.send(l, t, o, ae.clone());
                self.recv(o, t + d, l, ae.clone());
                let e = self.push(o, t + d, EventKind::Append);
                e.index = Some(index);
                e.entries = Some(entries.clone());
                let mut r = LogMessage::new(MessageType::AppendEntriesResponse);
                r.term = Some(term);
                r.index = Some(index);
                r.reject = Some(false);
                self.send(o, t + d, l, r.clone());
                self.recv(l, t + 2 * d, o, r);
            }
            self.push(l, t + 2 * d, EventKind::Commit).index = Some(index);
            for &o in others {
                self.send(l, t + 3 * d, o, hb(term, index));
                self.recv(o, t + 4 * d, l, hb(term, index));
                self.push(o, t + 4 * d, EventKind::Commit).index = Some(index);
            }
        }
    }

    fn text(s: &str) -> LogValue {
        LogValue::Text(s.to_string())
    }
    fn rv(term: u64) -> LogMessage {
        let mut m = LogMessage::new(MessageType::RequestVote);
        m.term = Some(term);
        m.pre = Some(false);
        m
    }
    fn rvr(term: u64, reject: bool) -> LogMessage {
        let mut m = LogMessage::new(MessageType::RequestVoteResponse);
        m.term = Some(term);
        m.pre = Some(false);
        m.reject = Some(reject);
        m
    }
    fn hb(term: u64, commit: u64) -> LogMessage {
        let mut m = LogMessage::new(MessageType::Heartbeat);
        m.term = Some(term);
        m.commit = Some(commit);
        m
    }
    fn hbr(term: u64) -> LogMessage {
        let mut m = LogMessage::new(MessageType::HeartbeatResponse);
        m.term = Some(term);
        m
    }

    fn has_line(lines: &[String], needle: &str) -> bool {
        lines.iter().any(|l| l.contains(needle))
    }

    /// A clean election of node 1 in term 1, a committed value and one never committed.
    fn clean(untimed: bool) -> Vec<Event> {
        let mut log = Log {
            untimed,
            ..Log::default()
        };
        log.start(&[1, 2, 3]);
        assert!(log.campaign(1, 150_000, 1, &[2, 3], &[2, 3], 500, 3));
        log.replicate(1, 200_000, 1, 1, "a", &[2, 3], 500);
        log.push(1, 300_000, EventKind::ClientRequest).value = Some(text("b"));
        log.send(1, 400_000, 2, hb(1, 1));
        log.events
    }

    #[test]
    fn clean_election_and_commits() {
        let s = RunSummary::from_events(&clean(false), None);
        assert_eq!(s.quorum, 2);
        assert_eq!(s.span.as_ref().map(|s| s.duration_us), Some(400_000));
        assert_eq!(s.max_term, 1);
        assert_eq!(s.terms.len(), 1);
        let t1 = &s.terms[0];
        assert_eq!(t1.leader, Some(1));
        assert_eq!(t1.leader_at_us, Some(151_000));
        assert_eq!(t1.outcome, TermOutcome::Elected);
        assert_eq!(t1.candidates.len(), 1);
        assert_eq!(t1.candidates[0].votes, 3);
        assert_eq!(t1.candidates[0].at_us, Some(150_000));
        assert!(s.terms_without_leader.is_empty() && s.split_votes.is_empty());
        assert_eq!(s.nodes[0].terms_led, vec![1]);
        assert_eq!(s.nodes[0].elections_started, 1);
        // The only time without a leader is the first election.
        assert_eq!(s.leaderless.stretches.len(), 1);
        let st = &s.leaderless.stretches[0];
        assert_eq!((st.from_us, st.to_us), (Some(0), Some(151_000)));
        assert_eq!(st.ended_by, Some((1, 1)));
        assert_eq!(st.cause, "the start of the log");
        assert_eq!(s.leaderless.total_us, Some(151_000));
        // Commits: "a" took a round trip, "b" never committed.
        assert_eq!((s.commits.requested, s.commits.committed), (2, 1));
        assert_eq!(s.commits.never_committed_values, vec!["\"b\"".to_string()]);
        let lat = s.commits.latency_any_us.unwrap();
        assert_eq!((lat.count, lat.min, lat.max), (1, 1_000, 1_000));
        assert_eq!(s.commits.latency_local_us.map(|l| l.max), Some(1_000));
        // Round trips: vote requests, appends and heartbeats all take 1 ms.
        let rt = s.round_trip_us.unwrap();
        assert_eq!((rt.min, rt.max), (1_000, 1_000));
        assert_eq!(rt.count, 6);
        assert_eq!(s.message_delay_us.map(|d| d.median), Some(500));
        let et = s.election_timeout.unwrap();
        assert_eq!((et.us, et.estimated, et.samples), (150_000, true, 1));
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        let lines = s.lines();
        assert!(
            has_line(
                &lines,
                "term 1: leader 1 from +151.0 ms (1.0 ms after the first candidacy)"
            ),
            "{lines:#?}"
        );
        assert!(
            has_line(
                &lines,
                "client values: 2 requested, 1 committed, 1 never committed (\"b\")"
            ),
            "{lines:#?}"
        );
        assert!(
            has_line(
                &lines,
                "without a leader: 151.0 ms in total (37.8% of the span), 1 stretch"
            ),
            "{lines:#?}"
        );
        assert!(!has_line(&lines, "WARNING"));
        let json = s.to_json();
        assert_eq!(json["terms"][0]["outcome"], "elected");
        assert_eq!(json["commits"]["never_committed"], 1);
        assert_eq!(json["leaderless"]["total_us"], 151_000);
    }

    #[test]
    fn synchronized_timeouts_split_every_vote() {
        let mut log = Log::default();
        log.start(&[1, 2, 3]);
        // Terms 1..=15: all three nodes time out within 100 µs and vote for themselves.
        for term in 1..=15u64 {
            let base = term * 100_000;
            for c in 1..=3u64 {
                let t = base + (c - 1) * 50;
                log.push(c, t, EventKind::Timeout);
                log.state(c, t, term, "candidate").vote = Some(c);
                for o in (1..=3).filter(|&o| o != c) {
                    log.send(c, t, o, rv(term));
                }
            }
            for c in 1..=3u64 {
                for o in (1..=3).filter(|&o| o != c) {
                    log.recv(o, base + 500 + c, c, rv(term));
                    log.send(o, base + 500 + c, c, rvr(term, true));
                }
            }
            for c in 1..=3u64 {
                for o in (1..=3).filter(|&o| o != c) {
                    log.recv(c, base + 1_000 + o, o, rvr(term, true));
                }
            }
        }
        // Finally node 1 alone times out and wins term 16.
        assert!(log.campaign(1, 1_600_000, 16, &[2, 3], &[2, 3], 500, 3));
        let s = RunSummary::from_events(&log.events, None);
        assert_eq!(s.split_votes, (1..=15).collect::<Vec<_>>());
        assert_eq!(s.terms_without_leader, (1..=15).collect::<Vec<_>>());
        assert_eq!(s.terms[0].candidacy_spread_us, Some(100));
        assert_eq!(s.terms[15].leader, Some(1));
        let et = s.election_timeout.unwrap();
        assert!(
            et.estimated && (99_000..=100_050).contains(&et.us),
            "{et:?}"
        );
        let rt = s.round_trip_us.unwrap();
        assert!((900..=1_100).contains(&rt.median), "{rt:?}");
        assert_eq!(s.leaderless.stretches.len(), 1);
        let st = &s.leaderless.stretches[0];
        assert_eq!(st.failed_terms.len(), 15);
        assert_eq!(st.ended_by, Some((1, 16)));
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        let w = &s.warnings[0];
        assert_eq!(w.cause, "synchronized_timeouts");
        assert!(
            w.text
                .contains("every election timeout falls within one round trip"),
            "{}",
            w.text
        );
        assert!(w.text.contains("15 of 15 failed terms"), "{}", w.text);
        assert!(
            w.text.contains("started within 100 µs of each other"),
            "{}",
            w.text
        );
        assert!(w.text.contains("3 of 3 nodes were up"), "{}", w.text);
        assert!(
            w.text.contains(
                "came 100.0 ms to 100.0 ms apart (within 1%: the timeouts are not randomized)"
            ),
            "{}",
            w.text
        );
        let lines = s.lines();
        assert!(
            has_line(
                &lines,
                "WARNING: no leader for 1.601 s, 1.601 s of it with a quorum up (16 election timeouts of 100.0 ms, estimated) from +0 µs, after the start of the log, while 3 of 3 nodes were up (1, 2, 3): every election timeout"
            ),
            "{lines:#?}"
        );
        assert!(has_line(&lines, "15 split votes: 1-15"), "{lines:#?}");
        assert!(has_line(&lines, "term 3: no leader, split vote; candidates 1 at +300.0 ms (1 vote), 2 at +300.1 ms (1 vote), 3 at +300.1 ms (1 vote); started within 100 µs"), "{lines:#?}");
    }

    #[test]
    fn unanswered_candidacies_mean_lost_messages() {
        let mut log = Log::default();
        log.start(&[1, 2, 3]);
        for term in 1..=15u64 {
            for c in 1..=3u64 {
                let t = term * 100_000 + c * 30_000;
                log.push(c, t, EventKind::Timeout);
                log.state(c, t, term, "candidate").vote = Some(c);
                for o in (1..=3).filter(|&o| o != c) {
                    log.send(c, t, o, rv(term));
                }
            }
        }
        let s = RunSummary::from_events(&log.events, Some(100_000));
        assert_eq!(s.round_trip_us, None);
        assert_eq!(
            s.election_timeout.map(|e| (e.us, e.estimated)),
            Some((100_000, false))
        );
        // The last term is unfinished; the others are split (three candidates each).
        assert_eq!(s.terms[14].outcome, TermOutcome::Unfinished);
        assert_eq!(s.split_votes.len(), 14);
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        let w = &s.warnings[0];
        assert_eq!(w.cause, "messages_lost");
        assert!(
            w.text.contains("no node reached a quorum: messages lost"),
            "{}",
            w.text
        );
        assert!(
            w.text.contains("45 of 45 candidacies got no answer"),
            "{}",
            w.text
        );
        assert!(
            w.text.contains("90 vote requests sent, 0 answers received"),
            "{}",
            w.text
        );
        assert_eq!(s.leaderless.stretches[0].ended_by, None);
        assert!(has_line(&s.lines(), "until the end of the log"));
    }

    #[test]
    fn crashed_leader_and_the_time_without_one() {
        let mut log = Log::default();
        log.start(&[1, 2, 3]);
        assert!(log.campaign(1, 150_000, 1, &[2, 3], &[2, 3], 500, 3));
        log.send(1, 300_000, 2, hb(1, 0));
        log.recv(2, 300_500, 1, hb(1, 0));
        log.push(1, 500_000, EventKind::Crash);
        // Node 2 times out 200 ms after the leader's last heartbeat, wins with node 3's vote.
        log.push(2, 700_000, EventKind::Timeout);
        log.state(2, 700_000, 2, "candidate").vote = Some(2);
        log.send(2, 700_000, 1, rv(2));
        log.send(2, 700_000, 3, rv(2));
        log.recv(3, 700_500, 2, rv(2));
        log.state(3, 700_500, 2, "follower").vote = Some(2);
        log.send(3, 700_500, 2, rvr(2, false));
        log.recv(2, 701_000, 3, rvr(2, false));
        log.state(2, 701_000, 2, "leader");
        log.send(2, 701_000, 3, hb(2, 0));
        log.push(1, 900_000, EventKind::Restart);
        log.state(1, 900_000, 1, "follower");
        let s = RunSummary::from_events(&log.events, None);
        assert_eq!(
            s.terms.iter().map(|t| t.leader).collect::<Vec<_>>(),
            vec![Some(1), Some(2)]
        );
        assert_eq!((s.nodes[0].crashes, s.nodes[0].restarts), (1, 1));
        let l = &s.leaderless;
        assert_eq!(l.stretches.len(), 2);
        let st = &l.stretches[1];
        assert_eq!(
            (st.from_us, st.to_us, st.duration_us),
            (Some(500_000), Some(701_000), Some(201_000))
        );
        assert!(
            st.cause.contains("leader 1 crashed (it led term 1)"),
            "{}",
            st.cause
        );
        assert_eq!(st.ended_by, Some((2, 2)));
        assert_eq!(l.longest, Some(1));
        assert_eq!(l.total_us, Some(151_000 + 201_000));
        // Estimated timeout: the smaller of 150 ms (first election) and 199.5 ms (node 2).
        assert_eq!(
            s.election_timeout.map(|e| (e.us, e.samples)),
            Some((150_000, 2))
        );
        assert!(s.warnings.is_empty());
        let lines = s.lines();
        assert!(has_line(&lines, "node 1: 1 crash, 1 restart"), "{lines:#?}");
        assert!(has_line(&lines, "longest: 201.0 ms from +500.0 ms to +701.0 ms, after leader 1 crashed (it led term 1), until node 2 led term 2"), "{lines:#?}");
    }

    #[test]
    fn unlogged_crash_of_the_leader_ends_at_its_last_event() {
        let mut log = Log::default();
        log.start(&[1, 2, 3]);
        assert!(log.campaign(1, 150_000, 1, &[2, 3], &[2, 3], 500, 3));
        log.send(1, 400_000, 2, hb(1, 0));
        log.recv(2, 400_500, 1, hb(1, 0));
        assert!(log.campaign(2, 700_000, 2, &[3], &[3], 500, 3));
        log.push(1, 900_000, EventKind::Restart);
        let s = RunSummary::from_events(&log.events, None);
        assert_eq!((s.nodes[0].crashes, s.nodes[0].unlogged_crashes), (0, 1));
        let st = &s.leaderless.stretches[1];
        assert_eq!((st.from_us, st.to_us), (Some(400_000), Some(701_000)));
        assert!(st.cause.contains("leader 1 went silent"), "{}", st.cause);
        assert_eq!(st.elections, 1);
        assert!(has_line(
            &s.lines(),
            "node 1: 0 crashes (1 more not logged), 1 restart"
        ));
    }

    #[test]
    fn partitioned_leader_is_lost_when_a_quorum_moves_on() {
        let mut log = Log::default();
        log.start(&[1, 2, 3]);
        assert!(log.campaign(1, 150_000, 1, &[2, 3], &[2, 3], 500, 3));
        // Node 1 is cut off: its heartbeats are lost; it never learns of term 2.
        for k in 0..5 {
            log.send(1, 300_000 + k * 100_000, 2, hb(1, 0));
        }
        log.push(2, 600_000, EventKind::Timeout);
        log.state(2, 600_000, 2, "candidate").vote = Some(2);
        log.send(2, 600_000, 3, rv(2));
        log.recv(3, 600_500, 2, rv(2));
        log.state(3, 600_500, 2, "follower").vote = Some(2);
        log.send(3, 600_500, 2, rvr(2, false));
        log.recv(2, 601_000, 3, rvr(2, false));
        log.state(2, 601_000, 2, "leader");
        // Node 3 alone (isolated) runs up terms 3..=5 while node 2 keeps leading.
        for term in 3..=5 {
            log.push(3, 700_000 + term * 1_000, EventKind::Timeout);
            log.state(3, 700_000 + term * 1_000, term, "candidate");
        }
        log.send(2, 800_000, 1, hb(2, 0));
        let s = RunSummary::from_events(&log.events, None);
        let l = &s.leaderless;
        assert_eq!(l.stretches.len(), 2, "{l:?}");
        let st = &l.stretches[1];
        // Lost when term 2 began (node 2's timeout), known once it reached a quorum.
        assert_eq!((st.from_us, st.to_us), (Some(600_000), Some(601_000)));
        assert!(
            st.cause.contains("term 2 reached a quorum (nodes 2, 3)"),
            "{}",
            st.cause
        );
        // Terms 3-5 were only node 3's: no leader lost, but they are terms without a leader.
        assert_eq!(s.terms_without_leader, vec![3, 4, 5]);
        assert_eq!(s.terms[2].outcome, TermOutcome::NoVotes);
        assert_eq!(s.terms[4].outcome, TermOutcome::Unfinished);
    }

    #[test]
    fn log_without_timestamps_reports_counts() {
        let s = RunSummary::from_events(&clean(true), None);
        assert_eq!(s.events_with_time, 0);
        assert_eq!(s.span, None);
        assert_eq!(s.terms[0].leader, Some(1));
        assert_eq!(s.terms[0].leader_at_us, None);
        assert_eq!((s.commits.requested, s.commits.committed), (2, 1));
        assert_eq!(s.commits.latency_any_us, None);
        assert_eq!(s.round_trip_us, None);
        assert_eq!(s.election_timeout, None);
        assert_eq!(s.leaderless.stretches.len(), 1);
        assert_eq!(s.leaderless.total_us, None);
        assert!(
            s.notes[0].contains("no event has a timestamp"),
            "{:?}",
            s.notes
        );
        let lines = s.lines();
        assert!(has_line(&lines, "no timestamps"), "{lines:#?}");
        assert!(
            has_line(
                &lines,
                "without a leader: time unknown (no timestamps), 1 stretch"
            ),
            "{lines:#?}"
        );
        assert!(
            has_line(&lines, "term 1: leader 1; candidates 1 (3 votes)"),
            "{lines:#?}"
        );
    }

    #[test]
    fn roles_inferred_from_messages_without_state_events() {
        let mut log = Log::default();
        log.push(1, 1_000, EventKind::Tick);
        log.send(1, 1_000, 2, rv(4));
        log.recv(2, 1_500, 1, rv(4));
        log.send(2, 1_500, 1, rvr(4, false));
        log.recv(1, 2_000, 2, rvr(4, false));
        log.send(1, 2_000, 2, hb(4, 0));
        let s = RunSummary::from_events(&log.events, None);
        assert_eq!(s.terms.len(), 1);
        assert_eq!(s.terms[0].leader, Some(1));
        assert_eq!(s.terms[0].candidates[0].votes, 2);
        assert_eq!(s.terms[0].candidates[0].at_us, Some(0));
        assert_eq!(s.nodes[0].elections_started, 1);
        assert!(s.notes.iter().any(|n| n.contains("no state events")));
    }

    #[test]
    fn odd_input_never_panics() {
        assert_eq!(RunSummary::from_events(&[], None).events, 0);
        assert!(has_line(
            &RunSummary::from_events(&[], None).lines(),
            "the log has no events"
        ));
        let mut log = Log::default();
        log.push(1, u64::MAX, EventKind::Commit).index = Some(u64::MAX);
        log.push(1, 0, EventKind::Apply).index = Some(u64::MAX);
        log.push(1, 5, EventKind::Send);
        log.push(2, 3, EventKind::Receive);
        log.push(2, 3, EventKind::Truncate).index = Some(0);
        let e = log.push(2, 3, EventKind::Append);
        e.index = Some(u64::MAX);
        e.entries = Some(vec![
            LogEntry {
                term: 1,
                value: None
            };
            3
        ]);
        log.state(3, 1, 0, "leader");
        log.state(3, 1, u64::MAX, "observer").vote = Some(0);
        log.push(3, 1, EventKind::Restart);
        log.push(3, 2, EventKind::Crash);
        let mut ae = LogMessage::new(MessageType::AppendEntries);
        ae.prev_log_index = Some(u64::MAX);
        ae.entries = Some(vec![
            LogEntry {
                term: 1,
                value: None
            };
            2
        ]);
        ae.term = Some(u64::MAX);
        log.send(1, 0, 0, ae.clone());
        log.recv(0, 0, 1, ae);
        log.push(1, 0, EventKind::Timeout);
        log.push(1, 0, EventKind::Timeout);
        let s = RunSummary::from_events(&log.events, Some(0));
        assert!(!s.lines().is_empty());
        assert!(s.to_json().is_object());
        let s = RunSummary::from_events(&log.events, None);
        assert!(!s.lines().is_empty());
    }

    #[test]
    fn a_late_quorum_is_no_warning() {
        // Node 1 campaigns alone for 2 s; nodes 2 and 3 start only then and elect node 2.
        let mut log = Log::default();
        log.start(&[1]);
        for term in 1..=20u64 {
            let t = term * 100_000;
            log.push(1, t, EventKind::Timeout);
            log.state(1, t, term, "candidate").vote = Some(1);
            log.send(1, t, 2, rv(term));
            log.send(1, t, 3, rv(term));
        }
        log.push(2, 2_050_000, EventKind::Restart);
        log.push(3, 2_060_000, EventKind::Restart);
        log.state(2, 2_100_000, 20, "follower");
        assert!(log.campaign(2, 2_200_000, 21, &[1, 3], &[1, 3], 500, 3));
        let s = RunSummary::from_events(&log.events, Some(100_000));
        let st = &s.leaderless.stretches[0];
        assert_eq!(st.duration_us, Some(2_201_000));
        assert_eq!(st.quorum_up_us, Some(2_201_000 - 2_050_000));
        assert_eq!(st.failed_terms.len(), 20);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn overlap_of_intervals() {
        assert_eq!(overlap(&[(0, 10), (5, 20), (30, 40)], 2), 5);
        assert_eq!(overlap(&[(0, 10), (5, 20), (30, 40)], 1), 30);
        assert_eq!(overlap(&[(0, 10), (10, 20)], 2), 0);
        assert_eq!(overlap(&[(0, 10)], 2), 0);
        assert_eq!(overlap(&[], 1), 0);
    }

    #[test]
    fn stats_and_ranges() {
        let s = Stats::of((1..=100).collect()).unwrap();
        assert_eq!(
            (s.count, s.min, s.median, s.p99, s.max),
            (100, 1, 50, 99, 100)
        );
        let s = Stats::of(vec![7]).unwrap();
        assert_eq!((s.median, s.p99), (7, 7));
        assert_eq!(Stats::of(Vec::new()), None);
        assert_eq!(ranges(&[1, 2, 3, 5, 7, 8]), "1-3, 5, 7-8");
        assert_eq!(
            ranges(&[u64::MAX - 1, u64::MAX]),
            format!("{}-{}", u64::MAX - 1, u64::MAX)
        );
        assert_eq!(dur(999), "999 µs");
        assert_eq!(dur(1_500), "1.5 ms");
        assert_eq!(dur(2_000_000), "2.000 s");
    }
}
