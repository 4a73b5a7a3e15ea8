//! Guided search: random walks steered by coverage.
//!
//! Walks run in batches. The first batch is exactly the random mode's first walks; after each
//! batch, every walk that reached a step class or pair of classes no earlier walk had (see
//! [`signal`]) is kept in the [`corpus`], and the next batch's walks start from mutated prefixes
//! of kept walks ([`mutate`]), chosen with AFL-style energy favouring rare features. A batch's
//! walks depend only on the corpus at its start and on `(seed, walk index)`, and results are
//! merged in walk order, so the outcome is the same whatever the thread count. With a time box
//! the run stops after the batch during which time ran out, and reports how many executions it
//! reached so the run can be repeated exactly with that budget.

pub mod corpus;
pub mod mutate;
pub mod signal;

use std::collections::HashSet;
use std::time::Instant;

use raftcheck_adapter::AdapterError;
use raftcheck_spec::RaftModel;

use super::pool::{build_adapters, run_jobs, AdapterFactory};
use super::random::{walk_from, walk_rng, DivergentWalk, WalkStats};
use corpus::Corpus;
use signal::WalkSignal;

/// Walks per batch: the corpus changes only between batches.
pub const BATCH: usize = 32;

/// How to search.
#[derive(Clone, Debug)]
pub struct GuidedOptions {
    /// The seed.
    pub seed: u64,
    /// Inputs per walk at most.
    pub steps: usize,
    /// Executions (walks) at most: the deterministic budget.
    pub execs: usize,
    /// Stop after the batch in which this many seconds have passed.
    pub seconds: Option<f64>,
    /// Worker threads.
    pub threads: usize,
}

/// The result of a guided search.
#[derive(Clone, Debug)]
pub struct GuidedOutcome {
    /// The counts, as for random walks.
    pub stats: WalkStats,
    /// Distinct coverage features reached.
    pub features: usize,
    /// Walks kept in the corpus.
    pub corpus: usize,
    /// Executions the run reached: with `--execs` this many it repeats exactly.
    pub execs: usize,
    /// The divergent walk with the smallest index, if any.
    pub found: Option<DivergentWalk>,
}

/// Runs the guided search; the problem reported is the first divergent walk's.
pub fn guided_walks(
    model: &RaftModel,
    make_adapter: &AdapterFactory,
    options: &GuidedOptions,
    progress: &mut dyn FnMut(&GuidedOutcome),
) -> Result<GuidedOutcome, AdapterError> {
    let started = Instant::now();
    let adapters = build_adapters(make_adapter, options.threads)?;
    let mut corpus = Corpus::default();
    let mut outcome = GuidedOutcome {
        stats: WalkStats::default(),
        features: 0,
        corpus: 0,
        execs: 0,
        found: None,
    };
    let mut states = HashSet::new();
    while outcome.execs < options.execs && outcome.found.is_none() {
        let first = outcome.execs;
        let count = BATCH.min(options.execs - first);
        let corpus_now = &corpus;
        let results = run_jobs(&adapters, count, |adapter, k| {
            let i = first + k;
            let mut rng = walk_rng(options.seed, i);
            let prefix = match corpus_now.entries.len() {
                0 => Vec::new(),
                // A quarter of the walks stay purely random.
                _ if rng.below(4) == 0 => Vec::new(),
                n => {
                    let base = corpus_now.pick(&mut rng).expect("non-empty corpus");
                    let other = &corpus_now.entries[rng.below(n)].path;
                    mutate::mutate(&base.path, Some(other), &mut rng)
                }
            };
            let mut signal = WalkSignal::default();
            let r = walk_from(
                model,
                adapter,
                &mut rng,
                &prefix,
                options.steps,
                &mut |input, outputs| signal.record(input, outputs),
            );
            let stop = r.problem.is_some();
            ((r, signal), stop)
        });
        for (k, r) in results.into_iter().enumerate() {
            let Some((r, signal)) = r else {
                continue;
            };
            if outcome.found.is_some() {
                break;
            }
            let s = &mut outcome.stats;
            s.walks += 1;
            s.steps += r.steps;
            s.longest = s.longest.max(r.length);
            s.coverage.merge(&r.coverage);
            states.extend(r.spec_states);
            corpus.add(&r.path, &signal);
            if let Some(problem) = r.problem {
                outcome.found = Some(DivergentWalk {
                    walk: first + k,
                    problem,
                });
            }
        }
        outcome.execs = first + count;
        outcome.features = corpus.features();
        outcome.corpus = corpus.entries.len();
        outcome.stats.spec_states = states.len() as u64;
        outcome.stats.seconds = started.elapsed().as_secs_f64();
        progress(&outcome);
        if options
            .seconds
            .is_some_and(|limit| outcome.stats.seconds >= limit)
        {
            break;
        }
    }
    if let Some(found) = &outcome.found {
        outcome.execs = found.walk + 1;
    }
    Ok(outcome)
}
