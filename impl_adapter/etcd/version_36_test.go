//go:build raft36

package main

import pb "go.etcd.io/raft/v3/raftpb"

// versionUnmodelledMessages are the unmodelled messages only v3.6's raftpb can express.
func versionUnmodelledMessages(base func() pb.Message) map[string]func() pb.Message {
	return map[string]func() pb.Message{
		// Responses are the messages an asynchronous storage write sends when it is done
		// (AsyncStorageWrites, off here): never on the wire between nodes.
		"responses":         func() pb.Message { m := base(); m.Responses = []pb.Message{{Type: pb.MsgAppResp}}; return m },
		"vote on a message": func() pb.Message { m := base(); m.Vote = 2; return m },
	}
}

// rejectHintTerm is the hint_term of a rejection whose hint entry has term t: v3.6 sends it
// (raft.go handleAppendEntries: LogTerm is findConflictByTerm's term).
func rejectHintTerm(t int) int { return t }
