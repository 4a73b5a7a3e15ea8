// Package eventlog writes raftcheck event logs (version 1, impl_adapter/EVENTLOG.md): what a
// Raft node sends, receives and changes during a real run, one JSON object per line, for
// `raftcheck validate`.
//
// A node opens its log once per process incarnation and calls one method per event. Every line
// is written with one write system call as it happens, so a process killed with kill -9 loses
// nothing it logged. Methods are safe for concurrent use; the sequence numbers follow the order
// in which calls take the writer's lock.
package eventlog

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// Version is the event log format version this package writes.
const Version = 1

// Header is the first line of every file.
type Header struct {
	Version     int      `json:"raftcheck_eventlog"`
	Nodes       []uint64 `json:"nodes"`
	Flavour     string   `json:"flavour,omitempty"`
	PreVote     bool     `json:"pre_vote,omitempty"`
	Source      string   `json:"source,omitempty"`
	Immediate   bool     `json:"immediate,omitempty"`
	TermOffset  uint64   `json:"term_offset,omitempty"`
	IndexOffset uint64   `json:"index_offset,omitempty"`
}

// Entry is one log entry: empty when Value is nil.
type Entry struct {
	Term  uint64 `json:"term"`
	Value any    `json:"value,omitempty"`
}

// Message is a message as logged. Pointer fields left nil are unknown to the validator.
type Message struct {
	Type         string   `json:"type"`
	From         uint64   `json:"from,omitempty"`
	To           uint64   `json:"to,omitempty"`
	Term         *uint64  `json:"term,omitempty"`
	Pre          *bool    `json:"pre,omitempty"`
	LastLogIndex *uint64  `json:"last_log_index,omitempty"`
	LastLogTerm  *uint64  `json:"last_log_term,omitempty"`
	Reject       *bool    `json:"reject,omitempty"`
	PrevLogIndex *uint64  `json:"prev_log_index,omitempty"`
	PrevLogTerm  *uint64  `json:"prev_log_term,omitempty"`
	Entries      *[]Entry `json:"entries,omitempty"`
	Commit       *uint64  `json:"commit,omitempty"`
	CommitTerm   *uint64  `json:"commit_term,omitempty"`
	Index        *uint64  `json:"index,omitempty"`
	RejectHint   *uint64  `json:"reject_hint,omitempty"`
	HintTerm     *uint64  `json:"hint_term,omitempty"`
	Value        any      `json:"value,omitempty"`
}

// State is a state event's fields; nil fields are unknown.
type State struct {
	Term   *uint64
	Role   string // "follower", "pre_candidate", "candidate", "leader", or "" for unknown
	Vote   *uint64
	Leader *uint64
}

// U returns a pointer to n, for the optional fields.
func U(n uint64) *uint64 { return &n }

// B returns a pointer to b, for the optional fields.
func B(b bool) *bool { return &b }

// Log is one node's event log.
type Log struct {
	mu   sync.Mutex
	file *os.File
	node uint64
	seq  uint64
}

// Create creates (or truncates) path for node and writes the header.
func Create(path string, node uint64, h Header) (*Log, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	h.Version = Version
	l := &Log{file: f, node: node}
	line, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return nil, err
	}
	return l, nil
}

// Append opens path, written by an earlier incarnation of node, to log more events; the
// sequence numbers continue after the last one in the file. The event "restart" is not logged
// by Append: call Restart.
func Append(path string, node uint64) (*Log, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var last uint64
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 1<<20), 1<<26)
	for scanner.Scan() {
		var e struct {
			Seq uint64 `json:"seq"`
		}
		if json.Unmarshal(scanner.Bytes(), &e) == nil && e.Seq > last {
			last = e.Seq
		}
	}
	f.Close()
	out, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	// A process killed in the middle of a write leaves its last line torn: end it, so the
	// torn line stays a line of its own (raftcheck ignores it) and this incarnation's start
	// on a line of its own.
	if data, err := os.ReadFile(path); err == nil && len(data) > 0 && data[len(data)-1] != '\n' {
		if _, err := out.Write([]byte{'\n'}); err != nil {
			return nil, err
		}
	}
	return &Log{file: out, node: node, seq: last}, nil
}

// Close closes the file.
func (l *Log) Close() error { return l.file.Close() }

func (l *Log) write(kind string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	fields["node"] = l.node
	fields["seq"] = l.seq
	fields["t"] = time.Now().UnixMicro()
	fields["ev"] = kind
	line, err := json.Marshal(fields)
	if err != nil {
		panic(fmt.Sprintf("eventlog: %v", err))
	}
	if _, err := l.file.Write(append(line, '\n')); err != nil {
		panic(fmt.Sprintf("eventlog: write: %v", err))
	}
}

// Receive logs that the node's Raft layer takes m (m.From set).
func (l *Log) Receive(m Message) { l.write("receive", map[string]any{"msg": m}) }

// Send logs that the node sent m (m.To set).
func (l *Log) Send(m Message) { l.write("send", map[string]any{"msg": m}) }

// Timeout logs that the election timer fired.
func (l *Log) Timeout() { l.write("timeout", map[string]any{}) }

// Heartbeat logs that the leader's heartbeat timer fired.
func (l *Log) Heartbeat() { l.write("heartbeat", map[string]any{}) }

// Tick logs a clock tick that may have fired either timer.
func (l *Log) Tick() { l.write("tick", map[string]any{}) }

// ClientRequest logs that a client asked the node to replicate value.
func (l *Log) ClientRequest(value any) {
	l.write("client_request", map[string]any{"value": value})
}

// Restart logs that the node started from its durable state.
func (l *Log) Restart() { l.write("restart", map[string]any{}) }

// Crash logs that the node stops.
func (l *Log) Crash() { l.write("crash", map[string]any{}) }

// State logs the node's state; nil fields are left out.
func (l *Log) State(s State) {
	f := map[string]any{}
	if s.Term != nil {
		f["term"] = *s.Term
	}
	if s.Role != "" {
		f["role"] = s.Role
	}
	if s.Vote != nil {
		f["vote"] = *s.Vote
	}
	if s.Leader != nil {
		f["leader"] = *s.Leader
	}
	l.write("state", f)
}

// Append logs that the log holds entries from index on, and nothing after them.
func (l *Log) Append(index uint64, entries []Entry) {
	if entries == nil {
		entries = []Entry{}
	}
	l.write("append", map[string]any{"index": index, "entries": entries})
}

// Truncate logs that the log lost its entries from index on.
func (l *Log) Truncate(index uint64) { l.write("truncate", map[string]any{"index": index}) }

// Commit logs that the commit index advanced to index.
func (l *Log) Commit(index uint64) { l.write("commit", map[string]any{"index": index}) }

// Apply logs that the application applied the entry at index; value may be nil.
func (l *Log) Apply(index uint64, value any) {
	f := map[string]any{"index": index}
	if value != nil {
		f["value"] = value
	}
	l.write("apply", f)
}
