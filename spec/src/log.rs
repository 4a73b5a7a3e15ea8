//! A node's log: the entries it holds after a compacted prefix (etcd raft `raftLog` over its
//! storage and `unstable`, raft-rs `RaftLog`).
//!
//! Indexes are 1-based and absolute. Everything up to the snapshot index has been compacted
//! away: only its last index and term are known (the snapshot's metadata), which is exactly what
//! the log-matching check of an append and the up-to-date check of a vote need at that point.
//! The entries after it are held in full.
//!
//! ```text
//!   compacted    | held
//!   1 .. s       | s+1 .. last
//!   term_at(s) = snapshot term; entry(s) = None; term_at(i < s) = None
//! ```
//!
//! A log is compacted by `Input::Compact` (up to the applied index) and replaced by an installed
//! snapshot's base; otherwise its snapshot index stays 0 and it is whole.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::types::{Entry, LogIndex, Term};

/// The entries after a compacted prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Log {
    /// Index of the last compacted entry (0: nothing compacted).
    snapshot_index: LogIndex,
    /// Term of the last compacted entry (0 when nothing is compacted).
    snapshot_term: Term,
    /// `entries[i]` is the entry at index `snapshot_index + 1 + i`.
    entries: Vec<Entry>,
}

/// Why a log operation could not be carried out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogError {
    /// The index is inside the compacted prefix (at or below the snapshot index).
    Compacted {
        /// The index asked for.
        index: LogIndex,
        /// The log's snapshot index.
        snapshot_index: LogIndex,
    },
    /// The index is past the end of the log.
    Unavailable {
        /// The index asked for.
        index: LogIndex,
        /// The log's last index.
        last_index: LogIndex,
    },
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::Compacted {
                index,
                snapshot_index,
            } => write!(
                f,
                "index {index} is compacted (the log is compacted up to {snapshot_index})"
            ),
            LogError::Unavailable { index, last_index } => {
                write!(f, "index {index} is past the last index {last_index}")
            }
        }
    }
}

impl std::error::Error for LogError {}

impl From<Vec<Entry>> for Log {
    /// A whole log: `entries[0]` at index 1.
    fn from(entries: Vec<Entry>) -> Self {
        Log {
            snapshot_index: 0,
            snapshot_term: 0,
            entries,
        }
    }
}

impl Log {
    /// The empty log: nothing compacted, no entries.
    pub fn new() -> Self {
        Log::default()
    }

    /// Index of the last compacted entry (0 when nothing is compacted).
    pub fn snapshot_index(&self) -> LogIndex {
        self.snapshot_index
    }

    /// Term of the last compacted entry (0 when nothing is compacted).
    pub fn snapshot_term(&self) -> Term {
        self.snapshot_term
    }

    /// The first index whose entry the log holds (`snapshot_index + 1`, even when it holds no
    /// entry).
    pub fn first_index(&self) -> LogIndex {
        self.snapshot_index + 1
    }

    /// Index of the last entry (the snapshot index when no entry is held).
    pub fn last_index(&self) -> LogIndex {
        self.snapshot_index + self.entries.len() as LogIndex
    }

    /// Term of the last entry (the snapshot term when no entry is held).
    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(self.snapshot_term, |e| e.term)
    }

    /// The entries held, from [`Log::first_index`] on.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// True when the log holds no entry (it may still have a compacted prefix).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry at `index`, if the log holds one there.
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        if index <= self.snapshot_index {
            return None;
        }
        self.entries.get((index - self.snapshot_index - 1) as usize)
    }

    /// The term at `index`: the snapshot term at the snapshot index (0 at index 0), the entry's
    /// term for a held entry, `None` inside the compacted prefix or past the end.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == self.snapshot_index {
            Some(self.snapshot_term)
        } else {
            self.entry(index).map(|e| e.term)
        }
    }

    /// The entries after `index`, when the log knows the term at `index` (so an append from
    /// there can be checked by a follower); `None` inside the compacted prefix or past the end.
    pub fn entries_after(&self, index: LogIndex) -> Option<&[Entry]> {
        if index < self.snapshot_index || index > self.last_index() {
            return None;
        }
        Some(&self.entries[(index - self.snapshot_index) as usize..])
    }

    /// True when a log ending at (`last_index`, `last_term`) is at least as up to date as this
    /// one (Raft §5.4.1).
    pub fn is_up_to_date(&self, last_index: LogIndex, last_term: Term) -> bool {
        last_term > self.last_term()
            || (last_term == self.last_term() && last_index >= self.last_index())
    }

    /// Appends one entry after the last.
    pub fn push(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    /// Stores `entries` from `index` on, first discarding every entry at `index` and after
    /// (etcd `unstable.truncateAndAppend`). `index` may be at most one past the last index and
    /// must be past the compacted prefix: a compacted entry is committed and never replaced.
    pub fn append_at(&mut self, index: LogIndex, entries: &[Entry]) -> Result<(), LogError> {
        if index <= self.snapshot_index {
            return Err(LogError::Compacted {
                index,
                snapshot_index: self.snapshot_index,
            });
        }
        if index > self.last_index() + 1 {
            return Err(LogError::Unavailable {
                index,
                last_index: self.last_index(),
            });
        }
        self.entries
            .truncate((index - self.snapshot_index - 1) as usize);
        self.entries.extend_from_slice(entries);
        Ok(())
    }

    /// The first of `entries` (meant to follow `prev_index`) whose index holds an entry of
    /// another term here or no entry at all, as an offset into `entries`; `None` when the log
    /// already holds them all (etcd `raftLog.findConflict`).
    pub fn find_conflict(&self, prev_index: LogIndex, entries: &[Entry]) -> Option<usize> {
        entries.iter().enumerate().position(|(offset, entry)| {
            self.term_at(prev_index + 1 + offset as LogIndex) != Some(entry.term)
        })
    }

    /// The largest index `i <= min(index, last index)` whose term is `<= term`, with its term,
    /// for the hint of a rejected append (raft-rs `find_conflict_by_term`). Inside the compacted
    /// prefix the term is unknown: the search stops just below the snapshot index with term 0.
    pub fn find_conflict_by_term(&self, index: LogIndex, term: Term) -> (LogIndex, Term) {
        let mut at = index.min(self.last_index());
        loop {
            match self.term_at(at) {
                Some(t) if t > term => at -= 1,
                Some(t) => return (at, t),
                None => return (at, 0),
            }
        }
    }

    /// Discards every entry up to and including `index`, which must be held (or be the snapshot
    /// index itself, which changes nothing); its term becomes the snapshot term (etcd
    /// `MemoryStorage.Compact`).
    pub fn compact(&mut self, index: LogIndex) -> Result<(), LogError> {
        if index < self.snapshot_index {
            return Err(LogError::Compacted {
                index,
                snapshot_index: self.snapshot_index,
            });
        }
        if index > self.last_index() {
            return Err(LogError::Unavailable {
                index,
                last_index: self.last_index(),
            });
        }
        let term = self.term_at(index).expect("held or the snapshot index");
        self.entries.drain(..(index - self.snapshot_index) as usize);
        self.snapshot_index = index;
        self.snapshot_term = term;
        Ok(())
    }

    /// Replaces the whole log by a snapshot's base: nothing held, compacted up to `index` with
    /// `term` there (etcd `raftLog.restore`).
    pub fn restore(&mut self, index: LogIndex, term: Term) {
        self.snapshot_index = index;
        self.snapshot_term = term;
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(term: Term, value: u64) -> Entry {
        Entry::value(term, value)
    }

    /// Entries 1..=5 of terms 1, 1, 2, 3, 3, compacted up to 2.
    fn compacted() -> Log {
        let mut log = Log::from(vec![v(1, 1), v(1, 2), v(2, 3), v(3, 4), v(3, 5)]);
        log.compact(2).unwrap();
        log
    }

    #[test]
    fn the_empty_log() {
        let log = Log::new();
        assert_eq!(
            (log.first_index(), log.last_index(), log.last_term()),
            (1, 0, 0)
        );
        assert_eq!(log.term_at(0), Some(0));
        assert_eq!(log.term_at(1), None);
        assert_eq!(log.entry(0), None);
        assert_eq!(log.entries_after(0), Some(&[][..]));
        assert_eq!(log.entries_after(1), None);
    }

    #[test]
    fn indexes_across_a_compacted_prefix() {
        let log = compacted();
        assert_eq!((log.snapshot_index(), log.snapshot_term()), (2, 1));
        assert_eq!(
            (log.first_index(), log.last_index(), log.last_term()),
            (3, 5, 3)
        );
        assert_eq!(log.entries(), &[v(2, 3), v(3, 4), v(3, 5)]);
        assert_eq!(log.term_at(1), None, "compacted");
        assert_eq!(log.term_at(2), Some(1), "the snapshot's term");
        assert_eq!(log.term_at(3), Some(2));
        assert_eq!(log.term_at(6), None, "past the end");
        assert_eq!(log.entry(2), None);
        assert_eq!(log.entry(4), Some(&v(3, 4)));
        assert_eq!(log.entries_after(1), None);
        assert_eq!(log.entries_after(2), Some(&[v(2, 3), v(3, 4), v(3, 5)][..]));
        assert_eq!(log.entries_after(5), Some(&[][..]));
        assert_eq!(log.entries_after(6), None);
    }

    #[test]
    fn compacting_everything_keeps_the_last_term() {
        let mut log = compacted();
        log.compact(5).unwrap();
        assert!(log.is_empty());
        assert_eq!((log.last_index(), log.last_term()), (5, 3));
        assert!(log.is_up_to_date(5, 3));
        assert!(!log.is_up_to_date(4, 3));
        assert!(log.is_up_to_date(1, 4));
        log.push(v(4, 6));
        assert_eq!((log.last_index(), log.entry(6)), (6, Some(&v(4, 6))));
    }

    #[test]
    fn compact_refuses_what_it_cannot_do() {
        let mut log = compacted();
        assert_eq!(
            log.compact(1),
            Err(LogError::Compacted {
                index: 1,
                snapshot_index: 2
            })
        );
        assert_eq!(
            log.compact(6),
            Err(LogError::Unavailable {
                index: 6,
                last_index: 5
            })
        );
        assert_eq!(
            log.compact(2),
            Ok(()),
            "compacting to the snapshot index again"
        );
        assert_eq!(log, compacted());
        assert!(log
            .compact(6)
            .unwrap_err()
            .to_string()
            .contains("past the last index 5"));
    }

    #[test]
    fn append_at_truncates_then_appends() {
        let mut log = compacted();
        log.append_at(4, &[v(4, 9)]).unwrap();
        assert_eq!(log.entries(), &[v(2, 3), v(4, 9)]);
        log.append_at(5, &[v(4, 10)]).unwrap();
        assert_eq!(log.last_index(), 5);
        log.append_at(3, &[]).unwrap();
        assert_eq!(log.last_index(), 2, "truncated down to the snapshot");
        assert_eq!(log.last_term(), 1);
        assert_eq!(
            log.append_at(2, &[v(5, 1)]),
            Err(LogError::Compacted {
                index: 2,
                snapshot_index: 2
            })
        );
        assert_eq!(
            log.append_at(4, &[v(5, 1)]),
            Err(LogError::Unavailable {
                index: 4,
                last_index: 2
            })
        );
    }

    #[test]
    fn conflicts_are_found_by_index_and_term() {
        let log = compacted();
        assert_eq!(log.find_conflict(2, &[v(2, 3), v(3, 4)]), None);
        assert_eq!(log.find_conflict(2, &[v(2, 3), v(4, 4)]), Some(1));
        assert_eq!(
            log.find_conflict(4, &[v(3, 5), v(3, 6)]),
            Some(1),
            "past the end"
        );
        assert_eq!(log.find_conflict(5, &[]), None);
    }

    #[test]
    fn rejection_hints_stop_at_the_compacted_prefix() {
        // Terms: 1 1 | 2 3 3, compacted up to 2.
        let log = compacted();
        assert_eq!(log.find_conflict_by_term(5, 3), (5, 3));
        assert_eq!(log.find_conflict_by_term(5, 2), (3, 2));
        assert_eq!(
            log.find_conflict_by_term(9, 2),
            (3, 2),
            "from the last index"
        );
        assert_eq!(
            log.find_conflict_by_term(5, 1),
            (2, 1),
            "the snapshot's term"
        );
        assert_eq!(log.find_conflict_by_term(5, 0), (1, 0), "unknown below it");
        let whole = Log::from(vec![v(1, 1), v(2, 2)]);
        assert_eq!(whole.find_conflict_by_term(2, 0), (0, 0));
    }

    #[test]
    fn restore_replaces_the_log_by_a_snapshot_base() {
        let mut log = compacted();
        log.restore(7, 4);
        assert!(log.is_empty());
        assert_eq!(
            (log.first_index(), log.last_index(), log.last_term()),
            (8, 7, 4)
        );
        assert_eq!(log.term_at(7), Some(4));
        assert_eq!(log.term_at(5), None);
    }
}
