//! Command-line interface definitions.

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};
use raftcheck_spec::Bounds;

/// Model-based conformance checking for Raft implementations: drive a real implementation and
/// a Stateright spec of Raft side by side through every interleaving up to a bound, and report
/// the first step where they disagree.
#[derive(Debug, Parser)]
#[command(name = "raftcheck", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an implementation against the spec in lockstep, exhaustively within bounds (or
    /// check the spec alone with --spec-only).
    ///
    /// Exit codes: 0 agreement (all properties hold), 1 divergence or property violation,
    /// 2 usage, configuration or input error, 3 adapter fault.
    Check(CheckArgs),
    /// Re-run a trace file step by step and say whether its recorded outcome still holds.
    ///
    /// Exit codes: 0 the recorded outcome holds, 1 it no longer holds (a new divergence, or a
    /// recorded divergence that is gone), 2 unreadable or malformed trace, 3 adapter fault.
    Replay(ReplayArgs),
    /// Browse the spec's state space in Stateright's web explorer.
    Explore(ExploreArgs),
    /// Gate CI: replay every trace in the corpus, then run every configured check; one summary
    /// table, optional JUnit XML, GitHub Actions annotations when run there.
    ///
    /// Exit codes: 0 nothing regressed, 1 a regression (a trace whose recorded outcome changed,
    /// or a check that found a divergence), 2 configuration error or unreadable trace, 3 adapter
    /// fault. A trace whose recorded divergence no longer happens is reported as "fixed?" and
    /// fails the run only with --fail-on-fixed.
    Ci(CiArgs),
    /// Validate event logs of a real run (impl_adapter/EVENTLOG.md): is what the implementation
    /// did, with its own timers, threads, network and disks, a behaviour of the spec?
    ///
    /// Exit codes: 0 every event is explained and every property holds, 1 a divergence (the
    /// first event no spec behaviour explains) or a property violation, 2 a malformed log or
    /// usage error.
    Validate(ValidateArgs),
    /// Compare two implementations (two versions of one, or one with an injected bug) on the
    /// same inputs, breadth first, and report the first input sequence after which their
    /// outputs or observed state differ, or that they behave alike within the bounds.
    ///
    /// Exit codes: 0 the same within the bounds, 1 different (traces of the path written for
    /// both), or the first implementation diverges from its own spec, 2 usage error, 3 adapter
    /// fault.
    DiffImpls(DiffArgs),
    /// Serve an in-process implementation over the adapter protocol on stdin/stdout
    /// (impl_adapter/PROTOCOL.md), e.g. for `check --impl "cmd:raftcheck serve"`.
    Serve(ServeArgs),
    /// Draw a trace file as one self-contained HTML page: a lane per node, a row per event,
    /// messages as arrows, every node's state per step, the divergent step with spec and
    /// implementation side by side. Opens offline in any browser.
    ///
    /// Exit codes: 0 the page was written, 2 unreadable or malformed trace, or the page could
    /// not be written.
    View(ViewArgs),
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Human,
    /// JSON on stdout: one object (`check`: one per configuration checked, a line each).
    Json,
}

/// Which pre-vote configurations a check covers.
///
/// Production deployments run pre-vote while tests often do not, and code that runs only with
/// pre-vote on (or only off) is never exercised by a check of the other: a check covers both
/// unless told otherwise, and reports them as two items.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum PreVote {
    /// Pre-vote off only.
    Off,
    /// Pre-vote on only (`--pre-vote` alone means this).
    On,
    /// Both, pre-vote off first: two checks, reported as two items.
    #[default]
    Both,
}

impl PreVote {
    /// The configurations covered, in the order they run: `false` is pre-vote off.
    pub fn configurations(self) -> &'static [bool] {
        match self {
            PreVote::Off => &[false],
            PreVote::On => &[true],
            PreVote::Both => &[false, true],
        }
    }

    /// The choice that covers exactly this one configuration.
    pub fn only(pre_vote: bool) -> PreVote {
        if pre_vote {
            PreVote::On
        } else {
            PreVote::Off
        }
    }
}

/// Spec-only search strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Strategy {
    /// Breadth first: the first violation found is a shortest one.
    Bfs,
    /// Depth first: less memory.
    Dfs,
}

impl From<Strategy> for crate::engine::spec_only::Strategy {
    fn from(s: Strategy) -> Self {
        match s {
            Strategy::Bfs => crate::engine::spec_only::Strategy::Bfs,
            Strategy::Dfs => crate::engine::spec_only::Strategy::Dfs,
        }
    }
}

macro_rules! define_bound_args {
    ($($name:ident : $ty:ty = $default:expr, $help:literal $([$($flag:tt)*])?;)*) => {
        /// The bounds, each overriding the default: one flag per row of
        /// [`raftcheck_spec::bounds_table!`]. The same fields make a `bounds` table in
        /// `raftcheck.toml`.
        #[derive(Clone, Debug, Default, PartialEq, Eq, Args, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct BoundArgs {
            $(
                #[doc = $help]
                #[arg(
                    long,
                    value_name = "N",
                    help = concat!($help, " [default: ", stringify!($default), "]")
                    $(, $($flag)*)?
                )]
                pub $name: Option<$ty>,
            )*
        }

        impl BoundArgs {
            /// `base` with every bound given here taking precedence. Configuration changes
            /// without a given number of spares get one spare, so that there is a node to add.
            #[must_use]
            pub fn over(&self, mut base: Bounds) -> Bounds {
                $(
                    if let Some(value) = self.$name {
                        base.$name = value;
                    }
                )*
                if self.spares.is_none() && base.conf_changes > 0 && base.spares == 0 {
                    base.spares = 1;
                }
                base
            }

            /// These bounds with every bound `more` gives taking precedence.
            #[must_use]
            pub fn overridden_by(&self, more: &BoundArgs) -> BoundArgs {
                BoundArgs {
                    $($name: more.$name.or(self.$name),)*
                }
            }
        }
    };
}

raftcheck_spec::bounds_table!(define_bound_args);

/// The flag that sets a bound: `max_term` → `--max-term`.
pub fn bound_flag(bound: &str) -> String {
    format!("--{}", bound.replace('_', "-"))
}

/// `i/n`: this run is shard `i` (0-based) of `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Shard {
    /// This shard.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl TryFrom<String> for Shard {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("expected I/N with 0 <= I < N (e.g. 0/4), got '{s}'");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// `raftcheck check`.
#[derive(Clone, Debug, Args)]
pub struct CheckArgs {
    /// The implementation to check: raft-rs (in-process), etcd (etcd raft 3.4, the same as
    /// etcd-3.4), etcd-3.6 (etcd raft v3.6.0, go.etcd.io/raft/v3), or cmd:PROGRAM [ARGS...]
    /// (an adapter process speaking impl_adapter/PROTOCOL.md).
    #[arg(long = "impl", value_name = "NAME", default_value = "raft-rs")]
    pub implementation: String,
    /// Inject a bug into the implementation's integration code ('list' prints the names).
    #[arg(long, value_name = "NAME")]
    pub inject: Option<String>,
    /// Which pre-vote configurations to check: the implementation with pre-vote off, on
    /// (raft-rs `Config::pre_vote`, etcd `Config.PreVote`), or both, each against the spec
    /// flavour with the same setting and reported as its own item; `--pre-vote` alone means
    /// `on`. With --spec-only, the flavour alone in each configuration.
    #[arg(
        long,
        value_enum,
        value_name = "WHICH",
        num_args = 0..=1,
        default_missing_value = "on",
        default_value_t = PreVote::Both
    )]
    pub pre_vote: PreVote,
    /// Check the spec alone: its safety properties, no implementation (depth 10 by default:
    /// the spec's own menu of sends branches more than an implementation's choices).
    #[arg(long)]
    pub spec_only: bool,
    /// Spec flavour for --spec-only (raft-rs, etcd, etcd-3.6, textbook, hashicorp, pysyncobj).
    /// Lockstep uses the
    /// flavour the implementation's adapter declares.
    #[arg(long, value_name = "NAME")]
    pub flavour: Option<String>,
    /// Search strategy for --spec-only.
    #[arg(long, value_enum, default_value_t = Strategy::Bfs)]
    pub strategy: Strategy,
    /// Symmetry reduction: one state for each class of states that differ only by a renaming
    /// of node ids (the initial voters among themselves, spares among themselves). Same
    /// verdicts, fewer states; off by default. With --spec-only, any bounds; in exhaustive
    /// lockstep, an adapter that fingerprints renamed clusters (raft-rs in-process) and no
    /// configuration changes.
    #[arg(long)]
    pub symmetry: bool,
    /// Worker threads [default: the number of cores; 1 with --spec-only --strategy dfs, where
    /// Stateright's parallel depth-first search may reach a state first by a longer path and
    /// leave it unexpanded at the depth bound].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// The bounds.
    #[command(flatten)]
    pub bounds: BoundArgs,
    /// Collect distinct divergences instead of stopping at the first.
    #[arg(long)]
    pub keep_going: bool,
    /// Do not merge equal product states (explore the tree; slow, for cross-checking).
    #[arg(long)]
    pub no_merge: bool,
    /// Drive every step through the adapter process, even one its node memo has seen (for
    /// cross-checking an adapter's node fingerprints, and for measuring the memo).
    #[arg(long)]
    pub no_node_memo: bool,
    /// Explore only part I of N of the state space (to split one run over machines).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Directory for trace files of problems found.
    #[arg(long, value_name = "DIR", default_value = "traces")]
    pub out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// No progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Seconds an adapter process has to answer each request.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Random walks instead of exhaustive search: --walks walks of up to --steps inputs each,
    /// from --seed; a divergence found is shrunk to a minimal trace. Budgets default to 8 terms,
    /// 4 values, 3 restarts, 8 heartbeats; --max-in-flight does not apply.
    #[arg(long, group = "walk_mode")]
    pub random: bool,
    /// Walks guided by the coverage of the spec: walks that reach a new kind of step or abstract
    /// spec state are kept, mutated and extended, favouring rare coverage, each under a random
    /// subset of the input kinds; up to --walks walks of up to --steps inputs from --seed
    /// (bounds as for --random). A divergence is shrunk like any other.
    #[arg(long, group = "walk_mode", conflicts_with = "random")]
    pub guided: bool,
    /// Random or guided walks: the seed (the same seed gives the same walks).
    #[arg(long, value_name = "S", default_value_t = 1, requires = "walk_mode")]
    pub seed: u64,
    /// Random or guided walks: inputs per walk at most.
    #[arg(long, value_name = "N", default_value_t = 100, requires = "walk_mode")]
    pub steps: usize,
    /// Random walks: the number of walks; guided walks: the most to run (the deterministic
    /// budget).
    #[arg(long, value_name = "W", default_value_t = 100, requires = "walk_mode")]
    pub walks: usize,
    /// Guided walks: a time box. The run stops after the batch of walks in which it ran out and
    /// prints how many walks it ran, so that `--walks` with that number repeats it exactly.
    #[arg(long, value_name = "SECS", requires = "guided")]
    pub seconds: Option<u64>,
}

/// `raftcheck diff-impls`.
#[derive(Clone, Debug, Args)]
pub struct DiffArgs {
    /// The first implementation (as for check --impl): run in lockstep with its spec, which
    /// offers the inputs.
    pub first: String,
    /// The second implementation, driven through the same inputs and compared with the first.
    pub second: String,
    /// Inject a bug into the second implementation.
    #[arg(long, value_name = "NAME")]
    pub inject: Option<String>,
    /// Inject a bug into the first implementation.
    #[arg(long, value_name = "NAME")]
    pub inject_first: Option<String>,
    /// Run both with pre-vote on.
    #[arg(long)]
    pub pre_vote: bool,
    /// The bounds.
    #[command(flatten)]
    pub bounds: BoundArgs,
    /// Do not merge equal product states.
    #[arg(long)]
    pub no_merge: bool,
    /// Directory for the traces of a difference.
    #[arg(long, value_name = "DIR", default_value = "diffs")]
    pub out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// No progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Seconds an adapter process has to answer each request.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
}

/// `raftcheck replay`.
#[derive(Clone, Debug, Args)]
pub struct ReplayArgs {
    /// The trace file.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Seconds an adapter process has to answer each request.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Rewrite the trace with what happens now (its events, outcome and findings), e.g. to keep
    /// a fixed bug's trace as a regression test that expects agreement.
    #[arg(long)]
    pub update: bool,
    /// Also write the replay as an HTML page (see `raftcheck view`).
    #[arg(long, value_name = "FILE.html")]
    pub html: Option<PathBuf>,
}

/// `raftcheck view`.
#[derive(Clone, Debug, Args)]
pub struct ViewArgs {
    /// The trace file.
    #[arg(value_name = "TRACE")]
    pub trace: PathBuf,
    /// The HTML file to write [default: the trace's path with .html].
    #[arg(short = 'o', long = "output", value_name = "FILE.html")]
    pub output: Option<PathBuf>,
}

/// `raftcheck validate`.
#[derive(Clone, Debug, Args)]
pub struct ValidateArgs {
    /// The event logs: one per node, one merged, or several per node (one per incarnation).
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// The spec flavour the implementation follows [default: the logs' header's].
    #[arg(long, value_name = "NAME")]
    pub flavour: Option<String>,
    /// Validate with pre-vote on (or off: --pre-vote false) [default: the header's].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub pre_vote: Option<bool>,
    /// Keep at most this many spec hypotheses at once where the log leaves several open.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_frontier: usize,
    /// Insert at most this many unlogged spec inputs before an event nothing else explains
    /// (not with immediate logs, where nothing is unlogged).
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub unlogged: usize,
    /// Treat the logs as immediate (every consequence logged before the node's next trigger),
    /// or not: --immediate false [default: the header's].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub immediate: Option<bool>,
    /// The implementation's (shortest) election timeout, for the run summary's warnings
    /// [default: estimated from the log].
    #[arg(long, value_name = "MS")]
    pub election_timeout_ms: Option<u64>,
    /// Where to write the trace of a divergence.
    #[arg(long, value_name = "DIR", default_value = "traces")]
    pub out: PathBuf,
    /// Also write the spec behaviour that explains the logs, and where it ends, as an HTML
    /// page (see `raftcheck view`).
    #[arg(long, value_name = "FILE.html")]
    pub html: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// `raftcheck ci`.
#[derive(Clone, Debug, Args)]
pub struct CiArgs {
    /// The configuration [default: raftcheck.toml if it exists, else built-in defaults].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail when a recorded divergence no longer happens ("fixed?").
    #[arg(long)]
    pub fail_on_fixed: bool,
    /// No progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Where the HTML view of each item that is not ok goes [default: beside its trace].
    #[arg(long, value_name = "DIR")]
    pub html_dir: Option<PathBuf>,
}

/// `raftcheck serve`.
#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// The in-process implementation to serve.
    #[arg(long = "impl", value_name = "NAME", default_value = "raft-rs")]
    pub implementation: String,
    /// Leave this optional protocol feature out of the handshake (repeatable), so that
    /// raftcheck talks to the implementation without it, e.g. `--without step` for the plain
    /// requests of protocol version 1.
    #[arg(long = "without", value_name = "FEATURE")]
    pub without: Vec<String>,
}

/// `raftcheck explore`.
#[derive(Clone, Debug, Args)]
pub struct ExploreArgs {
    /// Spec flavour (raft-rs, etcd, etcd-3.6, textbook, hashicorp, pysyncobj).
    #[arg(long, value_name = "NAME", default_value = "raft-rs")]
    pub flavour: String,
    /// Address to serve on.
    #[arg(long, value_name = "HOST:PORT", default_value = "localhost:3000")]
    pub address: String,
    /// The bounds.
    #[command(flatten)]
    pub bounds: BoundArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn shards_parse_and_refuse_nonsense() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        for bad in ["4/4", "1", "a/b", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
