//go:build !raft36

// The etcd raft 3.4 side of the few API differences between the raft versions this adapter
// builds against (version_36.go is the v3.6 side). Everything else is one source for both:
// raftcheck builds 3.4 in GOPATH mode from these files as they are, and v3.6 in module mode
// with the tag raft36 and the raft imports rewritten to go.etcd.io/raft/v3 (README.md,
// "Building").

package main

import (
	"reflect"

	pb "go.etcd.io/etcd/raft/raftpb"
)

// implementation names what is checked, for reports.
const implementation = "etcd raft 3.4.23 (go.etcd.io/etcd/raft RawNode)"

// flavour is the spec flavour this build conforms to (spec/src/flavour.rs, Flavour::etcd).
const flavour = "etcd"

// trackerField is the raft struct's field holding its progress tracker.
const trackerField = "prs"

// setMessageSnapshot puts a snapshot on a message (3.4: a value field).
func setMessageSnapshot(m *pb.Message, s pb.Snapshot) { m.Snapshot = s }

// messageSnapshot is a message's snapshot, empty if it has none.
func messageSnapshot(m pb.Message) pb.Snapshot { return m.Snapshot }

// excludedVersionField says whether the fingerprint leaves a field of type t out (see
// fingerprint.go; 3.4 has nothing beyond the fields listed there).
func excludedVersionField(reflect.Type, string) bool { return false }

// copyUnrecognized copies the unknown protobuf fields of an entry (3.4's gogo types keep them).
func copyUnrecognized(dst *pb.Entry, src pb.Entry) {
	dst.XXX_unrecognized = append([]byte(nil), src.XXX_unrecognized...)
}
