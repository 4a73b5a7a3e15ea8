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
//! The storage is the adapter's own [`AppStore`] (see `store.rs` for why not `MemStorage`):
//! besides the log and hard state it holds the configuration the application switched to, the
//! snapshot with its data, and the application's applied index and state machine, so a restart
//! rebuilds all of them. The `Ready` loop writes the application's side through this seam too
//! ([`NodeStorage::apply_snapshot`], [`NodeStorage::set_conf_state`],
//! [`NodeStorage::apply_value`], [`NodeStorage::compact`]); the injected membership and snapshot
//! bugs are wrappers around those writes like the persistence bugs are around the others.

use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};

pub(crate) use super::store::{AppStore, StoreCore};
use crate::AdapterError;

/// The storage raft-rs reads: the log and hard state as written, durable or not. A clone is a
/// handle on the same storage, not a copy.
pub(crate) type RaftStorage = AppStore;

/// What a store held at some point: everything in it.
pub(crate) type StoredState = StoreCore;

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

    /// Installs a `Ready`'s snapshot: log, commit index, configuration and state machine.
    fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), AdapterError> {
        self.raft_storage()
            .wl()
            .apply_snapshot(snapshot)
            .map_err(|e| AdapterError::Fault(format!("could not install a snapshot: {e}")))
    }

    /// Writes the configuration `apply_conf_change` switched to.
    fn set_conf_state(&mut self, conf_state: &ConfState) -> Result<(), AdapterError> {
        self.raft_storage().wl().conf_state = conf_state.clone();
        Ok(())
    }

    /// The application applied the committed entry at `index`; `value` is the client value it
    /// carries, if any.
    fn apply_value(&mut self, index: u64, value: Option<u64>) -> Result<(), AdapterError> {
        let store = self.raft_storage();
        let mut core = store.wl();
        core.state_machine.extend(value);
        core.applied = index;
        Ok(())
    }

    /// The application compacts the log at its applied index, taking a snapshot there.
    fn compact(&mut self) -> Result<(), AdapterError> {
        let store = self.raft_storage();
        let mut core = store.wl();
        let applied = core.applied;
        core.compact(applied)
            .map_err(|e| AdapterError::Fault(format!("could not compact: {e}")))
    }

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

/// The honest store: an [`AppStore`], every write durable when it returns.
pub(crate) struct SyncedStorage {
    store: RaftStorage,
}

impl SyncedStorage {
    /// An empty store: log at index 0, term 0, no configuration entries, no hard state; its
    /// `initial_state` reports `voters`, so there are no bootstrap entries to map away.
    pub fn new(voters: &[u64]) -> Self {
        SyncedStorage {
            store: AppStore::new(voters),
        }
    }

    /// The hard state last written.
    pub fn hard_state(&self) -> HardState {
        self.store.rl().hard_state.clone()
    }

    /// Every stored entry from index `from` on.
    pub fn entries_from(&self, from: u64) -> Vec<Entry> {
        self.store.rl().entries_from(from).to_vec()
    }

    /// A copy of everything the store holds now.
    pub fn capture(&self) -> StoredState {
        self.store.rl().clone()
    }

    /// Replaces the store by a fresh one holding exactly `state`. Whoever read the old store
    /// (the crashed `RawNode`) keeps the old one.
    pub fn restore(&mut self, state: &StoredState) -> Result<(), AdapterError> {
        self.store = AppStore::from_core(state.clone());
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
            .map_err(|e| AdapterError::Fault(format!("storage refused entries: {e}")))
    }

    fn set_hard_state(&mut self, hs: &HardState) -> Result<(), AdapterError> {
        self.store.wl().hard_state = hs.clone();
        Ok(())
    }

    fn set_commit(&mut self, commit: u64) -> Result<(), AdapterError> {
        self.store.wl().hard_state.commit = commit;
        Ok(())
    }
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

pub(crate) fn fault(context: &str, e: raft::Error) -> AdapterError {
    AdapterError::Fault(format!("raft-rs {context}: {e}"))
}
