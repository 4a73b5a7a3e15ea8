//! `raftcheck view TRACE [-o FILE.html]`: draw a trace as one self-contained HTML page.

use crate::cli::ViewArgs;
use crate::trace::Trace;
use crate::view::{default_output, page_of_trace, write_page};
use crate::{ExitStatus, UsageError};

/// Runs `raftcheck view`.
pub fn run(args: &ViewArgs) -> Result<ExitStatus, UsageError> {
    let trace = Trace::load(&args.trace).map_err(|e| UsageError(e.to_string()))?;
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| default_output(&args.trace));
    if out == args.trace {
        return Err(UsageError(format!(
            "{}: the view would overwrite the trace; name another file with -o",
            out.display()
        )));
    }
    write_page(&out, &page_of_trace(&trace, &args.trace))?;
    println!(
        "view of {} ({} events) written to {}",
        args.trace.display(),
        trace.events.len(),
        out.display()
    );
    Ok(ExitStatus::Agree)
}
