//! `raftcheck check`: exhaustive lockstep checking (the default), random walks (`--random`), or
//! the spec alone (`--spec-only`).

pub mod exhaustive;
pub mod random;
pub mod record;
mod spec_only;
mod summary;

use std::time::Duration;

use raftcheck_adapter::AdapterError;
use raftcheck_spec::{Bounds, Flavour, Mode, RaftModel};

use crate::adapters::ImplChoice;
use crate::cli::{CheckArgs, Format};
use crate::engine::{SearchOptions, WalkOptions};
use crate::{ExitStatus, UsageError};

/// Runs `raftcheck check`.
pub fn run(args: &CheckArgs) -> Result<ExitStatus, UsageError> {
    if args.inject.as_deref() == Some("list") {
        for bug in raftcheck_adapter::inject::Bug::ALL {
            println!("{}", bug.name());
        }
        return Ok(ExitStatus::Agree);
    }
    if args.random && args.spec_only {
        return Err(UsageError(
            "--random drives an implementation; it does not combine with --spec-only".into(),
        ));
    }
    if args.random && (args.walks == 0 || args.steps == 0) {
        return Err(UsageError("--walks and --steps must be at least 1".into()));
    }
    let bounds = if args.random {
        args.bounds.random_walk_bounds(args.steps)
    } else if args.spec_only {
        args.bounds.spec_only_bounds()
    } else {
        args.bounds.bounds()
    };
    bounds.validate().map_err(|e| UsageError(e.to_string()))?;
    if args.threads == Some(0) {
        return Err(UsageError("--threads must be at least 1".into()));
    }
    record::prepare_out_dir(&args.out)?;
    if args.spec_only {
        spec_only::run(args, bounds)
    } else {
        lockstep(args, bounds)
    }
}

/// The worker threads: `--threads`, or one per core.
pub(crate) fn threads(args: &CheckArgs) -> usize {
    args.threads.unwrap_or_else(default_threads)
}

/// One thread per core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The model an implementation is checked against (its adapter declares the flavour), and the
/// error of an adapter that cannot even start. A setup problem (missing toolchain, unsupported
/// bug) is a usage error.
pub fn prepare(
    choice: &ImplChoice,
    bounds: Bounds,
) -> Result<(RaftModel, Option<AdapterError>), UsageError> {
    let (flavour, failure) = match choice.build() {
        Ok(adapter) => (adapter.flavour(), None),
        Err(AdapterError::Setup(m)) => return Err(UsageError(m)),
        Err(e) => (Flavour::raft_rs(), Some(e)),
    };
    Ok((RaftModel::new(bounds, flavour, Mode::Lockstep), failure))
}

fn lockstep(args: &CheckArgs, bounds: Bounds) -> Result<ExitStatus, UsageError> {
    if args.flavour.is_some() {
        return Err(UsageError(
            "--flavour applies to --spec-only; in lockstep the spec uses the flavour the \
             implementation's adapter declares"
                .into(),
        ));
    }
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        return Err(UsageError(
            "--timeout must be a positive number of seconds".into(),
        ));
    }
    let choice = ImplChoice::new(&args.implementation, args.inject.as_deref())
        .map_err(UsageError)?
        .with_timeout(Duration::from_secs_f64(args.timeout))
        .with_pre_vote(args.pre_vote);
    let (model, failure) = prepare(&choice, bounds)?;
    let threads = threads(args);
    let human = args.format == Format::Human;
    if args.random && failure.is_none() {
        let options = WalkOptions {
            seed: args.seed,
            steps: args.steps,
            walks: args.walks,
            threads,
        };
        if human {
            random::print_header(&choice, &model, &options);
        }
        let run = random::run(&choice, &model, &options, &args.out)?;
        match args.format {
            Format::Human => random::print_human(&choice, &model, &options, &run),
            Format::Json => println!("{}", random::json(&choice, &model, &options, &run)),
        }
        return Ok(run.exit());
    }
    let shard = args.shard.map(|s| (s.index, s.count));
    if human {
        exhaustive::print_header(&choice, &model, threads, shard);
    }
    let options = SearchOptions {
        threads,
        merge: !args.no_merge,
        keep_going: args.keep_going,
        shard,
        progress_every: (!args.quiet).then_some(Duration::from_secs(2)),
    };
    let run = exhaustive::run(&choice, &model, failure.as_ref(), &options, &args.out)?;
    match args.format {
        Format::Human => exhaustive::print_human(&model, &run, threads),
        Format::Json => println!("{}", exhaustive::json(&choice, &model, &run)),
    }
    Ok(run.exit())
}
