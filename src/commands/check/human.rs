//! The human report of `raftcheck check`, for every mode: the header printed before the run,
//! then the result, each problem's step table and trace file, the summary and the coverage.

use raftcheck_spec::RaftModel;

use crate::engine::spec_only::Strategy;
use crate::engine::{Coverage, Outcome};
use crate::plan::{Exploration, Plan, Subject};
use crate::report::{bounds_line, duration, execution_table};
use crate::run::{Found, GuidedStats, RandomStats, Report, Stats};

/// The summary of random or guided walks: the walks, for guided ones the corpus and how
/// coverage grew, the speed.
fn print_walk_summary(stats: &RandomStats, guided: Option<&GuidedStats>, threads: usize) {
    println!();
    println!("summary:");
    println!(
        "  walks    {} walks, {} lockstep steps, longest {} inputs",
        stats.walks, stats.steps, stats.longest
    );
    if let Some(guided) = guided {
        println!(
            "  guided   {} coverage features, {} walks kept in the corpus",
            guided.features, guided.corpus
        );
        let growth: Vec<String> = guided
            .growth
            .iter()
            .map(|g| {
                format!(
                    "{} after {} walks ({})",
                    g.features,
                    g.execs,
                    duration(g.seconds)
                )
            })
            .collect();
        for (i, chunk) in growth.chunks(3).enumerate() {
            println!(
                "  {:<8} {}",
                if i == 0 { "growth" } else { "" },
                chunk.join(", ")
            );
        }
    }
    println!(
        "  speed    {:.0} steps/s, {} on {} thread{}",
        stats.steps as f64 / stats.seconds.max(1e-9),
        duration(stats.seconds),
        threads,
        plural(threads)
    );
}

/// How a walk's finding came to its length: where it diverged, what shrinking reached, and
/// whether the search for a shorter trace found one.
fn walk_intro(stats: &RandomStats, step: usize) -> String {
    let shrunk = stats.shrunk_to.unwrap_or(step);
    let mut intro = format!(
        "in walk {} at step {}; shrunk to {shrunk} step{} ({} attempts)",
        stats.walk.unwrap_or(0),
        stats.found_at_step.unwrap_or(0),
        plural(shrunk),
        stats.shrink_attempts.unwrap_or(0)
    );
    if step < shrunk {
        intro.push_str(&format!(
            ", then to {step} by a breadth-first search ({} product states)",
            stats.shorten_states.unwrap_or(0)
        ));
    }
    intro
}

/// The first lines of the report, printed before the run starts.
pub fn print_header(plan: &Plan, model: &RaftModel) {
    let threads = plan.threads;
    match (&plan.subject, &plan.exploration) {
        (Subject::Implementation(choice), Exploration::Random { seed, steps, walks }) => {
            println!(
                "raftcheck check --random: {} in lockstep with the spec (flavour {}), seed \
                 {seed}, {walks} walks of up to {steps} inputs, {threads} thread{}",
                choice.label(),
                model.flavour,
                plural(threads)
            );
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
            println!(
                "raftcheck check --guided: {} in lockstep with the spec (flavour {}), seed \
                 {seed}, up to {walks} walks of up to {steps} inputs{}, {threads} thread{}",
                choice.label(),
                model.flavour,
                seconds.map_or(String::new(), |s| format!(" within {s} s")),
                plural(threads)
            );
        }
        (
            Subject::Implementation(choice),
            Exploration::Exhaustive {
                shard, symmetry, ..
            },
        ) => {
            println!(
                "raftcheck check: {} in lockstep with the spec (flavour {}), {threads} thread{}{}",
                choice.label(),
                model.flavour,
                plural(threads),
                if *symmetry {
                    ", symmetry reduction over node ids"
                } else {
                    ""
                }
            );
            println!("bounds: {}", bounds_line(&model.bounds));
            if let Some((i, n)) = shard {
                println!("shard {i}/{n} of the state space");
            }
            return;
        }
        (_, Exploration::SpecOnly { strategy, symmetry }) => {
            println!(
                "raftcheck check --spec-only: flavour {}, {}{} on {threads} thread{}",
                model.flavour,
                match strategy {
                    Strategy::Bfs => "breadth first",
                    Strategy::Dfs => "depth first",
                },
                if *symmetry {
                    ", symmetry reduction over node ids"
                } else {
                    ""
                },
                plural(threads)
            );
            println!("bounds: {}", bounds_line(&model.bounds));
            if threads > 1 && *strategy == Strategy::Dfs {
                println!(
                    "note: with several threads Stateright may reach a state first by a longer \
                     path and leave it unexpanded at the depth bound; counts can vary from run \
                     to run"
                );
            }
            return;
        }
        _ => {}
    }
    println!("bounds: {}", bounds_line(&model.bounds));
}

/// A byte count in MiB (GiB from 10 GiB on), for the summary.
fn mebibytes(bytes: u64) -> String {
    let mib = bytes as f64 / (1u64 << 20) as f64;
    if mib >= 10240.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else {
        format!("{mib:.0} MiB")
    }
}

/// Prints one problem: what it is, its step table, where its trace is.
pub fn print_found(f: &Found, intro: &str) {
    let what = match &f.outcome {
        Outcome::Divergence { kind, .. } if kind.is_fault() => "the implementation failed here",
        Outcome::Divergence { .. } => "spec and implementation part here",
        _ => "the spec itself is wrong",
    };
    if intro.is_empty() {
        println!(
            "result: {} at step {} — {what}:",
            f.outcome.headline(),
            f.step
        );
    } else {
        println!("result: {} {intro}:", f.outcome.headline());
    }
    println!();
    print!("{}", execution_table(&f.execution));
    if !f.reproduced {
        println!(
            "warning: re-running this path did not reproduce the problem exactly; the \
             implementation may be nondeterministic"
        );
    }
    println!();
    println!("trace written to {}", f.trace.display());
    println!("replay with: raftcheck replay {}", f.trace.display());
    println!("see it with: raftcheck view {}", f.trace.display());
}

/// The rest of the report, after the run.
pub fn print_report(report: &Report) {
    println!();
    match &report.stats {
        Stats::Exhaustive(stats) => {
            if report.problems.is_empty() {
                if stats.complete {
                    println!("result: agree — no divergence within the bounds");
                } else {
                    println!("result: agree — no divergence in the part of the space explored");
                }
            }
            for (i, f) in report.problems.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                print_found(f, "");
            }
            println!();
            println!("summary:");
            println!(
                "  states   {} product states, {} spec states matched, depth {} reached{}",
                stats.states,
                stats.spec_states,
                stats.depth,
                if stats.complete { " (complete)" } else { "" }
            );
            println!(
                "  steps    {} lockstep steps, {} implementation events",
                stats.steps, stats.events
            );
            if let Some(split) = &stats.split {
                println!(
                    "  shard    {} of the {} states at depth {} explored further here",
                    split.kept, split.of, split.depth
                );
            }
            println!(
                "  speed    {:.0} implementation events/s, {} on {} thread{}",
                stats.events_per_second,
                duration(stats.seconds),
                report.threads,
                plural(report.threads)
            );
            if let Some(memo) = stats.memo {
                println!(
                    "  memo     {} node steps answered from the node memo; the implementation \
                     computed {} and replayed {} inputs to catch up",
                    memo.hits, memo.misses, memo.replayed
                );
            }
            if let (Some(peak), Some(per_state)) = (stats.peak_memory_bytes, stats.bytes_per_state)
            {
                println!(
                    "  memory   {} peak, {per_state} bytes per stored product state",
                    mebibytes(peak)
                );
            }
            print_reached(&report.reached, "first at depth");
        }
        Stats::Random(stats) => {
            match report.problems.first() {
                None => println!(
                    "result: agree — no divergence in {} walks ({} steps)",
                    stats.walks, stats.steps
                ),
                Some(f) => {
                    let intro = walk_intro(stats, f.step);
                    print_found(f, &intro);
                    println!("walk again with: {}", report.command_line);
                }
            }
            print_walk_summary(stats, None, report.threads);
        }
        Stats::Guided(guided) => {
            let stats = &guided.walks;
            match report.problems.first() {
                None if guided.timed_out => println!(
                    "result: agree — no divergence in {} walks ({} steps), stopped by the time box",
                    stats.walks, stats.steps
                ),
                None => println!(
                    "result: agree — no divergence in {} walks ({} steps)",
                    stats.walks, stats.steps
                ),
                Some(f) => {
                    let intro = walk_intro(stats, f.step);
                    print_found(f, &intro);
                }
            }
            if let Some(again) = &guided.repeat {
                println!(
                    "the time box reached {} walks; repeat exactly with: {again}",
                    guided.execs
                );
            } else if !report.problems.is_empty() {
                println!("walk again with: {}", report.command_line);
            }
            print_walk_summary(stats, Some(guided), report.threads);
        }
        Stats::SpecOnly(stats) => {
            if report.problems.is_empty() {
                println!("result: every safety property holds within the bounds");
                println!();
            }
            for f in &report.problems {
                let property = f.property.as_deref().unwrap_or("a property");
                println!("result: VIOLATION of {property} after {} steps:", f.step);
                println!();
                print!("{}", execution_table(&f.execution));
                println!();
                println!("trace written to {}", f.trace.display());
                println!("replay with: raftcheck replay {}", f.trace.display());
                println!("see it with: raftcheck view {}", f.trace.display());
                println!();
            }
            println!("summary:");
            println!(
                "  states   {} unique ({} generated), depth {} reached",
                stats.states, stats.generated_states, stats.depth
            );
            println!("  time     {}", duration(stats.seconds));
            print_reached(&report.reached, "shortest path of length");
        }
    }
    if let Some((coverage, spec_states)) = &report.coverage {
        print_coverage(&report.model, coverage, *spec_states);
    }
}

fn print_reached(reached: &[(String, Option<usize>)], unit: &str) {
    for (i, line) in reached_lines(reached, unit).iter().enumerate() {
        println!("  {:<8} {line}", if i == 0 { "reached" } else { "" });
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

/// `"s"` unless `n` is 1.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
