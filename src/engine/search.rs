//! Breadth-first exhaustive lockstep search.
//!
//! Level by level, every state of the frontier is expanded by every input the spec offers; each
//! child is a lockstep step judged against the spec. Breadth-first order makes the first problem
//! found a shortest one. Product states (spec state plus the adapter's fingerprint of hidden
//! implementation state) are merged when the adapter provides fingerprints, so each is expanded
//! once, at its minimal depth.
//!
//! With symmetry reduction ([`SearchOptions::symmetry`]) a product state is also merged with
//! every copy of it whose node ids are renamed: its key is the least, over the renamings of the
//! group, of the renamed spec state's fingerprint paired with the implementation's renamed
//! fingerprint ([`Adapter::renamed_fingerprints`]), which every state of one class shares. A
//! path still reaches the state it was found at, never a renamed one. That is sound only for an
//! implementation that treats ids as names; the tests compare reduced and unreduced runs.
//!
//! Work is spread over threads by splitting each level into chunks of frontier states; each
//! thread owns one adapter and reaches a frontier state with [`Adapter::replay_to`]. Results are
//! merged in frontier order, so a run is deterministic whatever the thread count: the same
//! problems, the same counts.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use raftcheck_adapter::{Adapter, AdapterError, ClusterSetup, MemoStats};
use raftcheck_spec::{properties, Action, ClusterState, Input, RaftModel, Renaming, Symmetry};
use serde::Serialize;
use stateright::{Expectation, Property};

use super::coverage::Coverage;
use super::executor;
use super::fingerprint::spec_fingerprint;
use super::outcome::Problem;
use super::packed::{Interner, PackedState, StatePacker};
pub use super::pool::AdapterFactory;
use super::pool::{build_adapters, run_jobs, Adapters};

/// How to search.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// Worker threads (each with its own adapter).
    pub threads: usize,
    /// Merge product states with equal fingerprints (when the adapter provides them).
    pub merge: bool,
    /// Collect distinct problems instead of stopping at the first.
    pub keep_going: bool,
    /// Explore only shard `i` of `n` (0-based): the frontier is split once it holds at least
    /// `8 * n` states, and this run keeps every `n`-th state starting at `i`.
    pub shard: Option<(usize, usize)>,
    /// Print a progress line to stderr this often (None: never).
    pub progress_every: Option<Duration>,
    /// Merge product states that differ only by a renaming of node ids in this group (needs
    /// `merge` and an adapter with [`Adapter::renamed_fingerprints`]).
    pub symmetry: Option<Symmetry>,
    /// Expand no level once this many product states are stored (the search is then not
    /// complete); a budget in states rather than seconds, so that a run repeats.
    pub max_states: Option<u64>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            threads: 1,
            merge: true,
            keep_going: false,
            shard: None,
            progress_every: None,
            symmetry: None,
            max_states: None,
        }
    }
}

/// Counts from a search.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SearchStats {
    /// Distinct product states reached (spec state + implementation fingerprint).
    pub states: u64,
    /// Distinct spec states matched by the implementation.
    pub spec_states: u64,
    /// Lockstep steps judged.
    pub steps: u64,
    /// Inputs driven through the adapter, replays included. With a node memo (see `memo`) most
    /// of them are answered by raftcheck without the implementation.
    pub events: u64,
    /// With an adapter process that keeps a node memo: how many node steps it answered and how
    /// many the implementation computed, summed over the worker threads.
    pub memo: Option<MemoStats>,
    /// Deepest level reached (number of inputs on the longest path explored).
    pub depth: usize,
    /// Wall time.
    pub seconds: f64,
    /// True when the whole bounded space was explored.
    pub complete: bool,
    /// For each `sometimes` property of the spec, the depth at which the lockstep run first
    /// reached a state satisfying it, or `None`: evidence that the bounds reach interesting
    /// states.
    pub reached: Vec<(String, Option<usize>)>,
    /// Which inputs were driven and which outputs observed, over every judged step.
    pub coverage: Coverage,
    /// With a shard: where the frontier was split, and how much of it this shard kept.
    pub split: Option<Split>,
    /// The peak resident memory of the process during the search, in bytes, where the system
    /// tells it (see [`super::memory`]).
    pub peak_memory: Option<u64>,
}

/// Where a sharded search split the frontier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Split {
    /// The depth of the frontier split (states reached by this many inputs).
    pub depth: usize,
    /// The frontier states this shard kept and explored further.
    pub kept: u64,
    /// The whole frontier at that depth: the same in every shard of the run.
    pub of: u64,
}

impl SearchStats {
    /// The peak memory divided by the product states stored: what one more state costs.
    pub fn bytes_per_state(&self) -> Option<u64> {
        self.peak_memory.map(|bytes| bytes / self.states.max(1))
    }

    /// Implementation events per second of wall time.
    pub fn events_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.events as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// The result of a search.
#[derive(Clone, Debug)]
pub struct SearchResult {
    /// The counts.
    pub stats: SearchStats,
    /// The problems found, shortest first (one unless `keep_going`).
    pub problems: Vec<Problem>,
}

/// One explored state: how it was reached (its parent and the input, shared with every other
/// arena entry reached by an equal input). 16 bytes.
struct ArenaEntry {
    parent: u32,
    input: Option<Arc<Input>>,
}

/// A state still to expand, packed (see [`super::packed`]).
struct FrontierEntry {
    node: u32,
    state: PackedState,
}

struct Child {
    parent: u32,
    input: Arc<Input>,
    /// The state packed, or `None` at the last level, whose states are never expanded.
    state: Option<PackedState>,
    spec_fp: u64,
    impl_fp: Option<u64>,
    /// With symmetry reduction, the keys of the state's class: the least spec fingerprint and
    /// the least product key over the group's renamings.
    class: Option<(u64, u128)>,
    /// Bit `k` set: the state satisfies the `k`-th `sometimes` property.
    satisfies: u64,
}

/// What the workers of one search share besides the adapters.
struct Shared<'a> {
    model: &'a RaftModel,
    setup: &'a ClusterSetup,
    /// The renamings of symmetry reduction (empty without it), the identity left out.
    renamings: &'a [Renaming],
    options: &'a SearchOptions,
    counters: &'a Counters,
    packer: &'a StatePacker,
    inputs: &'a Interner<Input>,
    sometimes: &'a [Property<RaftModel>],
    /// Bit `k` set: the `k`-th `sometimes` property is not reached yet, so children are tested
    /// against it.
    unreached: u64,
}

#[derive(Default)]
struct ChunkResult {
    children: Vec<Child>,
    problems: Vec<Problem>,
    coverage: Coverage,
}

struct Counters {
    steps: AtomicU64,
    events: AtomicU64,
    states: AtomicU64,
    depth: AtomicUsize,
}

fn path_of(arena: &[ArenaEntry], mut node: u32) -> Vec<Input> {
    let mut path = Vec::new();
    while let Some(input) = &arena[node as usize].input {
        path.push(Input::clone(input));
        node = arena[node as usize].parent;
    }
    path.reverse();
    path
}

/// Explores every input trace of `model` up to its depth bound in lockstep with the adapters
/// `make_adapter` builds, and returns the problems found.
pub fn search(
    model: &RaftModel,
    make_adapter: &AdapterFactory,
    options: &SearchOptions,
) -> Result<SearchResult, AdapterError> {
    let started = Instant::now();
    super::memory::reset_peak();
    let setup = executor::setup(model);
    let adapters = build_adapters(make_adapter, options.threads)?;
    let counters = Counters {
        steps: AtomicU64::new(0),
        events: AtomicU64::new(0),
        states: AtomicU64::new(1),
        depth: AtomicUsize::new(0),
    };
    let mut stats = SearchStats::default();
    let mut problems = Vec::new();
    let mut signatures = HashSet::new();

    // Step 0: a fresh cluster must look like the spec's initial state.
    let initial = model.initial_state();
    {
        let mut adapter = adapters[0].lock().expect("adapter lock");
        let findings = executor::start(model, adapter.as_mut());
        if let Some(problem) = Problem::at_start(&findings) {
            stats.seconds = started.elapsed().as_secs_f64();
            return Ok(SearchResult {
                stats,
                problems: vec![problem],
            });
        }
    }

    let mut arena = vec![ArenaEntry {
        parent: 0,
        input: None,
    }];
    let packer = StatePacker::default();
    let inputs: Interner<Input> = Interner::default();
    let mut visited: HashSet<u128> = HashSet::new();
    let mut spec_seen: HashSet<u64> = HashSet::new();
    let initial_fp = spec_fingerprint(&initial);
    spec_seen.insert(initial_fp);
    let renamings: Vec<Renaming> = match &options.symmetry {
        Some(group) if options.merge => group.renamings().to_vec(),
        _ => Vec::new(),
    };
    if options.merge {
        let mut adapter = adapters[0].lock().expect("adapter lock");
        let fp = adapter.fingerprint()?;
        if options.symmetry.is_some() {
            let class = class_keys(&renamings, adapter.as_mut(), &initial, initial_fp, fp)?;
            spec_seen.clear();
            spec_seen.insert(class.0);
            visited.insert(class.1);
        } else {
            visited.insert(product_key(initial_fp, fp));
        }
    }
    let sometimes: Vec<Property<RaftModel>> = properties::all(&model.bounds)
        .into_iter()
        .filter(|p| p.expectation == Expectation::Sometimes)
        .collect();
    assert!(sometimes.len() <= 64, "one bit per sometimes property");
    let mut frontier = vec![FrontierEntry {
        node: 0,
        state: packer.pack(initial),
    }];
    stats.reached = sometimes
        .iter()
        .map(|p| (p.name.to_string(), None))
        .collect();
    let mut sharded = options.shard.is_none();
    let mut stopped = false;
    let mut previous_level = 1u64;
    let done = AtomicBool::new(false);

    std::thread::scope(|scope| {
        if let Some(every) = options.progress_every {
            let (counters, done) = (&counters, &done);
            scope.spawn(move || progress_loop(counters, done, every, started));
        }
        for depth in 0..model.bounds.depth {
            if frontier.is_empty() {
                break;
            }
            // The next level, estimated to grow by the last level's factor, would not fit.
            let growth = frontier.len() as u64 / previous_level.max(1);
            if options.max_states.is_some_and(|most| {
                arena.len() as u64 + frontier.len() as u64 * growth.max(1) > most
            }) {
                stopped = true;
                break;
            }
            previous_level = frontier.len() as u64;
            if !sharded {
                let (i, n) = options.shard.expect("shard set");
                if frontier.len() >= 8 * n {
                    let of = frontier.len() as u64;
                    frontier = frontier
                        .into_iter()
                        .enumerate()
                        .filter(|(k, _)| in_shard(*k, i, n))
                        .map(|(_, e)| e)
                        .collect();
                    stats.split = Some(Split {
                        depth,
                        kept: frontier.len() as u64,
                        of,
                    });
                    sharded = true;
                }
            }
            counters.depth.store(depth, Ordering::Relaxed);
            let shared = Shared {
                model,
                setup: &setup,
                renamings: &renamings,
                options,
                counters: &counters,
                packer: &packer,
                inputs: &inputs,
                sometimes: &sometimes,
                unreached: stats
                    .reached
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, depth))| depth.is_none())
                    .fold(0, |bits, (k, _)| bits | 1 << k),
            };
            let last = depth + 1 == model.bounds.depth;
            let results = expand_level(&shared, &adapters, &arena, &frontier, last);
            let mut next = Vec::new();
            for result in results.into_iter().flatten() {
                stats.coverage.merge(&result.coverage);
                for problem in result.problems {
                    if signatures.insert(problem.signature()) {
                        problems.push(problem);
                    }
                    if !options.keep_going {
                        stopped = true;
                        break;
                    }
                }
                if stopped {
                    break;
                }
                for child in result.children {
                    let (spec_key, key) = child
                        .class
                        .unwrap_or((child.spec_fp, product_key(child.spec_fp, child.impl_fp)));
                    if options.merge && child.impl_fp.is_some() && !visited.insert(key) {
                        continue;
                    }
                    if spec_seen.insert(spec_key) {
                        for (k, reached) in stats.reached.iter_mut().enumerate() {
                            if reached.1.is_none() && child.satisfies & (1 << k) != 0 {
                                reached.1 = Some(depth + 1);
                            }
                        }
                    }
                    arena.push(ArenaEntry {
                        parent: child.parent,
                        input: Some(child.input),
                    });
                    if let Some(state) = child.state {
                        next.push(FrontierEntry {
                            node: (arena.len() - 1) as u32,
                            state,
                        });
                    }
                }
            }
            if stopped {
                break;
            }
            let added = arena.len() as u64 - counters.states.load(Ordering::Relaxed);
            counters.states.fetch_add(added, Ordering::Relaxed);
            if added > 0 {
                stats.depth = depth + 1;
            }
            frontier = next;
            // The parts only the expanded level held go.
            packer.sweep();
        }
        done.store(true, Ordering::Relaxed);
    });

    stats.states = arena.len() as u64;
    stats.spec_states = spec_seen.len() as u64;
    stats.steps = counters.steps.load(Ordering::Relaxed);
    stats.events = counters.events.load(Ordering::Relaxed);
    stats.seconds = started.elapsed().as_secs_f64();
    stats.complete = !stopped && options.shard.is_none();
    stats.peak_memory = super::memory::peak_resident_bytes();
    stats.memo = memo_stats(&adapters);
    Ok(SearchResult { stats, problems })
}

/// The node memo counts of `adapters`, summed; `None` when none keeps a memo.
pub(crate) fn memo_stats(adapters: &Adapters) -> Option<MemoStats> {
    adapters
        .iter()
        .filter_map(|a| a.lock().ok().and_then(|a| a.memo_stats()))
        .reduce(|a, b| MemoStats {
            hits: a.hits + b.hits,
            misses: a.misses + b.misses,
            replayed: a.replayed + b.replayed,
        })
}

/// True when the `k`-th state of the frontier being split belongs to shard `i` of `n`: every
/// state belongs to exactly one shard.
pub fn in_shard(k: usize, i: usize, n: usize) -> bool {
    k % n == i
}

fn product_key(spec_fp: u64, impl_fp: Option<u64>) -> u128 {
    ((spec_fp as u128) << 64) | impl_fp.unwrap_or(0) as u128
}

/// The keys of the class of the product state (`state`, the adapter's current cluster) under
/// `renamings` and the identity: the least spec fingerprint, and the least product key. Both
/// are the same for every state of the class, since renaming a renamed state by each renaming
/// of a group yields the class again. The spec fingerprint is a product key's high half, so
/// only the renamings that give the least spec fingerprint (usually one) need the
/// implementation's renamed fingerprint.
fn class_keys(
    renamings: &[Renaming],
    adapter: &mut dyn Adapter,
    state: &ClusterState,
    spec_fp: u64,
    impl_fp: Option<u64>,
) -> Result<(u64, u128), AdapterError> {
    let renamed_specs: Vec<u64> = renamings
        .iter()
        .map(|renaming| spec_fingerprint(&renaming.state(state)))
        .collect();
    let least_spec = renamed_specs.iter().copied().fold(spec_fp, u64::min);
    let least: Vec<Renaming> = renamings
        .iter()
        .zip(&renamed_specs)
        .filter(|(_, &fp)| fp == least_spec)
        .map(|(renaming, _)| renaming.clone())
        .collect();
    let renamed = adapter.renamed_fingerprints(&least)?.ok_or_else(|| {
        AdapterError::Setup(format!(
            "--symmetry in lockstep needs an adapter that can fingerprint its cluster with node \
             ids renamed; {} cannot (raft-rs in-process can)",
            adapter.name()
        ))
    })?;
    let mut key = renamed
        .into_iter()
        .map(|fp| product_key(least_spec, Some(fp)))
        .min()
        .unwrap_or(u128::MAX);
    if spec_fp == least_spec {
        key = key.min(product_key(spec_fp, impl_fp));
    }
    Ok((least_spec, key))
}

/// Expands one level. Returns one result per chunk, in frontier order; chunks after the first
/// one with a problem are skipped unless `keep_going`.
/// Expands one level; `last`: its children are at the depth bound and are not expanded.
fn expand_level(
    shared: &Shared<'_>,
    adapters: &Adapters,
    arena: &[ArenaEntry],
    frontier: &[FrontierEntry],
    last: bool,
) -> Vec<Option<ChunkResult>> {
    let chunk = (frontier.len() / (adapters.len() * 16)).clamp(1, 256);
    let chunks: Vec<&[FrontierEntry]> = frontier.chunks(chunk).collect();
    run_jobs(adapters, chunks.len(), |adapter, k| {
        let result = expand_chunk(shared, adapter, arena, chunks[k], last);
        let stop = !result.problems.is_empty() && !shared.options.keep_going;
        (result, stop)
    })
}

fn expand_chunk(
    shared: &Shared<'_>,
    adapter: &mut dyn Adapter,
    arena: &[ArenaEntry],
    entries: &[FrontierEntry],
    last: bool,
) -> ChunkResult {
    let Shared {
        model,
        setup,
        options,
        counters,
        ..
    } = *shared;
    let mut result = ChunkResult::default();
    for entry in entries {
        let state = entry.state.unpack();
        if !model.within_bounds(&state) {
            continue;
        }
        let path = path_of(arena, entry.node);
        for input in model.inputs(&state) {
            match adapter.replay_to(setup, &path) {
                Ok(n) => counters.events.fetch_add(n, Ordering::Relaxed),
                Err(e) => {
                    result.problems.push(Problem::from_error(path.clone(), &e));
                    return result;
                }
            };
            let action = Action::Input(input.clone());
            let step = executor::step(model, Some(&mut *adapter), &state, &action);
            result.coverage.record(&input, &step.outputs);
            counters.steps.fetch_add(1, Ordering::Relaxed);
            counters.events.fetch_add(1, Ordering::Relaxed);
            let child_path = || {
                let mut p = path.clone();
                p.push(input.clone());
                p
            };
            if let Some(outcome) = step.outcome(path.len() + 1) {
                result.problems.push(Problem {
                    path: child_path(),
                    outcome,
                    lines: step.lines(),
                });
                if !options.keep_going {
                    return result;
                }
                continue;
            }
            let impl_fp = if options.merge {
                match adapter.fingerprint() {
                    Ok(fp) => fp,
                    Err(e) => {
                        result.problems.push(Problem::from_error(child_path(), &e));
                        return result;
                    }
                }
            } else {
                None
            };
            let spec_fp = spec_fingerprint(&step.next);
            let class = if options.symmetry.is_some() && options.merge {
                match class_keys(shared.renamings, adapter, &step.next, spec_fp, impl_fp) {
                    Ok(keys) => Some(keys),
                    Err(e) => {
                        result.problems.push(Problem::from_error(child_path(), &e));
                        return result;
                    }
                }
            } else {
                None
            };
            let satisfies = shared
                .sometimes
                .iter()
                .enumerate()
                .filter(|(k, p)| {
                    shared.unreached & (1 << k) != 0 && (p.condition)(model, &step.next)
                })
                .fold(0u64, |bits, (k, _)| bits | 1 << k);
            result.children.push(Child {
                parent: entry.node,
                spec_fp,
                class,
                input: shared.inputs.intern(input),
                state: (!last).then(|| shared.packer.pack(step.next)),
                impl_fp,
                satisfies,
            });
        }
    }
    result
}

fn progress_loop(counters: &Counters, done: &AtomicBool, every: Duration, started: Instant) {
    let mut last = Instant::now();
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        if last.elapsed() < every {
            continue;
        }
        last = Instant::now();
        let secs = started.elapsed().as_secs_f64();
        let events = counters.events.load(Ordering::Relaxed);
        eprintln!(
            "[{:>6.1}s] depth {}: {} states, {} steps, {:.0} events/s",
            secs,
            counters.depth.load(Ordering::Relaxed) + 1,
            counters.states.load(Ordering::Relaxed),
            counters.steps.load(Ordering::Relaxed),
            events as f64 / secs.max(1e-9)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::in_shard;

    #[test]
    fn shards_are_disjoint_and_cover_the_frontier() {
        for n in 1..6 {
            for k in 0..100 {
                let owners = (0..n).filter(|&i| in_shard(k, i, n)).count();
                assert_eq!(owners, 1, "state {k} of {n} shards");
            }
        }
    }
}
