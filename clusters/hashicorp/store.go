package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// Disk is what the stores of one node share: an injectable write delay (the driver's "slow
// disk" fault) and the bug, if any, injected into the stores.
type Disk struct {
	delayMicros atomic.Int64
	bug         string
}

// SetDelay makes every durable write of the node's stores sleep d first.
func (d *Disk) SetDelay(dur time.Duration) { d.delayMicros.Store(dur.Microseconds()) }

func (d *Disk) wait() {
	if us := d.delayMicros.Load(); us > 0 {
		time.Sleep(time.Duration(us) * time.Microsecond)
	}
}

// journal is an append-only file of JSON lines, each written with one write call and made
// durable with fsync before the call that wrote it returns. Reopening replays it; a torn last
// line (a crash in the middle of a write) is ignored.
type journal struct {
	file *os.File
	disk *Disk
	// unsynced: lines accepted but held back in memory (the unsynced-tail-lost bug only).
	unsynced [][]byte
	writes   int
}

func openJournal(path string, disk *Disk, replay func(line []byte) error) (*journal, error) {
	if data, err := os.ReadFile(path); err == nil {
		for _, line := range bytes.Split(data, []byte{'\n'}) {
			if len(line) == 0 {
				continue
			}
			if err := replay(line); err != nil {
				// Only a torn last line may fail to parse; anything else is corruption.
				if !bytes.HasSuffix(data, line) {
					return nil, fmt.Errorf("%s: %v", path, err)
				}
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &journal{file: f, disk: disk}, nil
}

// write makes line durable. With lazy (the unsynced-tail-lost bug) it only buffers the line
// in memory and writes the buffer out every fourth call, so a kill -9 loses what was
// acknowledged since.
func (j *journal) write(line []byte, lazy bool) error {
	j.disk.wait()
	line = append(line, '\n')
	if lazy {
		j.unsynced = append(j.unsynced, line)
		j.writes++
		if j.writes%4 != 0 {
			return nil
		}
		line = bytes.Join(j.unsynced, nil)
		j.unsynced = nil
	}
	if _, err := j.file.Write(line); err != nil {
		return err
	}
	return j.file.Sync()
}

// FileLogStore is a durable raft.LogStore: an in-memory index of the entries backed by a
// journal of "put" and "delete" records.
type FileLogStore struct {
	mu      sync.RWMutex
	entries map[uint64]*raft.Log
	first   uint64
	last    uint64
	j       *journal
	hooks   LogHooks
}

// LogHooks is told about every change of the log after it is durable (the recorder).
type LogHooks interface {
	BeforeStore(logs []*raft.Log)
	Stored(logs []*raft.Log)
	Deleted(min, max uint64)
}

type logRecord struct {
	Op   string      `json:"op"`
	Logs []*raft.Log `json:"logs,omitempty"`
	Min  uint64      `json:"min,omitempty"`
	Max  uint64      `json:"max,omitempty"`
}

// OpenLogStore opens (or creates) the log store journal at path.
func OpenLogStore(path string, disk *Disk) (*FileLogStore, error) {
	s := &FileLogStore{entries: map[uint64]*raft.Log{}}
	j, err := openJournal(path, disk, func(line []byte) error {
		var r logRecord
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		switch r.Op {
		case "put":
			s.put(r.Logs)
		case "delete":
			s.delete(r.Min, r.Max)
		default:
			return fmt.Errorf("unknown record %q", r.Op)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.j = j
	return s, nil
}

// SetHooks installs the recorder's hooks (nil: none).
func (s *FileLogStore) SetHooks(h LogHooks) { s.hooks = h }

func (s *FileLogStore) put(logs []*raft.Log) {
	for _, l := range logs {
		s.entries[l.Index] = l
		if s.first == 0 || l.Index < s.first {
			s.first = l.Index
		}
		if l.Index > s.last {
			s.last = l.Index
		}
	}
}

func (s *FileLogStore) delete(min, max uint64) {
	for i := min; i <= max; i++ {
		delete(s.entries, i)
	}
	if min <= s.first {
		s.first = max + 1
	}
	if max >= s.last {
		s.last = min - 1
	}
	if s.first > s.last {
		s.first, s.last = 0, 0
	}
}

// FirstIndex implements raft.LogStore.
func (s *FileLogStore) FirstIndex() (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.first, nil
}

// LastIndex implements raft.LogStore.
func (s *FileLogStore) LastIndex() (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.last, nil
}

// GetLog implements raft.LogStore.
func (s *FileLogStore) GetLog(index uint64, out *raft.Log) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.entries[index]
	if !ok {
		return raft.ErrLogNotFound
	}
	*out = *l
	return nil
}

// StoreLog implements raft.LogStore.
func (s *FileLogStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

// StoreLogs implements raft.LogStore: the entries are durable when it returns (unless the
// unsynced-tail-lost bug is injected).
func (s *FileLogStore) StoreLogs(logs []*raft.Log) error {
	if len(logs) == 0 {
		return nil
	}
	if s.hooks != nil {
		s.hooks.BeforeStore(logs)
	}
	copied := make([]*raft.Log, len(logs))
	for i, l := range logs {
		c := *l
		copied[i] = &c
	}
	line, err := json.Marshal(logRecord{Op: "put", Logs: copied})
	if err != nil {
		return err
	}
	s.mu.Lock()
	err = s.j.write(line, s.j.disk.bug == BugUnsyncedTailLost)
	if err == nil {
		s.put(copied)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.hooks != nil {
		s.hooks.Stored(copied)
	}
	return nil
}

// DeleteRange implements raft.LogStore.
func (s *FileLogStore) DeleteRange(min, max uint64) error {
	line, err := json.Marshal(logRecord{Op: "delete", Min: min, Max: max})
	if err != nil {
		return err
	}
	s.mu.Lock()
	err = s.j.write(line, s.j.disk.bug == BugUnsyncedTailLost)
	if err == nil {
		s.delete(min, max)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.hooks != nil {
		s.hooks.Deleted(min, max)
	}
	return nil
}

// All returns the stored entries in index order.
func (s *FileLogStore) All() []*raft.Log {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*raft.Log
	if s.last == 0 {
		return out
	}
	for i := s.first; i <= s.last; i++ {
		if l, ok := s.entries[i]; ok {
			out = append(out, l)
		}
	}
	return out
}

// FileStableStore is a durable raft.StableStore: a journal of key/value records.
type FileStableStore struct {
	mu    sync.Mutex
	kv    map[string][]byte
	j     *journal
	hooks StableHooks
}

// StableHooks is told about every durable write of the stable store (the recorder).
type StableHooks interface {
	Stored(key string, val []byte)
}

type kvRecord struct {
	Key string `json:"k"`
	Val []byte `json:"v"`
}

// OpenStableStore opens (or creates) the stable store journal at path.
func OpenStableStore(path string, disk *Disk) (*FileStableStore, error) {
	s := &FileStableStore{kv: map[string][]byte{}}
	j, err := openJournal(path, disk, func(line []byte) error {
		var r kvRecord
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		s.kv[r.Key] = r.Val
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.j = j
	return s, nil
}

// SetHooks installs the recorder's hooks (nil: none).
func (s *FileStableStore) SetHooks(h StableHooks) { s.hooks = h }

// The keys hashicorp/raft uses (raft.go: keyCurrentTerm, keyLastVoteTerm, keyLastVoteCand).
const (
	keyCurrentTerm  = "CurrentTerm"
	keyLastVoteTerm = "LastVoteTerm"
	keyLastVoteCand = "LastVoteCand"
)

// Set implements raft.StableStore. With the vote-not-persisted bug the candidate voted for is
// kept in memory only.
func (s *FileStableStore) Set(key []byte, val []byte) error {
	v := append([]byte(nil), val...)
	s.mu.Lock()
	var err error
	if !(s.j.disk.bug == BugVoteNotPersisted && string(key) == keyLastVoteCand) {
		var line []byte
		line, err = json.Marshal(kvRecord{Key: string(key), Val: v})
		if err == nil {
			err = s.j.write(line, false)
		}
	}
	if err == nil {
		s.kv[string(key)] = v
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.hooks != nil {
		s.hooks.Stored(string(key), v)
	}
	return nil
}

// Get implements raft.StableStore; a missing key is the error "not found", as hashicorp/raft
// expects of its stores.
func (s *FileStableStore) Get(key []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.kv[string(key)]
	if !ok {
		return nil, errors.New("not found")
	}
	return append([]byte(nil), v...), nil
}

// SetUint64 implements raft.StableStore.
func (s *FileStableStore) SetUint64(key []byte, val uint64) error {
	return s.Set(key, binary.BigEndian.AppendUint64(nil, val))
}

// GetUint64 implements raft.StableStore.
func (s *FileStableStore) GetUint64(key []byte) (uint64, error) {
	v, err := s.Get(key)
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("stable store: %s is not a uint64", key)
	}
	return binary.BigEndian.Uint64(v), nil
}
