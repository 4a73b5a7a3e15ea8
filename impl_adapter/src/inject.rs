//! The catalogue of injectable bugs: realistic mistakes a Raft *integration* makes at the
//! storage and message boundary (the code around the library that persists its state and moves
//! its messages), each mirroring a class of bug seen in real systems.
//!
//! Every adapter that supports fault injection implements the same catalogue, so a bug class can
//! be checked against each implementation family: in raft-rs's adapter as wrappers around its
//! storage and transport seams (`raft_rs/bugs.rs`), in etcd's likewise (`etcd/bugs.go`).
//! `raftcheck check --inject NAME` turns one on; `raftcheck check --inject list` prints the
//! names.

use std::fmt;
use std::str::FromStr;

use raftcheck_spec::Bounds;

/// One injectable bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bug {
    /// The storage writes `HardState` without the vote.
    VoteNotPersisted,
    /// The storage writes `HardState` without the term.
    TermNotPersisted,
    /// Log entries are fsynced only when `HardState` changes; a crash loses the rest.
    UnsyncedTailLost,
    /// Messages that must wait for persistence go out before the write is durable.
    AckBeforePersist,
    /// Incoming messages from an older term are processed as if from the current term.
    StaleTermAsCurrent,
    /// Responses are routed to the wrong peer.
    ReplyToWrongPeer,
    /// Overwriting a conflicting log suffix leaves the old entries beyond the new ones.
    ConflictNotTruncated,
    /// A configuration change is applied when its entry is appended, not when it is committed.
    ConfChangeOnAppend,
    /// The configuration a node switches to is not persisted; a restart goes back to the old one.
    ConfStateNotPersisted,
    /// Compaction snapshots and discards the whole log, applied or not.
    CompactPastApplied,
    /// Installing a snapshot moves the log's base but keeps the stored entries after it.
    SnapshotKeepsLog,
    /// Installing a snapshot does not load its data into the state machine.
    SnapshotDataIgnored,
    /// Rejected append responses never reach the leader: it never backs off and probes again.
    NoProbeBackoff,
    /// Heartbeat responses never reach the leader: a heartbeat round repairs no follower.
    NoHeartbeatRepair,
}

impl Bug {
    /// Every bug in the catalogue, in the order `--inject list` prints them.
    pub const ALL: [Bug; 14] = [
        Bug::VoteNotPersisted,
        Bug::TermNotPersisted,
        Bug::UnsyncedTailLost,
        Bug::AckBeforePersist,
        Bug::StaleTermAsCurrent,
        Bug::ReplyToWrongPeer,
        Bug::ConflictNotTruncated,
        Bug::ConfChangeOnAppend,
        Bug::ConfStateNotPersisted,
        Bug::CompactPastApplied,
        Bug::SnapshotKeepsLog,
        Bug::SnapshotDataIgnored,
        Bug::NoProbeBackoff,
        Bug::NoHeartbeatRepair,
    ];

    /// Small bounds within which raftcheck finds this bug quickly, on raft-rs and on etcd: the
    /// default bounds for the bugs of elections, replication and restarts; configuration
    /// changes (one, with a spare) or one compaction, with fewer of the other inputs, for the
    /// membership and snapshot bugs; and the fewest inputs that reach a leader owing a send for
    /// the two silent ones. Tests, the corpus and `--inject list` use them.
    pub fn bounds(self) -> Bounds {
        let quiet = Bounds {
            max_term: 1,
            heartbeats: 0,
            restarts: 0,
            ..Bounds::default()
        };
        match self {
            Bug::ConfChangeOnAppend => Bounds {
                conf_changes: 1,
                spares: 1,
                values: 0,
                ..quiet
            },
            Bug::ConfStateNotPersisted => Bounds {
                conf_changes: 1,
                spares: 1,
                values: 0,
                restarts: 1,
                ..quiet
            },
            Bug::CompactPastApplied | Bug::SnapshotKeepsLog | Bug::SnapshotDataIgnored => Bounds {
                snapshots: 1,
                ..quiet
            },
            // A follower behind a leader of the second term, which rejects its first probe.
            Bug::NoProbeBackoff => Bounds {
                max_term: 2,
                values: 0,
                ..quiet
            },
            // One heartbeat round while the leader's first append is unanswered.
            Bug::NoHeartbeatRepair => Bounds {
                heartbeats: 1,
                values: 0,
                ..quiet
            },
            _ => Bounds::default(),
        }
    }

    /// The name used on the command line and in trace files.
    pub fn name(self) -> &'static str {
        match self {
            Bug::VoteNotPersisted => "vote-not-persisted",
            Bug::TermNotPersisted => "term-not-persisted",
            Bug::UnsyncedTailLost => "unsynced-tail-lost",
            Bug::AckBeforePersist => "ack-before-persist",
            Bug::StaleTermAsCurrent => "stale-term-as-current",
            Bug::ReplyToWrongPeer => "reply-to-wrong-peer",
            Bug::ConflictNotTruncated => "conflict-not-truncated",
            Bug::ConfChangeOnAppend => "conf-change-on-append",
            Bug::ConfStateNotPersisted => "conf-state-not-persisted",
            Bug::CompactPastApplied => "compact-past-applied",
            Bug::SnapshotKeepsLog => "snapshot-keeps-log",
            Bug::SnapshotDataIgnored => "snapshot-data-ignored",
            Bug::NoProbeBackoff => "no-probe-backoff",
            Bug::NoHeartbeatRepair => "no-heartbeat-repair",
        }
    }

    /// What the injected code does wrong.
    pub fn summary(self) -> &'static str {
        match self {
            Bug::VoteNotPersisted => {
                "HardState is persisted without the vote; after a restart the node has not voted \
                 in its current term and may vote again"
            }
            Bug::TermNotPersisted => {
                "HardState is persisted without the term; after a restart the node is back at \
                 term 0"
            }
            Bug::UnsyncedTailLost => {
                "log entries are synced to disk only when HardState changes; a restart loses the \
                 entries appended since"
            }
            Bug::AckBeforePersist => {
                "messages that must wait for persistence (acks, votes) are sent before the write \
                 is durable; the write completes at the node's next event, and a restart before \
                 that loses it"
            }
            Bug::StaleTermAsCurrent => {
                "a message from an older term is stamped with the receiver's term and processed \
                 as current"
            }
            Bug::ReplyToWrongPeer => {
                "responses (vote, append and heartbeat responses) are addressed to the next peer \
                 instead of the sender of the request"
            }
            Bug::ConflictNotTruncated => {
                "the storage overwrites a conflicting log suffix entry by entry but does not \
                 delete the old entries beyond the new ones"
            }
            Bug::ConfChangeOnAppend => {
                "the application calls apply_conf_change / ApplyConfChange for a configuration \
                 entry as soon as it is appended to the log, not when it is committed and applied"
            }
            Bug::ConfStateNotPersisted => {
                "the ConfState returned by apply_conf_change / ApplyConfChange is not written to \
                 storage; a restart rebuilds the node in the configuration it started with"
            }
            Bug::CompactPastApplied => {
                "compaction takes its snapshot at the last log index instead of the applied \
                 index, so the snapshot holds entries that are not applied (or committed)"
            }
            Bug::SnapshotKeepsLog => {
                "installing a snapshot moves the log's base (first index) to the snapshot but \
                 keeps the stored entries, which an offset-indexed store now holds at the \
                 indexes after the snapshot, instead of discarding the whole log"
            }
            Bug::SnapshotDataIgnored => {
                "installing a snapshot updates the log and the configuration but never loads the \
                 snapshot's data into the state machine"
            }
            Bug::NoProbeBackoff => {
                "the transport discards rejected append responses instead of stepping them, so a \
                 leader never lowers its next index for the follower nor probes it again"
            }
            Bug::NoHeartbeatRepair => {
                "the transport absorbs heartbeat responses instead of stepping them, so a \
                 heartbeat round never resumes a paused follower nor resends what it lacks"
            }
        }
    }

    /// The real-world bug class it mirrors.
    pub fn mirrors(self) -> &'static str {
        match self {
            Bug::VoteNotPersisted => {
                "votedFor kept only in memory or left out of the persisted record: the double-vote \
                 bugs Jepsen and the Raft paper's persistence rules (Figure 2) warn about"
            }
            Bug::TermNotPersisted => {
                "currentTerm not written with the vote, so a restarted node regresses its term and \
                 accepts a deposed leader"
            }
            Bug::UnsyncedTailLost => {
                "ignoring Ready::must_sync / fsync only on metadata changes, the lost-acknowledged-\
                 write class studied in 'Protocol-Aware Recovery for Consensus-Based Storage' \
                 (FAST'18)"
            }
            Bug::AckBeforePersist => {
                "sending Ready::persisted_messages (or etcd's MsgAppResp) before the WAL write is \
                 fsynced, a classic pitfall of asynchronous-I/O Raft integrations"
            }
            Bug::StaleTermAsCurrent => {
                "a transport or message handler that drops the term check, letting delayed votes \
                 or appends from an old term act in a new one"
            }
            Bug::ReplyToWrongPeer => {
                "peer address-book or connection mix-ups in the transport, e.g. after a node is \
                 replaced or ids are remapped"
            }
            Bug::ConflictNotTruncated => {
                "custom log stores (key-value or segment files) that write entries by index but \
                 forget to delete the tail on overwrite, reviving entries a new leader removed"
            }
            Bug::ConfChangeOnAppend => {
                "membership taking effect on append (as Raft thesis §4.1 allows only with matching \
                 rules) in an application written against the apply-on-commit contract of \
                 raft-rs and etcd, so an uncommitted, later overwritten change is in force"
            }
            Bug::ConfStateNotPersisted => {
                "conf state kept only in memory or not saved with the snapshot, the class of etcd \
                 and TiKV bugs where a restarted member comes back with a stale peer list"
            }
            Bug::CompactPastApplied => {
                "compacting the log past the applied index (etcd raft: 'compact index > applied'), \
                 which snapshots state the state machine never had"
            }
            Bug::SnapshotKeepsLog => {
                "storage whose ApplySnapshot rewrites the base entry (etcd MemoryStorage's \
                 ents[0]) but forgets to truncate the rest, so stale entries survive the \
                 snapshot and conflict with the leader's log"
            }
            Bug::SnapshotDataIgnored => {
                "restoring raft's view from a snapshot's metadata but not the application's data \
                 from its payload: a follower caught up by snapshot misses every value in it"
            }
            Bug::NoProbeBackoff => {
                "a leader that ignores a rejection — treats it as a failed RPC, or never \
                 decrements the follower's next index — and leaves the follower unrepaired: the \
                 stalled-follower class that Raft's §5.3 retry rule (and raft-rs's and etcd's \
                 maybe_decr_to + send_append) exists to prevent"
            }
            Bug::NoHeartbeatRepair => {
                "heartbeats handled outside raft (coalesced or liveness-only heartbeats, as in \
                 CockroachDB's and TiKV's transports) whose responses are not stepped into the \
                 leader, so a follower whose append was lost waits forever"
            }
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

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bug::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
            format!(
                "unknown bug '{s}'; known bugs: {} (or 'list')",
                names.join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for bug in Bug::ALL {
            assert_eq!(bug.name().parse::<Bug>(), Ok(bug));
            assert!(!bug.summary().is_empty() && !bug.mirrors().is_empty());
        }
        let names: std::collections::BTreeSet<_> = Bug::ALL.iter().map(|b| b.name()).collect();
        assert_eq!(
            names.len(),
            Bug::ALL.len(),
            "a name is used twice: {names:?}"
        );
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = "no-such-bug".parse::<Bug>().unwrap_err();
        assert!(err.contains("vote-not-persisted"), "{err}");
    }
}
