//! Report sections shared by the check modes: properties reached and coverage.

use raftcheck_spec::RaftModel;
use serde_json::{json, Value};

use crate::engine::{Coverage, DivergenceKind, ProblemKind};

/// What a problem is, for the `result:` line: a divergence of some kind, an adapter fault (the
/// implementation crashed, hung or broke the protocol), or a violation of a spec property.
pub(crate) fn problem_headline(kind: &ProblemKind) -> String {
    match kind {
        ProblemKind::Divergence {
            kind: DivergenceKind::AdapterFault,
        } => "ADAPTER FAULT".to_string(),
        ProblemKind::Divergence { kind } => format!("DIVERGENCE ({kind})"),
        ProblemKind::Violation { property } => format!("VIOLATION of {property}"),
    }
}

/// One line per `sometimes` property: reached at which depth (or by a path of how many steps).
pub(crate) fn reached_lines(reached: &[(String, Option<usize>)], unit: &str) -> Vec<String> {
    reached
        .iter()
        .map(|(name, n)| match n {
            Some(n) => format!("{name}: yes, {unit} {n}"),
            None => format!("{name}: not within the bounds"),
        })
        .collect()
}

/// Lines of `label count` pairs, wrapped at about 90 columns.
fn counted_lines(counts: &[(String, u64)]) -> Vec<String> {
    let mut lines = vec![String::new()];
    for (label, count) in counts {
        let item = format!("{label} {count}");
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + item.len() + 2 > 90 {
            lines.push(item);
        } else {
            if !line.is_empty() {
                line.push_str(", ");
            }
            line.push_str(&item);
        }
    }
    lines
}

/// The coverage section of a human report.
pub(crate) fn coverage_lines(model: &RaftModel, c: &Coverage, spec_states: u64) -> Vec<String> {
    let inputs: Vec<(String, u64)> = Coverage::possible_inputs(&model.flavour, &model.bounds)
        .into_iter()
        .filter(|(label, allowed)| *allowed || c.inputs.contains_key(label))
        .map(|(label, _)| {
            let n = c.inputs.get(&label).copied().unwrap_or(0);
            (label, n)
        })
        .collect();
    let outputs: Vec<(String, u64)> = Coverage::possible_outputs(&model.flavour)
        .into_iter()
        .map(|label| {
            let n = c.outputs.get(&label).copied().unwrap_or(0);
            (label, n)
        })
        .collect();
    let mut lines = Vec::new();
    for (i, line) in counted_lines(&inputs).into_iter().enumerate() {
        lines.push(format!("{:<9}{line}", if i == 0 { "inputs" } else { "" }));
    }
    for (i, line) in counted_lines(&outputs).into_iter().enumerate() {
        lines.push(format!("{:<9}{line}", if i == 0 { "outputs" } else { "" }));
    }
    let missed = c.missed_inputs(&model.flavour, &model.bounds);
    if missed.is_empty() {
        lines.push("every input the bounds allow was exercised".into());
    } else {
        lines.push(format!("never exercised: {}", missed.join(", ")));
    }
    lines.push(format!(
        "{spec_states} distinct spec states matched by the implementation"
    ));
    lines
}

/// Prints the coverage section.
pub(crate) fn print_coverage(model: &RaftModel, c: &Coverage, spec_states: u64) {
    println!();
    if c.inputs.values().all(|&n| n == 0) {
        println!("coverage: no input reached the implementation");
        return;
    }
    println!("coverage:");
    for line in coverage_lines(model, c, spec_states) {
        println!("  {line}");
    }
}

/// The coverage section of a JSON report.
pub(crate) fn coverage_json(model: &RaftModel, c: &Coverage, spec_states: u64) -> Value {
    json!({
        "inputs": c.inputs,
        "outputs": c.outputs,
        "never_exercised": c.missed_inputs(&model.flavour, &model.bounds),
        "spec_states": spec_states,
    })
}

/// `"s"` unless `n` is 1.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
