//! The trace viewer: one self-contained HTML page that draws a run as a space-time diagram —
//! a lane per node, a row per event, arrows from each send to its receive, the state of every
//! node beside its lane, and the step where spec and implementation part marked, with both
//! sides and every differing field.
//!
//! What the page needs is only the trace file. A trace stores the inputs and the outputs
//! observed, not the states, so the states are computed by running the spec over the trace
//! ([`spec_run`]): inputs are applied to the spec, and in lockstep traces the implementation's
//! recorded outputs are what enters the network, exactly as `replay` does it — but without the
//! implementation, which need not be present. At the divergent step the implementation's side
//! is what the trace recorded about it: its outputs, and its findings (every differing field
//! named, `n1.vote: spec n1, impl none`). `replay --html` builds the same page from the replay's
//! own execution.
//!
//! The page is built in two parts: [`model`] turns an execution into the view model (plain
//! serde data: lanes, rows, messages, states, the divergence), and [`html`] embeds it as JSON
//! in a page whose script draws it with `textContent` and `createElement` only, so no string of
//! a trace is ever read as HTML.

pub mod html;
pub mod model;
pub mod spec_run;

use std::path::{Path, PathBuf};

pub use model::{build, ViewModel};

use crate::engine::Execution;
use crate::trace::Trace;
use crate::UsageError;

/// The HTML view of a trace file's trace as the spec runs it (no implementation needed).
pub fn page_of_trace(trace: &Trace, file: &Path) -> String {
    let (model, execution) = spec_run::execution_of(trace);
    let view = build(
        trace,
        &file.display().to_string(),
        &model,
        &execution,
        &trace.findings,
    );
    html::page(&view)
}

/// The HTML view of `execution`, a run of `trace` (a replay, or a check's recorded problem).
pub fn page_of_execution(
    trace: &Trace,
    file: &Path,
    model: &raftcheck_spec::RaftModel,
    execution: &Execution,
) -> String {
    let findings = if execution.outcome().is_some_and(|o| o.agrees()) {
        trace.findings.clone()
    } else {
        execution.final_findings()
    };
    let view = build(
        trace,
        &file.display().to_string(),
        model,
        execution,
        &findings,
    );
    html::page(&view)
}

/// Writes `page` to `out`, creating its directory; the error names the file.
pub fn write_page(out: &Path, page: &str) -> Result<(), UsageError> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            UsageError(format!(
                "{}: cannot create the directory: {e}",
                dir.display()
            ))
        })?;
    }
    std::fs::write(out, page).map_err(|e| UsageError(format!("{}: {e}", out.display())))
}

/// Where the view of trace file `trace` goes by default: beside it, `.html` for `.json`.
pub fn default_output(trace: &Path) -> PathBuf {
    trace.with_extension("html")
}
