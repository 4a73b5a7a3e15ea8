package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/raft"

	"raftcheck.local/eventlog"
)

// FSM is the application: a list of the client values applied, kept durable with the index of
// the last entry applied, as an application that survives restarts must (hashicorp/raft keeps
// no commit or applied index of its own: a restarted node applies its log again from the start
// as the leader tells it what is committed, and the application skips what it already has).
type FSM struct {
	mu      sync.Mutex
	file    *os.File
	applied uint64 // hashicorp index
	values  []uint64
	log     *eventlog.Log
	rec     *Recorder
}

// OpenFSM opens (or creates) the application's state at path.
func OpenFSM(path string) (*FSM, error) {
	f := &FSM{}
	if data, err := os.ReadFile(path); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			var index, value uint64
			if _, err := fmt.Sscanf(line, "%d %d", &index, &value); err != nil {
				continue // the empty last line, or one torn by a crash (never acknowledged)
			}
			f.applied = index
			f.values = append(f.values, value)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	file, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	f.file = file
	return f, nil
}

// Apply implements raft.FSM: the value is applied, made durable, and logged.
func (f *FSM) Apply(l *raft.Log) any {
	v, ok := entryValue(l)
	if !ok {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if l.Index <= f.applied {
		return nil // applied before a restart
	}
	if _, err := fmt.Fprintf(f.file, "%d %d\n", l.Index, v); err != nil {
		return err
	}
	if err := f.file.Sync(); err != nil {
		return err
	}
	f.applied = l.Index
	f.values = append(f.values, v)
	if f.log != nil {
		// A follower's apply may follow the append that committed it so closely that the
		// forwarder has not logged that append's receive yet (see Recorder.gate).
		if f.rec != nil {
			f.rec.gate()
		}
		f.log.Apply(specIndex(l.Index), v)
	}
	return nil
}

// Values returns the values applied so far, in order.
func (f *FSM) Values() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]uint64(nil), f.values...)
}

// Snapshot implements raft.FSM. The cluster never snapshots (thresholds far beyond a run), but
// the snapshot is a real one.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return fsmSnapshot{values: f.Values()}, nil
}

// Restore implements raft.FSM.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	var values []uint64
	for _, s := range strings.Fields(string(data)) {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return err
		}
		values = append(values, v)
	}
	f.mu.Lock()
	f.values = values
	f.mu.Unlock()
	return nil
}

type fsmSnapshot struct{ values []uint64 }

func (s fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	var b strings.Builder
	for _, v := range s.values {
		fmt.Fprintf(&b, "%d\n", v)
	}
	if _, err := sink.Write([]byte(b.String())); err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s fsmSnapshot) Release() {}
