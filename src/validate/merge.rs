//! Merging the nodes' logs into one order consistent with causality: a node's events stay in
//! `seq` order, and a receive comes after a send of a message it matches. Among the events that
//! may come next, the earliest timestamp goes first (a node's events without one take the
//! timestamp of its event before), then the lowest node id, so the order is deterministic.
//!
//! Steps of different nodes commute in the spec (each changes its own node and only adds
//! messages to the network), so if any causal order of the logs is a spec behaviour, this one
//! is.

use std::collections::{BTreeMap, VecDeque};

use raftcheck_format::eventlog::{EventKind, LogMessage};

use super::log::Logs;
use super::matching::compatible;

/// A position in the merged order: the node and the index of the event in its sorted log.
pub type Slot = (u64, usize);

/// The merged order, and how many receives had to go ahead without a matching send logged
/// before them (logs that do not log sends, or a receive of a message never sent).
#[derive(Clone, Debug, Default)]
pub struct Merged {
    /// Every event, once, in merged order.
    pub order: Vec<Slot>,
    /// Receives let through with no matching send before them.
    pub unmatched_receives: usize,
}

/// Merges `logs`.
pub fn merge(logs: &Logs) -> Merged {
    let ids: Vec<u64> = logs.nodes.keys().copied().collect();
    let mut cursor: BTreeMap<u64, usize> = ids.iter().map(|id| (*id, 0)).collect();
    let mut clock: BTreeMap<u64, u64> = ids.iter().map(|id| (*id, 0)).collect();
    // Sent and not yet received, by (from, to), oldest first.
    let mut sent: BTreeMap<(u64, u64), VecDeque<&LogMessage>> = BTreeMap::new();
    let mut merged = Merged::default();
    let total = logs.len();
    while merged.order.len() < total {
        let mut best: Option<(u64, u64, bool)> = None; // (time, node, ready)
        for &id in &ids {
            let events = &logs.nodes[&id];
            let Some(next) = events.get(cursor[&id]) else {
                continue;
            };
            let time = next.event.t.unwrap_or(clock[&id]);
            let ready = match (&next.event.ev, &next.event.msg) {
                (EventKind::Receive, Some(m)) => sent
                    .get(&(m.from.unwrap_or(0), id))
                    .is_some_and(|q| q.iter().any(|s| compatible(m, s))),
                _ => true,
            };
            let better = match best {
                None => true,
                Some((bt, bn, bready)) => {
                    (ready, std::cmp::Reverse((time, id))) > (bready, std::cmp::Reverse((bt, bn)))
                }
            };
            if better {
                best = Some((time, id, ready));
            }
        }
        let (time, id, ready) = best.expect("events remain");
        let index = cursor[&id];
        let event = &logs.nodes[&id][index].event;
        match (&event.ev, &event.msg) {
            (EventKind::Send, Some(m)) => sent
                .entry((m.from.unwrap_or(id), m.to.unwrap_or(0)))
                .or_default()
                .push_back(m),
            (EventKind::Receive, Some(m)) => {
                let queue = sent.entry((m.from.unwrap_or(0), id)).or_default();
                if let Some(at) = queue.iter().position(|s| compatible(m, s)) {
                    queue.remove(at);
                }
                if !ready {
                    merged.unmatched_receives += 1;
                }
            }
            _ => {}
        }
        clock.insert(id, time);
        cursor.insert(id, index + 1);
        merged.order.push((id, index));
    }
    merged
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use raftcheck_format::eventlog::Header;

    use super::super::log::read_file;
    use super::*;

    fn logs(files: &[&str]) -> Logs {
        let mut logs = Logs {
            files: files
                .iter()
                .enumerate()
                .map(|(i, _)| PathBuf::from(format!("n{}", i + 1)))
                .collect(),
            header: Header::default(),
            nodes: BTreeMap::new(),
            torn: Vec::new(),
        };
        for (i, text) in files.iter().enumerate() {
            read_file(&mut logs, i, Path::new("x"), text).unwrap();
        }
        logs
    }

    const H: &str = "{\"raftcheck_eventlog\":1,\"nodes\":[1,2]}\n";

    #[test]
    fn a_receive_waits_for_its_send_whatever_the_clocks_say() {
        let n1 = format!(
            "{H}{{\"node\":1,\"seq\":1,\"t\":50,\"ev\":\"timeout\"}}\n\
             {{\"node\":1,\"seq\":2,\"t\":60,\"ev\":\"send\",\"msg\":{{\"type\":\"RequestVote\",\"to\":2,\"term\":1}}}}\n"
        );
        // n2's clock is behind: it logs the receive "before" the send.
        let n2 = format!(
            "{H}{{\"node\":2,\"seq\":1,\"t\":10,\"ev\":\"receive\",\"msg\":{{\"type\":\"RequestVote\",\"from\":1,\"term\":1}}}}\n\
             {{\"node\":2,\"seq\":2,\"t\":11,\"ev\":\"tick\"}}\n"
        );
        let merged = merge(&logs(&[&n1, &n2]));
        assert_eq!(merged.order, vec![(1, 0), (1, 1), (2, 0), (2, 1)]);
        assert_eq!(merged.unmatched_receives, 0);
    }

    #[test]
    fn timestamps_order_independent_events_and_node_ids_break_ties() {
        let n1 = format!("{H}{{\"node\":1,\"seq\":1,\"t\":30,\"ev\":\"tick\"}}\n{{\"node\":1,\"seq\":2,\"ev\":\"tick\"}}\n");
        let n2 = format!("{H}{{\"node\":2,\"seq\":1,\"t\":20,\"ev\":\"tick\"}}\n{{\"node\":2,\"seq\":2,\"t\":30,\"ev\":\"tick\"}}\n");
        let merged = merge(&logs(&[&n1, &n2]));
        assert_eq!(merged.order, vec![(2, 0), (1, 0), (1, 1), (2, 1)]);
    }

    #[test]
    fn a_receive_with_no_send_goes_last_and_is_counted() {
        let n1 = format!("{H}{{\"node\":1,\"seq\":1,\"ev\":\"receive\",\"msg\":{{\"type\":\"Heartbeat\",\"from\":2}}}}\n");
        let n2 = format!("{H}{{\"node\":2,\"seq\":1,\"t\":99,\"ev\":\"tick\"}}\n");
        let merged = merge(&logs(&[&n1, &n2]));
        assert_eq!(merged.order, vec![(2, 0), (1, 0)]);
        assert_eq!(merged.unmatched_receives, 1);
    }
}
