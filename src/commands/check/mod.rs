//! `raftcheck check`: exhaustive lockstep checking (the default), random walks (`--random`), or
//! the spec alone (`--spec-only`). The flags become a [`Plan`](crate::plan::Plan), the plan is
//! run, and the [`Report`](crate::run::Report) is printed for people or as JSON.

pub mod human;

use crate::cli::{CheckArgs, Format};
use crate::plan::Request;
use crate::record::prepare_out_dir;
use crate::run::{model_of, run as run_plan};
use crate::{ExitStatus, UsageError};

/// Runs `raftcheck check`: one run per pre-vote configuration the flags cover (both unless
/// `--pre-vote` says which), each reported as its own item; the exit status is the worst.
pub fn run(args: &CheckArgs) -> Result<ExitStatus, UsageError> {
    if args.inject.as_deref() == Some("list") {
        for bug in raftcheck_adapter::inject::Bug::ALL {
            println!("{}", bug.name());
        }
        return Ok(ExitStatus::Agree);
    }
    let plans = Request::from_args(args).plans()?;
    prepare_out_dir(&plans[0].out)?;
    let human = args.format == Format::Human;
    let mut reports = Vec::new();
    for (k, plan) in plans.iter().enumerate() {
        let (model, failure) = model_of(plan)?;
        if human {
            if plans.len() > 1 {
                if k > 0 {
                    println!();
                }
                println!("== {} of {}: {}", k + 1, plans.len(), plan.name);
            }
            human::print_header(plan, &model);
        }
        let report = run_plan(plan, &model, failure)?;
        match args.format {
            Format::Human => human::print_report(&report),
            Format::Json => println!(
                "{}",
                serde_json::to_value(&report).expect("a report serialises")
            ),
        }
        reports.push((plan.name.clone(), report));
    }
    if human && reports.len() > 1 {
        println!();
        println!("{} configurations:", reports.len());
        for (name, report) in &reports {
            match &report.trace {
                Some(trace) => println!(
                    "  {:<10} {name}: {} ({})",
                    report.result,
                    report.outcome,
                    trace.display()
                ),
                None => println!("  {:<10} {name}", report.result),
            }
        }
    }
    Ok(reports
        .iter()
        .map(|(_, report)| report.exit())
        .max_by_key(|status| *status as i32)
        .unwrap_or(ExitStatus::Agree))
}
