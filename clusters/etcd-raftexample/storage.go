package main

// Durable state, on etcd's own storage packages as raftexample uses them:
//
//   - the WAL (go.etcd.io/etcd/server/v3/storage/wal) holds the HardState and the log: every
//     Ready's entries and HardState are saved (wal.Save, which fsyncs when raft.MustSync says so)
//     before the Ready's messages are sent;
//   - the snapshotter (etcdserver/api/snap) holds the application's state: after each Ready's
//     committed entries are applied, a snapshot with the state machine (the applied values) at
//     the applied index is saved (fsynced), and all but the newest two are removed.
//
// Deviation from raftexample: it snapshots every 10000 entries and compacts raft's log to the
// snapshot, replaying the rest from the WAL into an in-memory state machine. Here the log is
// never compacted (a leader would otherwise send MsgSnap, which the event log version 1 cannot
// say) and the application's applied index is durable, as in etcd's server (its consistent index
// lives with the applied data) and in the spec, where applied index and state machine survive a
// restart. A restart reads the newest snapshot for the application and the whole WAL for raft.
//
// The write-behind disk of the unsynced-tail-lost bug keeps the writes in memory and performs
// them, unsynced, only every flushInterval: what was not yet flushed dies with a kill -9. (A
// kill -9 alone does not lose written-but-unsynced data, which the kernel's page cache keeps; the
// memory buffer is what a power loss does to an unsynced tail.)

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"go.uber.org/zap"

	"go.etcd.io/etcd/server/v3/etcdserver/api/snap"
	"go.etcd.io/etcd/server/v3/storage/wal"
	"go.etcd.io/etcd/server/v3/storage/wal/walpb"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// walSegmentBytes is the WAL's segment size: etcd's 64 MB preallocation is more than a run needs.
const walSegmentBytes = 4 << 20

// flushInterval is how long the write-behind disk keeps writes in memory.
const flushInterval = 400 * time.Millisecond

// memStorage is raft's in-memory log (etcd's MemoryStorage) whose initial configuration is the
// cluster's voters, with no entry and no snapshot: the counterpart of the lockstep adapter's
// empty-log start, where RawNode.Bootstrap would write one configuration entry per voter at term
// 1 into the log.
type memStorage struct {
	*raft.MemoryStorage
	conf pb.ConfState
}

// InitialState is MemoryStorage's HardState with the voters' configuration.
func (s *memStorage) InitialState() (pb.HardState, pb.ConfState, error) {
	hs, _, err := s.MemoryStorage.InitialState()
	return hs, s.conf, err
}

// recovered is what a node reads back at start.
type recovered struct {
	hardState pb.HardState
	entries   []pb.Entry
	applied   uint64
	values    []uint64 // the state machine: the client values applied, in order
	fresh     bool     // no WAL existed: a brand-new node
}

// disk is a node's durable storage.
type disk struct {
	wal     *wal.WAL
	snapDir string
	snapper *snap.Snapshotter
	conf    pb.ConfState
	// behind: write-behind mode (unsynced-tail-lost); pending holds the writes not yet made.
	behind    bool
	pending   []func() error
	lastFlush time.Time
}

// openDisk opens (or creates) the WAL and snapshot directories under dir and reads back what
// they hold.
func openDisk(dir string, voters []uint64) (*disk, *recovered, error) {
	wal.SegmentSizeBytes = walSegmentBytes
	lg := zap.NewNop()
	walDir, snapDir := filepath.Join(dir, "wal"), filepath.Join(dir, "snap")
	if err := os.MkdirAll(snapDir, 0o755); err != nil {
		return nil, nil, err
	}
	d := &disk{snapDir: snapDir, snapper: snap.New(lg, snapDir), conf: pb.ConfState{Voters: voters}}
	rec := &recovered{}
	if !wal.Exist(walDir) {
		w, err := wal.Create(lg, walDir, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("creating the WAL: %v", err)
		}
		d.wal, rec.fresh = w, true
		return d, rec, nil
	}
	if s, err := d.snapper.Load(); err == nil {
		rec.applied = s.Metadata.Index
		if rec.values, err = decodeValues(s.Data); err != nil {
			return nil, nil, fmt.Errorf("snapshot %d: %v", s.Metadata.Index, err)
		}
	} else if !errors.Is(err, snap.ErrNoSnapshot) {
		return nil, nil, fmt.Errorf("loading the snapshot: %v", err)
	}
	// The whole WAL: the log is never compacted, so it is read from its start.
	w, err := wal.Open(lg, walDir, walpb.Snapshot{})
	if err != nil {
		return nil, nil, fmt.Errorf("opening the WAL: %v", err)
	}
	_, hs, ents, err := w.ReadAll()
	if err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("reading the WAL: %v", err)
	}
	d.wal, rec.hardState, rec.entries = w, hs, ents
	if rec.applied > hs.Commit {
		// Only with an injected bug (apply-uncommitted applies past the commit index): raft
		// refuses an applied index beyond it.
		rec.applied = hs.Commit
	}
	return d, rec, nil
}

// memory builds raft's storage from what was recovered.
func (r *recovered) memory(voters []uint64) (*memStorage, error) {
	ms := &memStorage{MemoryStorage: raft.NewMemoryStorage(), conf: pb.ConfState{Voters: voters}}
	if err := ms.SetHardState(r.hardState); err != nil {
		return nil, err
	}
	if err := ms.Append(r.entries); err != nil {
		return nil, err
	}
	return ms, nil
}

// saveRaft makes a Ready's entries and HardState durable (immediately, or in write-behind mode
// at the next flush).
func (d *disk) saveRaft(hs pb.HardState, ents []pb.Entry) error {
	if !d.behind {
		return d.wal.Save(hs, ents)
	}
	ents = append([]pb.Entry(nil), ents...)
	d.pending = append(d.pending, func() error { return d.wal.Save(hs, ents) })
	return nil
}

// saveApplied makes the application's state durable: the values applied up to index (of term).
func (d *disk) saveApplied(index, term uint64, values []uint64) error {
	s := pb.Snapshot{
		Data:     encodeValues(values),
		Metadata: pb.SnapshotMetadata{Index: index, Term: term, ConfState: d.conf},
	}
	save := func() error {
		if err := d.snapper.SaveSnap(s); err != nil {
			return err
		}
		return d.purgeSnapshots(2)
	}
	if !d.behind {
		return save()
	}
	d.pending = append(d.pending, save)
	return nil
}

// flushIfDue performs the write-behind writes once flushInterval has passed since the last flush.
func (d *disk) flushIfDue(now time.Time) error {
	if !d.behind || now.Sub(d.lastFlush) < flushInterval {
		return nil
	}
	d.lastFlush = now
	pending := d.pending
	d.pending = nil
	for _, write := range pending {
		if err := write(); err != nil {
			return err
		}
	}
	return nil
}

// setWriteBehind switches to write-behind mode: no fsync, writes delayed (the bug).
func (d *disk) setWriteBehind() {
	d.behind = true
	d.lastFlush = time.Now()
	d.wal.SetUnsafeNoFsync()
}

// purgeSnapshots removes all snapshot files but the newest keep.
func (d *disk) purgeSnapshots(keep int) error {
	names, err := filepath.Glob(filepath.Join(d.snapDir, "*.snap"))
	if err != nil {
		return err
	}
	sort.Strings(names) // term-index in fixed-width hex: oldest first
	for len(names) > keep {
		if err := os.Remove(names[0]); err != nil && !os.IsNotExist(err) {
			return err
		}
		names = names[1:]
	}
	return nil
}

func (d *disk) close() error { return d.wal.Close() }

// encodeValues is the state machine as snapshot data: 8 bytes big-endian per value.
func encodeValues(values []uint64) []byte {
	out := make([]byte, 0, 8*len(values))
	for _, v := range values {
		out = append(out, encodeValue(v)...)
	}
	return out
}

func decodeValues(data []byte) ([]uint64, error) {
	if len(data)%8 != 0 {
		return nil, fmt.Errorf("state machine data of %d bytes", len(data))
	}
	out := make([]uint64, 0, len(data)/8)
	for i := 0; i < len(data); i += 8 {
		v, _ := decodeValue(data[i : i+8])
		out = append(out, *v)
	}
	return out, nil
}
