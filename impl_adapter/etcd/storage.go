package main

// The storage seam of a node: where the Ready loop writes a Ready's entries and HardState, and
// what a restart rebuilds the node from. raft reads a confStorage (etcd's MemoryStorage plus the
// application's durable state); the loop writes through the node's nodeStorage, which owns that
// confStorage and decides what of it is durable. The honest store is syncedStorage: every write
// is durable when it returns, so a restart reads back exactly what was written. The injected
// persistence bugs (bugs.go) are wrappers around it.
//
// Membership and snapshots belong to this seam too (app.go, snapshot.go): the application's
// writes — installing a Ready's snapshot, the ConfState ApplyConfChange returned, each applied
// entry, a compaction — are nodeStorage writes beside write, and the membership and snapshot
// bugs are wrappers around them. confStorage holds, besides MemoryStorage's log, HardState and
// snapshot (with its data), the configuration last switched to, the applied index and the
// state machine, so a restart rebuilds all of them.

import (
	"fmt"

	"go.etcd.io/etcd/raft"
	pb "go.etcd.io/etcd/raft/raftpb"
)

// nodeStorage is where a node's Ready loop writes, and what a restart rebuilds the node from.
// Every write is readable by raft at once (through raftStorage); what is durable, and so
// survives restart, is the store's business.
type nodeStorage interface {
	// raftStorage is the storage raft reads: everything written so far.
	raftStorage() *confStorage
	// write stores a Ready's entries (replacing the stored entries from the first new index
	// on) and its HardState unless empty. The loop calls it only for a Ready with something to
	// write, and sends the Ready's messages once it returns: a write must be durable by then.
	write(entries []pb.Entry, hs pb.HardState) error
	// completeWrites is called as the node's next input begins (any but a restart).
	completeWrites()
	// restart is the node's crash: the storage the restarted node reads. Writes that were not
	// durable are lost.
	restart() (*confStorage, error)
	// applySnapshot installs a Ready's snapshot: the log, the configuration in its metadata,
	// the state machine in its data, applied = its index.
	applySnapshot(snap pb.Snapshot) error
	// setConfState stores the configuration ApplyConfChange switched to.
	setConfState(cs pb.ConfState) error
	// applyEntry records that the application applied the committed entry at index, with the
	// client value it carries (nil: none).
	applyEntry(index uint64, value *uint64) error
	// compact is the application's compaction: a snapshot at its applied index, with the
	// configuration and state machine there, and the log before it discarded.
	compact() error
}

// syncedStorage is the honest store: a confStorage whose every write is durable when it
// returns (as if each Ready were fsynced before its messages are sent).
type syncedStorage struct {
	store *confStorage
}

func newSyncedStorage(voters []uint64) *syncedStorage {
	return &syncedStorage{store: newConfStorage(voters)}
}

func (s *syncedStorage) raftStorage() *confStorage { return s.store }

func (s *syncedStorage) write(entries []pb.Entry, hs pb.HardState) error {
	if err := s.append(entries); err != nil {
		return err
	}
	return s.setHardState(hs)
}

func (s *syncedStorage) append(entries []pb.Entry) error {
	if err := s.store.Append(entries); err != nil {
		return fmt.Errorf("storage refused entries: %v", err)
	}
	return nil
}

func (s *syncedStorage) setHardState(hs pb.HardState) error {
	if raft.IsEmptyHardState(hs) {
		return nil
	}
	if err := s.store.SetHardState(hs); err != nil {
		return fmt.Errorf("storage refused the HardState: %v", err)
	}
	return nil
}

func (s *syncedStorage) completeWrites() {}

func (s *syncedStorage) restart() (*confStorage, error) { return s.store, nil }

// capture copies what the store holds now.
func (s *syncedStorage) capture() (*storedState, error) {
	first, err := s.store.FirstIndex()
	if err != nil {
		return nil, fmt.Errorf("could not read its storage: %v", err)
	}
	ents, err := s.store.entriesFrom(first)
	if err != nil {
		return nil, fmt.Errorf("could not read its storage: %v", err)
	}
	snap, err := s.store.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("could not read its snapshot: %v", err)
	}
	return &storedState{
		hardState:    s.store.hardState(),
		snapshot:     cloneSnapshot(snap),
		entries:      ents,
		confState:    cloneConfState(s.store.confState),
		applied:      s.store.applied,
		stateMachine: append([]uint64(nil), s.store.stateMachine...),
	}, nil
}

// restore replaces the store by a fresh one holding exactly st. Whoever read the old store
// (the crashed RawNode) keeps the old one.
func (s *syncedStorage) restore(st *storedState) error {
	fresh := newConfStorage(nil)
	if st.snapshot.Metadata.Index > 0 {
		if err := fresh.ApplySnapshot(cloneSnapshot(st.snapshot)); err != nil {
			return fmt.Errorf("could not restore the durable snapshot: %v", err)
		}
	}
	if err := fresh.Append(cloneEntries(st.entries)); err != nil {
		return fmt.Errorf("could not restore the durable log: %v", err)
	}
	if err := fresh.SetHardState(st.hardState); err != nil {
		return fmt.Errorf("could not restore the durable HardState: %v", err)
	}
	fresh.confState = cloneConfState(st.confState)
	fresh.applied = st.applied
	fresh.stateMachine = append([]uint64(nil), st.stateMachine...)
	s.store = fresh
	return nil
}

// storedState is what a store held at some point: its HardState, its snapshot, the log after
// it, and the application's durable state.
type storedState struct {
	hardState    pb.HardState
	snapshot     pb.Snapshot
	entries      []pb.Entry
	confState    pb.ConfState
	applied      uint64
	stateMachine []uint64
}

// writeCache is a syncedStorage behind a volatile cache: writes reach the store raft reads at
// once but are durable only from the next sync; a crash before it goes back to what was
// durable. The building block of the stores whose writes are not durable when they return.
type writeCache struct {
	store *syncedStorage
	// durable is what the store held when everything was last durable; non-nil while some
	// writes are not.
	durable *storedState
}

// beforeWrite is called before a write that will not be durable: if everything is durable so
// far, it is remembered.
func (c *writeCache) beforeWrite() error {
	if c.durable != nil {
		return nil
	}
	d, err := c.store.capture()
	if err != nil {
		return err
	}
	c.durable = d
	return nil
}

// sync makes everything written so far durable.
func (c *writeCache) sync() { c.durable = nil }

// crash loses the writes since the last sync and returns the surviving storage.
func (c *writeCache) crash() (*confStorage, error) {
	if c.durable != nil {
		if err := c.store.restore(c.durable); err != nil {
			return nil, err
		}
		c.durable = nil
	}
	return c.store.raftStorage(), nil
}

// confStorage is a MemoryStorage plus the application's durable state: the configuration it
// last switched to, its applied index and its state machine. A fresh one has an empty log
// (index 0, term 0) and the initial voters as its configuration: the etcd counterpart of
// raft-rs's MemStorage::new_with_conf_state, so there are no bootstrap entries to map away.
// (RawNode.Bootstrap would instead write one EntryConfChange per peer at term 1 and set term 1,
// commit 3.)
type confStorage struct {
	*raft.MemoryStorage
	// confState is the configuration the application last switched to (ApplyConfChange's
	// result, or a snapshot's), reported by InitialState.
	confState pb.ConfState
	// applied is the application's applied index: Config.Applied of a restarted node.
	applied uint64
	// stateMachine is the client values applied, in order.
	stateMachine []uint64
}

func newConfStorage(voters []uint64) *confStorage {
	return &confStorage{
		MemoryStorage: raft.NewMemoryStorage(),
		confState:     pb.ConfState{Voters: append([]uint64(nil), voters...)},
	}
}

// InitialState is MemoryStorage's HardState with the configuration last switched to.
// (MemoryStorage reports its snapshot's ConfState, which is stale after a later configuration
// change, and empty before the first snapshot.)
func (s *confStorage) InitialState() (pb.HardState, pb.ConfState, error) {
	hs, _, err := s.MemoryStorage.InitialState()
	return hs, cloneConfState(s.confState), err
}

// hardState is the HardState last written.
func (s *confStorage) hardState() pb.HardState {
	hs, _, _ := s.MemoryStorage.InitialState()
	return hs
}

// entriesFrom is every stored entry from index `from` on (none if from is past the end).
func (s *confStorage) entriesFrom(from uint64) ([]pb.Entry, error) {
	last, err := s.LastIndex()
	if err != nil {
		return nil, err
	}
	if from > last {
		return nil, nil
	}
	ents, err := s.Entries(from, last+1, noLimit)
	if err != nil {
		return nil, err
	}
	return cloneEntries(ents), nil
}

// noLimit is "no size limit" for Entries and MaxSizePerMsg.
const noLimit = ^uint64(0)

func cloneEntries(ents []pb.Entry) []pb.Entry {
	out := make([]pb.Entry, len(ents))
	for i, e := range ents {
		out[i] = e
		out[i].Data = append([]byte(nil), e.Data...)
		copyUnrecognized(&out[i], e)
	}
	return out
}

// The application's writes behind a write cache go to the store directly, as the honest
// store's do: a crash before the next sync goes back to what was durable, them included.

func (c *writeCache) applySnapshot(snap pb.Snapshot) error { return c.store.applySnapshot(snap) }

func (c *writeCache) setConfState(cs pb.ConfState) error { return c.store.setConfState(cs) }

func (c *writeCache) applyEntry(index uint64, value *uint64) error {
	return c.store.applyEntry(index, value)
}

func (c *writeCache) compact() error { return c.store.compact() }
