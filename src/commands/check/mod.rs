//! `raftcheck check`: exhaustive lockstep checking (the default), random walks (`--random`), or
//! the spec alone (`--spec-only`). The flags become a [`Plan`](crate::plan::Plan), the plan is
//! run, and the [`Report`](crate::run::Report) is printed for people or as JSON.

pub mod human;

use crate::cli::{CheckArgs, Format};
use crate::plan::Request;
use crate::record::prepare_out_dir;
use crate::run::{model_of, run as run_plan};
use crate::{ExitStatus, UsageError};

/// Runs `raftcheck check`.
pub fn run(args: &CheckArgs) -> Result<ExitStatus, UsageError> {
    if args.inject.as_deref() == Some("list") {
        for bug in raftcheck_adapter::inject::Bug::ALL {
            println!("{}", bug.name());
        }
        return Ok(ExitStatus::Agree);
    }
    let plan = Request::from_args(args).plan()?;
    prepare_out_dir(&plan.out)?;
    let (model, failure) = model_of(&plan)?;
    let human = args.format == Format::Human;
    if human {
        human::print_header(&plan, &model);
    }
    let report = run_plan(&plan, &model, failure)?;
    match args.format {
        Format::Human => human::print_report(&report),
        Format::Json => println!(
            "{}",
            serde_json::to_value(&report).expect("a report serialises")
        ),
    }
    Ok(report.exit())
}
