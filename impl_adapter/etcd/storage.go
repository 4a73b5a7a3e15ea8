package main

// Storage: etcd's MemoryStorage with the cluster's membership, and the durable copies that
// separate "written" (readable by raft) from "durable" (survives a restart).

import (
	"go.etcd.io/etcd/raft"
	pb "go.etcd.io/etcd/raft/raftpb"
)

// confStorage is a MemoryStorage whose InitialState reports the cluster's voters although the
// log is empty (index 0, term 0). This is the etcd counterpart of raft-rs's
// MemStorage::new_with_conf_state: a node starts with no snapshot, no configuration entries and
// no HardState, so there are no bootstrap entries to map away. (RawNode.Bootstrap would instead
// write one EntryConfChange per peer at term 1 and set term 1, commit 3.)
type confStorage struct {
	*raft.MemoryStorage
	voters []uint64
}

func newConfStorage(voters []uint64) *confStorage {
	return &confStorage{
		MemoryStorage: raft.NewMemoryStorage(),
		voters:        append([]uint64(nil), voters...),
	}
}

// InitialState is MemoryStorage's, with the voters filled in while no snapshot carries a
// ConfState (always, here: nothing ever installs a snapshot).
func (s *confStorage) InitialState() (pb.HardState, pb.ConfState, error) {
	hs, cs, err := s.MemoryStorage.InitialState()
	if err != nil {
		return hs, cs, err
	}
	if len(cs.Voters) == 0 && len(cs.Learners) == 0 {
		cs = pb.ConfState{Voters: append([]uint64(nil), s.voters...)}
	}
	return hs, cs, nil
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
		out[i].XXX_unrecognized = append([]byte(nil), e.XXX_unrecognized...)
	}
	return out
}

// durableCopy is what a node's storage held durably before writes that are not yet durable; a
// restart goes back to it. Only the injected persistence bugs create one.
type durableCopy struct {
	hardState pb.HardState
	entries   []pb.Entry
}

// snapshot copies what the storage holds now.
func (s *confStorage) snapshot() (*durableCopy, error) {
	ents, err := s.entriesFrom(1)
	if err != nil {
		return nil, err
	}
	return &durableCopy{hardState: s.hardState(), entries: ents}, nil
}

// restore builds a fresh storage holding exactly the durable copy.
func (d *durableCopy) restore(voters []uint64) (*confStorage, error) {
	s := newConfStorage(voters)
	if err := s.Append(cloneEntries(d.entries)); err != nil {
		return nil, err
	}
	if err := s.SetHardState(d.hardState); err != nil {
		return nil, err
	}
	return s, nil
}
