//! `raftcheck validate`: decide whether event logs of a real run (`impl_adapter/EVENTLOG.md`) are
//! a behaviour of the spec (DESIGN.md §8, validation of logs).
//!
//! The logs are read and checked ([`log`]), merged into one causal order ([`merge`]), and
//! explained event by event ([`explain`]), with every safety property checked on the way. The
//! result is the outcome vocabulary `check` uses: agreement, the first divergence (with the
//! event, the spec states possible before it and the closest one's difference), or a property
//! violation; and a run summary from the events alone ([`summary`]).

pub mod explain;
pub mod log;
pub mod matching;
pub mod merge;
pub mod record;
pub mod replay;
pub mod summary;

use std::path::PathBuf;
use std::time::Instant;

use raftcheck_format::eventlog::EventKind;
use raftcheck_spec::{Bounds, Flavour, Mode, RaftModel};

use crate::engine::Outcome;
use crate::trace::TraceEvent;
use explain::{Cost, Explainer, Hypothesis, Miss, Options};
use log::{Logs, Position};
use matching::Values;

/// What `validate` was asked.
#[derive(Clone, Debug)]
pub struct Request {
    /// The log files.
    pub files: Vec<PathBuf>,
    /// The flavour by name, over the header's.
    pub flavour: Option<String>,
    /// Pre-vote on, over the header's.
    pub pre_vote: Option<bool>,
    /// The search's limits; `immediate` is taken from the header unless set here.
    pub max_frontier: usize,
    /// Unlogged inputs allowed before one event.
    pub unlogged: usize,
    /// Overrides the header's `immediate`.
    pub immediate: Option<bool>,
    /// The election timeout, when known, for the summary.
    pub election_timeout_us: Option<u64>,
}

/// Why validation could not run: a malformed log or a bad request (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A malformed log.
    #[error("{0}")]
    Log(#[from] log::LogError),
    /// A request that cannot be served.
    #[error("{0}")]
    Usage(String),
}

/// The first event nothing explains, for the report.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// Where the event is.
    pub at: Position,
    /// The event as logged.
    pub event: raftcheck_format::eventlog::Event,
    /// The event's number in the merged order (1-based).
    pub number: usize,
    /// The spec states possible just before (the first few).
    pub before: Vec<Hypothesis>,
    /// How many were possible.
    pub possible: usize,
    /// The closest, and why it does not explain the event.
    pub closest: Hypothesis,
    /// Why.
    pub miss: Miss,
}

/// A validated run.
pub struct Validation {
    /// The logs as read.
    pub logs: Logs,
    /// The model the logs were explained with.
    pub model: RaftModel,
    /// How it ended. Steps count merged events (1-based).
    pub outcome: Outcome,
    /// The divergence, when there is one.
    pub divergence: Option<Divergence>,
    /// The violated property's detail, when one is violated.
    pub violation: Option<String>,
    /// The spec path of the first hypothesis where validation ended (a replayable trace).
    pub path: Vec<TraceEvent>,
    /// Events explained.
    pub explained: usize,
    /// The search cost.
    pub cost: Cost,
    /// Receives merged without a send logged before them.
    pub unmatched_receives: usize,
    /// Replies the spec requires that were never logged (cut off by a crash or the log's end).
    pub never_logged: usize,
    /// The run summary.
    pub summary: summary::RunSummary,
    /// Seconds validation took (reading excluded).
    pub seconds: f64,
}

/// Bounds that never bind: a real run is as long as it is.
pub fn unbounded(nodes: u64) -> Bounds {
    Bounds {
        nodes,
        max_term: u64::MAX,
        values: u64::MAX,
        restarts: u32::MAX,
        heartbeats: u32::MAX,
        drops: 0,
        duplicates: 0,
        max_in_flight: usize::MAX,
        depth: usize::MAX,
        ..Bounds::default()
    }
}

/// The flavour a run is validated with.
pub fn flavour_of(request: &Request, logs: &Logs) -> Result<Flavour, Error> {
    let name = request
        .flavour
        .clone()
        .or_else(|| logs.header.flavour.clone())
        .ok_or_else(|| {
            Error::Usage(format!(
                "{}: the header names no flavour; give --flavour ({})",
                logs.files[0].display(),
                Flavour::NAMES.join(", ")
            ))
        })?;
    let flavour = Flavour::by_name(&name).ok_or_else(|| {
        Error::Usage(format!(
            "unknown flavour {name:?} (known: {})",
            Flavour::NAMES.join(", ")
        ))
    })?;
    let pre_vote = request
        .pre_vote
        .or(logs.header.pre_vote)
        .unwrap_or(flavour.pre_vote);
    Ok(flavour.with_pre_vote(pre_vote))
}

/// Validates the logs of `request`.
pub fn validate(request: &Request) -> Result<Validation, Error> {
    let logs = log::read(&request.files)?;
    let flavour = flavour_of(request, &logs)?;
    let model = RaftModel::new(
        unbounded(logs.header.nodes.len() as u64),
        flavour,
        Mode::Lockstep,
    );
    let options = Options {
        max_frontier: request.max_frontier.max(1),
        unlogged: request.unlogged,
        immediate: request.immediate.or(logs.header.immediate).unwrap_or(false),
    };
    let started = Instant::now();
    let merged = merge::merge(&logs);
    let ordered: Vec<&log::Logged> = merged
        .order
        .iter()
        .map(|(node, i)| &logs.nodes[node][*i])
        .collect();
    let events: Vec<raftcheck_format::eventlog::Event> =
        ordered.iter().map(|l| l.event.clone()).collect();
    let summary = summary::RunSummary::from_events(&events, request.election_timeout_us);
    let mut explainer = Explainer::new(&model, options);
    let mut values = Values::default();
    let mut outcome = Outcome::Agree;
    let mut divergence = None;
    let mut violation = None;
    let mut explained = 0;
    for (k, logged) in ordered.iter().enumerate() {
        let number = k + 1;
        let (node, at) = merged.order[k];
        // Only the application's progress (which a step does not wait for) between this
        // trigger and the node's crash: the step may never have taken effect.
        let cut_off = logs.nodes[&node][at + 1..]
            .iter()
            .find(|l| !matches!(l.event.ev, EventKind::Apply | EventKind::Commit))
            .is_some_and(|l| matches!(l.event.ev, EventKind::Crash | EventKind::Restart));
        match explainer.explain(&logged.event, &mut values, cut_off) {
            Ok(()) => explained += 1,
            Err(unexplained) => {
                let (closest, miss) = unexplained.closest;
                outcome = Outcome::Divergence {
                    step: number,
                    kind: miss.kind,
                };
                divergence = Some(Divergence {
                    at: logged.at,
                    event: logged.event.clone(),
                    number,
                    possible: unexplained.before.len(),
                    before: unexplained.before.into_iter().take(3).collect(),
                    closest,
                    miss,
                });
                break;
            }
        }
        if logged.event.ev.is_trigger() {
            let first = &explainer.frontier()[0];
            if let Some((property, detail)) = explain::violation(&model, &first.state) {
                outcome = Outcome::Violation {
                    step: number,
                    property,
                };
                violation = Some(detail);
                break;
            }
        }
    }
    let path = match &divergence {
        Some(d) => d.closest.path(),
        None => explainer.frontier()[0].path(),
    };
    let never_logged = if divergence.is_none() {
        explainer.finish()
    } else {
        0
    };
    let cost = explainer.cost;
    drop(explainer);
    Ok(Validation {
        model,
        outcome,
        divergence,
        violation,
        path,
        explained,
        cost,
        unmatched_receives: merged.unmatched_receives,
        never_logged,
        summary,
        seconds: started.elapsed().as_secs_f64(),
        logs,
    })
}
