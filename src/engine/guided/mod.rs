//! Guided search: random walks steered by coverage of the spec.
//!
//! Walks run in batches. The first batch is exactly the random mode's first walks; after each
//! batch, every walk that reached a feature no earlier walk had — a kind of step, a pair of
//! kinds, an abstract spec state (see [`signal`]) — is kept in the [`corpus`], and the next
//! batch's walks start from mutated prefixes of kept walks ([`mutate`]), chosen with AFL-style
//! energy favouring rare features, and continue under a random [`swarm`]. A batch's
//! walks depend only on the corpus at its start and on `(seed, walk index)`, and results are
//! merged in walk order, so the outcome is the same whatever the thread count. With a time box
//! the run stops after the batch during which time ran out, and reports how many executions it
//! reached so the run can be repeated exactly with that budget.

pub mod corpus;
pub mod mutate;
pub mod signal;
pub mod swarm;

use std::collections::HashSet;
use std::time::Instant;

use raftcheck_adapter::AdapterError;
use raftcheck_spec::RaftModel;

use super::pool::{build_adapters, run_jobs, AdapterFactory};
use super::random::{walk_from, walk_rng, DivergentWalk, WalkStats};
use corpus::Corpus;
use serde::Serialize;
use signal::WalkSignal;
use swarm::Swarm;

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
    /// How coverage grew: a point after the first batch, after each batch that doubled the
    /// executions since the last point, and at the end.
    pub growth: Vec<Growth>,
}

/// Coverage after some executions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Growth {
    /// Executions (walks) so far.
    pub execs: usize,
    /// Distinct features reached.
    pub features: usize,
    /// Distinct spec states matched.
    pub spec_states: u64,
    /// Wall time so far (a measurement; the other fields repeat exactly).
    pub seconds: f64,
}

impl Growth {
    /// Where `outcome` stands now.
    fn of(outcome: &GuidedOutcome) -> Growth {
        Growth {
            execs: outcome.execs,
            features: outcome.features,
            spec_states: outcome.stats.spec_states,
            seconds: outcome.stats.seconds,
        }
    }
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
        growth: Vec::new(),
    };
    let mut states = HashSet::new();
    while outcome.execs < options.execs && outcome.found.is_none() {
        let first = outcome.execs;
        let count = BATCH.min(options.execs - first);
        let corpus_now = &corpus;
        let energies = corpus.energies();
        let results = run_jobs(&adapters, count, |adapter, k| {
            let i = first + k;
            let mut rng = walk_rng(options.seed, i);
            let (prefix, swarm) = match corpus_now.entries.len() {
                // The first batch: plain random walks.
                0 if first == 0 => (Vec::new(), Swarm::all()),
                0 => (Vec::new(), Swarm::draw(&mut rng)),
                // A quarter of the walks start afresh, under a swarm.
                _ if rng.below(4) == 0 => (Vec::new(), Swarm::draw(&mut rng)),
                n => {
                    let base = corpus_now
                        .pick(&energies, &mut rng)
                        .expect("non-empty corpus");
                    let other = &corpus_now.entries[rng.below(n)].path;
                    let prefix =
                        mutate::mutate(&base.path, Some(other), model.bounds.nodes, &mut rng);
                    (prefix, Swarm::draw(&mut rng))
                }
            };
            let mut signal = WalkSignal::default();
            let r = walk_from(
                model,
                adapter,
                &mut rng,
                &prefix,
                &swarm,
                options.steps,
                &mut |input, outputs, next| signal.record(input, outputs, Some(next)),
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
        let point = Growth::of(&outcome);
        match outcome.growth.last() {
            Some(last) if outcome.execs < 2 * last.execs => {}
            _ => outcome.growth.push(point),
        }
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
    let end = Growth::of(&outcome);
    match outcome.growth.last_mut() {
        Some(last) if last.features == end.features && last.spec_states == end.spec_states => {
            *last = end
        }
        _ => outcome.growth.push(end),
    }
    Ok(outcome)
}
