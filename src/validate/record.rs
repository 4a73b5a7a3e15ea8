//! Event logs of a lockstep run, as an implementation that logs every step would write them:
//! each input becomes the trigger it stands for at its node, followed by what the implementation
//! did (its outputs) and became (its observed state). The logs come from the implementation's
//! side of each step, never the spec's, so validating them checks real behaviour — the same
//! raft-rs or etcd code a lockstep check drives, seen through logs instead of observation.

use std::collections::BTreeMap;

use raftcheck_format::eventlog::{Event, EventKind, Header, LogEntry, LogMessage, LogValue};
use raftcheck_spec::{ClusterView, Input, NodeView, Output};

use crate::engine::executor::{start, step};
use crate::engine::Step;
use raftcheck_adapter::Adapter;
use raftcheck_spec::{Action, RaftModel};

/// One node's events and the header every file gets.
pub struct Recorded {
    /// The header of every file.
    pub header: Header,
    /// Each node's events, numbered.
    pub nodes: BTreeMap<u64, Vec<Event>>,
}

/// The event logs of `steps` (inputs only; a spec-only send has no implementation side), from
/// the implementation's initial view `initial`.
pub fn record(flavour: &str, pre_vote: bool, initial: &ClusterView, steps: &[Step]) -> Recorded {
    let ids: Vec<u64> = (1..=initial.nodes.len() as u64).collect();
    let mut nodes: BTreeMap<u64, Vec<Event>> = ids.iter().map(|id| (*id, Vec::new())).collect();
    let mut views = initial.clone();
    let mut clock = 0u64;
    let mut push = |nodes: &mut BTreeMap<u64, Vec<Event>>, mut e: Event| {
        clock += 1;
        let log = nodes.get_mut(&e.node).expect("a node");
        e.seq = log.len() as u64 + 1;
        e.t = Some(clock);
        log.push(e);
    };
    for step in steps {
        let raftcheck_spec::Action::Input(input) = &step.action else {
            continue;
        };
        let Some(node) = input.target() else {
            continue;
        };
        let mut trigger = Event::new(node, EventKind::Timeout);
        match input {
            Input::Timeout { .. } => {}
            Input::Heartbeat { .. } => trigger.ev = EventKind::Heartbeat,
            Input::Restart { .. } => {
                push(&mut nodes, Event::new(node, EventKind::Crash));
                trigger.ev = EventKind::Restart;
            }
            Input::ClientRequest { value, .. } => {
                trigger.ev = EventKind::ClientRequest;
                trigger.value = Some(LogValue::Number(*value));
            }
            Input::Receive { message } => {
                trigger.ev = EventKind::Receive;
                trigger.msg = LogMessage::from_spec(message);
            }
            _ => continue,
        }
        push(&mut nodes, trigger);
        let Some(after) = &step.observed else {
            break;
        };
        let at = (node - 1) as usize;
        for e in changes(node, &views.nodes[at], &after.nodes[at]) {
            push(&mut nodes, e);
        }
        for output in &step.outputs {
            if let Output::Send { message } = output {
                let mut e = Event::new(node, EventKind::Send);
                e.msg = LogMessage::from_spec(message);
                push(&mut nodes, e);
            }
        }
        views = after.clone();
    }
    Recorded {
        header: Header {
            raftcheck_eventlog: raftcheck_format::eventlog::VERSION,
            nodes: ids,
            flavour: Some(flavour.to_string()),
            pre_vote: Some(pre_vote),
            source: Some("raftcheck: a lockstep run's implementation side".into()),
            immediate: Some(true),
            ..Header::default()
        },
        nodes,
    }
}

/// What changed at one node, as consequence events.
fn changes(node: u64, was: &NodeView, now: &NodeView) -> Vec<Event> {
    let mut out = Vec::new();
    if (was.term, was.role, was.vote, was.leader) != (now.term, now.role, now.vote, now.leader) {
        let mut e = Event::new(node, EventKind::State);
        e.term = Some(now.term);
        e.role = Some(super::log::role_name(now.role).into());
        e.vote = Some(now.vote.unwrap_or(0));
        e.leader = Some(now.leader.unwrap_or(0));
        out.push(e);
    }
    let first_change =
        (1..=now.last_index().max(was.last_index())).find(|&i| was.entry(i) != now.entry(i));
    if let Some(from) = first_change {
        if now.last_index() < from || was.entry(from).is_some() {
            let mut e = Event::new(node, EventKind::Truncate);
            e.index = Some(from);
            out.push(e);
        }
        if now.last_index() >= from {
            let mut e = Event::new(node, EventKind::Append);
            e.index = Some(from);
            e.entries = Some(
                (from..=now.last_index())
                    .filter_map(|i| now.entry(i))
                    .map(LogEntry::from_spec)
                    .collect(),
            );
            out.push(e);
        }
    }
    if now.commit > was.commit {
        let mut e = Event::new(node, EventKind::Commit);
        e.index = Some(now.commit);
        out.push(e);
    }
    for index in was.applied + 1..=now.applied {
        let mut e = Event::new(node, EventKind::Apply);
        e.index = Some(index);
        e.value = now
            .entry(index)
            .and_then(|en| en.value)
            .map(LogValue::Number);
        out.push(e);
    }
    out
}

/// Writes `recorded` as one file per node in `dir`, returning the paths.
pub fn write(
    recorded: &Recorded,
    dir: &std::path::Path,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut paths = Vec::new();
    for (id, events) in &recorded.nodes {
        let path = dir.join(format!("n{id}.ndjson"));
        let mut text = serde_json::to_string(&recorded.header).map_err(std::io::Error::other)?;
        text.push('\n');
        for e in events {
            text.push_str(&serde_json::to_string(e).map_err(std::io::Error::other)?);
            text.push('\n');
        }
        std::fs::write(&path, text)?;
        paths.push(path);
    }
    Ok(paths)
}

/// A seeded random lockstep walk of up to `len` inputs on `adapter`, each chosen uniformly from
/// the inputs the spec offers (so within `model`'s bounds): the implementation's initial view
/// and the steps. It stops at the first divergence, or with `past` only when the implementation
/// refuses an input or fails (so the steps show what a buggy implementation went on to do).
pub fn walk(
    model: &RaftModel,
    adapter: &mut dyn Adapter,
    seed: u64,
    len: usize,
    past: bool,
) -> Result<(ClusterView, Vec<Step>), String> {
    let findings = start(model, adapter);
    if !findings.lines().is_empty() {
        return Err(findings.lines().join("; "));
    }
    let initial = adapter.observe().map_err(|e| e.to_string())?;
    let mut state = model.initial_state();
    let mut rng = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut steps = Vec::new();
    for _ in 0..len {
        let inputs = model.inputs(&state);
        if inputs.is_empty() {
            break;
        }
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let input = inputs[(rng >> 33) as usize % inputs.len()].clone();
        let taken = step(model, Some(&mut *adapter), &state, &Action::Input(input));
        let stop = if past {
            taken.findings.refused.is_some() || taken.findings.failed()
        } else {
            taken.findings.kind().is_some()
        };
        state = taken.next.clone();
        steps.push(taken);
        if stop {
            break;
        }
    }
    Ok((initial, steps))
}
