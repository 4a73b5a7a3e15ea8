//go:build !raft36

package main

import pb "go.etcd.io/etcd/raft/raftpb"

// versionUnmodelledMessages are the unmodelled messages only etcd 3.4's raftpb can express.
func versionUnmodelledMessages(base func() pb.Message) map[string]func() pb.Message {
	return map[string]func() pb.Message{
		"unrecognized bytes": func() pb.Message { m := base(); m.XXX_unrecognized = []byte{1}; return m },
	}
}

// rejectHintTerm is the hint_term of a rejection whose hint entry has term t: 3.4 sends 0
// (raft.go handleAppendEntries: RejectHint is the last index, LogTerm unset).
func rejectHintTerm(int) int { return 0 }
