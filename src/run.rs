//! Running a [`Plan`]: the search it asks for, every problem found recorded as a trace, and one
//! typed [`Report`] that the human report, `--format json` and `raftcheck ci` all read.

use std::path::PathBuf;

use raftcheck_adapter::AdapterError;
use raftcheck_spec::{Bounds, Mode, RaftModel, Symmetry};
use serde::Serialize;
use serde_json::{json, Value};

use crate::adapters::ImplChoice;
use crate::engine::guided::Growth;
use crate::engine::random::{DivergentWalk, WalkStats};
use crate::engine::search::Split;
use crate::engine::shorten::{shortcut, shorten, Shortcut};
use crate::engine::spec_only::{self, PropertyResult};
use crate::engine::{
    execute, guided_walks, random_walks, search, shrink, Coverage, Execution, GuidedOptions,
    GuidedOutcome, Outcome, Problem, SearchOptions, SearchStats, WalkOptions,
};
use crate::plan::{Exploration, Plan, Subject};
use crate::record::{actions_tag, events_of, record_problem, save_or_show, slug, Recorded};
use crate::trace::{Trace, TraceMode, FORMAT, VERSION};
use crate::UsageError;

/// A problem found and written to disk.
#[derive(Clone, Debug, Serialize)]
pub struct Found {
    /// `divergence`, `violation` or `fault`.
    pub result: &'static str,
    /// The divergence kind, or `violation`.
    pub kind: &'static str,
    /// The step where it shows.
    pub step: usize,
    /// The violated property (spec-only and violations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// The trace file.
    pub trace: PathBuf,
    /// What is wrong there, one line per finding.
    pub findings: Vec<String>,
    /// The outcome recorded in the trace.
    #[serde(skip)]
    pub outcome: Outcome,
    /// The path executed again, as recorded.
    #[serde(skip)]
    pub execution: Execution,
    /// False when executing the path again did not end the same way (nondeterminism).
    #[serde(skip)]
    pub reproduced: bool,
}

impl Found {
    fn new(outcome: Outcome, execution: Execution, trace: PathBuf, reproduced: bool) -> Found {
        Found {
            result: outcome.result(),
            kind: outcome.kind_name(),
            step: outcome.step().unwrap_or(0),
            property: match &outcome {
                Outcome::Violation { property, .. } => Some(property.clone()),
                _ => None,
            },
            findings: execution.final_findings(),
            trace,
            outcome,
            execution,
            reproduced,
        }
    }

    fn from_recorded(r: Recorded) -> Found {
        Found::new(r.problem.outcome, r.execution, r.file, r.reproduced)
    }
}

/// The counts of the exploration, by mode.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Stats {
    /// Exhaustive lockstep search.
    Exhaustive(ExhaustiveStats),
    /// Random walks.
    Random(RandomStats),
    /// Guided walks.
    Guided(GuidedStats),
    /// The spec alone.
    SpecOnly(SpecOnlyStats),
}

/// What an exhaustive search covered.
#[derive(Clone, Debug, Serialize)]
pub struct ExhaustiveStats {
    /// Distinct product states.
    pub states: u64,
    /// Distinct spec states matched by the implementation.
    pub spec_states: u64,
    /// Lockstep steps judged.
    pub steps: u64,
    /// Inputs driven into the implementation, replays included.
    pub events: u64,
    /// Events per second of wall time.
    pub events_per_second: f64,
    /// Wall time.
    pub seconds: f64,
    /// Deepest level reached.
    pub depth: usize,
    /// True when the whole bounded space was explored.
    pub complete: bool,
    /// For each `sometimes` property, the depth first reached (in the spec's order).
    pub reached: serde_json::Map<String, Value>,
    /// Inputs driven, outputs observed, inputs never exercised.
    pub coverage: Value,
    /// With a shard: where the frontier was split and how much of it this shard kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split: Option<Split>,
    /// The peak resident memory of the run in bytes (Linux), like `seconds` a measurement
    /// that varies from run to run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_memory_bytes: Option<u64>,
    /// That peak divided by the product states stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_per_state: Option<u64>,
    /// With an adapter process that keeps a node memo: the node steps it answered (`hits`) and
    /// those the implementation computed (`misses`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memo: Option<raftcheck_adapter::MemoStats>,
}

/// What random walks covered.
#[derive(Clone, Debug, Serialize)]
pub struct RandomStats {
    /// The seed.
    pub seed: u64,
    /// Walks run.
    pub walks: u64,
    /// Distinct spec states matched.
    pub states: u64,
    /// Lockstep steps judged.
    pub steps: u64,
    /// Inputs driven (one per step).
    pub events: u64,
    /// Wall time.
    pub seconds: f64,
    /// Longest walk.
    pub longest: usize,
    /// The divergent walk's index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub walk: Option<usize>,
    /// The step of that walk where it diverged, before shrinking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_at_step: Option<usize>,
    /// Candidates shrinking tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shrink_attempts: Option<usize>,
    /// The length shrinking reached, before the search for a shorter trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shrunk_to: Option<usize>,
    /// Product states the search for a shorter trace stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shorten_states: Option<u64>,
    /// Inputs driven, outputs observed, inputs never exercised.
    pub coverage: Value,
}

/// What guided walks covered.
#[derive(Clone, Debug, Serialize)]
pub struct GuidedStats {
    /// The walks, counted as for random walks (`walks`: the executions run).
    #[serde(flatten)]
    pub walks: RandomStats,
    /// Distinct coverage features reached (kinds of step, pairs of kinds, abstract states).
    pub features: usize,
    /// Walks kept in the corpus.
    pub corpus: usize,
    /// The executions the run reached: `--walks` with this number repeats it exactly (the
    /// same as `walks`, unless the run stopped at a divergence).
    pub execs: usize,
    /// The time box, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_box: Option<u64>,
    /// Whether the time box ended the run before the budget of walks.
    pub timed_out: bool,
    /// With a time box: the command that repeats the run exactly (`--walks` the executions
    /// reached, no time box).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<String>,
    /// Coverage after the first batch, at each doubling of the executions, and at the end.
    pub growth: Vec<Growth>,
}

/// What a spec-only run covered.
#[derive(Clone, Debug, Serialize)]
pub struct SpecOnlyStats {
    /// Unique states.
    pub states: u64,
    /// States generated, repeats included.
    pub generated_states: u64,
    /// The same as `generated_states`: the spec's steps.
    pub events: u64,
    /// Wall time.
    pub seconds: f64,
    /// Deepest level explored.
    pub depth: usize,
    /// Every property with its result.
    pub properties: Vec<PropertyResult>,
}

/// The result of running a plan.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Always `check`.
    pub command: &'static str,
    /// The plan's name.
    pub name: String,
    /// `lockstep`, `random` or `spec-only`.
    pub mode: &'static str,
    /// The implementation checked.
    #[serde(rename = "impl", skip_serializing_if = "Option::is_none")]
    pub implementation: Option<String>,
    /// The bug injected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inject: Option<String>,
    /// The spec flavour.
    pub flavour: String,
    /// Pre-vote on.
    pub pre_vote: bool,
    /// The bounds.
    pub bounds: Bounds,
    /// The command that runs this check again.
    pub command_line: String,
    /// Worker threads (not in the JSON: the results are the same for any number).
    #[serde(skip)]
    pub threads: usize,
    /// `agree`, `divergence`, `violation` or `fault`: the first problem's.
    pub result: &'static str,
    /// The first problem's outcome (agreement when none).
    pub outcome: Outcome,
    /// The counts.
    #[serde(flatten)]
    pub stats: Stats,
    /// Every problem found, in the order found.
    pub problems: Vec<Found>,
    /// The first problem's kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// The first problem's step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// The first problem's trace file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<PathBuf>,
    /// The first problem's findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<String>>,
    /// The model checked against (for the human report's coverage lines).
    #[serde(skip)]
    pub model: RaftModel,
    /// Inputs driven and outputs observed (lockstep modes).
    #[serde(skip)]
    pub coverage: Option<(Coverage, u64)>,
    /// The `sometimes` properties and where they were first reached.
    #[serde(skip)]
    pub reached: Vec<(String, Option<usize>)>,
}

impl Report {
    /// The exit status the report calls for.
    pub fn exit(&self) -> crate::ExitStatus {
        self.outcome.exit_status()
    }

    /// The number of states (spec-only: unique states; random: spec states) explored.
    pub fn states(&self) -> u64 {
        match &self.stats {
            Stats::Exhaustive(s) => s.states,
            Stats::Random(s) => s.states,
            Stats::Guided(s) => s.walks.states,
            Stats::SpecOnly(s) => s.states,
        }
    }

    /// Lockstep steps judged (spec-only: states generated).
    pub fn steps(&self) -> u64 {
        match &self.stats {
            Stats::Exhaustive(s) => s.steps,
            Stats::Random(s) => s.steps,
            Stats::Guided(s) => s.walks.steps,
            Stats::SpecOnly(s) => s.generated_states,
        }
    }

    /// Wall time of the exploration.
    pub fn seconds(&self) -> f64 {
        match &self.stats {
            Stats::Exhaustive(s) => s.seconds,
            Stats::Random(s) => s.seconds,
            Stats::Guided(s) => s.walks.seconds,
            Stats::SpecOnly(s) => s.seconds,
        }
    }
}

/// The model a plan checks against: the spec alone in its flavour, or lockstep in the flavour
/// the adapter declares; plus the error of an adapter that cannot even start (a fault at step 0).
/// A setup problem (missing toolchain, unsupported bug) is a usage error.
pub fn model_of(plan: &Plan) -> Result<(RaftModel, Option<AdapterError>), UsageError> {
    match &plan.subject {
        Subject::Spec(flavour) => Ok((
            RaftModel::new(plan.bounds.clone(), flavour.clone(), Mode::SpecOnly),
            None,
        )),
        Subject::Implementation(choice) => {
            let (flavour, failure) = match choice.build() {
                Ok(adapter) => (adapter.flavour(), None),
                Err(AdapterError::Setup(m)) => return Err(UsageError(m)),
                Err(e) => (
                    raftcheck_spec::Flavour::raft_rs().with_pre_vote(choice.pre_vote),
                    Some(e),
                ),
            };
            Ok((
                RaftModel::new(plan.bounds.clone(), flavour, Mode::Lockstep),
                failure,
            ))
        }
    }
}

/// Runs `plan` against `model` (from [`model_of`]); every problem found is on disk before this
/// returns.
pub fn run(
    plan: &Plan,
    model: &RaftModel,
    start_failure: Option<AdapterError>,
) -> Result<Report, UsageError> {
    let (stats, found, coverage, reached) = match (&plan.subject, &plan.exploration) {
        (Subject::Implementation(choice), Exploration::Random { seed, steps, walks }) => {
            let options = WalkOptions {
                seed: *seed,
                steps: *steps,
                walks: *walks,
                threads: plan.threads,
            };
            run_random(plan, model, choice, start_failure, &options)?
        }
        (
            Subject::Implementation(choice),
            Exploration::Guided {
                seed,
                steps,
                walks,
                seconds,
            },
        ) => {
            let options = GuidedOptions {
                seed: *seed,
                steps: *steps,
                execs: *walks,
                seconds: seconds.map(|s| s as f64),
                threads: plan.threads,
            };
            run_guided(plan, model, choice, start_failure, &options, *seconds)?
        }
        (
            Subject::Implementation(choice),
            Exploration::Exhaustive {
                merge,
                keep_going,
                shard,
                symmetry,
            },
        ) => {
            let options = SearchOptions {
                threads: plan.threads,
                merge: *merge,
                keep_going: *keep_going,
                shard: *shard,
                progress_every: plan.progress,
                symmetry: symmetry.then(|| Symmetry::for_bounds(&model.bounds)),
                max_states: None,
            };
            run_exhaustive(plan, model, choice, start_failure, &options)?
        }
        (Subject::Spec(_), Exploration::SpecOnly { strategy, symmetry }) => {
            run_spec_only(plan, model, *strategy, *symmetry)?
        }
        _ => unreachable!("Request::plan pairs subjects and explorations"),
    };
    let first = found.first();
    Ok(Report {
        command: "check",
        name: plan.name.clone(),
        mode: match plan.exploration {
            Exploration::Exhaustive { .. } => "lockstep",
            Exploration::Random { .. } => "random",
            Exploration::Guided { .. } => "guided",
            Exploration::SpecOnly { .. } => "spec-only",
        },
        implementation: plan.implementation().map(|c| c.name.clone()),
        inject: plan
            .implementation()
            .and_then(|c| c.bug)
            .map(|b| b.name().to_string()),
        flavour: model.flavour.name.clone(),
        pre_vote: model.flavour.pre_vote,
        bounds: model.bounds.clone(),
        command_line: plan.command_line(),
        threads: plan.threads,
        result: first.map_or("agree", |f| f.result),
        outcome: first.map_or(Outcome::Agree, |f| f.outcome.clone()),
        kind: first.map(|f| f.kind),
        step: first.map(|f| f.step),
        trace: first.map(|f| f.trace.clone()),
        findings: first.map(|f| f.findings.clone()),
        stats,
        problems: found,
        model: model.clone(),
        coverage,
        reached,
    })
}

type ModeResult = (
    Stats,
    Vec<Found>,
    Option<(Coverage, u64)>,
    Vec<(String, Option<usize>)>,
);

fn record(
    model: &RaftModel,
    choice: &ImplChoice,
    problem: &Problem,
    plan: &Plan,
) -> Result<Found, UsageError> {
    record_problem(model, choice, problem, &plan.out)
        .map(Found::from_recorded)
        .map_err(|e| UsageError(format!("could not write the trace: {e}")))
}

fn run_exhaustive(
    plan: &Plan,
    model: &RaftModel,
    choice: &ImplChoice,
    start_failure: Option<AdapterError>,
    options: &SearchOptions,
) -> Result<ModeResult, UsageError> {
    let (stats, problems) = match start_failure {
        Some(e) => (
            SearchStats::default(),
            vec![Problem::from_error(vec![], &e)],
        ),
        None => {
            let factory = || choice.build();
            match search(model, &factory, options) {
                Ok(result) => (result.stats, result.problems),
                Err(AdapterError::Setup(m)) => return Err(UsageError(m)),
                Err(e) => (
                    SearchStats::default(),
                    vec![Problem::from_error(vec![], &e)],
                ),
            }
        }
    };
    let found = problems
        .iter()
        .map(|p| record(model, choice, p, plan))
        .collect::<Result<Vec<_>, _>>()?;
    let reached: serde_json::Map<String, Value> = stats
        .reached
        .iter()
        .map(|(n, d)| (n.clone(), json!(d)))
        .collect();
    let exhaustive = ExhaustiveStats {
        states: stats.states,
        spec_states: stats.spec_states,
        steps: stats.steps,
        events: stats.events,
        events_per_second: stats.events_per_second(),
        seconds: stats.seconds,
        depth: stats.depth,
        complete: stats.complete,
        reached,
        coverage: coverage_json(model, &stats.coverage, stats.spec_states),
        split: stats.split,
        peak_memory_bytes: stats.peak_memory,
        bytes_per_state: stats.bytes_per_state(),
        memo: stats.memo,
    };
    Ok((
        Stats::Exhaustive(exhaustive),
        found,
        Some((stats.coverage, stats.spec_states)),
        stats.reached,
    ))
}

fn run_random(
    plan: &Plan,
    model: &RaftModel,
    choice: &ImplChoice,
    start_failure: Option<AdapterError>,
    options: &WalkOptions,
) -> Result<ModeResult, UsageError> {
    let factory = || choice.build();
    let outcome =
        walks_started(start_failure.map_or_else(|| random_walks(model, &factory, options), Err))?;
    let (found, finding) = shrink_found(plan, model, choice, outcome.found)?;
    let s: WalkStats = outcome.stats;
    let random = walk_stats(model, options.seed, &s, &finding);
    Ok((
        Stats::Random(random),
        found,
        Some((s.coverage, s.spec_states)),
        Vec::new(),
    ))
}

/// The walks' result, or the usage error of an adapter that could not start.
fn walks_started<T>(result: Result<T, AdapterError>) -> Result<T, UsageError> {
    match result {
        Ok(outcome) => Ok(outcome),
        Err(AdapterError::Setup(m)) => Err(UsageError(m)),
        Err(e) => Err(UsageError(format!(
            "the adapter could not start: {}",
            e.detail()
        ))),
    }
}

/// The counts of random or guided walks with what became of their finding.
fn walk_stats(model: &RaftModel, seed: u64, s: &WalkStats, finding: &WalkFinding) -> RandomStats {
    RandomStats {
        seed,
        walks: s.walks,
        states: s.spec_states,
        steps: s.steps,
        events: s.steps,
        seconds: s.seconds,
        longest: s.longest,
        walk: finding.walk,
        found_at_step: finding.at_step,
        shrink_attempts: finding.attempts,
        shrunk_to: finding.shrunk,
        shorten_states: finding.shorten_states,
        coverage: coverage_json(model, &s.coverage, s.spec_states),
    }
}

/// Product states a search for a shorter trace may store, about two seconds' worth on two cores:
/// raft-rs in-process explores about a hundred thousand a second, an implementation behind the
/// adapter protocol about ten thousand.
fn shorten_budget(choice: &ImplChoice) -> u64 {
    if choice.in_process() {
        200_000
    } else {
        20_000
    }
}

/// What became of a divergent walk: its index, the step it diverged at, the candidates shrinking
/// tried, the length shrinking reached, and the product states the search for a shorter trace
/// stored.
#[derive(Clone, Debug, Default)]
struct WalkFinding {
    walk: Option<usize>,
    at_step: Option<usize>,
    attempts: Option<usize>,
    shrunk: Option<usize>,
    shorten_states: Option<u64>,
}

/// Shrinks the divergent walk found, if any, searches for a shorter trace near it
/// ([`crate::engine::shorten`]), and writes the trace.
fn shrink_found(
    plan: &Plan,
    model: &RaftModel,
    choice: &ImplChoice,
    divergent: Option<DivergentWalk>,
) -> Result<(Vec<Found>, WalkFinding), UsageError> {
    let Some(divergent) = divergent else {
        return Ok((Vec::new(), WalkFinding::default()));
    };
    // One adapter serves shrinking and the shortcuts; the breadth-first searches build their
    // own, one per thread.
    let mut adapter = choice.build().ok();
    let shrunk = match adapter.as_mut() {
        Some(adapter) => shrink(
            model,
            adapter.as_mut(),
            &divergent.problem.path,
            &divergent.problem.outcome,
        ),
        None => crate::engine::shrink::Shrunk {
            path: divergent.problem.path.clone(),
            attempts: 0,
        },
    };
    let step = shrunk.path.len();
    let mut problem = Problem {
        outcome: match divergent.problem.outcome.clone() {
            Outcome::Divergence { kind, .. } => Outcome::Divergence { step, kind },
            Outcome::Violation { property, .. } => Outcome::Violation { step, property },
            Outcome::Agree => Outcome::Agree,
        },
        path: shrunk.path,
        lines: divergent.problem.lines.clone(),
    };
    if let Some(adapter) = adapter.as_mut() {
        let budget = shorten_budget(choice) / 10;
        if let Ok(Shortcut {
            problem: Some(shorter),
            ..
        }) = shortcut(model, adapter.as_mut(), &problem, 3, budget)
        {
            problem = shorter;
        }
    }
    drop(adapter);
    let factory = || choice.build();
    let mut shorten_states = None;
    if let Ok(shortened) = shorten(
        model,
        &factory,
        &problem,
        shorten_budget(choice),
        plan.threads,
    ) {
        shorten_states = Some(shortened.states);
        if let Some(shorter) = shortened.problem {
            problem = shorter;
        }
    }
    let finding = WalkFinding {
        walk: Some(divergent.walk),
        at_step: Some(divergent.problem.path.len()),
        attempts: Some(shrunk.attempts),
        shrunk: Some(step),
        shorten_states,
    };
    Ok((vec![record(model, choice, &problem, plan)?], finding))
}

fn run_guided(
    plan: &Plan,
    model: &RaftModel,
    choice: &ImplChoice,
    start_failure: Option<AdapterError>,
    options: &GuidedOptions,
    time_box: Option<u64>,
) -> Result<ModeResult, UsageError> {
    let factory = || choice.build();
    let mut last_line = std::time::Instant::now();
    let mut progress = |o: &GuidedOutcome| {
        if let Some(every) = plan.progress {
            if last_line.elapsed() >= every {
                last_line = std::time::Instant::now();
                eprintln!(
                    "[{:>7.1}s] {} walks, {} features, {} kept, {} spec states",
                    o.stats.seconds, o.execs, o.features, o.corpus, o.stats.spec_states
                );
            }
        }
    };
    let outcome = walks_started(start_failure.map_or_else(
        || guided_walks(model, &factory, options, &mut progress),
        Err,
    ))?;
    let (found, finding) = shrink_found(plan, model, choice, outcome.found)?;
    let s: WalkStats = outcome.stats;
    let guided = GuidedStats {
        walks: walk_stats(model, options.seed, &s, &finding),
        features: outcome.features,
        corpus: outcome.corpus,
        execs: outcome.execs,
        time_box,
        timed_out: finding.walk.is_none() && outcome.execs < options.execs,
        repeat: time_box.map(|_| {
            let exploration = Exploration::Guided {
                seed: options.seed,
                steps: options.steps,
                walks: outcome.execs,
                seconds: None,
            };
            Plan {
                exploration,
                ..plan.clone()
            }
            .command_line()
        }),
        growth: outcome.growth,
    };
    Ok((
        Stats::Guided(guided),
        found,
        Some((s.coverage, s.spec_states)),
        Vec::new(),
    ))
}

fn run_spec_only(
    plan: &Plan,
    model: &RaftModel,
    strategy: spec_only::Strategy,
    symmetry: bool,
) -> Result<ModeResult, UsageError> {
    let checked = if symmetry {
        model.clone().with_symmetry()
    } else {
        model.clone()
    };
    let outcome = spec_only::check(checked, strategy, plan.threads);
    let mut found = Vec::new();
    for p in outcome.violations() {
        let actions = p.path.clone().unwrap_or_default();
        let execution = execute(model, None, &actions, |_, a| a.clone());
        let recorded = execution.outcome().cloned().unwrap_or(Outcome::Agree);
        let trace = Trace {
            format: FORMAT.into(),
            version: VERSION,
            mode: TraceMode::SpecOnly,
            adapter: None,
            inject: None,
            flavour: model.flavour.clone(),
            bounds: model.bounds.clone(),
            events: events_of(&execution),
            expect: recorded.clone(),
            findings: execution.final_findings(),
        };
        let file = plan.out.join(format!(
            "spec-{}-{}-{}.json",
            model.flavour.name,
            slug(&p.name),
            actions_tag(&actions)
        ));
        // A trace that cannot be written is the user's directory's fault, not an adapter's.
        save_or_show(&trace, &file)
            .map_err(|e| UsageError(format!("could not write the trace: {e}")))?;
        found.push(Found::new(recorded, execution, file, true));
    }
    let reached = outcome
        .properties
        .iter()
        .filter(|p| p.expectation == "sometimes")
        .map(|p| (p.name.clone(), p.steps))
        .collect();
    let stats = SpecOnlyStats {
        states: outcome.unique_states as u64,
        generated_states: outcome.generated_states as u64,
        events: outcome.generated_states as u64,
        seconds: outcome.seconds,
        depth: outcome.depth,
        properties: outcome.properties,
    };
    Ok((Stats::SpecOnly(stats), found, None, reached))
}

/// The coverage section of a JSON report.
pub fn coverage_json(model: &RaftModel, c: &Coverage, spec_states: u64) -> Value {
    json!({
        "inputs": c.inputs,
        "outputs": c.outputs,
        "never_exercised": c.missed_inputs(&model.flavour, &model.bounds),
        "spec_states": spec_states,
    })
}
