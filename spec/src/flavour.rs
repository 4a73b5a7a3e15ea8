//! Flavours: the choices real Raft families make where the Raft paper leaves room, so the spec
//! says what a given implementation family really does.
//!
//! A flavour is chosen per adapter (each adapter declares the flavour it conforms to), never per
//! trace by hand. Every option names the paper section or implementation behaviour it follows.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a follower puts in a rejected `AppendEntriesResponse` to help the leader find the point
/// where the two logs agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RejectHint {
    /// `reject_hint` = the follower's last index, `hint_term` = 0 (etcd raft 3.4,
    /// `raft.go: handleAppendEntries`).
    LastIndex,
    /// `reject_hint` = the largest index `i <= min(prev_log_index, last index)` whose term is
    /// `<= prev_log_term`, `hint_term` = the term there (raft-rs 0.7,
    /// `raft_log.rs: find_conflict_by_term`; etcd 3.5 adopted the same rule).
    ConflictByTerm,
}

/// The behaviour choices of one implementation family.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flavour {
    /// The flavour's name, as shown in reports and recorded in traces.
    pub name: String,
    /// A new leader appends an empty entry at its term before anything else, so it can commit
    /// entries of earlier terms (Raft thesis §6.4; raft-rs and etcd `becomeLeader`).
    pub leader_appends_empty_entry: bool,
    /// Vote requests carry the candidate's commit index and its term, refusals carry the voter's,
    /// and a node that holds the entry at that index with that term advances its commit index to
    /// it (raft-rs `maybe_commit_by_vote`; etcd 3.4 has no such rule).
    pub vote_carries_commit: bool,
    /// What a rejected append carries to guide the leader's next probe.
    pub reject_hint: RejectHint,
    /// Append and heartbeat responses carry the follower's commit index (raft-rs sets
    /// `commit`; etcd 3.4 leaves it 0).
    pub responses_carry_commit: bool,
    /// The commit index survives a restart (both raft-rs and etcd keep it in `HardState`). When
    /// false, a restarted node starts from commit 0, as in the Raft paper where commitIndex is
    /// volatile.
    pub restart_keeps_commit: bool,
    /// The environment may fire a leader's heartbeat timer (`Input::Heartbeat`): the leader sends
    /// each follower a `Heartbeat` whose commit is `min(match index, commit)` and a follower
    /// answers with a `HeartbeatResponse`. Without it neither raft-rs nor etcd retransmit a lost
    /// append, so it is on wherever messages can be dropped.
    pub heartbeat_input: bool,
    /// Pre-vote (Raft thesis §9.6; raft-rs `Config::pre_vote`, etcd `Config.PreVote`): a timeout
    /// makes a node a pre-candidate that keeps its term and vote and sends `RequestPreVote` at
    /// its term + 1; only a quorum of grants starts the real election. Receivers neither change
    /// term for a pre-vote nor record it as a vote, and grant it also when the request's term is
    /// above their own although they voted or know a leader. With pre-vote on, both families
    /// also answer a stale-term append or heartbeat with an empty `AppendEntriesResponse` at
    /// their own term, so a deposed leader learns the newer term (raft-rs and etcd `Step`).
    /// Off by default, as in both families' default configurations.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pre_vote: bool,
    /// A leader in a joint configuration with `auto_leave` proposes the leave only in a step in
    /// which it applies entries (etcd `raft.advance`: only a `Ready` with committed entries
    /// moves the applied cursor). Without it, the leave is proposed as soon as the applied
    /// index has reached the pending index, even in a step that applies nothing — so a newly
    /// elected leader that has applied its whole log proposes it at once (raft-rs
    /// `commit_apply`, called on every `advance`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_leave_needs_apply: bool,
    /// A follower installs a snapshot only if it is an incoming voter or a learner of the
    /// snapshot's configuration (etcd `restore` looks at `Voters` and `Learners`). Without it, an
    /// outgoing voter of a joint configuration installs it too (raft-rs `restore` also looks at
    /// `voters_outgoing`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub snapshot_ignores_outgoing: bool,
    /// A follower forwarding a proposal to its leader sends it as its own (etcd `send` sets
    /// `From` to the sender's id on every message, raft.go `send`). Without it the forwarded
    /// proposal keeps the node where the client request arrived as its sender, however often it
    /// is forwarded (raft-rs `send` sets `from` only where it is unset).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forward_as_self: bool,
}

impl Flavour {
    /// raft-rs 0.7 (`raft` crate) with pre-vote and check-quorum off.
    pub fn raft_rs() -> Self {
        Flavour {
            name: "raft-rs".into(),
            leader_appends_empty_entry: true,
            vote_carries_commit: true,
            reject_hint: RejectHint::ConflictByTerm,
            responses_carry_commit: true,
            restart_keeps_commit: true,
            heartbeat_input: true,
            pre_vote: false,
            auto_leave_needs_apply: false,
            snapshot_ignores_outgoing: false,
            forward_as_self: false,
        }
    }

    /// etcd raft 3.4 (`go.etcd.io/etcd/raft`) with pre-vote and check-quorum off.
    pub fn etcd() -> Self {
        Flavour {
            name: "etcd".into(),
            leader_appends_empty_entry: true,
            vote_carries_commit: false,
            reject_hint: RejectHint::LastIndex,
            responses_carry_commit: false,
            restart_keeps_commit: true,
            heartbeat_input: true,
            pre_vote: false,
            auto_leave_needs_apply: true,
            snapshot_ignores_outgoing: true,
            forward_as_self: true,
        }
    }

    /// etcd raft v3.6 (`go.etcd.io/raft/v3`), with pre-vote and check-quorum off: etcd 3.4's
    /// choices, except that a rejected append carries the hint `findConflictByTerm` finds
    /// (`raft.go: handleAppendEntries` sends `RejectHint: hintIndex, LogTerm: hintTerm`), where
    /// 3.4 sent its last index and term 0. Measured by validating logs of a v3.6 cluster
    /// (`clusters/etcd-raftexample`): with the 3.4 flavour every run with a rejection diverges
    /// on that hint, and on nothing else.
    pub fn etcd_3_6() -> Self {
        Flavour {
            name: "etcd-3.6".into(),
            reject_hint: RejectHint::ConflictByTerm,
            ..Self::etcd()
        }
    }

    /// The Raft paper's choices where the implementation families differ from it (Ongaro &
    /// Ousterhout 2014, Figure 2): no empty leader entry, a volatile commit index, plain
    /// rejections, no heartbeat input. Message handling otherwise keeps the shared step
    /// structure — stale-term messages are ignored rather than answered, a node that knows a
    /// leader of the term refuses votes, a stale append is answered with the commit index — all
    /// safe, and as the paper's implementations do. Useful for checking the spec on its own.
    pub fn textbook() -> Self {
        Flavour {
            name: "textbook".into(),
            leader_appends_empty_entry: false,
            vote_carries_commit: false,
            reject_hint: RejectHint::LastIndex,
            responses_carry_commit: false,
            restart_keeps_commit: false,
            heartbeat_input: false,
            pre_vote: false,
            auto_leave_needs_apply: false,
            snapshot_ignores_outgoing: false,
            forward_as_self: false,
        }
    }

    /// Looks a flavour up by name (`raft-rs`, `etcd`, `etcd-3.6`, `textbook`).
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            "raft-rs" => Some(Self::raft_rs()),
            "etcd" => Some(Self::etcd()),
            "etcd-3.6" => Some(Self::etcd_3_6()),
            "textbook" => Some(Self::textbook()),
            _ => None,
        }
    }

    /// The same flavour with pre-vote on or off (see [`Flavour::pre_vote`]).
    #[must_use]
    pub fn with_pre_vote(mut self, pre_vote: bool) -> Self {
        self.pre_vote = pre_vote;
        self
    }

    /// The names [`Flavour::by_name`] accepts.
    pub const NAMES: [&'static str; 4] = ["raft-rs", "etcd", "etcd-3.6", "textbook"];
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if self.pre_vote {
            f.write_str(" with pre-vote")?;
        }
        Ok(())
    }
}
