package main

// The JSON shapes of protocol version 1 (impl_adapter/PROTOCOL.md) and their strict decoding.
//
// Decoding is strict on purpose: a request this adapter does not understand completely (an
// unknown op, a missing or unknown field, a negative or fractional number) is answered with
// an error of kind "fault" naming what is wrong, never guessed at. Encoding writes every field
// of a message's type, in the order raftcheck's own serialiser writes them.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// protocolVersion is the version of the adapter protocol this program speaks.
const protocolVersion = 1

// Error kinds of the protocol.
const (
	kindRefused    = "refused"
	kindUnmodelled = "unmodelled"
	kindFault      = "fault"
)

// adapterError is an error answer: the input was refused by etcd, etcd did something the spec
// has no words for, or the adapter itself failed (or was asked something it cannot do).
type adapterError struct {
	kind    string
	message string
}

func (e *adapterError) Error() string { return e.kind + ": " + e.message }

func refused(format string, args ...interface{}) *adapterError {
	return &adapterError{kindRefused, fmt.Sprintf(format, args...)}
}

func unmodelled(format string, args ...interface{}) *adapterError {
	return &adapterError{kindUnmodelled, fmt.Sprintf(format, args...)}
}

func fault(format string, args ...interface{}) *adapterError {
	return &adapterError{kindFault, fmt.Sprintf(format, args...)}
}

// Entry is a spec log entry: the term, and the client value or none for the empty entry a new
// leader appends.
type Entry struct {
	Term  uint64
	Value *uint64
}

// Message is a spec message. Which payload fields are meaningful depends on Type; the others
// are zero.
type Message struct {
	From, To, Term uint64
	Type           string
	// RequestVote, RequestPreVote
	LastLogIndex, LastLogTerm uint64
	// RequestVote, RequestVoteResponse and their pre-vote twins (raft-rs only; always 0 for
	// etcd)
	CommitTerm uint64
	// The (pre-)vote messages, AppendEntries, AppendEntriesResponse, Heartbeat,
	// HeartbeatResponse
	Commit uint64
	// RequestVoteResponse, RequestPreVoteResponse, AppendEntriesResponse
	Reject bool
	// AppendEntries
	PrevLogIndex, PrevLogTerm uint64
	Entries                   []Entry
	// AppendEntriesResponse
	Index, RejectHint, HintTerm uint64
	// Propose
	Value uint64
}

// Message types of the protocol.
const (
	typeRequestVote           = "RequestVote"
	typeRequestVoteResponse   = "RequestVoteResponse"
	typeRequestPreVote        = "RequestPreVote"
	typeRequestPreVoteResp    = "RequestPreVoteResponse"
	typeAppendEntries         = "AppendEntries"
	typeAppendEntriesResponse = "AppendEntriesResponse"
	typeHeartbeat             = "Heartbeat"
	typeHeartbeatResponse     = "HeartbeatResponse"
	typePropose               = "Propose"
)

// payloadFields lists, per message type, its payload fields in wire order.
var payloadFields = map[string][]string{
	typeRequestVote:           {"last_log_index", "last_log_term", "commit", "commit_term"},
	typeRequestVoteResponse:   {"reject", "commit", "commit_term"},
	typeRequestPreVote:        {"last_log_index", "last_log_term", "commit", "commit_term"},
	typeRequestPreVoteResp:    {"reject", "commit", "commit_term"},
	typeAppendEntries:         {"prev_log_index", "prev_log_term", "entries", "commit"},
	typeAppendEntriesResponse: {"reject", "index", "reject_hint", "hint_term", "commit"},
	typeHeartbeat:             {"commit"},
	typeHeartbeatResponse:     {"commit"},
	typePropose:               {"value"},
}

// Input is a spec input.
type Input struct {
	Kind    string // timeout, receive, restart, client_request, heartbeat, drop, duplicate
	Node    uint64
	Value   uint64
	Message *Message
}

// inputFields lists, per input kind, its fields besides "input".
var inputFields = map[string][]string{
	"timeout":        {"node"},
	"receive":        {"message"},
	"restart":        {"node"},
	"client_request": {"node", "value"},
	"heartbeat":      {"node"},
	"drop":           {"message"},
	"duplicate":      {"message"},
}

// target is the node the input acts on, or 0 for the network-only inputs.
func (in *Input) target() uint64 {
	switch in.Kind {
	case "receive":
		return in.Message.To
	case "drop", "duplicate":
		return 0
	default:
		return in.Node
	}
}

// Output kinds.
const (
	outputSend            = "send"
	outputBecomeLeader    = "become_leader"
	outputProposalDropped = "proposal_dropped"
)

// Output is a spec output event.
type Output struct {
	Kind    string
	Message *Message // send
	Node    uint64   // become_leader, proposal_dropped
	Term    uint64   // become_leader
	Value   uint64   // proposal_dropped
}

// NodeView is one node's observable state, as compared with the spec.
type NodeView struct {
	Term   uint64  `json:"term"`
	Role   string  `json:"role"`
	Vote   *uint64 `json:"vote"`
	Leader *uint64 `json:"leader"`
	Log    []Entry `json:"log"`
	Commit uint64  `json:"commit"`
}

// ---------------------------------------------------------------------------------------------
// Encoding

func writeUint(b *bytes.Buffer, key string, v uint64) {
	b.WriteString(`,"` + key + `":`)
	b.WriteString(strconv.FormatUint(v, 10))
}

// MarshalJSON writes {"term":T} or {"term":T,"value":V}.
func (e Entry) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"term":` + strconv.FormatUint(e.Term, 10))
	if e.Value != nil {
		writeUint(&b, "value", *e.Value)
	}
	b.WriteString("}")
	return b.Bytes(), nil
}

// MarshalJSON writes from, to, term, type and every payload field of the type.
func (m Message) MarshalJSON() ([]byte, error) {
	fields, ok := payloadFields[m.Type]
	if !ok {
		return nil, fmt.Errorf("unknown message type %q", m.Type)
	}
	var b bytes.Buffer
	b.WriteString(`{"from":` + strconv.FormatUint(m.From, 10))
	writeUint(&b, "to", m.To)
	writeUint(&b, "term", m.Term)
	b.WriteString(`,"type":"` + m.Type + `"`)
	for _, f := range fields {
		switch f {
		case "reject":
			b.WriteString(`,"reject":` + strconv.FormatBool(m.Reject))
		case "entries":
			entries := m.Entries
			if entries == nil {
				entries = []Entry{}
			}
			text, err := json.Marshal(entries)
			if err != nil {
				return nil, err
			}
			b.WriteString(`,"entries":`)
			b.Write(text)
		default:
			writeUint(&b, f, *m.uintField(f))
		}
	}
	b.WriteString("}")
	return b.Bytes(), nil
}

// uintField is the integer payload field named f.
func (m *Message) uintField(f string) *uint64 {
	switch f {
	case "last_log_index":
		return &m.LastLogIndex
	case "last_log_term":
		return &m.LastLogTerm
	case "commit":
		return &m.Commit
	case "commit_term":
		return &m.CommitTerm
	case "prev_log_index":
		return &m.PrevLogIndex
	case "prev_log_term":
		return &m.PrevLogTerm
	case "index":
		return &m.Index
	case "reject_hint":
		return &m.RejectHint
	case "hint_term":
		return &m.HintTerm
	case "value":
		return &m.Value
	}
	panic("no integer field " + f)
}

// MarshalJSON writes the output in the protocol's shape.
func (o Output) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"output":"` + o.Kind + `"`)
	switch o.Kind {
	case outputSend:
		text, err := json.Marshal(o.Message)
		if err != nil {
			return nil, err
		}
		b.WriteString(`,"message":`)
		b.Write(text)
	case outputBecomeLeader:
		writeUint(&b, "node", o.Node)
		writeUint(&b, "term", o.Term)
	case outputProposalDropped:
		writeUint(&b, "node", o.Node)
		writeUint(&b, "value", o.Value)
	default:
		return nil, fmt.Errorf("unknown output kind %q", o.Kind)
	}
	b.WriteString("}")
	return b.Bytes(), nil
}

// ---------------------------------------------------------------------------------------------
// Decoding

// object decodes a JSON object into its raw fields.
func object(raw json.RawMessage, what string) (map[string]json.RawMessage, *adapterError) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, fault("%s is not a JSON object: %s", what, shorten(string(raw)))
	}
	return fields, nil
}

// onlyFields refuses fields outside allowed (plus the always-allowed ones).
func onlyFields(fields map[string]json.RawMessage, what string, allowed ...[]string) *adapterError {
	ok := map[string]bool{}
	for _, list := range allowed {
		for _, f := range list {
			ok[f] = true
		}
	}
	var unknown []string
	for f := range fields {
		if !ok[f] {
			unknown = append(unknown, f)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	var names []string
	for f := range ok {
		names = append(names, f)
	}
	sort.Strings(names)
	return fault("%s has unknown field(s) %s (its fields: %s)", what,
		strings.Join(unknown, ", "), strings.Join(names, ", "))
}

// decodeUint decodes a non-negative integer; absent fields are an error only if required.
func decodeUint(fields map[string]json.RawMessage, key, what string, required bool) (uint64, *adapterError) {
	raw, ok := fields[key]
	if !ok {
		if required {
			return 0, fault("%s lacks the field %q", what, key)
		}
		return 0, nil
	}
	var v uint64
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, fault("%s field %q must be a non-negative integer, not %s", what, key, shorten(string(raw)))
	}
	return v, nil
}

func decodeBool(fields map[string]json.RawMessage, key, what string) (bool, *adapterError) {
	raw, ok := fields[key]
	if !ok {
		return false, nil
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, fault("%s field %q must be true or false, not %s", what, key, shorten(string(raw)))
	}
	return v, nil
}

func decodeString(fields map[string]json.RawMessage, key, what string) (string, *adapterError) {
	raw, ok := fields[key]
	if !ok {
		return "", fault("%s lacks the field %q", what, key)
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fault("%s field %q must be a string, not %s", what, key, shorten(string(raw)))
	}
	return v, nil
}

func decodeEntry(raw json.RawMessage, what string) (Entry, *adapterError) {
	fields, err := object(raw, what)
	if err != nil {
		return Entry{}, err
	}
	if err := onlyFields(fields, what, []string{"term", "value"}); err != nil {
		return Entry{}, err
	}
	term, err := decodeUint(fields, "term", what, true)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Term: term}
	if raw, ok := fields["value"]; ok && string(bytes.TrimSpace(raw)) != "null" {
		v, err := decodeUint(fields, "value", what, true)
		if err != nil {
			return Entry{}, err
		}
		e.Value = &v
	}
	return e, nil
}

func decodeMessage(raw json.RawMessage) (*Message, *adapterError) {
	const what = "message"
	fields, err := object(raw, what)
	if err != nil {
		return nil, err
	}
	typ, err := decodeString(fields, "type", what)
	if err != nil {
		return nil, err
	}
	payload, ok := payloadFields[typ]
	if !ok {
		return nil, fault("unknown message type %q (known: RequestVote, RequestVoteResponse, "+
			"RequestPreVote, RequestPreVoteResponse, AppendEntries, AppendEntriesResponse, "+
			"Heartbeat, HeartbeatResponse, Propose)", typ)
	}
	what2 := "a " + typ + " message"
	if err := onlyFields(fields, what2, []string{"from", "to", "term", "type"}, payload); err != nil {
		return nil, err
	}
	m := &Message{Type: typ}
	for _, f := range []string{"from", "to", "term"} {
		v, err := decodeUint(fields, f, what2, true)
		if err != nil {
			return nil, err
		}
		switch f {
		case "from":
			m.From = v
		case "to":
			m.To = v
		case "term":
			m.Term = v
		}
	}
	for _, f := range payload {
		switch f {
		case "reject":
			if m.Reject, err = decodeBool(fields, f, what2); err != nil {
				return nil, err
			}
		case "entries":
			raw, ok := fields[f]
			if !ok {
				continue
			}
			var list []json.RawMessage
			if e := json.Unmarshal(raw, &list); e != nil {
				return nil, fault("%s field \"entries\" must be a list, not %s", what2, shorten(string(raw)))
			}
			for i, r := range list {
				e, err := decodeEntry(r, fmt.Sprintf("entries[%d]", i))
				if err != nil {
					return nil, err
				}
				m.Entries = append(m.Entries, e)
			}
		default:
			if *m.uintField(f), err = decodeUint(fields, f, what2, f == "value"); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func decodeInput(raw json.RawMessage) (*Input, *adapterError) {
	const what = "input"
	if raw == nil {
		return nil, fault("the apply request lacks the field \"input\"")
	}
	fields, err := object(raw, what)
	if err != nil {
		return nil, err
	}
	kind, err := decodeString(fields, "input", what)
	if err != nil {
		return nil, err
	}
	args, ok := inputFields[kind]
	if !ok {
		return nil, fault("unknown input %q (known: timeout, receive, restart, client_request, "+
			"heartbeat, drop, duplicate)", kind)
	}
	what2 := "a " + kind + " input"
	if err := onlyFields(fields, what2, []string{"input"}, args); err != nil {
		return nil, err
	}
	in := &Input{Kind: kind}
	for _, f := range args {
		switch f {
		case "node":
			if in.Node, err = decodeUint(fields, f, what2, true); err != nil {
				return nil, err
			}
		case "value":
			if in.Value, err = decodeUint(fields, f, what2, true); err != nil {
				return nil, err
			}
		case "message":
			raw, ok := fields[f]
			if !ok {
				return nil, fault("%s lacks the field \"message\"", what2)
			}
			if in.Message, err = decodeMessage(raw); err != nil {
				return nil, err
			}
		}
	}
	return in, nil
}

// shorten cuts long text for error messages.
func shorten(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	end := max
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + fmt.Sprintf("… (%d bytes)", len(s))
}
