//! Choosing an implementation by name: `--impl raft-rs` (the default, in-process), `--impl etcd`
//! (etcd raft 3.4 through the Go adapter process; `etcd-3.4` names the same), `--impl etcd-3.6`
//! (etcd raft v3.6, `go.etcd.io/raft/v3`, through the same adapter built against it),
//! `--impl pysyncobj` (PySyncObj from PyPI through the Python adapter process) or
//! `--impl cmd:PROGRAM [ARGS...]` (any program speaking `impl_adapter/PROTOCOL.md`), with an
//! optional injected bug.
//!
//! `etcd` stays etcd 3.4, as it was before v3.6 was added, so traces and corpus entries that
//! name it keep replaying against what they were recorded on.

use std::time::Duration;

use raftcheck_adapter::etcd::{self, EtcdVersion};
use raftcheck_adapter::inject::Bug;
use raftcheck_adapter::process::{ProcessAdapter, ProcessConfig, DEFAULT_TIMEOUT};
use raftcheck_adapter::raft_rs::RaftRsAdapter;
use raftcheck_adapter::{pysyncobj, Adapter, AdapterError};

/// The named implementations `--impl` accepts (besides `cmd:...`).
pub const NAMES: [&str; 5] = ["raft-rs", "etcd", "etcd-3.4", "etcd-3.6", "pysyncobj"];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    RaftRs,
    Etcd(EtcdVersion),
    PySyncObj,
    Command { program: String, args: Vec<String> },
}

/// Which implementation to drive, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImplChoice {
    /// The name as given (`raft-rs`, `etcd`, `cmd:./my-adapter --flag`); recorded in traces.
    pub name: String,
    /// The bug injected into its integration code, if any.
    pub bug: Option<Bug>,
    /// The deadline for each answer of an adapter process.
    pub timeout: Duration,
    /// Pre-vote on in the implementation (and so in the flavour it is checked against).
    pub pre_vote: bool,
    /// Adapter processes that offer the `node_step` feature answer steps they have taken
    /// before from raftcheck's node memo (on unless `--no-node-memo`).
    pub node_memo: bool,
    kind: Kind,
}

impl ImplChoice {
    /// Validates a name and an optional bug name.
    pub fn new(name: &str, bug: Option<&str>) -> Result<Self, String> {
        let kind = match name {
            "raft-rs" => Kind::RaftRs,
            "etcd" | "etcd-3.4" => Kind::Etcd(EtcdVersion::V3_4),
            "etcd-3.6" => Kind::Etcd(EtcdVersion::V3_6),
            "pysyncobj" => Kind::PySyncObj,
            _ => match name.strip_prefix("cmd:") {
                Some(command) => {
                    let mut words = shell_words::split(command)
                        .map_err(|e| format!("cannot split the command '{command}': {e}"))?;
                    if words.is_empty() {
                        return Err("--impl cmd: needs a program, e.g. cmd:./my-adapter".into());
                    }
                    let program = words.remove(0);
                    Kind::Command {
                        program,
                        args: words,
                    }
                }
                None => {
                    return Err(format!(
                        "unknown implementation '{name}'; known: {}, or cmd:PROGRAM [ARGS...] \
                         for an adapter process",
                        NAMES.join(", ")
                    ))
                }
            },
        };
        let bug = bug.map(str::parse::<Bug>).transpose()?;
        Ok(ImplChoice {
            name: name.to_string(),
            bug,
            timeout: DEFAULT_TIMEOUT,
            node_memo: true,
            pre_vote: false,
            kind,
        })
    }

    /// Whether the implementation can run with pre-vote (PySyncObj has none), so that a check of
    /// both configurations covers only the one it has.
    pub fn has_pre_vote(&self) -> bool {
        !matches!(self.kind, Kind::PySyncObj)
    }

    /// Whether the implementation runs inside raftcheck (raft-rs) rather than behind the adapter
    /// protocol, where each event costs a round trip.
    pub fn in_process(&self) -> bool {
        matches!(self.kind, Kind::RaftRs)
    }

    /// The same choice with pre-vote on or off in the implementation.
    #[must_use]
    pub fn with_pre_vote(mut self, pre_vote: bool) -> Self {
        self.pre_vote = pre_vote;
        self
    }

    /// The same choice with another answer deadline for adapter processes.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same choice with the node memo on or off for adapter processes.
    #[must_use]
    pub fn with_node_memo(mut self, node_memo: bool) -> Self {
        self.node_memo = node_memo;
        self
    }

    /// Builds a fresh adapter for this choice.
    pub fn build(&self) -> Result<Box<dyn Adapter>, AdapterError> {
        let process =
            |program: String, args: Vec<String>| -> Result<Box<dyn Adapter>, AdapterError> {
                Ok(Box::new(ProcessAdapter::start(ProcessConfig {
                    program,
                    args,
                    timeout: self.timeout,
                    bug: self.bug,
                    pre_vote: self.pre_vote,
                    name: self.name.clone(),
                    node_memo: self.node_memo,
                })?))
            };
        match &self.kind {
            Kind::RaftRs => Ok(Box::new(
                RaftRsAdapter::with_bug(self.bug).with_pre_vote(self.pre_vote),
            )),
            Kind::Etcd(version) => {
                let binary = etcd::ensure_built_version(*version)?;
                process(binary.display().to_string(), Vec::new())
            }
            Kind::PySyncObj => {
                let (python, args) = pysyncobj::command()?;
                process(python, args)
            }
            Kind::Command { program, args } => process(program.clone(), args.clone()),
        }
    }

    /// A short label for file names and reports: `raft-rs`, `etcd-vote-not-persisted`,
    /// `cmd-my-adapter`.
    pub fn label(&self) -> String {
        let base = match &self.kind {
            Kind::RaftRs | Kind::Etcd(_) | Kind::PySyncObj => self.name.clone(),
            Kind::Command { program, .. } => {
                let file = std::path::Path::new(program)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let file: String = file
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                format!("cmd-{file}")
            }
        };
        let base = if self.pre_vote {
            format!("{base}-pre-vote")
        } else {
            base
        };
        match self.bug {
            Some(bug) => format!("{base}-{}", bug.name()),
            None => base,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_commands() {
        assert!(ImplChoice::new("raft-rs", None).is_ok());
        assert!(ImplChoice::new("etcd", Some("vote-not-persisted")).is_ok());
        let c = ImplChoice::new("cmd:./bin/my-adapter --fast 'two words'", None).unwrap();
        assert_eq!(
            c.kind,
            Kind::Command {
                program: "./bin/my-adapter".into(),
                args: vec!["--fast".into(), "two words".into()]
            }
        );
        assert_eq!(c.label(), "cmd-my-adapter");
        assert!(ImplChoice::new("cmd:", None).is_err());
        assert!(ImplChoice::new("cmd:'unclosed", None).is_err());
        let err = ImplChoice::new("paxos", None).unwrap_err();
        assert!(
            err.contains("raft-rs, etcd, etcd-3.4, etcd-3.6, pysyncobj"),
            "{err}"
        );
        assert_eq!(
            ImplChoice::new("etcd", None).unwrap().kind,
            ImplChoice::new("etcd-3.4", None).unwrap().kind
        );
        assert_eq!(
            ImplChoice::new("etcd-3.6", Some("vote-not-persisted"))
                .unwrap()
                .label(),
            "etcd-3.6-vote-not-persisted"
        );
        assert!(ImplChoice::new("raft-rs", Some("nope")).is_err());
    }
}
