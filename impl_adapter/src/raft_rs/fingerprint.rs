//! The fingerprint of a raft-rs cluster's hidden state, so the engine can merge product states.
//!
//! Merging is sound only if two clusters with equal observations and equal fingerprints behave
//! identically from then on. Covered, per node:
//!
//! - `Raft`: term, vote, role, leader id, leadership transferee, pending conf index, pending
//!   snapshot request, uncommitted size, queued messages and read states (empty at quiescence);
//! - `RaftLog`: committed, persisted and applied indexes, every entry (index, term, type, data),
//!   the unstable entries' offset and count;
//! - `ProgressTracker`: the votes received (sorted by voter) and every peer's `Progress` (matched,
//!   next index, probe/replicate state, paused, snapshot fields, recent activity, committed index,
//!   and the in-flight window in full);
//! - storage: the hard state, the configuration, the snapshot (metadata and data), every stored
//!   entry, the applied index and the state machine; while some writes are not durable (the
//!   injected persistence bugs, asynchronous writes), what a restart would go back to, and
//!   whether a write is in flight;
//! - the application: whether configuration changes were applied on append (a bug), and up to
//!   where;
//! - transport: the messages waiting for a write to become durable (in full).
//!
//! Every node id in that state (the nodes' own, votes, leaders, transferees, peers' progress and
//! votes, configurations, the senders and receivers of waiting messages) is fed through a
//! [`Renaming`], so [`fingerprint`] can also give the fingerprint of the cluster with its ids
//! renamed (symmetry reduction in lockstep). Configurations are hashed as sorted id lists, so a
//! renamed cluster and the cluster built with those ids hash alike. Configuration changes inside
//! entries are hashed as their encoded bytes, not renamed: lockstep symmetry is refused when the
//! bounds allow configuration changes.
//!
//! Deliberately not covered: `election_elapsed`, `heartbeat_elapsed` and the randomized election
//! timeout, which only `tick()` reads — and raftcheck never ticks (elections are `campaign()`,
//! heartbeats `ping()`); the `RawNode`'s `prev_ss`/`prev_hs`, equal to the current soft and hard
//! state at quiescence; its private ready records, which after an asynchronous write hold exactly
//! the last written entry, already covered by the log and the in-flight flag. The `Outbox`'s sent
//! messages are empty at quiescence (every step collects them).

use std::hash::{Hash, Hasher};

use raft::eraftpb;
use raftcheck_spec::Renaming;
use siphasher::sip::SipHasher13;

use super::node::RaftNode;
use super::storage::StoreCore;

/// A hasher with fixed keys: the same state gives the same fingerprint on every run.
pub(crate) fn stable_hasher() -> SipHasher13 {
    SipHasher13::new_with_keys(0x7261_6674_6368_6563, 0x6b5f_6669_6e67_6572)
}

fn hash_entry(e: &eraftpb::Entry, h: &mut impl Hasher) {
    e.index.hash(h);
    e.term.hash(h);
    (e.get_entry_type() as i32).hash(h);
    e.get_data().hash(h);
}

/// Ids renamed and sorted: the same list whichever order they were kept in.
fn renamed_ids(ids: &[u64], renaming: &Renaming) -> Vec<u64> {
    let mut renamed: Vec<u64> = ids.iter().map(|&id| renaming.id(id)).collect();
    renamed.sort_unstable();
    renamed
}

/// Feeds a configuration into `h` (without formatting it: this runs for every state).
fn hash_conf_state(cs: &eraftpb::ConfState, renaming: &Renaming, h: &mut impl Hasher) {
    for ids in [
        &cs.voters,
        &cs.voters_outgoing,
        &cs.learners,
        &cs.learners_next,
    ] {
        renamed_ids(ids, renaming).hash(h);
    }
    cs.auto_leave.hash(h);
}

/// `message` with its sender, receiver and snapshot configuration renamed.
fn renamed_message(message: &eraftpb::Message, renaming: &Renaming) -> eraftpb::Message {
    let mut renamed = message.clone();
    renamed.from = renaming.id(message.from);
    renamed.to = renaming.id(message.to);
    if message.has_snapshot() {
        let cs = renamed.mut_snapshot().mut_metadata().mut_conf_state();
        for ids in [
            &mut cs.voters,
            &mut cs.voters_outgoing,
            &mut cs.learners,
            &mut cs.learners_next,
        ] {
            *ids = renamed_ids(ids, renaming);
        }
    }
    renamed
}

/// Feeds everything a store holds into `h`.
fn hash_store(core: &StoreCore, renaming: &Renaming, h: &mut impl Hasher) {
    let hs = &core.hard_state;
    (hs.term, renaming.id(hs.vote), hs.commit).hash(h);
    hash_conf_state(&core.conf_state, renaming, h);
    let meta = core.snapshot.get_metadata();
    (meta.index, meta.term).hash(h);
    hash_conf_state(meta.get_conf_state(), renaming, h);
    core.snapshot.get_data().hash(h);
    core.entries.iter().for_each(|e| hash_entry(e, h));
    core.applied.hash(h);
    core.state_machine.hash(h);
}

/// The fingerprint of `nodes` with their ids renamed by `renaming`: the nodes in the order of
/// their new ids.
pub(crate) fn fingerprint(nodes: &[RaftNode], renaming: &Renaming) -> u64 {
    let mut order: Vec<&RaftNode> = nodes.iter().collect();
    order.sort_by_key(|node| renaming.id(node.id));
    let mut h = stable_hasher();
    for node in order {
        hash_node(node, renaming, &mut h);
    }
    h.finish()
}

/// Each node's own fingerprint, in id order (its id and hidden state).
pub(crate) fn node_fingerprints(nodes: &[RaftNode]) -> Vec<u64> {
    let identity = Renaming::new(&[], &[]);
    nodes
        .iter()
        .map(|node| {
            let mut h = stable_hasher();
            node.id.hash(&mut h);
            hash_node(node, &identity, &mut h);
            h.finish()
        })
        .collect()
}

/// Feeds one node's hidden state, its ids renamed, into `h`.
fn hash_node(node: &RaftNode, renaming: &Renaming, h: &mut impl Hasher) {
    let raft = &node.raw.raft;
    let core = &raft.r;
    let id = |id: u64| renaming.id(id);
    let hard = (
        core.term,
        id(core.vote),
        core.state as u8,
        id(core.leader_id),
    );
    let pending = (core.pending_conf_index, core.pending_request_snapshot);
    (hard, core.lead_transferee.map(id), pending).hash(h);
    (
        raft.uncommitted_size(),
        raft.msgs.len(),
        core.read_states.len(),
    )
        .hash(h);

    let log = &core.raft_log;
    log.committed.hash(h);
    log.persisted.hash(h);
    log.applied.hash(h);
    let last = log.last_index();
    last.hash(h);
    match node.log_entries() {
        Ok(entries) => entries.iter().for_each(|e| hash_entry(e, h)),
        Err(e) => e.hash(h),
    }
    log.unstable.offset.hash(h);
    log.unstable.entries.len().hash(h);

    let prs = raft.prs();
    let mut votes: Vec<(u64, bool)> = prs.votes().iter().map(|(k, v)| (id(*k), *v)).collect();
    votes.sort_unstable();
    votes.hash(h);
    let mut progress: Vec<(u64, _)> = prs.iter().map(|(peer, pr)| (id(*peer), pr)).collect();
    progress.sort_unstable_by_key(|(peer, _)| *peer);
    for (peer, pr) in progress {
        (peer, pr.matched, pr.next_idx, pr.state as u8, pr.paused).hash(h);
        (pr.pending_snapshot, pr.pending_request_snapshot).hash(h);
        (pr.recent_active, pr.committed_index).hash(h);
        format!("{:?}", pr.ins).hash(h);
    }

    hash_store(&node.storage.raft_storage().rl(), renaming, h);
    match node.storage.durable_state() {
        None => 0u8.hash(h),
        Some(d) => {
            1u8.hash(h);
            hash_store(d, renaming, h);
        }
    }
    node.storage.write_in_flight().is_some().hash(h);
    node.applied_on_append().hash(h);
    let waiting: Vec<String> = node
        .outbox
        .waiting()
        .map(|m| format!("{:?}", renamed_message(m, renaming)))
        .collect();
    waiting.hash(h);
}
