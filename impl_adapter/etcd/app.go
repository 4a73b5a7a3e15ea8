package main

// The application of a node: what it does with a Ready's committed entries, as a real etcd
// application does before Advance. A normal entry's client value (8 bytes) goes to the state
// machine; a configuration change (EntryConfChange, EntryConfChangeV2) goes to raft with
// RawNode.ApplyConfChange, and the ConfState it returns to storage, so a restart comes back in
// that configuration. Every applied entry moves the durable applied index, which a restarted
// node gets as Config.Applied: nothing it applied is handed out again.

import (
	"fmt"

	pb "go.etcd.io/etcd/raft/raftpb"
)

// setConfState stores the configuration ApplyConfChange switched to.
func (s *syncedStorage) setConfState(cs pb.ConfState) error {
	s.store.confState = cloneConfState(cs)
	return nil
}

// applyEntry records the committed entry at index as applied, its value in the state machine.
func (s *syncedStorage) applyEntry(index uint64, value *uint64) error {
	if value != nil {
		s.store.stateMachine = append(s.store.stateMachine, *value)
	}
	s.store.applied = index
	return nil
}

// applyCommitted applies a Ready's committed entries, in order.
func (n *node) applyCommitted(entries []pb.Entry) error {
	for _, e := range entries {
		var value *uint64
		switch e.Type {
		case pb.EntryNormal:
			v, err := dataToValue(e.Data)
			if err != nil {
				return fault("n%d: entry %d: %v", n.id, e.Index, err)
			}
			value = v
		case pb.EntryConfChange, pb.EntryConfChangeV2:
			if e.Index > n.appliedOnAppend {
				if err := n.applyConfEntry(e); err != nil {
					return err
				}
			}
		default:
			return unmodelled("n%d: entry %d has type %s", n.id, e.Index, e.Type)
		}
		if err := n.storage.applyEntry(e.Index, value); err != nil {
			return fault("n%d: %v", n.id, err)
		}
	}
	return nil
}

// applyOnAppend is conf-change-on-append's application (see bugs.go): the configuration
// changes among a Ready's new entries are applied at once, and not again when committed.
func (n *node) applyOnAppend(entries []pb.Entry) error {
	for _, e := range entries {
		if e.Type == pb.EntryConfChange || e.Type == pb.EntryConfChangeV2 {
			if err := n.applyConfEntry(e); err != nil {
				return err
			}
			n.appliedOnAppend = e.Index
		}
	}
	return nil
}

// applyConfEntry hands the configuration change of entry e to raft and stores the resulting
// ConfState. etcd panics on a change it cannot apply (raft.applyConfChange, before anything
// is switched); that is answered as the change refused.
func (n *node) applyConfEntry(e pb.Entry) (err error) {
	var cc pb.ConfChangeI
	switch e.Type {
	case pb.EntryConfChange:
		var v1 pb.ConfChange
		if uerr := v1.Unmarshal(e.Data); uerr != nil {
			return fault("n%d: entry %d is not a ConfChange: %v", n.id, e.Index, uerr)
		}
		cc = v1
	default:
		var v2 pb.ConfChangeV2
		if uerr := v2.Unmarshal(e.Data); uerr != nil {
			return fault("n%d: entry %d is not a ConfChangeV2: %v", n.id, e.Index, uerr)
		}
		cc = v2
	}
	cs, err := n.applyConfChange(cc)
	if err != nil {
		return refused("n%d: the configuration change at index %d: %v", n.id, e.Index, err)
	}
	if err := n.storage.setConfState(*cs); err != nil {
		return fault("n%d: %v", n.id, err)
	}
	return nil
}

func (n *node) applyConfChange(cc pb.ConfChangeI) (cs *pb.ConfState, err error) {
	defer func() {
		if p := recover(); p != nil {
			cs, err = nil, fmt.Errorf("etcd could not apply it: %v", p)
		}
	}()
	return n.rn.ApplyConfChange(cc), nil
}
