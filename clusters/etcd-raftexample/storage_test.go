package main

import (
	"path/filepath"
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"
)

func entries(term uint64, from, to uint64) []pb.Entry {
	var out []pb.Entry
	for i := from; i <= to; i++ {
		out = append(out, pb.Entry{Term: term, Index: i, Data: encodeValue(100 + i)})
	}
	return out
}

func TestDiskRecoversWhatWasSaved(t *testing.T) {
	dir := t.TempDir()
	d, rec, err := openDisk(dir, []uint64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.fresh || len(rec.entries) != 0 {
		t.Fatalf("a new disk recovered %+v", rec)
	}
	if err := d.saveRaft(pb.HardState{Term: 1, Vote: 2, Commit: 0}, entries(1, 1, 3)); err != nil {
		t.Fatal(err)
	}
	// A conflicting suffix replaces entries 3.. as raft's log does.
	if err := d.saveRaft(pb.HardState{Term: 2, Vote: 3, Commit: 2}, entries(2, 3, 4)); err != nil {
		t.Fatal(err)
	}
	if err := d.saveApplied(2, 1, []uint64{101, 102}); err != nil {
		t.Fatal(err)
	}
	d.close()
	d, rec, err = openDisk(dir, []uint64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if rec.fresh || rec.hardState != (pb.HardState{Term: 2, Vote: 3, Commit: 2}) {
		t.Errorf("recovered HardState %+v (fresh %v)", rec.hardState, rec.fresh)
	}
	if len(rec.entries) != 4 || rec.entries[2].Term != 2 || rec.entries[3].Index != 4 {
		t.Errorf("recovered log %+v", rec.entries)
	}
	if rec.applied != 2 || len(rec.values) != 2 || rec.values[1] != 102 {
		t.Errorf("recovered application state: applied %d values %v", rec.applied, rec.values)
	}
	ms, err := rec.memory([]uint64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	hs, cs, _ := ms.InitialState()
	if hs.Vote != 3 || len(cs.Voters) != 3 {
		t.Errorf("raft storage starts with %+v %+v", hs, cs)
	}
	if last, _ := ms.LastIndex(); last != 4 {
		t.Errorf("raft storage's last index %d", last)
	}
}

func TestSnapshotsArePurged(t *testing.T) {
	dir := t.TempDir()
	d, _, err := openDisk(dir, []uint64{1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	for i := uint64(1); i <= 5; i++ {
		if err := d.saveApplied(i, 1, []uint64{i}); err != nil {
			t.Fatal(err)
		}
	}
	names, _ := filepath.Glob(filepath.Join(dir, "snap", "*.snap"))
	if len(names) != 2 {
		t.Errorf("snapshot files %v, want the newest two", names)
	}
}

func TestWriteBehindLosesTheUnflushedTail(t *testing.T) {
	dir := t.TempDir()
	d, _, err := openDisk(dir, []uint64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	d.setWriteBehind()
	if err := d.saveRaft(pb.HardState{Term: 1, Vote: 1, Commit: 1}, entries(1, 1, 2)); err != nil {
		t.Fatal(err)
	}
	if err := d.flushIfDue(d.lastFlush.Add(flushInterval)); err != nil {
		t.Fatal(err)
	}
	if err := d.saveRaft(pb.HardState{Term: 1, Vote: 1, Commit: 2}, entries(1, 3, 5)); err != nil {
		t.Fatal(err)
	}
	if err := d.flushIfDue(d.lastFlush.Add(flushInterval / 2)); err != nil {
		t.Fatal(err)
	}
	d.close() // the crash: what is still pending is gone
	d, rec, err := openDisk(dir, []uint64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if len(rec.entries) != 2 || rec.hardState.Commit != 1 {
		t.Errorf("recovered %d entries, commit %d; want the flushed 2 and commit 1",
			len(rec.entries), rec.hardState.Commit)
	}
}
