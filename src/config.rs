//! `raftcheck.toml`: what a project checks in CI, so the CI line stays `raftcheck ci`.
//!
//! ```toml
//! # Trace corpus replayed first (each trace against the adapter and outcome it records).
//! traces = "traces"
//! # Where new divergences are written (default: the corpus directory).
//! out = "traces"
//! # Seconds an adapter process has to answer each request.
//! timeout = 10
//! # Worker threads (default: one per core).
//! threads = 2
//!
//! # Bounds for every check below (defaults: those of `raftcheck check`).
//! [bounds]
//! depth = 12
//! max_term = 3
//!
//! # One table per check.
//! [[check]]
//! impl = "raft-rs"
//!
//! [[check]]
//! impl = "etcd"
//! bounds = { depth = 10 }          # overrides for this check only
//!
//! [[check]]
//! impl = "raft-rs"
//! pre_vote = true                  # pre-vote on only (false: off only; default "both")
//! bounds = { depth = 14 }
//!
//! [[check]]
//! name = "raft-rs deep walks"
//! impl = "raft-rs"
//! random = { seed = 7, steps = 300, walks = 200 }
//! ```
//!
//! Relative paths are relative to the directory holding the file. Like `raftcheck check`, a
//! check covers pre-vote off and on unless `pre_vote` says which, and each configuration is its
//! own item. Without a file, `raftcheck ci` replays `traces/` and checks raft-rs at the default
//! bounds and with membership changes and snapshots (`--conf-changes 1 --snapshots 1
//! --max-term 2 --restarts 0 --heartbeats 0`), etcd raft v3.6 at depth 10, and PySyncObj
//! at the default bounds to depth 8 (`--depth 8`, about 15 s on two cores),
//! each with pre-vote off and on where the implementation has it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use std::time::Duration;

use crate::cli::{BoundArgs, PreVote, Shard};
use crate::engine::spec_only::Strategy;
use crate::plan::{Origin, Request, WalkRequest};

/// The file `raftcheck ci` reads when `--config` is not given, if it exists.
pub const DEFAULT_FILE: &str = "raftcheck.toml";

/// A whole configuration.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CiConfig {
    /// The trace corpus directory.
    #[serde(default = "default_traces")]
    pub traces: PathBuf,
    /// Where new traces go (default: `traces`).
    #[serde(default)]
    pub out: Option<PathBuf>,
    /// Seconds an adapter process has to answer each request.
    #[serde(default = "default_timeout")]
    pub timeout: f64,
    /// Worker threads.
    #[serde(default)]
    pub threads: Option<usize>,
    /// Bounds for every check.
    #[serde(default)]
    pub bounds: BoundArgs,
    /// The checks, in order.
    #[serde(default = "default_checks", rename = "check")]
    pub checks: Vec<CheckConfig>,
}

/// One configured check: the same options as `raftcheck check`'s flags.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    /// A name for reports (default: derived from the implementation and mode).
    #[serde(default)]
    pub name: Option<String>,
    /// The implementation, as for `--impl` (not needed with `spec_only`).
    #[serde(rename = "impl", default = "default_impl")]
    pub implementation: String,
    /// Check the spec alone, as for `--spec-only`.
    #[serde(default)]
    pub spec_only: bool,
    /// The spec flavour of a spec-only check, as for `--flavour`.
    #[serde(default)]
    pub flavour: Option<String>,
    /// Collect distinct divergences, as for `--keep-going`.
    #[serde(default)]
    pub keep_going: bool,
    /// Explore one part of the state space, as for `--shard I/N` (`shard = "0/4"`).
    #[serde(default)]
    pub shard: Option<Shard>,
    /// A bug to inject, as for `--inject` (useful to prove the gate catches bugs).
    #[serde(default)]
    pub inject: Option<String>,
    /// Which pre-vote configurations to cover, as for `--pre-vote`: `true` or `"on"`, `false` or
    /// `"off"`, `"both"` (the default).
    #[serde(default, deserialize_with = "pre_vote_setting")]
    pub pre_vote: PreVote,
    /// Bounds overriding the shared ones.
    #[serde(default)]
    pub bounds: BoundArgs,
    /// Random walks instead of the exhaustive check.
    #[serde(default)]
    pub random: Option<RandomConfig>,
    /// Walks guided by the spec's coverage instead of the exhaustive check (`--guided`; no time
    /// box here, so that a gate's verdict repeats).
    #[serde(default)]
    pub guided: Option<RandomConfig>,
}

/// Random-walk settings of a check.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomConfig {
    /// The seed.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Inputs per walk at most.
    #[serde(default = "default_steps")]
    pub steps: usize,
    /// Number of walks.
    #[serde(default = "default_walks")]
    pub walks: usize,
}

/// `pre_vote = true | false | "on" | "off" | "both"`.
fn pre_vote_setting<'de, D: Deserializer<'de>>(deserializer: D) -> Result<PreVote, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Setting {
        Flag(bool),
        Word(String),
    }
    match Setting::deserialize(deserializer)? {
        Setting::Flag(on) => Ok(PreVote::only(on)),
        Setting::Word(word) => match word.as_str() {
            "on" => Ok(PreVote::On),
            "off" => Ok(PreVote::Off),
            "both" => Ok(PreVote::Both),
            _ => Err(serde::de::Error::custom(format!(
                "pre_vote: expected true, false, \"on\", \"off\" or \"both\", found \"{word}\""
            ))),
        },
    }
}

fn default_impl() -> String {
    "raft-rs".into()
}

fn default_traces() -> PathBuf {
    PathBuf::from("traces")
}

fn default_timeout() -> f64 {
    10.0
}

fn default_seed() -> u64 {
    1
}

fn default_steps() -> usize {
    100
}

fn default_walks() -> usize {
    100
}

/// The built-in checks: raft-rs at the default bounds, and raft-rs with one configuration
/// change (and a spare to add) and one compaction, with two terms and no restarts or
/// heartbeats: within depth 12 a change commits, a value commits in the new configuration, a
/// removed leader steps down and an added node catches up by snapshot; raft-rs in 3,000 random
/// walks of up to 100 inputs (seed 1) with compaction, two values, eight terms, three restarts
/// and no heartbeats, which reach what the exhaustive checks cannot — a leader that compacts
/// while a follower lags, sends it a snapshot and hears it acknowledged with an entry still to
/// send (16 inputs at the fewest), a few seconds on two cores; etcd raft v3.6 at the default
/// bounds (497,550 product states with pre-vote off, about 10 s on two cores with the node
/// memo), which needs Go and the module of `impl_adapter/etcd/go.mod`. Then PySyncObj, through
/// its Python adapter, at the default bounds (612,421 product states, about 11 s). Each covers
/// pre-vote off and on where the implementation has it.
fn default_checks() -> Vec<CheckConfig> {
    let check = |name: Option<&str>, bounds| CheckConfig {
        name: name.map(str::to_string),
        implementation: default_impl(),
        spec_only: false,
        flavour: None,
        keep_going: false,
        shard: None,
        inject: None,
        pre_vote: PreVote::Both,
        bounds,
        random: None,
        guided: None,
    };
    vec![
        check(None, BoundArgs::default()),
        check(
            Some("raft-rs membership and snapshots"),
            BoundArgs {
                conf_changes: Some(1),
                snapshots: Some(1),
                max_term: Some(2),
                restarts: Some(0),
                heartbeats: Some(0),
                ..BoundArgs::default()
            },
        ),
        CheckConfig {
            random: Some(RandomConfig {
                seed: 1,
                steps: 100,
                walks: 3000,
            }),
            ..check(
                Some("raft-rs snapshots, random walks"),
                BoundArgs {
                    snapshots: Some(1),
                    values: Some(2),
                    max_term: Some(8),
                    restarts: Some(3),
                    heartbeats: Some(0),
                    depth: Some(40),
                    ..BoundArgs::default()
                },
            )
        },
        CheckConfig {
            implementation: "etcd-3.6".into(),
            ..check(None, BoundArgs::default())
        },
        CheckConfig {
            implementation: "pysyncobj".into(),
            ..check(None, BoundArgs::default())
        },
    ]
}

impl Default for CiConfig {
    fn default() -> Self {
        CiConfig {
            traces: default_traces(),
            out: None,
            timeout: default_timeout(),
            threads: None,
            bounds: BoundArgs::default(),
            checks: default_checks(),
        }
    }
}

impl CheckConfig {
    /// The check as a request, with the configuration's shared settings (`file`: where the
    /// configuration came from, for error messages). `progress`: how often to print progress.
    pub fn request(
        &self,
        config: &CiConfig,
        file: Option<&Path>,
        progress: Option<Duration>,
    ) -> Request {
        Request {
            origin: Origin::Config(file.map_or_else(
                || PathBuf::from("built-in configuration"),
                Path::to_path_buf,
            )),
            name: self.name.clone(),
            implementation: self.implementation.clone(),
            inject: self.inject.clone(),
            pre_vote: self.pre_vote,
            spec_only: self.spec_only,
            flavour: self.flavour.clone(),
            strategy: Strategy::Bfs,
            symmetry: false,
            walks: self
                .random
                .as_ref()
                .map(|r| (false, r))
                .or(self.guided.as_ref().map(|r| (true, r)))
                .map(|(guided, r)| WalkRequest {
                    guided,
                    seed: r.seed,
                    steps: r.steps,
                    walks: r.walks,
                    seconds: None,
                }),
            bounds: config.bounds.overridden_by(&self.bounds),
            keep_going: self.keep_going,
            no_merge: false,
            no_node_memo: false,
            shard: self.shard.map(|s| (s.index, s.count)),
            threads: config.threads,
            timeout: config.timeout,
            out: config.out_dir().to_path_buf(),
            progress,
        }
    }

    /// The number of items the check makes in reports: one per pre-vote configuration.
    pub fn items(&self) -> usize {
        self.request(&CiConfig::default(), None, None)
            .plans()
            .map_or(1, |plans| plans.len())
    }

    /// The check's name in reports: its `name`, or one derived from the implementation and
    /// mode by the plan (for a check of both pre-vote configurations, the name of the first).
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        match self.request(&CiConfig::default(), None, None).plan() {
            Ok(plan) => plan.name,
            Err(_) => self.implementation.clone(),
        }
    }
}

impl CiConfig {
    /// Parses a configuration; relative paths are taken relative to `base` (empty: the current
    /// directory).
    pub fn parse(text: &str, file: &Path, base: &Path) -> Result<CiConfig, String> {
        let mut config: CiConfig =
            toml::from_str(text).map_err(|e| format!("{}: {e}", file.display()))?;
        if !(config.timeout > 0.0 && config.timeout.is_finite()) {
            return Err(format!(
                "{}: timeout must be a positive number of seconds",
                file.display()
            ));
        }
        if config.threads == Some(0) {
            return Err(format!("{}: threads must be at least 1", file.display()));
        }
        if let Some(check) = config
            .checks
            .iter()
            .find(|c| c.random.is_some() && c.guided.is_some())
        {
            return Err(format!(
                "{}: check \"{}\": random and guided are two ways to walk; give one",
                file.display(),
                check.display_name()
            ));
        }
        for path in [Some(&mut config.traces), config.out.as_mut()]
            .into_iter()
            .flatten()
        {
            if path.is_relative() && !base.as_os_str().is_empty() {
                *path = base.join(&*path);
            }
        }
        Ok(config)
    }

    /// Loads `file`, or `raftcheck.toml` in the current directory if it exists, or the defaults.
    /// Returns the configuration and the file it came from.
    pub fn load(file: Option<&Path>) -> Result<(CiConfig, Option<PathBuf>), String> {
        let path = match file {
            Some(f) => f.to_path_buf(),
            None => {
                let default = PathBuf::from(DEFAULT_FILE);
                if !default.exists() {
                    return Ok((CiConfig::default(), None));
                }
                default
            }
        };
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let config = Self::parse(&text, &path, &base)?;
        Ok((config, Some(path)))
    }

    /// Where new traces go.
    pub fn out_dir(&self) -> &Path {
        self.out.as_deref().unwrap_or(&self.traces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<CiConfig, String> {
        CiConfig::parse(text, Path::new("raftcheck.toml"), Path::new("/project"))
    }

    #[test]
    fn the_documented_example_parses() {
        let text = r#"
            traces = "traces"
            timeout = 5
            [bounds]
            depth = 10
            [[check]]
            impl = "raft-rs"
            [[check]]
            impl = "etcd"
            bounds = { depth = 8 }
            [[check]]
            impl = "raft-rs"
            random = { seed = 7, steps = 300 }
            [[check]]
            impl = "etcd"
            pre_vote = true
        "#;
        let mut c = parse(text).unwrap();
        assert_eq!(c.checks[0].pre_vote, PreVote::Both);
        assert_eq!(c.checks[3].pre_vote, PreVote::On);
        assert_eq!(c.checks[3].display_name(), "etcd pre-vote exhaustive");
        assert_eq!((c.checks[0].items(), c.checks[3].items()), (2, 1));
        c.checks.truncate(3);
        assert_eq!(c.traces, PathBuf::from("/project/traces"));
        assert_eq!(c.out_dir(), Path::new("/project/traces"));
        assert_eq!(c.checks.len(), 3);
        assert_eq!(c.bounds.depth, Some(10));
        assert_eq!(c.checks[1].bounds.depth, Some(8));
        assert_eq!(
            c.checks[2].random,
            Some(RandomConfig {
                seed: 7,
                steps: 300,
                walks: 100
            })
        );
        let merged = c.bounds.overridden_by(&c.checks[1].bounds);
        assert_eq!(merged.depth, Some(8));
        assert_eq!(
            c.checks[2].display_name(),
            "raft-rs random (seed 7, 100 walks of 300)"
        );
    }

    #[test]
    fn checks_take_every_option_of_check() {
        let c = parse(
            r#"
            [[check]]
            spec_only = true
            flavour = "etcd"
            bounds = { depth = 6 }
            [[check]]
            impl = "raft-rs"
            keep_going = true
            shard = "1/3"
        "#,
        )
        .unwrap();
        let file = Path::new("raftcheck.toml");
        let spec = c.checks[0].request(&c, Some(file), None).plan().unwrap();
        assert_eq!(spec.name, "spec (etcd) spec-only");
        assert_eq!(spec.bounds.depth, 6);
        assert_eq!(
            spec.threads,
            crate::plan::default_threads(),
            "the spec alone, breadth first, runs on every core unless asked"
        );
        let sharded = c.checks[1].request(&c, Some(file), None).plan().unwrap();
        assert_eq!(
            sharded.exploration,
            crate::plan::Exploration::Exhaustive {
                merge: true,
                keep_going: true,
                shard: Some((1, 3)),
                symmetry: false,
            }
        );
        let err = parse("[[check]]\nshard = \"3/3\"\n").unwrap_err();
        assert!(err.contains("expected I/N"), "{err}");
    }

    #[test]
    fn a_check_may_walk_guided_but_not_both_ways() {
        let c = parse("[[check]]\nguided = { seed = 3, walks = 64 }\n").unwrap();
        let plan = c.checks[0]
            .request(&c, Some(Path::new("raftcheck.toml")), None)
            .plan()
            .unwrap();
        assert_eq!(
            plan.exploration,
            crate::plan::Exploration::Guided {
                seed: 3,
                steps: 100,
                walks: 64,
                seconds: None
            }
        );
        let err = parse("[[check]]\nrandom = {}\nguided = {}\n").unwrap_err();
        assert!(err.contains("give one"), "{err}");
    }

    #[test]
    fn a_bad_bound_names_the_file_and_the_key() {
        let c = parse("[bounds]\nnodes = 0\n").unwrap();
        let err = c.checks[0]
            .request(&c, Some(Path::new("raftcheck.toml")), None)
            .plan()
            .unwrap_err()
            .0;
        assert!(
            err.starts_with("raftcheck.toml: check \"raft-rs\": bounds: nodes must be"),
            "{err}"
        );
    }

    #[test]
    fn defaults_without_a_file() {
        let c = parse("").unwrap();
        assert_eq!(c.checks.len(), 5);
        assert_eq!(c.checks.iter().map(CheckConfig::items).sum::<usize>(), 9);
        assert!(c.checks[..3].iter().all(|c| c.implementation == "raft-rs"));
        let walks = &c.checks[2];
        assert_eq!(walks.display_name(), "raft-rs snapshots, random walks");
        assert_eq!(
            (
                walks.random.as_ref().map(|r| r.walks),
                walks.bounds.snapshots
            ),
            (Some(3000), Some(1))
        );
        let etcd = &c.checks[3];
        assert_eq!(
            (etcd.implementation.as_str(), etcd.bounds.depth),
            ("etcd-3.6", None),
            "etcd v3.6 at the default bounds"
        );
        assert_eq!(etcd.display_name(), "etcd-3.6 exhaustive");
        assert_eq!(c.checks[4].implementation, "pysyncobj");
        let membership = &c.checks[1];
        assert_eq!(
            membership.display_name(),
            "raft-rs membership and snapshots"
        );
        assert_eq!(
            (membership.bounds.conf_changes, membership.bounds.snapshots),
            (Some(1), Some(1))
        );
        assert_eq!(c.timeout, 10.0);
    }

    #[test]
    fn a_check_covers_both_pre_vote_configurations_unless_told() {
        let c = parse("[[check]]\nname = \"deep\"\n[[check]]\npre_vote = \"off\"\n").unwrap();
        let file = Some(Path::new("raftcheck.toml"));
        let names = |k: usize| -> Vec<(String, bool)> {
            c.checks[k]
                .request(&c, file, None)
                .plans()
                .unwrap()
                .into_iter()
                .map(|p| (p.name.clone(), p.pre_vote()))
                .collect()
        };
        assert_eq!(
            names(0),
            [
                ("deep".to_string(), false),
                ("deep pre-vote".to_string(), true)
            ]
        );
        assert_eq!(names(1), [("raft-rs exhaustive".to_string(), false)]);
        let err = parse("[[check]]\npre_vote = \"sideways\"\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("\"both\""), "{err}");
    }

    #[test]
    fn mistakes_name_the_line() {
        let err = parse("[bounds]\ndepht = 3\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("depht"), "{err}");
        let err = parse("[[check]]\nimpl = 3\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        let err = parse("timeout = -1\n").unwrap_err();
        assert!(err.contains("positive"), "{err}");
    }
}
