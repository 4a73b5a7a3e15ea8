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
    /// `raft_log.rs: find_conflict_by_term`; etcd v3.6, `raft.go: handleAppendEntries` with
    /// `log.go: findConflictByTerm`).
    ConflictByTerm,
    /// `reject_hint` = the follower's last index when it holds no entry at `prev_log_index`,
    /// else `prev_log_index - 1` (one step back), `hint_term` = 0 (PySyncObj 0.3,
    /// `syncobj.py: __onMessageReceived`, `append_entries`: `__sendNextNodeIdx(node,
    /// reset=True)` without an index when the previous entry is missing, with `nextNodeIdx =
    /// prevLogIdx` when its term differs).
    BeforePrevious,
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
    /// A node that knows a leader other than the candidate refuses its vote request, whatever
    /// the request's term, before looking at the term: it answers at its own term and changes
    /// nothing (hashicorp/raft `requestVote`: "rejecting vote request since we have a leader",
    /// checked before "Ignore an older term" and "Increase the term"). A leader knows itself,
    /// so it refuses every other candidate and is not deposed by a vote request. Without it, a
    /// request of a higher term moves the node to that term first, forgetting the leader
    /// (raft-rs and etcd with check-quorum off).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vote_refused_while_leader_known: bool,
    /// A request from an older term is answered with a refusal at the node's own term: a vote
    /// request with a refused `RequestVoteResponse`, an append with a rejected
    /// `AppendEntriesResponse` whose hint is the node's last index (hashicorp/raft
    /// `requestVote` and `appendEntries`: the response is set up with the current term and
    /// `Success`/`Granted` false, and sent by the deferred `rpc.Respond` on "Ignore an older
    /// term"). Without it, such requests are ignored, or answered as [`Flavour::pre_vote`] says.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale_requests_rejected: bool,
    /// A follower checks and stores an append whose previous entry lies below its commit index
    /// like any other, and acknowledges the entries it carries (hashicorp/raft `appendEntries`
    /// has no special case for it). Without it, such an append is acknowledged with the
    /// follower's commit index and nothing else is done (raft-rs `handle_append_entries`, etcd
    /// `handleAppendEntries`: `m.Index < r.raftLog.committed`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub append_checks_below_commit: bool,
    /// The environment may make a leader step down to follower at its own term, knowing no
    /// leader (`Input::StepDown`): hashicorp/raft's leader does when it has not heard from a
    /// quorum within its lease (`checkLeaderLease`), and when a replication goroutine sees an
    /// answer of a higher term, whose term it does not take (`handleStaleTerm` signals
    /// `stepDown`, and `leaderLoop` does `setState(Follower)`). Raft-rs and etcd step down like
    /// that only with check-quorum, which both flavours leave off.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lease_step_down: bool,
    /// A node that led a past term may still send appends of that term built from its
    /// *current* log and commit index (see `NodeState::may_send_for_past_term`): hashicorp's
    /// replication goroutine outlives the leader's office while it sleeps in its failure backoff
    /// (replication.go `replicateTo` waits on `time.After` and `shutdownCh` only, not on its
    /// `stopCh`), then builds one more request with `req.Term = s.currentTerm` (its old term)
    /// and `req.LeaderCommitIndex = r.getCommitIndex()`, reading previous entry and entries from
    /// the log store as it is now (`setupAppendEntries`). Judged by validation only: the spec's
    /// own search does not remember past terms' leadership.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale_leader_sends_current_log: bool,
    /// The leader's heartbeat timer (`Input::Heartbeat`, with [`Flavour::heartbeat_input`])
    /// makes it send appends of its own choosing, judged like every append a leader sends of
    /// its own accord, instead of `Heartbeat` messages (PySyncObj 0.3 has no heartbeat message:
    /// `_onTick` calls `__sendAppendEntries` once `appendEntriesPeriod` has passed, which sends
    /// each peer an `append_entries` from its next index).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub heartbeat_sends_appends: bool,
    /// A node that refuses a vote sends nothing (PySyncObj 0.3 `request_vote`: every refusal is
    /// a bare `return`; only a grant is answered, with `response_vote`). Without it a refusal is
    /// a `RequestVoteResponse` with `reject` set.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vote_refusals_silent: bool,
    /// A node grants its vote exactly when it has not voted in its term (and the candidate's log
    /// is up to date): a known leader does not stop it, and a second request of the candidate it
    /// voted for is not granted again (PySyncObj 0.3 `request_vote`: `if
    /// self.__votedForNodeId is not None: return`; a follower that learned its term from an
    /// append has no vote). Without it a node grants a repeated request of the candidate it
    /// voted for and refuses while it knows a leader (raft-rs and etcd `Step`, `MsgVote`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub vote_once_per_term: bool,
    /// A leader that hears a rejection only moves the peer's next index back; it sends again
    /// when its append timer fires (`Input::Heartbeat`), not in the same step (PySyncObj 0.3
    /// `next_node_idx` with `reset`: `__raftNextIndex[node] = nextNodeIdx`, no send). So the
    /// `probe-backoff` obligation (`crate::obligation`) does not apply to it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rejection_waits_for_timer: bool,
    /// In one step, each further append a leader sends one peer starts where its previous one
    /// to that peer ended, and nothing follows a snapshot: the next index moves past what is
    /// sent as it is sent (raft-rs `Progress::update_state` → `optimistic_update`; etcd 3.4
    /// `maybeSendAppend` → `OptimisticUpdate`; v3.6 `UpdateOnEntriesSend`), an append with
    /// entries in probe state and a snapshot pause the peer (see `crate::flow`). Judged in
    /// lockstep.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub appends_follow_on: bool,
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
            vote_refused_while_leader_known: false,
            stale_requests_rejected: false,
            append_checks_below_commit: false,
            lease_step_down: false,
            stale_leader_sends_current_log: false,
            heartbeat_sends_appends: false,
            vote_refusals_silent: false,
            vote_once_per_term: false,
            rejection_waits_for_timer: false,
            appends_follow_on: true,
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
            vote_refused_while_leader_known: false,
            stale_requests_rejected: false,
            append_checks_below_commit: false,
            lease_step_down: false,
            stale_leader_sends_current_log: false,
            heartbeat_sends_appends: false,
            vote_refusals_silent: false,
            vote_once_per_term: false,
            rejection_waits_for_timer: false,
            appends_follow_on: true,
        }
    }

    /// etcd raft v3.6 (`go.etcd.io/raft/v3` v3.6.0), with pre-vote and check-quorum off, and
    /// with synchronous storage writes (`Config.AsyncStorageWrites` off, its default: the
    /// adapter persists each `Ready` before `Advance`). etcd 3.4's choices, except three, each
    /// read in v3.6.0's `raft.go`:
    ///
    /// - a rejected append carries the hint `findConflictByTerm` finds and the term there
    ///   (`handleAppendEntries` sends `RejectHint: hintIndex, LogTerm: hintTerm`), where 3.4 sent
    ///   its last index and term 0 ([`RejectHint::ConflictByTerm`]). Measured first by
    ///   validating logs of a v3.6 cluster (`clusters/etcd-raftexample`): with the 3.4 flavour
    ///   every run with a rejection diverged on that hint, and on nothing else;
    /// - a forwarded proposal keeps its original sender (`send` sets `From` only where it is
    ///   `None`; 3.4 set it on every message), so `forward_as_self` is off, as for raft-rs;
    /// - a follower installs a snapshot also when it is an outgoing voter of the snapshot's
    ///   joint configuration (`restore` looks at `Voters`, `Learners` and `VotersOutgoing`; 3.4
    ///   only at the first two), so `snapshot_ignores_outgoing` is off, as for raft-rs.
    ///
    /// The same as 3.4 although the code moved: the term rules of `Step` (vote answers at the
    /// request's term, pre-vote answers, stale messages ignored), the heartbeat's commit
    /// `min(match, committed)` and its answer (`sendHeartbeat`, `handleHeartbeat`; no commit
    /// term), a stale append answered with the commit index, no commit index in vote messages
    /// or answers, the auto-leave proposed only when entries are applied (`appliedTo`, reached
    /// from `Advance` through a `MsgStorageApplyResp` only for a `Ready` with committed
    /// entries), no campaign with unapplied configuration changes (`hup`). Defaults left as
    /// they are and invisible to the spec: `StepDownOnRemoval` off (a removed leader stays
    /// leader, as in 3.4), `MaxInflightBytes` 0 (no byte limit), `DisableConfChangeValidation`
    /// off; `ForgetLeader` is never called. What changed only in the leader's own choices (the
    /// leader-side `findConflictByTerm` probe, `MsgAppFlowPaused` and `CanBumpCommit` flow
    /// control, the leader's self-acknowledgement stepped at `Advance`) the spec judges as
    /// discretionary sends, so it needs no option.
    pub fn etcd_3_6() -> Self {
        Flavour {
            name: "etcd-3.6".into(),
            reject_hint: RejectHint::ConflictByTerm,
            forward_as_self: false,
            snapshot_ignores_outgoing: false,
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
            vote_refused_while_leader_known: false,
            stale_requests_rejected: false,
            append_checks_below_commit: false,
            lease_step_down: false,
            stale_leader_sends_current_log: false,
            heartbeat_sends_appends: false,
            vote_refusals_silent: false,
            vote_once_per_term: false,
            rejection_waits_for_timer: false,
            appends_follow_on: false,
        }
    }

    /// hashicorp/raft 1.7 and 1.8 (`github.com/hashicorp/raft`) with pre-vote off
    /// (`Config.PreVoteDisabled`) and no snapshots. Where it differs from raft-rs and etcd:
    ///
    /// - a new leader appends a no-op entry (`runLeader` dispatches a `LogNoop`);
    /// - nothing carries a commit index but the leader's appends (`LeaderCommitIndex`); a vote
    ///   or append answer carries none;
    /// - a rejected append carries the follower's last index (`LastLog`), where the leader
    ///   probes next (`replicateTo`: `nextIndex = min(nextIndex-1, LastLog+1)`);
    /// - the commit index is not durable: a restarted node learns it again from the leader
    ///   (without `CommitTrackingLogStore`);
    /// - heartbeats are appends from a goroutine of their own, with no previous entry, no
    ///   entries and no commit index: the spec's `AppendEntries` from the empty prefix, which a
    ///   leader may send whenever it likes; there is no heartbeat timer input;
    /// - followers that know a leader refuse votes, stale requests are answered, an append
    ///   below the commit index is handled like any other, a leader steps down on its own, and
    ///   a deposed leader's replication may still send appends of its old term (the five
    ///   options above).
    pub fn hashicorp() -> Self {
        Flavour {
            name: "hashicorp".into(),
            leader_appends_empty_entry: true,
            vote_carries_commit: false,
            reject_hint: RejectHint::LastIndex,
            responses_carry_commit: false,
            restart_keeps_commit: false,
            heartbeat_input: false,
            pre_vote: false,
            auto_leave_needs_apply: false,
            snapshot_ignores_outgoing: false,
            forward_as_self: false,
            vote_refused_while_leader_known: true,
            stale_requests_rejected: true,
            append_checks_below_commit: true,
            lease_step_down: true,
            stale_leader_sends_current_log: true,
            heartbeat_sends_appends: false,
            vote_refusals_silent: false,
            vote_once_per_term: false,
            rejection_waits_for_timer: false,
            appends_follow_on: false,
        }
    }

    /// PySyncObj 0.3.17 (`pysyncobj` on PyPI) as its adapter drives it: a journal file per node,
    /// no log compaction, no membership changes, `commandsWaitLeader` off. Where it differs
    /// from raft-rs and etcd (`impl_adapter/pysyncobj/README.md` maps every message and field):
    ///
    /// - a new leader appends a no-op entry (`__onBecomeLeader`: `_COMMAND_TYPE.NO_OP`);
    /// - nothing carries a commit index but the leader's appends (`commit_index`); vote messages
    ///   and `next_node_idx` answers carry none;
    /// - a rejected append carries the index the leader probes next: one past the follower's
    ///   last index if the previous entry is missing, else the previous index itself (see
    ///   [`RejectHint::BeforePrevious`]);
    /// - the commit index is kept in the journal's metadata (`setRaftCommitIndex`) and restored
    ///   on start (`getRaftCommitIndex`);
    /// - heartbeats are appends sent when `appendEntriesPeriod` has passed;
    /// - vote refusals are silent, and a node grants one vote per term, whoever it knows as
    ///   leader;
    /// - an append is checked against the log whatever the commit index (no special case for a
    ///   previous entry below it).
    pub fn pysyncobj() -> Self {
        Flavour {
            name: "pysyncobj".into(),
            leader_appends_empty_entry: true,
            vote_carries_commit: false,
            reject_hint: RejectHint::BeforePrevious,
            responses_carry_commit: false,
            restart_keeps_commit: true,
            heartbeat_input: true,
            pre_vote: false,
            auto_leave_needs_apply: false,
            snapshot_ignores_outgoing: false,
            forward_as_self: false,
            vote_refused_while_leader_known: false,
            stale_requests_rejected: false,
            append_checks_below_commit: true,
            lease_step_down: false,
            stale_leader_sends_current_log: false,
            heartbeat_sends_appends: true,
            vote_refusals_silent: true,
            vote_once_per_term: true,
            rejection_waits_for_timer: true,
            appends_follow_on: false,
        }
    }

    /// Looks a flavour up by name (`raft-rs`, `etcd`, `etcd-3.6`, `textbook`, `hashicorp`,
    /// `pysyncobj`).
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            "raft-rs" => Some(Self::raft_rs()),
            "etcd" => Some(Self::etcd()),
            "etcd-3.6" => Some(Self::etcd_3_6()),
            "textbook" => Some(Self::textbook()),
            "hashicorp" => Some(Self::hashicorp()),
            "pysyncobj" => Some(Self::pysyncobj()),
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
    pub const NAMES: [&'static str; 6] = [
        "raft-rs",
        "etcd",
        "etcd-3.6",
        "textbook",
        "hashicorp",
        "pysyncobj",
    ];
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
