//! Choosing an implementation by name: `--impl raft-rs` (the default, in-process), `--impl etcd`
//! (etcd raft 3.4 through the Go adapter process), `--impl pysyncobj` (PySyncObj from PyPI
//! through the Python adapter process) or `--impl cmd:PROGRAM [ARGS...]` (any program
//! speaking `impl_adapter/PROTOCOL.md`), with an optional injected bug.

use std::time::Duration;

use raftcheck_adapter::inject::Bug;
use raftcheck_adapter::process::{ProcessAdapter, ProcessConfig, DEFAULT_TIMEOUT};
use raftcheck_adapter::raft_rs::RaftRsAdapter;
use raftcheck_adapter::{etcd, pysyncobj, Adapter, AdapterError};

/// The named implementations `--impl` accepts (besides `cmd:...`).
pub const NAMES: [&str; 3] = ["raft-rs", "etcd", "pysyncobj"];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    RaftRs,
    Etcd,
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
    kind: Kind,
}

impl ImplChoice {
    /// Validates a name and an optional bug name.
    pub fn new(name: &str, bug: Option<&str>) -> Result<Self, String> {
        let kind = match name {
            "raft-rs" => Kind::RaftRs,
            "etcd" => Kind::Etcd,
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
            pre_vote: false,
            kind,
        })
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
                })?))
            };
        match &self.kind {
            Kind::RaftRs => Ok(Box::new(
                RaftRsAdapter::with_bug(self.bug).with_pre_vote(self.pre_vote),
            )),
            Kind::Etcd => {
                let binary = etcd::ensure_built()?;
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
            Kind::RaftRs | Kind::Etcd | Kind::PySyncObj => self.name.clone(),
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
        assert!(err.contains("raft-rs, etcd, pysyncobj"), "{err}");
        assert!(ImplChoice::new("raft-rs", Some("nope")).is_err());
    }
}
