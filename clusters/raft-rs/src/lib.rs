//! A real raft-rs cluster that writes raftcheck event logs: the control implementation for
//! `raftcheck validate`.
//!
//! One OS thread per node, each with its own `RawNode` (the `raft` crate 0.7) ticking on the
//! wall clock; a driver thread that is the network between them (channels, with partitions,
//! loss, delay and reordering), the clients (proposals of distinct numbers at random times) and
//! the fault schedule (crashes and restarts, slow disks). Everything the driver decides is drawn
//! from `--seed`; the threads' interleaving is the machine's. Each node writes `n<id>.ndjson`
//! (`impl_adapter/EVENTLOG.md`), flavour `raft-rs`, its messages and entries in exactly the
//! spec's form (raftcheck-adapter's `raft_rs::convert`).
//!
//! The injectable bugs ([`Bug`]) are in this crate's integration code — its disk and its
//! `Ready` loop — never in raft-rs.

pub mod disk;
mod driver;
pub mod node;
pub mod rng;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

pub use driver::run;

/// A bug in the integration code around raft-rs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bug {
    /// The vote never reaches the disk (term and commit index do): a restarted node has
    /// forgotten whom it voted for in its term and may vote again. The class of storage bugs
    /// where `HardState.vote` is not synced.
    VoteNotPersisted,
    /// Messages that must wait for persistence (votes, append acknowledgements) leave before
    /// the writes are synced, and the log is fsynced only every 100 ms: a crash loses entries
    /// (and hard state) the node already acknowledged.
    UnsyncedTailLost,
    /// A restarted node takes its whole durable log as committed (the integration code rebuilds
    /// the commit index as the last index instead of reading the one it persisted), so its
    /// application applies entries that may never be committed.
    RestartTrustsLog,
}

impl Bug {
    /// Every bug.
    pub const ALL: [Bug; 3] = [
        Bug::VoteNotPersisted,
        Bug::UnsyncedTailLost,
        Bug::RestartTrustsLog,
    ];

    /// The name `--inject` takes.
    pub fn name(self) -> &'static str {
        match self {
            Bug::VoteNotPersisted => "vote-not-persisted",
            Bug::UnsyncedTailLost => "unsynced-tail-lost",
            Bug::RestartTrustsLog => "restart-trusts-log",
        }
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Bug {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Bug::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
            format!("unknown bug {s:?}; the bugs are {}", names.join(", "))
        })
    }
}

/// A kind of fault the driver injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// Crash a node and restart it from its disk later: at once, or right after it grants a
    /// vote, or right after it acknowledges new entries.
    Crash,
    /// Cut the link between two nodes, or isolate a node, for a while.
    Partition,
    /// Drop a share of all messages for a while.
    Loss,
    /// Delay messages by random amounts for a while, so they overtake each other.
    Delay,
    /// Make one node's syncs slow for a while.
    SlowDisk,
}

impl Fault {
    /// Every fault kind.
    pub const ALL: [Fault; 5] = [
        Fault::Crash,
        Fault::Partition,
        Fault::Loss,
        Fault::Delay,
        Fault::SlowDisk,
    ];

    /// The name `--faults` takes.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Crash => "crash",
            Fault::Partition => "partition",
            Fault::Loss => "loss",
            Fault::Delay => "delay",
            Fault::SlowDisk => "slow-disk",
        }
    }

    /// Parses `--faults`: `all`, `none`, or a comma-separated list of names.
    pub fn parse_list(s: &str) -> Result<Vec<Fault>, String> {
        match s.trim() {
            "all" => return Ok(Fault::ALL.to_vec()),
            "none" | "" => return Ok(Vec::new()),
            _ => {}
        }
        let mut out = Vec::new();
        for name in s.split(',').map(str::trim) {
            let fault = Fault::ALL
                .into_iter()
                .find(|f| f.name() == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                    format!(
                        "unknown fault {name:?}; the faults are all, none or a list of {}",
                        names.join(", ")
                    )
                })?;
            if !out.contains(&fault) {
                out.push(fault);
            }
        }
        out.sort();
        Ok(out)
    }
}

/// One run of the cluster.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// Number of nodes (ids `1..=nodes`), all voters.
    pub nodes: u64,
    /// How long the run lasts.
    pub duration: Duration,
    /// Seeds the fault schedule and the clients.
    pub seed: u64,
    /// Where the event logs go (`n<id>.ndjson`).
    pub out: PathBuf,
    /// The faults the driver injects.
    pub faults: Vec<Fault>,
    /// The bug in the integration code, if any.
    pub bug: Option<Bug>,
    /// raft-rs's `Config::pre_vote`.
    pub pre_vote: bool,
    /// The tick interval.
    pub tick: Duration,
    /// Mean time between faults.
    pub fault_every: Duration,
    /// Mean time between client proposals.
    pub propose_every: Duration,
    /// How long a crashed node stays down: a time drawn from this range.
    pub down: (Duration, Duration),
}

impl ClusterConfig {
    /// A stock 3-node run of `seconds` with `seed`, writing to `out`, every fault on.
    pub fn new(seconds: f64, seed: u64, out: PathBuf) -> Self {
        ClusterConfig {
            nodes: 3,
            duration: Duration::from_secs_f64(seconds),
            seed,
            out,
            faults: Fault::ALL.to_vec(),
            bug: None,
            pre_vote: false,
            tick: Duration::from_millis(10),
            fault_every: Duration::from_millis(400),
            propose_every: Duration::from_millis(40),
            down: (Duration::from_millis(100), Duration::from_millis(800)),
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Events logged, all nodes.
    pub events: u64,
    /// Bytes of event log, all nodes.
    pub bytes: u64,
    /// Values proposed to a running node.
    pub proposals: u64,
    /// Highest applied index over the nodes at the end.
    pub applied: u64,
    /// Crashes by the schedule, and restarts.
    pub crashes: u64,
    /// Restarts.
    pub restarts: u64,
    /// Nodes that stopped by themselves (raft-rs panics), with the reason.
    pub downs: Vec<(u64, String)>,
    /// Partitions, loss windows, delay windows, slow-disk windows started.
    pub windows: u64,
    /// Messages routed, dropped.
    pub messages: u64,
    /// Messages dropped by partitions, loss or a stopped receiver.
    pub dropped: u64,
    /// Messages that had no spec form (should be 0).
    pub unmodelled: u64,
    /// Two nodes applied different values at the same index (a safety violation seen directly).
    pub disagreement: Option<String>,
    /// The log files written.
    pub files: Vec<PathBuf>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        writeln!(
            f,
            "{:.1}s: {} events ({:.0}/s), {} bytes ({:.1} MB/min), {} proposals, applied up to {}",
            secs,
            self.events,
            self.events as f64 / secs,
            self.bytes,
            self.bytes as f64 / secs * 60.0 / 1e6,
            self.proposals,
            self.applied
        )?;
        writeln!(
            f,
            "faults: {} crashes, {} restarts, {} windows; {} messages, {} dropped",
            self.crashes, self.restarts, self.windows, self.messages, self.dropped
        )?;
        for (id, why) in &self.downs {
            writeln!(f, "n{id} stopped by itself: {why}")?;
        }
        if self.unmodelled > 0 {
            writeln!(f, "{} messages had no spec form", self.unmodelled)?;
        }
        match &self.disagreement {
            Some(d) => write!(f, "state machines DISAGREE: {d}"),
            None => write!(f, "state machines agree"),
        }
    }
}
