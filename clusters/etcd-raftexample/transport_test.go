package main

import (
	"bytes"
	"net"
	"path/filepath"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

func TestFramesRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := writeFrame(&buf, framePropose, encodeValue(7)); err != nil {
		t.Fatal(err)
	}
	kind, payload, err := readFrame(&buf)
	if err != nil || kind != framePropose || !bytes.Equal(payload, encodeValue(7)) {
		t.Fatalf("read %d %v %v", kind, payload, err)
	}
	huge := []byte{frameRaft, 0xff, 0xff, 0xff, 0xff}
	if _, _, err := readFrame(bytes.NewReader(huge)); err == nil {
		t.Error("a 4 GB frame was accepted")
	}
	s := status{role: 3, term: 9, leader: 2}
	if back, err := decodeStatus(s.encode()); err != nil || back != s {
		t.Errorf("status came back as %+v, %v", back, err)
	}
}

// twoNodes builds the transports of nodes 1 and 2 on loopback, sharing a fault plan file.
func twoNodes(t *testing.T) (*transport, *transport, string) {
	t.Helper()
	planPath := filepath.Join(t.TempDir(), "plan")
	addrs := map[uint64]string{}
	var lns []net.Listener
	for id := uint64(1); id <= 2; id++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs[id] = ln.Addr().String()
		lns = append(lns, ln)
	}
	for _, ln := range lns {
		ln.Close()
	}
	var trs []*transport
	for id := uint64(1); id <= 2; id++ {
		tr, err := newTransport(id, addrs[id], addrs, newPlanWatcher(planPath), 1,
			func() status { return status{role: 3, term: 4, leader: 1} })
		if err != nil {
			t.Fatal(err)
		}
		tr.start()
		t.Cleanup(func() { tr.listener.Close() })
		trs = append(trs, tr)
	}
	return trs[0], trs[1], planPath
}

func TestMessagesArriveInOrderUnlessDropped(t *testing.T) {
	a, b, planPath := twoNodes(t)
	for i := uint64(1); i <= 50; i++ {
		if !a.send(pb.Message{Type: pb.MsgHeartbeat, From: 1, To: 2, Term: 1, Commit: i}) {
			t.Fatal("a send was lost without faults")
		}
	}
	for i := uint64(1); i <= 50; i++ {
		select {
		case m := <-b.inbox:
			if m.Commit != i || m.From != 1 {
				t.Fatalf("message %d arrived as %+v", i, m)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d never arrived", i)
		}
	}
	p := emptyPlan()
	p.loss[pair{1, 2}] = 1
	if err := writePlan(planPath, p); err != nil {
		t.Fatal(err)
	}
	a.plan.refresh()
	if a.send(pb.Message{Type: pb.MsgHeartbeat, From: 1, To: 2, Term: 1}) {
		t.Error("a message crossed a dropped link")
	}
	if !b.send(pb.Message{Type: pb.MsgHeartbeatResp, From: 2, To: 1, Term: 1}) {
		t.Error("the other direction is dropped too")
	}
	if a.send(pb.Message{Type: pb.MsgHeartbeat, From: 1, To: 9, Term: 1}) {
		t.Error("a message to an unknown node left")
	}
}

func TestClientsProposeAndAskForStatus(t *testing.T) {
	a, _, _ := twoNodes(t)
	conn, err := net.Dial("tcp", a.listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := writeFrame(conn, framePropose, encodeValue(11)); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-a.proposals:
		if v != 11 {
			t.Errorf("proposal %d", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the proposal never arrived")
	}
	if err := writeFrame(conn, frameStatus, nil); err != nil {
		t.Fatal(err)
	}
	kind, payload, err := readFrame(conn)
	if err != nil || kind != frameAnswer {
		t.Fatalf("answer %d %v", kind, err)
	}
	if s, err := decodeStatus(payload); err != nil || s.term != 4 || s.role != 3 {
		t.Errorf("status %+v %v", s, err)
	}
}
