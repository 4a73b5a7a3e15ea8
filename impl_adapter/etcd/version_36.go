//go:build raft36

// The etcd raft v3.6 side of the few API differences between the raft versions this adapter
// builds against (see version_34.go).

package main

import (
	"reflect"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// implementation names what is checked, for reports.
const implementation = "etcd raft v3.6.0 (go.etcd.io/raft/v3 RawNode)"

// flavour is the spec flavour this build conforms to (spec/src/flavour.rs, Flavour::etcd_3_6).
const flavour = "etcd-3.6"

// trackerField is the raft struct's field holding its progress tracker (renamed from 3.4's prs).
const trackerField = "trk"

// setMessageSnapshot puts a snapshot on a message (v3.6: a pointer field, nil when absent).
func setMessageSnapshot(m *pb.Message, s pb.Snapshot) { m.Snapshot = &s }

// messageSnapshot is a message's snapshot, empty if it has none.
func messageSnapshot(m pb.Message) pb.Snapshot {
	if m.Snapshot == nil {
		return pb.Snapshot{}
	}
	return *m.Snapshot
}

var memoryStorageType = reflect.TypeOf(raft.MemoryStorage{})

// excludedVersionField says whether the fingerprint leaves a field of type t out (see
// fingerprint.go): v3.6's MemoryStorage.callStats counts calls of each Storage method for
// etcd's own tests (storage.go); nothing reads it, and hashing it would make every path's
// fingerprint differ.
func excludedVersionField(t reflect.Type, name string) bool {
	return t == memoryStorageType && name == "callStats"
}

// copyUnrecognized does nothing: v3.6's raftpb types have no XXX_unrecognized field.
func copyUnrecognized(*pb.Entry, pb.Entry) {}
