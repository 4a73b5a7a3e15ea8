//! A node's disk, with an explicit synced boundary.
//!
//! Writes (entries, hard state, commit index, applied entries) go to the page cache at once —
//! raft-rs reads its log and hard state from there ([`CacheStore`]) — and become durable only
//! when [`Disk::sync`] runs. A crash ([`Disk::crash`]) keeps exactly what was synced: the page
//! cache is rebuilt from the durable state and every unsynced write is gone. The stock `Ready`
//! loop syncs before it advances raft-rs and before the messages that wait for persistence
//! leave, so a crash loses nothing raft-rs counted as persisted.
//!
//! The log is never compacted: it starts at index 1, after an empty snapshot at index 0 whose
//! configuration is the initial voters (no bootstrap entries).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};
use raft::{GetEntriesContext, RaftState, StorageError};

use crate::Bug;

/// Everything a disk holds: Raft's state and the application's.
#[derive(Clone, Debug, Default)]
pub struct DiskState {
    /// Term, vote and commit index.
    pub hard_state: HardState,
    /// The configuration: the initial voters (membership never changes).
    pub conf_state: ConfState,
    /// The log, index 1 first.
    pub entries: Vec<Entry>,
    /// The application's applied index.
    pub applied: u64,
    /// The application's state machine: the client values applied, in order.
    pub state_machine: Vec<u64>,
}

impl DiskState {
    fn last_index(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Writes `entries`, replacing the log from the first one's index on.
    fn append(&mut self, entries: &[Entry]) {
        let Some(first) = entries.first() else {
            return;
        };
        let keep = (first.index.max(1) - 1).min(self.last_index()) as usize;
        self.entries.truncate(keep);
        self.entries.extend_from_slice(entries);
    }

    fn apply(&mut self, write: &Write, bug: Option<Bug>) {
        match write {
            Write::Entries(entries) => self.append(entries),
            Write::HardState(hs) => {
                if bug == Some(Bug::VoteNotPersisted) {
                    // The bug: the term and commit index reach the disk, the vote never does.
                    self.hard_state.term = hs.term;
                    self.hard_state.commit = hs.commit;
                } else {
                    self.hard_state = hs.clone();
                }
            }
            Write::Commit(commit) => self.hard_state.commit = *commit,
            Write::Applied { index, value } => {
                self.applied = *index;
                self.state_machine.extend(*value);
            }
        }
    }
}

/// One write to the page cache, durable from the next sync on.
#[derive(Clone, Debug)]
enum Write {
    Entries(Vec<Entry>),
    HardState(HardState),
    Commit(u64),
    Applied { index: u64, value: Option<u64> },
}

/// The page cache as raft-rs reads it (`raft::Storage`): every write, synced or not. A clone is a
/// handle on the same cache.
#[derive(Clone, Debug, Default)]
pub struct CacheStore(Arc<RwLock<DiskState>>);

impl CacheStore {
    fn new(state: DiskState) -> Self {
        CacheStore(Arc::new(RwLock::new(state)))
    }

    /// Reads the cache.
    pub fn rl(&self) -> RwLockReadGuard<'_, DiskState> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn wl(&self) -> RwLockWriteGuard<'_, DiskState> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl raft::Storage for CacheStore {
    fn initial_state(&self) -> raft::Result<RaftState> {
        let s = self.rl();
        Ok(RaftState::new(s.hard_state.clone(), s.conf_state.clone()))
    }

    fn entries(
        &self,
        low: u64,
        high: u64,
        max_size: impl Into<Option<u64>>,
        _context: GetEntriesContext,
    ) -> raft::Result<Vec<Entry>> {
        let s = self.rl();
        if low < 1 {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        if high > s.last_index() + 1 || low > high {
            return Err(raft::Error::Store(StorageError::Unavailable));
        }
        let mut out = s.entries[(low - 1) as usize..(high - 1) as usize].to_vec();
        raft::util::limit_size(&mut out, max_size.into());
        Ok(out)
    }

    fn term(&self, idx: u64) -> raft::Result<u64> {
        if idx == 0 {
            return Ok(0);
        }
        self.rl()
            .entries
            .get((idx - 1) as usize)
            .map(|e| e.term)
            .ok_or(raft::Error::Store(StorageError::Unavailable))
    }

    fn first_index(&self) -> raft::Result<u64> {
        Ok(1)
    }

    fn last_index(&self) -> raft::Result<u64> {
        Ok(self.rl().last_index())
    }

    fn snapshot(&self, _request_index: u64, _to: u64) -> raft::Result<Snapshot> {
        // The log is never compacted, so no follower is ever behind its first index.
        Err(raft::Error::Store(
            StorageError::SnapshotTemporarilyUnavailable,
        ))
    }
}

/// A node's disk: the durable state, the page cache over it, and the writes not yet synced.
pub struct Disk {
    durable: DiskState,
    cache: CacheStore,
    pending: Vec<Write>,
    bug: Option<Bug>,
    /// Extra time every sync takes, in microseconds (the slow-disk fault; the driver sets it).
    latency_us: Arc<AtomicU64>,
    last_sync: Instant,
    /// Syncs that wrote something.
    pub syncs: u64,
}

/// How long the `unsynced-tail-lost` integration code lets writes sit in the page cache.
pub const LAZY_SYNC: Duration = Duration::from_millis(100);

impl Disk {
    /// A fresh disk: empty log, no hard state, `voters` as the configuration.
    pub fn new(voters: &[u64], bug: Option<Bug>, latency_us: Arc<AtomicU64>) -> Self {
        let mut state = DiskState::default();
        state.conf_state.set_voters(voters.to_vec());
        Disk {
            cache: CacheStore::new(state.clone()),
            durable: state,
            pending: Vec::new(),
            bug,
            latency_us,
            last_sync: Instant::now(),
            syncs: 0,
        }
    }

    /// The page cache raft-rs reads.
    pub fn cache(&self) -> CacheStore {
        self.cache.clone()
    }

    /// The durable state (what a crash would leave).
    pub fn durable(&self) -> &DiskState {
        &self.durable
    }

    fn write(&mut self, w: Write) {
        self.cache.wl().apply(&w, None);
        self.pending.push(w);
    }

    /// Writes a `Ready`'s entries.
    pub fn append(&mut self, entries: &[Entry]) {
        if !entries.is_empty() {
            self.write(Write::Entries(entries.to_vec()));
        }
    }

    /// Writes a `Ready`'s hard state.
    pub fn set_hard_state(&mut self, hs: &HardState) {
        self.write(Write::HardState(hs.clone()));
    }

    /// Writes the commit index a `LightReady` advanced to.
    pub fn set_commit(&mut self, commit: u64) {
        self.write(Write::Commit(commit));
    }

    /// The application applied the entry at `index` (carrying `value`, if a client value).
    pub fn applied(&mut self, index: u64, value: Option<u64>) {
        self.write(Write::Applied { index, value });
    }

    /// fsync: every write so far becomes durable (after the slow disk's latency, if any).
    pub fn sync(&mut self) {
        self.last_sync = Instant::now();
        if self.pending.is_empty() {
            return;
        }
        let latency = self.latency_us.load(Ordering::Relaxed);
        if latency > 0 {
            std::thread::sleep(Duration::from_micros(latency));
        }
        for w in self.pending.drain(..) {
            self.durable.apply(&w, self.bug);
        }
        self.syncs += 1;
    }

    /// Syncs only if the last sync is [`LAZY_SYNC`] ago (an "fsync every 100 ms" log).
    pub fn sync_lazily(&mut self) {
        if self.last_sync.elapsed() >= LAZY_SYNC {
            self.sync();
        }
    }

    /// The node crashed: every unsynced write is lost; the page cache the restarted node reads
    /// holds exactly the durable state.
    pub fn crash(&mut self) {
        self.pending.clear();
        if self.bug == Some(Bug::RestartTrustsLog) {
            // The bug: the restart code rebuilds the commit index as the last durable index.
            self.durable.hard_state.commit = self.durable.last_index();
        }
        self.cache = CacheStore::new(self.durable.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft::Storage;

    fn entry(index: u64, term: u64) -> Entry {
        Entry {
            index,
            term,
            ..Default::default()
        }
    }

    fn disk(bug: Option<Bug>) -> Disk {
        Disk::new(&[1, 2, 3], bug, Arc::default())
    }

    #[test]
    fn a_crash_keeps_what_was_synced_and_nothing_else() {
        let mut d = disk(None);
        d.append(&[entry(1, 1), entry(2, 1)]);
        d.sync();
        d.append(&[entry(2, 2), entry(3, 2)]);
        assert_eq!(d.cache().last_index(), Ok(3));
        assert_eq!(d.cache().term(2), Ok(2));
        d.crash();
        assert_eq!(d.cache().last_index(), Ok(2));
        assert_eq!(d.cache().term(2), Ok(1));
    }

    #[test]
    fn the_vote_bug_never_makes_the_vote_durable() {
        let hs = HardState {
            term: 3,
            vote: 2,
            commit: 0,
            ..Default::default()
        };
        for (bug, vote) in [(None, 2), (Some(Bug::VoteNotPersisted), 0)] {
            let mut d = disk(bug);
            d.set_hard_state(&hs);
            assert_eq!(d.cache().initial_state().unwrap().hard_state.vote, 2);
            d.sync();
            d.crash();
            let after = d.cache().initial_state().unwrap().hard_state;
            assert_eq!((after.term, after.vote), (3, vote));
        }
    }
}
