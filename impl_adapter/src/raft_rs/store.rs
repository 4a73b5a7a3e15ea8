//! The storage a raft-rs node reads, written by the adapter's own application: the log after a
//! snapshot, the hard state, the configuration, the snapshot itself *with its data*, and the
//! application's durable state (applied index and state machine).
//!
//! raft-rs's `MemStorage` cannot serve here: its `snapshot()` builds metadata at the commit index
//! on every call and carries no data, so a follower caught up by snapshot would get nothing to
//! load into its state machine. [`AppStore`] keeps the snapshot the application took when it
//! compacted (or installed from a leader) — metadata, `ConfState` and data, the state machine's
//! values as 8 big-endian bytes each — and returns exactly that to raft-rs.
//!
//! ```text
//!   snapshot (index s, term, conf state, data) | entries s+1 ..= last
//! ```

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};
use raft::{GetEntriesContext, RaftState, StorageError};

use super::convert;

/// Everything a node's storage holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct StoreCore {
    /// Term, vote and commit index.
    pub hard_state: HardState,
    /// The configuration the application last switched to (what `apply_conf_change` returned).
    pub conf_state: ConfState,
    /// The snapshot the log is compacted to (index 0: none), metadata and data.
    pub snapshot: Snapshot,
    /// The entries after the snapshot's index, contiguous.
    pub entries: Vec<Entry>,
    /// The application's applied index.
    pub applied: u64,
    /// The application's state machine: the client values applied, in order.
    pub state_machine: Vec<u64>,
}

impl StoreCore {
    /// The snapshot's index: the log is compacted up to it.
    pub fn snapshot_index(&self) -> u64 {
        self.snapshot.get_metadata().index
    }

    /// The snapshot's term.
    pub fn snapshot_term(&self) -> u64 {
        self.snapshot.get_metadata().term
    }

    /// The first index held.
    pub fn first_index(&self) -> u64 {
        self.snapshot_index() + 1
    }

    /// The last index held (the snapshot index when no entry is).
    pub fn last_index(&self) -> u64 {
        self.snapshot_index() + self.entries.len() as u64
    }

    /// The term at `index`, if known (the snapshot index or a held entry).
    pub fn term(&self, index: u64) -> Result<u64, StorageError> {
        if index == self.snapshot_index() {
            return Ok(self.snapshot_term());
        }
        if index < self.snapshot_index() {
            return Err(StorageError::Compacted);
        }
        self.entry(index)
            .map(|e| e.term)
            .ok_or(StorageError::Unavailable)
    }

    /// The entry held at `index`.
    pub fn entry(&self, index: u64) -> Option<&Entry> {
        let k = index.checked_sub(self.first_index())?;
        self.entries.get(k as usize)
    }

    /// Every entry held from `from` on.
    pub fn entries_from(&self, from: u64) -> &[Entry] {
        let skip = from.saturating_sub(self.first_index()) as usize;
        self.entries.get(skip..).unwrap_or_default()
    }

    /// Stores `entries`, replacing the held entries from the first one's index on.
    pub fn append(&mut self, entries: &[Entry]) -> Result<(), String> {
        let Some(first) = entries.first() else {
            return Ok(());
        };
        if first.index < self.first_index() {
            return Err(format!(
                "entry {} is inside the compacted prefix (up to {})",
                first.index,
                self.snapshot_index()
            ));
        }
        if first.index > self.last_index() + 1 {
            return Err(format!(
                "entry {} leaves a gap after the last index {}",
                first.index,
                self.last_index()
            ));
        }
        self.entries
            .truncate((first.index - self.first_index()) as usize);
        self.entries.extend_from_slice(entries);
        Ok(())
    }

    /// Installs a snapshot received from the leader: the whole log is replaced by it, the commit
    /// index moves to it (raft-rs `MemStorage::apply_snapshot`), and the configuration and the
    /// state machine become the snapshot's.
    pub fn apply_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), String> {
        let meta = snapshot.get_metadata();
        self.entries.clear();
        self.hard_state.term = self.hard_state.term.max(meta.term);
        self.hard_state.commit = meta.index;
        self.conf_state = meta.get_conf_state().clone();
        self.state_machine = convert::data_to_values(snapshot.get_data())?;
        self.applied = meta.index;
        self.snapshot = snapshot.clone();
        Ok(())
    }

    /// The application compacts at `index` (at most its last index): a snapshot there with the
    /// current configuration and state machine, and the entries up to it discarded.
    pub fn compact(&mut self, index: u64) -> Result<(), String> {
        let term = self
            .term(index)
            .map_err(|e| format!("cannot compact at {index}: {e}"))?;
        let mut snapshot = Snapshot::default();
        snapshot.set_data(convert::values_to_data(&self.state_machine).into());
        let meta = snapshot.mut_metadata();
        meta.index = index;
        meta.term = term;
        meta.set_conf_state(self.conf_state.clone());
        let keep = self.entries_from(index + 1).to_vec();
        self.entries = keep;
        self.snapshot = snapshot;
        Ok(())
    }
}

/// A handle on a node's storage; a clone is a handle on the same storage, not a copy (like
/// raft-rs's `MemStorage`).
#[derive(Clone, Debug, Default)]
pub(crate) struct AppStore(Arc<RwLock<StoreCore>>);

impl AppStore {
    /// A fresh store: empty log at index 0, term 0, no hard state, the configuration in which
    /// `voters` vote.
    pub fn new(voters: &[u64]) -> Self {
        let mut core = StoreCore::default();
        core.conf_state.set_voters(voters.to_vec());
        core.snapshot
            .mut_metadata()
            .set_conf_state(core.conf_state.clone());
        AppStore(Arc::new(RwLock::new(core)))
    }

    /// A store holding exactly `core`.
    pub fn from_core(core: StoreCore) -> Self {
        AppStore(Arc::new(RwLock::new(core)))
    }

    /// Reads the store.
    pub fn rl(&self) -> RwLockReadGuard<'_, StoreCore> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the store.
    pub fn wl(&self) -> RwLockWriteGuard<'_, StoreCore> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl raft::Storage for AppStore {
    fn initial_state(&self) -> raft::Result<RaftState> {
        let core = self.rl();
        Ok(RaftState::new(
            core.hard_state.clone(),
            core.conf_state.clone(),
        ))
    }

    fn entries(
        &self,
        low: u64,
        high: u64,
        max_size: impl Into<Option<u64>>,
        _context: GetEntriesContext,
    ) -> raft::Result<Vec<Entry>> {
        let core = self.rl();
        if low < core.first_index() {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        if high > core.last_index() + 1 {
            return Err(raft::Error::Store(StorageError::Unavailable));
        }
        let from = (low - core.first_index()) as usize;
        let to = (high - core.first_index()) as usize;
        let mut entries = core.entries[from..to].to_vec();
        raft::util::limit_size(&mut entries, max_size.into());
        Ok(entries)
    }

    fn term(&self, idx: u64) -> raft::Result<u64> {
        self.rl().term(idx).map_err(raft::Error::Store)
    }

    fn first_index(&self) -> raft::Result<u64> {
        Ok(self.rl().first_index())
    }

    fn last_index(&self) -> raft::Result<u64> {
        Ok(self.rl().last_index())
    }

    fn snapshot(&self, _request_index: u64, _to: u64) -> raft::Result<Snapshot> {
        Ok(self.rl().snapshot.clone())
    }
}
