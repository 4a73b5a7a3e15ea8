//! The storage seam of a raft-rs node: where the `Ready` loop's writes go (entries, hard state,
//! commit index), when they are durable, and what a restart rebuilds the node from.
//!
//! raft-rs reads its log and hard state through a [`RaftStorage`]; the `Ready` loop writes them
//! through the node's [`NodeStorage`], which owns that storage and decides what of it survives a
//! crash. The honest store is [`SyncedStorage`]: every write is durable when it returns, as if
//! each `Ready` were fsynced before the loop goes on, so a restart reads back exactly what was
//! written. [`DeferredWrites`] is the asynchronous alternative raft-rs also supports
//! (`RawNode::advance_append_async`, then `on_persist_ready`). The injected persistence bugs
//! ([`super::bugs`]) are wrappers around these stores.
//!
//! # Snapshots and membership
//!
//! Not modelled yet: a `Ready` carrying a snapshot is refused by the loop as unmodelled, and the
//! configuration is the fixed voter list a store is created with. When they are, they belong to
//! this seam: applying a `Ready`'s snapshot (with the `ConfState` it carries) and compacting the
//! log become [`NodeStorage`] writes beside [`NodeStorage::append`]; the snapshot a leader sends
//! comes from the store; [`StoredState`] gains the snapshot and its `ConfState`, so that a
//! restart rebuilds from them; and [`RaftStorage`] becomes a storage of the adapter's own that
//! carries snapshot data (raft-rs's `MemStorage::snapshot` carries metadata only). The `Ready`
//! loop and the bug wrappers keep their shape: they see only the seam.

use raft::eraftpb::{Entry, HardState};
use raft::storage::MemStorage;
use raft::{GetEntriesContext, Storage};

use crate::AdapterError;

/// The storage raft-rs reads: the log and hard state as written, durable or not. A clone is a
/// handle on the same storage, not a copy.
pub(crate) type RaftStorage = MemStorage;

/// Whether the writes of one `Ready` are durable once [`NodeStorage::persist`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Persistence {
    /// Durable now: raft-rs may be told at once (`RawNode::advance`).
    Durable,
    /// Still in flight: durable only when [`NodeStorage::completed`] reports it. Until then
    /// raft-rs must not count the writes persisted, and the messages that wait for persistence
    /// (votes, append acknowledgements) must not leave.
    InFlight,
}

/// Where a node's `Ready` loop writes, and what a restart rebuilds the node from.
///
/// The loop calls, for each `Ready`: [`append`](Self::append) (always, possibly with no
/// entries), [`set_hard_state`](Self::set_hard_state) if the `Ready` has one, then
/// [`persist`](Self::persist); after `RawNode::advance`, [`set_commit`](Self::set_commit) if the
/// `LightReady` advanced the commit index. Every write is readable by raft-rs at once (through
/// [`raft_storage`](Self::raft_storage)); what is *durable*, and so survives
/// [`restart`](Self::restart), is the store's business.
///
/// The provided methods describe a store whose writes are durable when they return.
pub(crate) trait NodeStorage: Send {
    /// The storage raft-rs reads: everything written so far.
    fn raft_storage(&self) -> &RaftStorage;

    /// Writes a `Ready`'s entries, replacing the stored entries from the first new index on.
    fn append(&mut self, entries: &[Entry]) -> Result<(), AdapterError>;

    /// Writes a `Ready`'s hard state.
    fn set_hard_state(&mut self, hs: &HardState) -> Result<(), AdapterError>;

    /// Writes the commit index a `LightReady` advanced to; the rest of the hard state stays.
    fn set_commit(&mut self, commit: u64) -> Result<(), AdapterError>;

    /// Every write of `Ready` number `ready` has been issued: are they durable now?
    fn persist(&mut self, _ready: u64) -> Persistence {
        Persistence::Durable
    }

    /// Called as the node's next event begins (any but a restart): the number of the last
    /// `Ready` whose in-flight writes have become durable since, if any.
    fn completed(&mut self) -> Option<u64> {
        None
    }

    /// The node crashed: the storage the restarted node reads. Writes that were not durable are
    /// lost.
    fn restart(&mut self) -> Result<RaftStorage, AdapterError> {
        Ok(self.raft_storage().clone())
    }

    /// What a restart would go back to while some writes are not durable; `None` when every
    /// write is. Hidden state: the fingerprint covers it.
    fn durable_state(&self) -> Option<&StoredState> {
        None
    }

    /// The `Ready` whose writes are in flight, if any. Hidden state: the fingerprint covers it.
    fn write_in_flight(&self) -> Option<u64> {
        None
    }
}

/// The honest store: raft-rs's `MemStorage`, every write durable when it returns.
pub(crate) struct SyncedStorage {
    /// The configuration a fresh store reports (the cluster's voters).
    voters: Vec<u64>,
    store: RaftStorage,
}

impl SyncedStorage {
    /// An empty store: log at index 0, term 0, no configuration entries, no hard state; its
    /// `initial_state` reports `voters` (`MemStorage::new_with_conf_state`), so there are no
    /// bootstrap entries to map away.
    pub fn new(voters: &[u64]) -> Self {
        SyncedStorage {
            voters: voters.to_vec(),
            store: fresh_storage(voters),
        }
    }

    /// The hard state last written.
    pub fn hard_state(&self) -> HardState {
        self.store.rl().hard_state().clone()
    }

    /// Every stored entry from index `from` on.
    pub fn entries_from(&self, from: u64) -> Vec<Entry> {
        stored_entries(&self.store, from)
    }

    /// A copy of everything the store holds now.
    pub fn capture(&self) -> StoredState {
        // The read guard must be gone before `entries_from`: raft-rs's `MemStorage::entries`
        // takes the write lock.
        let hard_state = self.hard_state();
        StoredState {
            hard_state,
            entries: self.entries_from(1),
        }
    }

    /// Replaces the store by a fresh one holding exactly `state`. Whoever read the old store
    /// (the crashed `RawNode`) keeps the old one.
    pub fn restore(&mut self, state: &StoredState) -> Result<(), AdapterError> {
        let store = fresh_storage(&self.voters);
        {
            let mut core = store.wl();
            core.append(&state.entries)
                .map_err(|e| fault("could not restore the durable log", e))?;
            core.set_hardstate(state.hard_state.clone());
        }
        self.store = store;
        Ok(())
    }
}

impl NodeStorage for SyncedStorage {
    fn raft_storage(&self) -> &RaftStorage {
        &self.store
    }

    fn append(&mut self, entries: &[Entry]) -> Result<(), AdapterError> {
        self.store
            .wl()
            .append(entries)
            .map_err(|e| fault("storage refused entries", e))
    }

    fn set_hard_state(&mut self, hs: &HardState) -> Result<(), AdapterError> {
        self.store.wl().set_hardstate(hs.clone());
        Ok(())
    }

    fn set_commit(&mut self, commit: u64) -> Result<(), AdapterError> {
        self.store.wl().mut_hard_state().commit = commit;
        Ok(())
    }
}

/// What a store held at some point: its hard state and its whole log.
#[derive(Clone, Debug)]
pub(crate) struct StoredState {
    /// The hard state (term, vote, commit).
    pub hard_state: HardState,
    /// Every entry, from index 1.
    pub entries: Vec<Entry>,
}

/// A [`SyncedStorage`] behind a volatile cache: writes reach the store raft-rs reads at once but
/// are durable only from the next [`sync`](Self::sync); a crash before it goes back to what was
/// durable. The building block of the stores whose writes are not durable when they return.
pub(crate) struct WriteCache {
    /// The store raft-rs reads.
    pub store: SyncedStorage,
    /// What the store held when everything was last durable; `Some` while some writes are not.
    durable: Option<StoredState>,
}

impl WriteCache {
    /// A cache over `store`, everything in it durable.
    pub fn new(store: SyncedStorage) -> Self {
        WriteCache {
            store,
            durable: None,
        }
    }

    /// Called before every write: if everything is durable so far, remembers it.
    pub fn before_write(&mut self) {
        if self.durable.is_none() {
            self.durable = Some(self.store.capture());
        }
    }

    /// The store raft-rs reads.
    pub fn raft_storage(&self) -> &RaftStorage {
        self.store.raft_storage()
    }

    /// Writes entries, not yet durably.
    pub fn append(&mut self, entries: &[Entry]) -> Result<(), AdapterError> {
        self.before_write();
        self.store.append(entries)
    }

    /// Writes a hard state, not yet durably.
    pub fn set_hard_state(&mut self, hs: &HardState) -> Result<(), AdapterError> {
        self.before_write();
        self.store.set_hard_state(hs)
    }

    /// Everything written so far is durable.
    pub fn sync(&mut self) {
        self.durable = None;
    }

    /// A crash: the writes since the last sync are lost. Returns the surviving storage.
    pub fn crash(&mut self) -> Result<RaftStorage, AdapterError> {
        if let Some(durable) = self.durable.take() {
            self.store.restore(&durable)?;
        }
        Ok(self.store.raft_storage().clone())
    }

    /// What a crash would go back to, if some writes are not durable.
    pub fn durable_state(&self) -> Option<&StoredState> {
        self.durable.as_ref()
    }
}

/// An asynchronous store: a `Ready`'s writes are in flight until the node's next event, when
/// they become durable; a restart before that loses them. This is raft-rs's asynchronous
/// persistence (`advance_append_async`, then `on_persist_ready`): correct as long as the
/// messages that wait for persistence wait for it, which the honest transport does
/// ([`super::transport::Direct`]).
pub(crate) struct DeferredWrites {
    cache: WriteCache,
    /// The last `Ready` whose writes are in flight.
    in_flight: Option<u64>,
}

impl DeferredWrites {
    /// Deferred writes over `store`.
    pub fn new(store: SyncedStorage) -> Self {
        DeferredWrites {
            cache: WriteCache::new(store),
            in_flight: None,
        }
    }
}

impl NodeStorage for DeferredWrites {
    fn raft_storage(&self) -> &RaftStorage {
        self.cache.raft_storage()
    }

    fn append(&mut self, entries: &[Entry]) -> Result<(), AdapterError> {
        self.cache.append(entries)
    }

    fn set_hard_state(&mut self, hs: &HardState) -> Result<(), AdapterError> {
        self.cache.set_hard_state(hs)
    }

    /// Never reached in practice: the loop sets the commit index only after a durable write,
    /// which this store never reports. Were it reached, the commit would join the writes in
    /// flight.
    fn set_commit(&mut self, commit: u64) -> Result<(), AdapterError> {
        self.cache.before_write();
        self.cache.store.set_commit(commit)
    }

    fn persist(&mut self, ready: u64) -> Persistence {
        self.in_flight = Some(ready);
        Persistence::InFlight
    }

    fn completed(&mut self) -> Option<u64> {
        let ready = self.in_flight.take()?;
        self.cache.sync();
        Some(ready)
    }

    fn restart(&mut self) -> Result<RaftStorage, AdapterError> {
        self.in_flight = None;
        self.cache.crash()
    }

    fn durable_state(&self) -> Option<&StoredState> {
        self.cache.durable_state()
    }

    fn write_in_flight(&self) -> Option<u64> {
        self.in_flight
    }
}

fn fresh_storage(voters: &[u64]) -> RaftStorage {
    MemStorage::new_with_conf_state((voters.to_vec(), vec![]))
}

/// Every entry `store` holds from index `from` on (none if `from` is past its end).
pub(crate) fn stored_entries(store: &RaftStorage, from: u64) -> Vec<Entry> {
    let last = store.last_index().unwrap_or(0);
    if from > last {
        return Vec::new();
    }
    store
        .entries(from, last + 1, None, GetEntriesContext::empty(false))
        .unwrap_or_default()
}

pub(crate) fn fault(context: &str, e: raft::Error) -> AdapterError {
    AdapterError::Fault(format!("raft-rs {context}: {e}"))
}
