package main

// Snapshots and log compaction: the honest store's writes (a Ready's snapshot installed with
// MemoryStorage.ApplySnapshot; the application's compaction with CreateSnapshot and Compact),
// the snapshot data (the state machine's values, 8 big-endian bytes each), and the Snapshot
// message payload of the protocol, MsgSnap's snapshot:
//
//	{"index":I,"term":T,"conf_state":{...ConfState...},"values":[...]}
//	  = pb.Snapshot{Metadata: {Index: I, Term: T, ConfState}, Data: the values}

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	pb "go.etcd.io/etcd/raft/raftpb"
)

// Snapshot is a spec snapshot: its last index and term, the configuration there and the state
// machine's values.
type Snapshot struct {
	Index     uint64
	Term      uint64
	ConfState ConfState
	Values    []uint64
}

// MarshalJSON writes {"index","term","conf_state","values"}.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"index":` + strconv.FormatUint(s.Index, 10))
	writeUint(&b, "term", s.Term)
	cs, _ := s.ConfState.MarshalJSON()
	b.WriteString(`,"conf_state":`)
	b.Write(cs)
	b.WriteString(`,"values":`)
	b.Write(uintList(s.Values))
	b.WriteString("}")
	return b.Bytes(), nil
}

// uintList is a JSON list of integers ([] for none).
func uintList(values []uint64) []byte {
	var b bytes.Buffer
	b.WriteString("[")
	for i, v := range values {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(strconv.FormatUint(v, 10))
	}
	b.WriteString("]")
	return b.Bytes()
}

func decodeSnapshot(raw json.RawMessage, what string) (*Snapshot, *adapterError) {
	fields, err := object(raw, what)
	if err != nil {
		return nil, err
	}
	if err := onlyFields(fields, what, []string{"index", "term", "conf_state", "values"}); err != nil {
		return nil, err
	}
	s := &Snapshot{}
	if s.Index, err = decodeUint(fields, "index", what, true); err != nil {
		return nil, err
	}
	if s.Term, err = decodeUint(fields, "term", what, true); err != nil {
		return nil, err
	}
	csRaw, ok := fields["conf_state"]
	if !ok {
		return nil, fault("%s lacks the field \"conf_state\"", what)
	}
	if s.ConfState, err = decodeConfState(csRaw, what+" conf_state"); err != nil {
		return nil, err
	}
	if err := decodeField(fields, "values", what, true, &s.Values, "a list of values"); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Snapshot) toEtcd() pb.Snapshot {
	return pb.Snapshot{
		Data: valuesToData(s.Values),
		Metadata: pb.SnapshotMetadata{
			ConfState: s.ConfState.toEtcd(),
			Index:     s.Index,
			Term:      s.Term,
		},
	}
}

func snapshotFromEtcd(s pb.Snapshot) (*Snapshot, error) {
	values, err := dataToValues(s.Data)
	if err != nil {
		return nil, err
	}
	return &Snapshot{
		Index:     s.Metadata.Index,
		Term:      s.Metadata.Term,
		ConfState: confStateFromEtcd(s.Metadata.ConfState),
		Values:    values,
	}, nil
}

// valuesToData is snapshot data: each value as 8 big-endian bytes.
func valuesToData(values []uint64) []byte {
	data := make([]byte, 0, 8*len(values))
	for _, v := range values {
		data = append(data, valueToData(v)...)
	}
	return data
}

// dataToValues decodes snapshot data.
func dataToValues(data []byte) ([]uint64, error) {
	if len(data)%8 != 0 {
		return nil, fmt.Errorf("snapshot data of %d bytes is not a list of 8-byte values", len(data))
	}
	values := make([]uint64, 0, len(data)/8)
	for i := 0; i < len(data); i += 8 {
		values = append(values, binary.BigEndian.Uint64(data[i:i+8]))
	}
	return values, nil
}

func cloneSnapshot(s pb.Snapshot) pb.Snapshot {
	out := s
	out.Data = append([]byte(nil), s.Data...)
	out.Metadata.ConfState = cloneConfState(s.Metadata.ConfState)
	return out
}

// applySnapshot installs a snapshot from the leader: MemoryStorage.ApplySnapshot replaces the
// log by it, and the application's configuration, state machine and applied index become the
// snapshot's.
func (s *syncedStorage) applySnapshot(snap pb.Snapshot) error {
	values, err := dataToValues(snap.Data)
	if err != nil {
		return err
	}
	if err := s.store.ApplySnapshot(cloneSnapshot(snap)); err != nil {
		return fmt.Errorf("storage refused the snapshot at %d: %v", snap.Metadata.Index, err)
	}
	s.store.confState = cloneConfState(snap.Metadata.ConfState)
	s.store.stateMachine = values
	s.store.applied = snap.Metadata.Index
	return nil
}

// compact is the application's compaction at its applied index.
func (s *syncedStorage) compact() error {
	return s.compactAt(s.store.applied)
}

// compactAt takes a snapshot at index with the configuration last switched to and the state
// machine (MemoryStorage.CreateSnapshot) and discards the log up to it (Compact).
func (s *syncedStorage) compactAt(index uint64) error {
	cs := cloneConfState(s.store.confState)
	data := valuesToData(s.store.stateMachine)
	if _, err := s.store.CreateSnapshot(index, &cs, data); err != nil {
		return fmt.Errorf("could not take a snapshot at %d: %v", index, err)
	}
	if err := s.store.Compact(index); err != nil {
		return fmt.Errorf("could not compact at %d: %v", index, err)
	}
	return nil
}
