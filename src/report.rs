//! Human-readable rendering: a run as a numbered script of events, each with the outputs it
//! caused indented beneath it and the nodes it changed, and the findings where spec and
//! implementation part — in the spirit of etcd raft's interaction test scripts.

use std::fmt::Write;

use raftcheck_spec::{Action, Bounds, ClusterView, Configuration, NodeView};

use crate::cli::bound_flag;
use crate::engine::{Execution, NotApplicable, Outcome};

/// One node's observable state on one line: `t1 candidate vote=n1 leader=none commit=0 log=[]`.
/// What membership and snapshots add is shown only where it says something: the snapshot base
/// (`log=(5,t2)+[...]`), the configuration when it is not `initial`, the applied index when it
/// is not the commit index, the state machine when the log alone does not tell it.
pub fn node_line(v: &NodeView, initial: &Configuration) -> String {
    let name = |id: Option<u64>| id.map_or_else(|| "none".to_string(), |id| format!("n{id}"));
    let log: Vec<String> = v.log.iter().map(|e| e.to_string()).collect();
    let base = if v.snapshot_index > 0 {
        format!("({},t{})+", v.snapshot_index, v.snapshot_term)
    } else {
        String::new()
    };
    let mut line = format!(
        "t{} {} vote={} leader={} commit={} log={base}[{}]",
        v.term,
        v.role,
        name(v.vote),
        name(v.leader),
        v.commit,
        log.join(", ")
    );
    if v.config != *initial {
        let _ = write!(line, " config={}", v.config);
    }
    if v.applied != v.commit {
        let _ = write!(line, " applied={}", v.applied);
    }
    let implied: Vec<u64> = v
        .log
        .iter()
        .take(v.applied.saturating_sub(v.snapshot_index) as usize)
        .filter_map(|e| e.value)
        .collect();
    if v.snapshot_index > 0 || v.state_machine != implied {
        let _ = write!(line, " sm={:?}", v.state_machine);
    }
    line
}

/// The bounds on one line, as flags. The membership and snapshot bounds are left out while
/// they are off (0), so runs without them read as before; `--joint` is a bare flag.
pub fn bounds_line(b: &Bounds) -> String {
    b.entries()
        .into_iter()
        .filter(|&(bound, value)| {
            value != 0 || !matches!(bound, "conf_changes" | "spares" | "snapshots" | "joint")
        })
        .map(|(bound, value)| match bound {
            "joint" => bound_flag(bound),
            _ => format!("{} {value}", bound_flag(bound)),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The configuration a cluster view starts in (every node starts in the same one).
pub fn initial_config(initial: &ClusterView) -> Configuration {
    initial
        .nodes
        .first()
        .map(|n| n.config.clone())
        .unwrap_or_default()
}

/// A wall time for people: tenths of a second, hundredths below one second.
pub fn duration(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{seconds:.2} s")
    } else {
        format!("{seconds:.1} s")
    }
}

const EVENT_WIDTH: usize = 64;

fn verdict(execution: &Execution, step: usize) -> String {
    match &execution.end {
        Ok(Outcome::Divergence { step: s, kind }) if *s == step => format!("DIFFER ({kind})"),
        Ok(Outcome::Violation { step: s, property }) if *s == step => {
            format!("VIOLATION ({property})")
        }
        _ if execution.steps[step - 1].observed.is_some() => "agree".into(),
        _ => String::new(),
    }
}

/// Renders an execution as a step-by-step table: event, outputs, changed nodes (spec, and the
/// implementation where it differs), and the findings at the step where they part.
pub fn execution_table(execution: &Execution) -> String {
    let mut out = String::new();
    let mut before = ClusterView::from(&execution.initial);
    let initial = initial_config(&before);
    if let Ok(Outcome::Divergence { step: 0, kind }) = &execution.end {
        let _ = writeln!(out, "   0  (fresh cluster)  DIFFER ({kind})");
        for line in execution.initial_findings.lines() {
            let _ = writeln!(out, "        ✗ {line}");
        }
        return out;
    }
    for (i, step) in execution.steps.iter().enumerate() {
        let number = i + 1;
        let event = match &step.action {
            Action::Input(input) => input.to_string(),
            Action::Send(m) => format!("Send {m}"),
        };
        let verdict = verdict(execution, number);
        let _ = writeln!(out, "{number:>4}  {event:<EVENT_WIDTH$} {verdict}");
        for output in &step.outputs {
            let _ = writeln!(out, "        → {output}");
        }
        let after = ClusterView::from(&step.next);
        for (k, spec_node) in after.nodes.iter().enumerate() {
            let impl_node = step.observed.as_ref().and_then(|o| o.nodes.get(k));
            let changed = before.nodes.get(k) != Some(spec_node);
            let differs = impl_node.is_some_and(|n| n != spec_node);
            if differs {
                let _ = writeln!(
                    out,
                    "        n{} spec: {}",
                    k + 1,
                    node_line(spec_node, &initial)
                );
                let _ = writeln!(
                    out,
                    "        n{} impl: {}",
                    k + 1,
                    node_line(impl_node.expect("differs implies observed"), &initial)
                );
            } else if changed {
                let _ = writeln!(
                    out,
                    "        n{}: {}",
                    k + 1,
                    node_line(spec_node, &initial)
                );
            }
        }
        for line in step.findings.lines() {
            let _ = writeln!(out, "        ✗ {line}");
        }
        if let Some(v) = &step.violation {
            let _ = writeln!(out, "        ✗ {}: {}", v.property, v.detail);
        }
        before = after;
    }
    if let Err(NotApplicable { step, reason }) = &execution.end {
        let _ = writeln!(out, "{step:>4}  (cannot be taken: {reason})");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftcheck_spec::{Entry, Role};

    #[test]
    fn durations_keep_two_digits_below_a_second() {
        assert_eq!(duration(0.038), "0.04 s");
        assert_eq!(duration(7.84), "7.8 s");
        assert_eq!(duration(124.6), "124.6 s");
    }

    #[test]
    fn node_lines_read_plainly() {
        let initial = Configuration::with_voters([1, 2, 3]);
        let v = NodeView {
            term: 2,
            role: Role::Leader,
            vote: Some(1),
            leader: Some(1),
            log: vec![Entry::empty(1), Entry::value(2, 1)],
            commit: 1,
            applied: 1,
            ..NodeView::fresh(initial.clone())
        };
        assert_eq!(
            node_line(&v, &initial),
            "t2 leader vote=n1 leader=n1 commit=1 log=[t1:empty, t2:v1]"
        );
        let compacted = NodeView {
            log: vec![Entry::value(2, 2)],
            commit: 3,
            applied: 3,
            snapshot_index: 2,
            snapshot_term: 2,
            config: Configuration::with_voters([1, 2, 3, 4]),
            state_machine: vec![1, 2],
            ..v
        };
        assert_eq!(
            node_line(&compacted, &initial),
            "t2 leader vote=n1 leader=n1 commit=3 log=(2,t2)+[t2:v2] \
             config=voters=[n1,n2,n3,n4] sm=[1, 2]"
        );
    }
}
