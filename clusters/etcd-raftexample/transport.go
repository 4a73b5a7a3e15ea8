package main

// The transport: loopback TCP with length-prefixed frames, one connection per direction of each
// pair of nodes (so messages between two nodes stay in order unless lost), and the same listener
// serving clients. A frame is
//
//	kind (1 byte) | length (4 bytes, big-endian) | payload
//
//	kind 1  raft message     payload: a marshalled raftpb.Message
//	kind 2  proposal         payload: the client value, 8 bytes big-endian (no answer)
//	kind 3  status request   payload: empty; answered on the same connection by
//	kind 4  status           payload: role (1 byte: 0 follower, 1 pre-candidate, 2 candidate,
//	                         3 leader), term (8 bytes), leader (8 bytes)
//
// Sending never blocks the node's loop: each peer has a queue and a goroutine that dials on
// demand and writes; a message that finds the queue full, the peer unreachable or the fault plan
// against it is lost. Etcd's own rafthttp (streams, pipelines, probing, TLS) is not used: it
// brings most of etcd's server along.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

// Frame kinds.
const (
	frameRaft    byte = 1
	framePropose byte = 2
	frameStatus  byte = 3
	frameAnswer  byte = 4
)

// maxFrame bounds a frame's payload (a corrupt length must not allocate gigabytes).
const maxFrame = 64 << 20

// writeFrame writes one frame.
func writeFrame(w io.Writer, kind byte, payload []byte) error {
	var head [5]byte
	head[0] = kind
	binary.BigEndian.PutUint32(head[1:], uint32(len(payload)))
	if _, err := w.Write(head[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// readFrame reads one frame.
func readFrame(r io.Reader) (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	return head[0], payload, nil
}

// status is what a node answers a status request with.
type status struct {
	role   byte
	term   uint64
	leader uint64
}

func (s status) encode() []byte {
	out := make([]byte, 17)
	out[0] = s.role
	binary.BigEndian.PutUint64(out[1:], s.term)
	binary.BigEndian.PutUint64(out[9:], s.leader)
	return out
}

func decodeStatus(p []byte) (status, error) {
	if len(p) != 17 {
		return status{}, fmt.Errorf("a status of %d bytes", len(p))
	}
	return status{role: p[0], term: binary.BigEndian.Uint64(p[1:]), leader: binary.BigEndian.Uint64(p[9:])}, nil
}

// transport is one node's network endpoint.
type transport struct {
	id       uint64
	listener net.Listener
	// inbox receives the raft messages taken off the network, proposals the client values.
	inbox     chan pb.Message
	proposals chan uint64
	// status answers status requests (read by connection goroutines).
	status func() status
	plan   *planWatcher
	peers  map[uint64]*peer

	mu  sync.Mutex
	rng *rand.Rand // loss decisions
}

// peer is the sending side towards one node.
type peer struct {
	id    uint64
	addr  string
	queue chan pb.Message
}

// newTransport listens on addr and prepares a sender per peer (addrs: every node's address).
func newTransport(id uint64, addr string, addrs map[uint64]string, plan *planWatcher, seed uint64, st func() status) (*transport, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	t := &transport{
		id: id, listener: ln,
		inbox:     make(chan pb.Message, 4096),
		proposals: make(chan uint64, 1024),
		status:    st,
		plan:      plan,
		peers:     map[uint64]*peer{},
		rng:       rand.New(rand.NewPCG(seed, id)),
	}
	for pid, a := range addrs {
		if pid != id {
			t.peers[pid] = &peer{id: pid, addr: a, queue: make(chan pb.Message, 4096)}
		}
	}
	return t, nil
}

// start runs the accept loop and the senders.
func (t *transport) start() {
	go t.accept()
	for _, p := range t.peers {
		go p.run()
	}
}

// lost decides, by the fault plan, whether a message on from→to is lost.
func (t *transport) lost(to uint64) bool {
	prob := t.plan.current().loss[pair{t.id, to}]
	if prob <= 0 {
		return false
	}
	if prob >= 1 {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rng.Float64() < prob
}

// send hands m to the network; it reports whether m left (false: lost by the fault plan, an
// unknown peer or a full queue).
func (t *transport) send(m pb.Message) bool {
	p := t.peers[m.To]
	if p == nil || t.lost(m.To) {
		return false
	}
	select {
	case p.queue <- m:
		return true
	default:
		return false
	}
}

// run writes the peer's queue to its connection, dialling when there is none; a message that
// cannot be written is lost (raft retransmits).
func (p *peer) run() {
	var conn net.Conn
	var w *bufio.Writer
	for m := range p.queue {
		if conn == nil {
			c, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond)
			if err != nil {
				continue
			}
			conn, w = c, bufio.NewWriter(c)
		}
		data, err := m.Marshal()
		if err != nil {
			continue
		}
		err = writeFrame(w, frameRaft, data)
		// Flush when the queue is drained: a burst goes out in few writes.
		if err == nil && len(p.queue) == 0 {
			err = w.Flush()
		}
		if err != nil {
			conn.Close()
			conn, w = nil, nil
		}
	}
}

func (t *transport) accept() {
	for {
		c, err := t.listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go t.serve(c)
	}
}

// serve reads frames from one connection (a peer's or a client's) until it closes.
func (t *transport) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		kind, payload, err := readFrame(r)
		if err != nil {
			return
		}
		switch kind {
		case frameRaft:
			var m pb.Message
			if err := m.Unmarshal(payload); err != nil {
				return
			}
			t.inbox <- m
		case framePropose:
			if len(payload) != 8 {
				return
			}
			t.proposals <- binary.BigEndian.Uint64(payload)
		case frameStatus:
			if err := writeFrame(c, frameAnswer, t.status().encode()); err != nil {
				return
			}
		default:
			return
		}
	}
}
