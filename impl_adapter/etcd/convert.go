package main

// Translation between etcd raftpb messages and protocol (spec) messages.
//
// The translation is checked to be lossless: a message etcd emitted is accepted only if
// translating it to the protocol and back gives the very same raftpb message (nil and empty
// byte strings and lists count as equal: raftpb encodes them alike). A message type or a field
// the spec does not model therefore surfaces as an "unmodelled" answer, never as a silently
// dropped detail, and delivering a protocol message to etcd delivers exactly what was sent.
//
//	etcd MessageType   protocol type           fields mapped
//	MsgVote            RequestVote             Index→last_log_index, LogTerm→last_log_term
//	                                           (commit, commit_term: always 0; etcd 3.4 has none)
//	MsgVoteResp        RequestVoteResponse     Reject (commit, commit_term: always 0)
//	MsgPreVote         RequestPreVote          as MsgVote (pre-vote only)
//	MsgPreVoteResp     RequestPreVoteResponse  as MsgVoteResp (pre-vote only)
//	MsgApp             AppendEntries           Index→prev_log_index, LogTerm→prev_log_term,
//	                                           Entries→entries, Commit→commit
//	MsgAppResp         AppendEntriesResponse   Reject, Index, RejectHint→reject_hint,
//	                                           LogTerm→hint_term, Commit→commit
//	MsgHeartbeat       Heartbeat               Commit→commit
//	MsgHeartbeatResp   HeartbeatResponse       Commit→commit
//	MsgProp            Propose                 the single entry's Data→value (Index, Term 0)
//	MsgSnap            Snapshot                Snapshot→snapshot (snapshot.go)
//
// To, From and Term map one to one. Entries: an EntryNormal with empty Data is the empty leader
// entry (no value; also what etcd puts in place of a configuration change it refuses),
// otherwise Data is the client value as 8 big-endian bytes; an EntryConfChange or
// EntryConfChangeV2 carries a configuration change (membership.go). An entry's Index is implied
// by its position after prev_log_index (prev+1, prev+2, ...) and its Term is the entry's term.
// Everything else (MsgTimeoutNow, MsgReadIndex, Context bytes, ...) is unmodelled.

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"go.etcd.io/etcd/raft"
	pb "go.etcd.io/etcd/raft/raftpb"
)

// valueToData encodes a client value as entry data: 8 bytes, big-endian.
func valueToData(v uint64) []byte {
	data := make([]byte, 8)
	binary.BigEndian.PutUint64(data, v)
	return data
}

// dataToValue decodes entry data: empty is the leader's empty entry, 8 bytes a client value.
func dataToValue(data []byte) (*uint64, error) {
	switch len(data) {
	case 0:
		return nil, nil
	case 8:
		v := binary.BigEndian.Uint64(data)
		return &v, nil
	default:
		return nil, fmt.Errorf("entry data of %d bytes is not a raftcheck client value", len(data))
	}
}

// entryFromEtcd is an etcd log entry in spec terms.
func entryFromEtcd(e pb.Entry) (Entry, error) {
	switch e.Type {
	case pb.EntryNormal:
	case pb.EntryConfChange, pb.EntryConfChangeV2:
		cc, err := confChangeFromEtcd(e)
		if err != nil {
			return Entry{}, err
		}
		return Entry{Term: e.Term, Conf: cc}, nil
	default:
		return Entry{}, fmt.Errorf("entry %d has type %s, which the spec does not model",
			e.Index, e.Type)
	}
	v, err := dataToValue(e.Data)
	if err != nil {
		return Entry{}, fmt.Errorf("entry %d: %v", e.Index, err)
	}
	return Entry{Term: e.Term, Value: v}, nil
}

func entryToEtcd(e Entry, index uint64) (pb.Entry, error) {
	out := pb.Entry{Type: pb.EntryNormal, Term: e.Term, Index: index}
	if e.Value != nil {
		out.Data = valueToData(*e.Value)
	}
	if e.Conf != nil {
		t, data, err := pb.MarshalConfChange(e.Conf.toEtcd())
		if err != nil {
			return pb.Entry{}, fault("cannot encode the configuration change %v: %v", e.Conf, err)
		}
		out.Type, out.Data = t, data
	}
	return out, nil
}

// messageToEtcd builds the etcd message for a protocol message. A field etcd 3.4 has no room
// for (the raft-rs-only commit fields of vote messages) cannot be delivered: that is a request
// this adapter cannot carry out, a fault.
func messageToEtcd(m *Message) (pb.Message, error) {
	out := pb.Message{To: m.To, From: m.From, Term: m.Term}
	switch m.Type {
	case typeRequestVote, typeRequestPreVote:
		if m.Commit != 0 || m.CommitTerm != 0 {
			return pb.Message{}, fault("cannot deliver a %s with commit %d, commit_term %d: "+
				"etcd 3.4's vote requests carry no commit index (the etcd flavour's have 0)",
				m.Type, m.Commit, m.CommitTerm)
		}
		out.Type = pb.MsgVote
		if m.Type == typeRequestPreVote {
			out.Type = pb.MsgPreVote
		}
		out.Index = m.LastLogIndex
		out.LogTerm = m.LastLogTerm
	case typeRequestVoteResponse, typeRequestPreVoteResp:
		if m.Commit != 0 || m.CommitTerm != 0 {
			return pb.Message{}, fault("cannot deliver a %s with commit %d, commit_term %d: "+
				"etcd 3.4's vote responses carry no commit index", m.Type, m.Commit, m.CommitTerm)
		}
		out.Type = pb.MsgVoteResp
		if m.Type == typeRequestPreVoteResp {
			out.Type = pb.MsgPreVoteResp
		}
		out.Reject = m.Reject
	case typeAppendEntries:
		out.Type = pb.MsgApp
		out.Index = m.PrevLogIndex
		out.LogTerm = m.PrevLogTerm
		out.Commit = m.Commit
		for i, e := range m.Entries {
			entry, err := entryToEtcd(e, m.PrevLogIndex+1+uint64(i))
			if err != nil {
				return pb.Message{}, err
			}
			out.Entries = append(out.Entries, entry)
		}
	case typeAppendEntriesResponse:
		out.Type = pb.MsgAppResp
		out.Reject = m.Reject
		out.Index = m.Index
		out.RejectHint = m.RejectHint
		out.LogTerm = m.HintTerm
		out.Commit = m.Commit
	case typeHeartbeat:
		out.Type = pb.MsgHeartbeat
		out.Commit = m.Commit
	case typeHeartbeatResponse:
		out.Type = pb.MsgHeartbeatResp
		out.Commit = m.Commit
	case typePropose:
		out.Type = pb.MsgProp
		out.Entries = []pb.Entry{{Type: pb.EntryNormal, Data: valueToData(m.Value)}}
	case typeSnapshot:
		if m.Snapshot == nil {
			return pb.Message{}, fault("a Snapshot message without its snapshot")
		}
		out.Type = pb.MsgSnap
		setMessageSnapshot(&out, m.Snapshot.toEtcd())
	default:
		return pb.Message{}, fault("unknown message type %q", m.Type)
	}
	return out, nil
}

func messageFromEtcdUnchecked(m pb.Message) (*Message, error) {
	out := &Message{From: m.From, To: m.To, Term: m.Term}
	switch m.Type {
	case pb.MsgVote, pb.MsgPreVote:
		out.Type = typeRequestVote
		if m.Type == pb.MsgPreVote {
			out.Type = typeRequestPreVote
		}
		out.LastLogIndex = m.Index
		out.LastLogTerm = m.LogTerm
	case pb.MsgVoteResp, pb.MsgPreVoteResp:
		out.Type = typeRequestVoteResponse
		if m.Type == pb.MsgPreVoteResp {
			out.Type = typeRequestPreVoteResp
		}
		out.Reject = m.Reject
	case pb.MsgApp:
		out.Type = typeAppendEntries
		out.PrevLogIndex = m.Index
		out.PrevLogTerm = m.LogTerm
		out.Commit = m.Commit
		out.Entries = []Entry{}
		for _, e := range m.Entries {
			entry, err := entryFromEtcd(e)
			if err != nil {
				return nil, err
			}
			out.Entries = append(out.Entries, entry)
		}
	case pb.MsgAppResp:
		out.Type = typeAppendEntriesResponse
		out.Reject = m.Reject
		out.Index = m.Index
		out.RejectHint = m.RejectHint
		out.HintTerm = m.LogTerm
		out.Commit = m.Commit
	case pb.MsgHeartbeat:
		out.Type = typeHeartbeat
		out.Commit = m.Commit
	case pb.MsgHeartbeatResp:
		out.Type = typeHeartbeatResponse
		out.Commit = m.Commit
	case pb.MsgProp:
		if len(m.Entries) != 1 {
			return nil, fmt.Errorf("a MsgProp with %d entries", len(m.Entries))
		}
		v, err := dataToValue(m.Entries[0].Data)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, fmt.Errorf("a MsgProp with an empty entry")
		}
		out.Type = typePropose
		out.Value = *v
	case pb.MsgSnap:
		snap, err := snapshotFromEtcd(messageSnapshot(m))
		if err != nil {
			return nil, err
		}
		out.Type = typeSnapshot
		out.Snapshot = snap
	default:
		return nil, fmt.Errorf("etcd sent %s, a message type the spec does not model", m.Type)
	}
	return out, nil
}

// messageFromEtcd translates a message etcd emitted, refusing anything the translation would
// lose.
func messageFromEtcd(m pb.Message) (*Message, error) {
	out, err := messageFromEtcdUnchecked(m)
	if err != nil {
		return nil, unmodelled("%v: %s", err, describeMessage(m))
	}
	back, err := messageToEtcd(out)
	if err != nil || !sameMessage(back, m) {
		return nil, unmodelled("etcd message %s sets fields the spec does not model", describeMessage(m))
	}
	return out, nil
}

// sameMessage compares two raftpb messages field by field, every field included (a nil and an
// empty byte string or list count as equal, and so do the two encodings of the leave, see
// withCanonicalLeaves).
func sameMessage(a, b pb.Message) bool {
	return bytes.Equal(canonicalBytes(withCanonicalLeaves(a)), canonicalBytes(withCanonicalLeaves(b)))
}

// withCanonicalLeaves is the message with every leave entry (an EntryConfChangeV2 holding the
// empty ConfChangeV2) as nil data. etcd encodes the one change two ways: ProposeConfChange
// marshals the empty ConfChangeV2 (two bytes, the transition field), while v3.6's leader
// appends its automatic leave with nil data (raft.go appliedTo; 3.4's advance marshals it). Both
// are the spec's leave, and raft reads both the same (an empty Data unmarshals as the empty
// change); only the entry's size differs, which counts against no limit here.
func withCanonicalLeaves(m pb.Message) pb.Message {
	copied := false
	for i, e := range m.Entries {
		if e.Type != pb.EntryConfChangeV2 || len(e.Data) == 0 {
			continue
		}
		var cc pb.ConfChangeV2
		if cc.Unmarshal(e.Data) != nil || cc.Transition != pb.ConfChangeTransitionAuto ||
			len(cc.Changes) != 0 || len(cc.Context) != 0 {
			continue
		}
		if !copied {
			m.Entries, copied = append([]pb.Entry(nil), m.Entries...), true
		}
		m.Entries[i].Data = nil
	}
	return m
}

// describeMessage prints every field of an etcd message (protobuf text format).
func describeMessage(m pb.Message) string {
	return "{" + m.String() + "}"
}

// roleFromEtcd is an etcd role in spec terms. (StatePreCandidate with pre-vote off would be a
// state mismatch against the spec, which then has no pre-candidates.)
func roleFromEtcd(s raft.StateType) (string, error) {
	switch s {
	case raft.StateFollower:
		return "Follower", nil
	case raft.StatePreCandidate:
		return "PreCandidate", nil
	case raft.StateCandidate:
		return "Candidate", nil
	case raft.StateLeader:
		return "Leader", nil
	default:
		return "", unmodelled("a node is in state %s, which the spec does not model", s)
	}
}
