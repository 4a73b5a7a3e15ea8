//! The plan of a check: what to check (an implementation or the spec alone), how (exhaustive,
//! random walks, spec-only), within which bounds, and where results go. `raftcheck check` builds
//! one from its flags and `raftcheck ci` one per `[[check]]` of `raftcheck.toml`; both go through
//! [`Request::plan`], the one place where a request is validated, and [`crate::run::run`] runs it.

use std::path::PathBuf;
use std::time::Duration;

use raftcheck_spec::{Bounds, BoundsError, Flavour};

use crate::adapters::ImplChoice;
use crate::cli::{bound_flag, BoundArgs, CheckArgs, PreVote};
use crate::engine::spec_only::Strategy;
use crate::UsageError;

/// What is checked.
#[derive(Clone, Debug)]
pub enum Subject {
    /// An implementation in lockstep with the spec flavour its adapter declares.
    Implementation(ImplChoice),
    /// The spec alone, in this flavour.
    Spec(Flavour),
}

/// How the state space is explored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exploration {
    /// Breadth first, every input trace up to the depth bound.
    Exhaustive {
        /// Merge equal product states.
        merge: bool,
        /// Collect distinct problems instead of stopping at the first.
        keep_going: bool,
        /// Explore only shard `i` of `n`.
        shard: Option<(usize, usize)>,
        /// Merge product states that differ by a renaming of node ids (`--symmetry`).
        symmetry: bool,
    },
    /// Seeded random walks; the first divergence is shrunk.
    Random {
        /// The seed.
        seed: u64,
        /// Inputs per walk at most.
        steps: usize,
        /// Number of walks.
        walks: usize,
    },
    /// Seeded walks guided by the coverage of the spec; the first divergence is shrunk.
    Guided {
        /// The seed.
        seed: u64,
        /// Inputs per walk at most.
        steps: usize,
        /// Executions (walks) at most: the deterministic budget.
        walks: usize,
        /// A time box in seconds: stop after the batch in which it ran out, and report the
        /// executions reached.
        seconds: Option<u64>,
    },
    /// The spec alone under Stateright.
    SpecOnly {
        /// Breadth or depth first.
        strategy: Strategy,
        /// Symmetry reduction over node ids (`--symmetry`).
        symmetry: bool,
    },
}

/// A validated check, ready to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// A name for reports (`raftcheck ci`'s items).
    pub name: String,
    /// What is checked.
    pub subject: Subject,
    /// How.
    pub exploration: Exploration,
    /// Within which bounds.
    pub bounds: Bounds,
    /// Worker threads.
    pub threads: usize,
    /// Where traces of problems go.
    pub out: PathBuf,
    /// How often to print a progress line (None: never).
    pub progress: Option<Duration>,
}

/// `--random` or `--guided` as asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkRequest {
    /// `--guided` rather than `--random`.
    pub guided: bool,
    /// `--seed`.
    pub seed: u64,
    /// `--steps`.
    pub steps: usize,
    /// `--walks`: the number of walks, for `--guided` the most it runs.
    pub walks: usize,
    /// `--seconds` (`--guided` only).
    pub seconds: Option<u64>,
}

/// Where a request's bounds came from, so an error names the thing the user wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Command-line flags.
    Flags,
    /// A `[[check]]` (and the shared `[bounds]`) of this configuration file.
    Config(PathBuf),
}

/// A check as asked for, before validation: the common shape of `raftcheck check`'s flags and
/// of a `[[check]]` in `raftcheck.toml`.
#[derive(Clone, Debug)]
pub struct Request {
    /// Where it came from.
    pub origin: Origin,
    /// A name for reports, if given.
    pub name: Option<String>,
    /// `--impl`.
    pub implementation: String,
    /// `--inject`.
    pub inject: Option<String>,
    /// `--pre-vote`: the configurations to cover.
    pub pre_vote: PreVote,
    /// `--spec-only`.
    pub spec_only: bool,
    /// `--flavour` (spec-only).
    pub flavour: Option<String>,
    /// `--strategy` (spec-only).
    pub strategy: Strategy,
    /// `--symmetry` (spec-only).
    pub symmetry: bool,
    /// `--random` or `--guided` with its seed, steps and walks.
    pub walks: Option<WalkRequest>,
    /// The bounds given (the rest take the mode's defaults).
    pub bounds: BoundArgs,
    /// `--keep-going`.
    pub keep_going: bool,
    /// `--no-merge`.
    pub no_merge: bool,
    /// `--no-node-memo`.
    pub no_node_memo: bool,
    /// `--shard`.
    pub shard: Option<(usize, usize)>,
    /// `--threads`.
    pub threads: Option<usize>,
    /// `--timeout`, seconds.
    pub timeout: f64,
    /// `--out`.
    pub out: PathBuf,
    /// `--quiet` (no progress lines), and how often to print them otherwise.
    pub progress: Option<Duration>,
}

impl Request {
    /// The request `raftcheck check` makes with these flags.
    pub fn from_args(args: &CheckArgs) -> Request {
        Request {
            origin: Origin::Flags,
            name: None,
            implementation: args.implementation.clone(),
            inject: args.inject.clone(),
            pre_vote: args.pre_vote,
            spec_only: args.spec_only,
            flavour: args.flavour.clone(),
            strategy: args.strategy.into(),
            symmetry: args.symmetry,
            walks: (args.random || args.guided).then_some(WalkRequest {
                guided: args.guided,
                seed: args.seed,
                steps: args.steps,
                walks: args.walks,
                seconds: args.seconds,
            }),
            bounds: args.bounds.clone(),
            keep_going: args.keep_going,
            no_merge: args.no_merge,
            no_node_memo: args.no_node_memo,
            shard: args.shard.map(|s| (s.index, s.count)),
            threads: args.threads,
            timeout: args.timeout,
            out: args.out.clone(),
            progress: (!args.quiet).then_some(Duration::from_secs(2)),
        }
    }

    fn usage(&self, message: impl Into<String>) -> UsageError {
        let message = message.into();
        UsageError(match &self.origin {
            Origin::Flags => message,
            Origin::Config(file) => format!(
                "{}: check \"{}\": {message}",
                file.display(),
                self.name
                    .clone()
                    .unwrap_or_else(|| self.implementation.clone())
            ),
        })
    }

    /// Names a bad bound as the user wrote it: a flag, or a key of the configuration file.
    fn bound_error(&self, e: BoundsError) -> UsageError {
        match &self.origin {
            Origin::Flags => UsageError(format!("{} {}", bound_flag(e.bound), e.problem)),
            Origin::Config(_) => self.usage(format!("bounds: {} {}", e.bound, e.problem)),
        }
    }

    /// The bounds of this mode: its defaults, overridden by the bounds given.
    fn bounds(&self) -> Bounds {
        let defaults = if self.spec_only {
            // The spec's own menu of sends branches more than an implementation's choices.
            Bounds {
                depth: 10,
                ..Bounds::default()
            }
        } else if let Some(WalkRequest { steps, .. }) = self.walks {
            // Walks are meant to go deep: budgets large enough for long walks.
            Bounds {
                max_term: 8,
                values: 4,
                restarts: 3,
                heartbeats: 8,
                depth: steps.max(1),
                ..Bounds::default()
            }
        } else {
            Bounds::default()
        };
        self.bounds.over(defaults)
    }

    /// Validates the request and gives one plan per pre-vote configuration it covers, pre-vote
    /// off first.
    /// An implementation without pre-vote (PySyncObj) is checked with it off only.
    pub fn plans(&self) -> Result<Vec<Plan>, UsageError> {
        let without_pre_vote = !self.spec_only
            && self.pre_vote == PreVote::Both
            && ImplChoice::new(&self.implementation, None).is_ok_and(|c| !c.has_pre_vote());
        let configurations = if without_pre_vote {
            &[false][..]
        } else {
            self.pre_vote.configurations()
        };
        configurations
            .iter()
            .map(|&pre_vote| self.plan_with(pre_vote))
            .collect()
    }

    /// The one plan of a request that covers a single pre-vote configuration; for one that
    /// covers both, the first of [`Request::plans`] (pre-vote off).
    pub fn plan(&self) -> Result<Plan, UsageError> {
        self.plan_with(self.pre_vote.configurations()[0])
    }

    /// Validates the request for one pre-vote configuration: every rule about which options
    /// combine, and every value's range, is checked here and nowhere else.
    fn plan_with(&self, pre_vote: bool) -> Result<Plan, UsageError> {
        let walk_flag = match self.walks {
            Some(WalkRequest { guided: true, .. }) => "--guided",
            _ => "--random",
        };
        if self.walks.is_some() && self.spec_only {
            return Err(self.usage(format!(
                "{walk_flag} drives an implementation; it does not combine with --spec-only"
            )));
        }
        if let Some(w) = self.walks {
            if w.walks == 0 || w.steps == 0 {
                return Err(self.usage("--walks and --steps must be at least 1"));
            }
            if w.seconds == Some(0) {
                return Err(self.usage("--seconds must be at least 1"));
            }
            if w.seconds.is_some() && !w.guided {
                return Err(self.usage(
                    "--seconds is the time box of --guided; --random runs exactly --walks walks",
                ));
            }
        }
        if self.threads == Some(0) {
            return Err(self.usage("--threads must be at least 1"));
        }
        if !(self.timeout > 0.0 && self.timeout.is_finite()) {
            return Err(self.usage("--timeout must be a positive number of seconds"));
        }
        let bounds = self.bounds();
        bounds.validate().map_err(|e| self.bound_error(e))?;
        let lockstep_only = |flag: &str| {
            self.usage(format!(
                "{flag} needs an implementation; it does not apply to --spec-only"
            ))
        };
        let (subject, exploration) = if self.spec_only {
            if self.inject.is_some() {
                return Err(lockstep_only("--inject"));
            }
            if self.keep_going || self.no_merge || self.shard.is_some() {
                return Err(lockstep_only("--keep-going, --no-merge and --shard each"));
            }
            let name = self.flavour.as_deref().unwrap_or("raft-rs");
            let flavour = Flavour::by_name(name).ok_or_else(|| {
                self.usage(format!(
                    "unknown flavour '{name}'; known: {}",
                    Flavour::NAMES.join(", ")
                ))
            })?;
            (
                Subject::Spec(flavour.with_pre_vote(pre_vote)),
                Exploration::SpecOnly {
                    strategy: self.strategy,
                    symmetry: self.symmetry,
                },
            )
        } else {
            if self.symmetry && self.walks.is_some() {
                return Err(self.usage(format!(
                    "--symmetry merges states of an exhaustive search; it does not combine \
                     with {walk_flag}"
                )));
            }
            if self.symmetry && self.no_merge {
                return Err(self.usage(
                    "--symmetry merges renamed product states; it does not combine with \
                     --no-merge",
                ));
            }
            if self.symmetry && (bounds.conf_changes > 0 || bounds.spares > 0) {
                return Err(self.usage(
                    "--symmetry in lockstep needs --conf-changes 0 and --spares 0: renaming the \
                     node ids inside an implementation's configuration-change entries is not \
                     supported yet (see the README's Symmetry section)",
                ));
            }
            if self.flavour.is_some() {
                return Err(self.usage(
                    "--flavour applies to --spec-only; in lockstep the spec uses the flavour \
                     the implementation's adapter declares",
                ));
            }
            let choice = ImplChoice::new(&self.implementation, self.inject.as_deref())
                .map_err(|e| self.usage(e))?
                .with_timeout(Duration::from_secs_f64(self.timeout))
                .with_pre_vote(pre_vote)
                .with_node_memo(!self.no_node_memo);
            let exploration = match self.walks {
                Some(WalkRequest {
                    guided: false,
                    seed,
                    steps,
                    walks,
                    ..
                }) => Exploration::Random { seed, steps, walks },
                Some(WalkRequest {
                    guided: true,
                    seed,
                    steps,
                    walks,
                    seconds,
                }) => Exploration::Guided {
                    seed,
                    steps,
                    walks,
                    seconds,
                },
                None => Exploration::Exhaustive {
                    merge: !self.no_merge,
                    keep_going: self.keep_going,
                    shard: self.shard,
                    symmetry: self.symmetry,
                },
            };
            (Subject::Implementation(choice), exploration)
        };
        // Depth first, the spec alone runs on one thread unless asked: Stateright's parallel
        // depth-first search may reach a state first by a longer path. Breadth first it runs
        // level by level on every core, and reaches each state first by a shortest path.
        let threads = self.threads.unwrap_or(match exploration {
            Exploration::SpecOnly {
                strategy: Strategy::Dfs,
                ..
            } => 1,
            _ => default_threads(),
        });
        let plan = Plan {
            name: String::new(),
            subject,
            exploration,
            bounds,
            threads,
            out: self.out.clone(),
            progress: self.progress,
        };
        // A named check of both configurations names its pre-vote item apart.
        let name = match &self.name {
            Some(name) if pre_vote && self.pre_vote == PreVote::Both => format!("{name} pre-vote"),
            Some(name) => name.clone(),
            None => plan.default_name(),
        };
        Ok(Plan { name, ..plan })
    }
}

/// One thread per core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

impl Plan {
    /// The implementation, if one is checked.
    pub fn implementation(&self) -> Option<&ImplChoice> {
        match &self.subject {
            Subject::Implementation(choice) => Some(choice),
            Subject::Spec(_) => None,
        }
    }

    /// Whether pre-vote is on.
    pub fn pre_vote(&self) -> bool {
        match &self.subject {
            Subject::Implementation(choice) => choice.pre_vote,
            Subject::Spec(flavour) => flavour.pre_vote,
        }
    }

    /// The name `raftcheck ci` gives a check nobody named: implementation and mode.
    pub fn default_name(&self) -> String {
        let mut name = match &self.subject {
            Subject::Implementation(choice) => choice.name.clone(),
            Subject::Spec(flavour) => format!("spec ({})", flavour.name),
        };
        if self.pre_vote() {
            name.push_str(" pre-vote");
        }
        if let Some(bug) = self.implementation().and_then(|c| c.bug) {
            name.push_str(&format!(" with {bug}"));
        }
        match &self.exploration {
            Exploration::Exhaustive { shard, .. } => {
                name.push_str(" exhaustive");
                if let Some((i, n)) = shard {
                    name.push_str(&format!(" shard {i}/{n}"));
                }
            }
            Exploration::Random { seed, steps, walks } => {
                name.push_str(&format!(" random (seed {seed}, {walks} walks of {steps})"))
            }
            Exploration::Guided {
                seed, steps, walks, ..
            } => name.push_str(&format!(
                " guided (seed {seed}, up to {walks} walks of {steps})"
            )),
            Exploration::SpecOnly { .. } => name.push_str(" spec-only"),
        }
        name
    }

    /// The `raftcheck check` command line that runs exactly this plan again: every option that
    /// shapes the run, and every bound.
    pub fn command_line(&self) -> String {
        let mut words = vec!["raftcheck".to_string(), "check".to_string()];
        match &self.subject {
            Subject::Implementation(choice) => {
                words.push("--impl".into());
                words.push(shell_words::quote(&choice.name).into_owned());
                if let Some(bug) = choice.bug {
                    words.push(format!("--inject {bug}"));
                }
                if choice.timeout != raftcheck_adapter::process::DEFAULT_TIMEOUT {
                    words.push(format!("--timeout {}", choice.timeout.as_secs_f64()));
                }
            }
            Subject::Spec(flavour) => {
                words.push("--spec-only".into());
                words.push(format!("--flavour {}", flavour.name));
            }
        }
        words.push(format!(
            "--pre-vote {}",
            if self.pre_vote() { "on" } else { "off" }
        ));
        match &self.exploration {
            Exploration::Exhaustive {
                merge,
                keep_going,
                shard,
                symmetry,
            } => {
                if !merge {
                    words.push("--no-merge".into());
                }
                if *symmetry {
                    words.push("--symmetry".into());
                }
                if *keep_going {
                    words.push("--keep-going".into());
                }
                if let Some((i, n)) = shard {
                    words.push(format!("--shard {i}/{n}"));
                }
            }
            Exploration::Random { seed, steps, walks } => {
                words.push(format!(
                    "--random --seed {seed} --steps {steps} --walks {walks}"
                ));
            }
            Exploration::Guided {
                seed,
                steps,
                walks,
                seconds,
            } => {
                words.push(format!(
                    "--guided --seed {seed} --steps {steps} --walks {walks}"
                ));
                if let Some(seconds) = seconds {
                    words.push(format!("--seconds {seconds}"));
                }
            }
            Exploration::SpecOnly { strategy, symmetry } => {
                if *strategy == Strategy::Dfs {
                    words.push("--strategy dfs".into());
                }
                if *symmetry {
                    words.push("--symmetry".into());
                }
            }
        }
        words.push(crate::report::bounds_line(&self.bounds));
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn plan(line: &str) -> Result<Plan, UsageError> {
        let cli = crate::cli::Cli::try_parse_from(shell_words::split(line).unwrap()).unwrap();
        let crate::cli::Command::Check(args) = cli.command else {
            unreachable!("a check command line")
        };
        Request::from_args(&args).plan()
    }

    #[test]
    fn the_command_line_of_a_plan_reproduces_it() {
        for line in [
            "raftcheck check",
            "raftcheck check --impl etcd --pre-vote --inject vote-not-persisted --nodes 5",
            "raftcheck check --random --seed 9 --steps 40 --walks 7 --pre-vote --max-term 5",
            "raftcheck check --guided --seed 3 --steps 50 --walks 70 --seconds 9 --pre-vote off",
            "raftcheck check --spec-only --flavour etcd --depth 8 --strategy dfs",
            "raftcheck check --spec-only --symmetry --depth 8",
            "raftcheck check --keep-going --no-merge --shard 1/3 --drops 1 --timeout 2.5",
        ] {
            let first = plan(line).unwrap();
            let again = plan(&first.command_line()).unwrap();
            assert_eq!(again.command_line(), first.command_line(), "{line}");
            assert_eq!(again.bounds, first.bounds, "{line}");
            assert_eq!(again.exploration, first.exploration, "{line}");
            assert_eq!(again.pre_vote(), first.pre_vote(), "{line}");
            assert_eq!(
                again
                    .implementation()
                    .map(|c| (c.name.clone(), c.bug, c.timeout)),
                first
                    .implementation()
                    .map(|c| (c.name.clone(), c.bug, c.timeout)),
                "{line}"
            );
        }
    }

    #[test]
    fn symmetry_is_for_the_spec_alone() {
        let p = plan("raftcheck check --spec-only --symmetry").unwrap();
        assert!(matches!(
            p.exploration,
            Exploration::SpecOnly { symmetry: true, .. }
        ));
        let lockstep = plan("raftcheck check --impl raft-rs --symmetry").unwrap();
        assert!(matches!(
            lockstep.exploration,
            Exploration::Exhaustive { symmetry: true, .. }
        ));
        assert!(lockstep.command_line().contains("--symmetry"));
        for refused in [
            "raftcheck check --impl raft-rs --symmetry --random",
            "raftcheck check --impl raft-rs --symmetry --no-merge",
            "raftcheck check --impl raft-rs --symmetry --conf-changes 1",
        ] {
            let e = plan(refused).unwrap_err();
            assert!(e.0.contains("--symmetry"), "{refused}: {}", e.0);
        }
    }

    #[test]
    fn random_walks_keep_their_bounds_when_run_again() {
        let p = plan("raftcheck check --random --pre-vote --max-term 5").unwrap();
        let line = p.command_line();
        assert!(
            line.contains("--pre-vote") && line.contains("--max-term 5"),
            "{line}"
        );
    }

    #[test]
    fn bad_bounds_name_the_flag_or_the_key() {
        let err = plan("raftcheck check --nodes 0").unwrap_err().0;
        assert!(err.starts_with("--nodes must be between 1 and"), "{err}");
        let mut request =
            Request::from_args(
                &match crate::cli::Cli::try_parse_from(["raftcheck", "check"])
                    .unwrap()
                    .command
                {
                    crate::cli::Command::Check(args) => args,
                    _ => unreachable!(),
                },
            );
        request.origin = Origin::Config(PathBuf::from("raftcheck.toml"));
        request.bounds.max_term = Some(0);
        let err = request.plan().unwrap_err().0;
        assert!(
            err.contains("raftcheck.toml") && err.contains("bounds: max_term must be at least 1"),
            "{err}"
        );
        assert!(!err.contains("--"), "{err}");
    }

    #[test]
    fn options_that_do_not_combine_are_refused_here() {
        for (line, needle) in [
            ("raftcheck check --spec-only --random", "does not combine"),
            (
                "raftcheck check --spec-only --inject vote-not-persisted",
                "--inject",
            ),
            ("raftcheck check --spec-only --keep-going", "--keep-going"),
            (
                "raftcheck check --flavour etcd",
                "--flavour applies to --spec-only",
            ),
            ("raftcheck check --threads 0", "--threads"),
            ("raftcheck check --timeout 0", "--timeout"),
            ("raftcheck check --random --walks 0", "--walks"),
        ] {
            let err = plan(line).unwrap_err().0;
            assert!(err.contains(needle), "{line}: {err}");
        }
    }
}
