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
	"reflect"
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
	// step is the index of the replay step that failed, or -1 outside a replay.
	step int
}

func (e *adapterError) Error() string { return e.kind + ": " + e.message }

// at is the error as the answer to a replay whose step k failed.
func (e *adapterError) at(k int) *adapterError {
	return &adapterError{e.kind, fmt.Sprintf("step %d: %s", k, e.message), k}
}

func refused(format string, args ...interface{}) *adapterError {
	return &adapterError{kindRefused, fmt.Sprintf(format, args...), -1}
}

func unmodelled(format string, args ...interface{}) *adapterError {
	return &adapterError{kindUnmodelled, fmt.Sprintf(format, args...), -1}
}

func fault(format string, args ...interface{}) *adapterError {
	return &adapterError{kindFault, fmt.Sprintf(format, args...), -1}
}

// Entry is a spec log entry: the term, and the client value or none for the empty entry a new
// leader appends, or the configuration change it carries (membership.go).
type Entry struct {
	Term  uint64
	Value *uint64
	Conf  *ConfChange
}

// Message is a spec message. Which payload fields are meaningful depends on Type; the others
// are zero. The `wire` tag of an integer field is its name in the protocol (see uintField).
type Message struct {
	From uint64 `wire:"from"`
	To   uint64 `wire:"to"`
	Term uint64 `wire:"term"`
	Type string
	// RequestVote, RequestPreVote
	LastLogIndex uint64 `wire:"last_log_index"`
	LastLogTerm  uint64 `wire:"last_log_term"`
	// RequestVote, RequestVoteResponse and their pre-vote twins (raft-rs only; always 0 for
	// etcd)
	CommitTerm uint64 `wire:"commit_term"`
	// The (pre-)vote messages, AppendEntries, AppendEntriesResponse, Heartbeat,
	// HeartbeatResponse
	Commit uint64 `wire:"commit"`
	// RequestVoteResponse, RequestPreVoteResponse, AppendEntriesResponse
	Reject bool
	// AppendEntries
	PrevLogIndex uint64 `wire:"prev_log_index"`
	PrevLogTerm  uint64 `wire:"prev_log_term"`
	Entries      []Entry
	// AppendEntriesResponse
	Index      uint64 `wire:"index"`
	RejectHint uint64 `wire:"reject_hint"`
	HintTerm   uint64 `wire:"hint_term"`
	// Propose
	Value uint64 `wire:"value"`
	// Snapshot
	Snapshot *Snapshot
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
	typeSnapshot              = "Snapshot"
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
	typeSnapshot:              {"snapshot"},
}

// Input is a spec input.
type Input struct {
	// timeout, receive, restart, client_request, heartbeat, drop, duplicate,
	// propose_conf_change, compact
	Kind    string
	Node    uint64
	Value   uint64
	Message *Message
	Change  *ConfChange
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
	// membership and snapshots
	"propose_conf_change": {"node", "change"},
	"compact":             {"node"},
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
	// Log is the entries after the snapshot index.
	Log    []Entry `json:"log"`
	Commit uint64  `json:"commit"`
	// SnapshotIndex and SnapshotTerm are the snapshot the log is compacted to (absent: none).
	SnapshotIndex uint64 `json:"snapshot_index,omitempty"`
	SnapshotTerm  uint64 `json:"snapshot_term,omitempty"`
	// Config is the configuration raft works with (its progress tracker's).
	Config *ConfState `json:"config"`
	// Applied and StateMachine are the application's applied index and values.
	Applied      uint64   `json:"applied"`
	StateMachine []uint64 `json:"state_machine"`
}

// ---------------------------------------------------------------------------------------------
// Encoding

func writeUint(b *bytes.Buffer, key string, v uint64) {
	b.WriteString(`,"` + key + `":`)
	b.WriteString(strconv.FormatUint(v, 10))
}

// writeList writes `,"key":[...]`: an empty list, never null, for a nil slice.
func writeList[T any](b *bytes.Buffer, key string, list []T) error {
	if list == nil {
		list = []T{}
	}
	text, err := json.Marshal(list)
	if err != nil {
		return err
	}
	b.WriteString(`,"` + key + `":`)
	b.Write(text)
	return nil
}

// MarshalJSON writes {"term":T}, {"term":T,"value":V} or {"term":T,"conf":C}.
func (e Entry) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"term":` + strconv.FormatUint(e.Term, 10))
	if e.Value != nil {
		writeUint(&b, "value", *e.Value)
	}
	if e.Conf != nil {
		text, err := e.Conf.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b.WriteString(`,"conf":`)
		b.Write(text)
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
			if err := writeList(&b, "entries", m.Entries); err != nil {
				return nil, err
			}
		case "snapshot":
			if m.Snapshot == nil {
				return nil, fmt.Errorf("a Snapshot message without its snapshot")
			}
			text, err := m.Snapshot.MarshalJSON()
			if err != nil {
				return nil, err
			}
			b.WriteString(`,"snapshot":`)
			b.Write(text)
		default:
			writeUint(&b, f, *m.uintField(f))
		}
	}
	b.WriteString("}")
	return b.Bytes(), nil
}

// messageUints maps the wire name of each integer field of Message to the field's index, as
// its `wire` tag gives it.
var messageUints = func() map[string]int {
	index := map[string]int{}
	t := reflect.TypeOf(Message{})
	for i := 0; i < t.NumField(); i++ {
		if name, ok := t.Field(i).Tag.Lookup("wire"); ok && t.Field(i).Type.Kind() == reflect.Uint64 {
			index[name] = i
		}
	}
	return index
}()

// uintField is the integer field named f on the wire (from, to, term or a payload field).
func (m *Message) uintField(f string) *uint64 {
	i, ok := messageUints[f]
	if !ok {
		panic("no integer field " + f)
	}
	return reflect.ValueOf(m).Elem().Field(i).Addr().Interface().(*uint64)
}

// MarshalJSON writes the output in the protocol's shape.
func (o Output) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"output":"` + o.Kind + `"`)
	switch o.Kind {
	case outputSend:
		if o.Message == nil {
			return nil, fmt.Errorf("a send output without its message")
		}
		text, err := o.Message.MarshalJSON()
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

// encoded is results already in their JSON form.
type encoded []byte

// encodeStepped writes a step's results: {"outputs":[...],"nodes":[...],"fingerprint":F}.
func encodeStepped(b *bytes.Buffer, outputs []Output, views []NodeView, fingerprint string) error {
	if err := encodeOutputs(b, outputs); err != nil {
		return err
	}
	b.WriteString(`,"nodes":`)
	text, err := json.Marshal(views)
	if err != nil {
		return err
	}
	b.Write(text)
	b.WriteString(`,"fingerprint":"` + fingerprint + `"}`)
	return nil
}

// encodeNodeStepped writes a node_step answer's results: the outputs, the view of the node the
// input was addressed to, and that node's fingerprint.
func encodeNodeStepped(b *bytes.Buffer, outputs []Output, view NodeView, fingerprint string) error {
	if err := encodeOutputs(b, outputs); err != nil {
		return err
	}
	b.WriteString(`,"node":`)
	text, err := json.Marshal(view)
	if err != nil {
		return err
	}
	b.Write(text)
	b.WriteString(`,"fingerprint":"` + fingerprint + `"}`)
	return nil
}

// encodeOutputs opens a results object with its "outputs" field.
func encodeOutputs(b *bytes.Buffer, outputs []Output) error {
	b.WriteString(`{"outputs":[`)
	for i, o := range outputs {
		if i > 0 {
			b.WriteByte(',')
		}
		text, err := o.MarshalJSON()
		if err != nil {
			return err
		}
		b.Write(text)
	}
	b.WriteByte(']')
	return nil
}

// ---------------------------------------------------------------------------------------------
// Decoding

// list decodes a JSON list into its raw items.
func list(raw json.RawMessage, what string) ([]json.RawMessage, *adapterError) {
	if items, ok := splitList(raw); ok {
		return items, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fault("%s must be a list, not %s", what, shorten(string(raw)))
	}
	return items, nil
}

// object decodes a JSON object into its raw fields.
func object(raw json.RawMessage, what string) (map[string]json.RawMessage, *adapterError) {
	if fields, ok := splitObject(raw); ok {
		return fields, nil
	}
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

// decodeField decodes the field key into v, which it leaves alone if the field is absent; an
// absent field is an error only if required. expected names the JSON the field must hold.
func decodeField(fields map[string]json.RawMessage, key, what string, required bool, v interface{}, expected string) *adapterError {
	raw, ok := fields[key]
	if !ok {
		if required {
			return fault("%s lacks the field %q", what, key)
		}
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fault("%s field %q must be %s, not %s", what, key, expected, shorten(string(raw)))
	}
	return nil
}

// decodeUint decodes a non-negative integer; absent fields are an error only if required.
func decodeUint(fields map[string]json.RawMessage, key, what string, required bool) (uint64, *adapterError) {
	if raw, ok := fields[key]; ok && plainUint(raw) {
		if v, err := strconv.ParseUint(string(raw), 10, 64); err == nil {
			return v, nil
		}
	}
	var v uint64
	err := decodeField(fields, key, what, required, &v, "a non-negative integer")
	return v, err
}

// decodeBool decodes true or false; an absent field is false.
func decodeBool(fields map[string]json.RawMessage, key, what string) (bool, *adapterError) {
	switch string(fields[key]) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	var v bool
	err := decodeField(fields, key, what, false, &v, "true or false")
	return v, err
}

// decodeString decodes a required string.
func decodeString(fields map[string]json.RawMessage, key, what string) (string, *adapterError) {
	if raw := fields[key]; len(raw) >= 2 && raw[0] == '"' && plainString(raw, 1) == len(raw)-1 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var v string
	err := decodeField(fields, key, what, true, &v, "a string")
	return v, err
}

func decodeEntry(raw json.RawMessage, what string) (Entry, *adapterError) {
	fields, err := object(raw, what)
	if err != nil {
		return Entry{}, err
	}
	if err := onlyFields(fields, what, []string{"term", "value", "conf"}); err != nil {
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
	if raw, ok := fields["conf"]; ok && string(bytes.TrimSpace(raw)) != "null" {
		if e.Value != nil {
			return Entry{}, fault("%s carries both a value and a configuration change", what)
		}
		if e.Conf, err = decodeConfChange(raw, what+" conf"); err != nil {
			return Entry{}, err
		}
	}
	return e, nil
}

// variant is a decoded object of a tagged union (a message or an input): its fields, its kind
// (the tag's value), the fields that kind has and how error messages name it.
type variant struct {
	fields map[string]json.RawMessage
	kind   string
	args   []string
	what   string
}

// decodeVariant decodes raw, a what ("message" or "input") whose field tag names its kind:
// one of kinds (for the error, unknown says what the tag names and known lists the kinds). It
// refuses fields other than tag, common and the kind's own.
func decodeVariant(raw json.RawMessage, what, tag string, kinds map[string][]string, unknown, known string, common ...string) (*variant, *adapterError) {
	fields, err := object(raw, what)
	if err != nil {
		return nil, err
	}
	kind, err := decodeString(fields, tag, what)
	if err != nil {
		return nil, err
	}
	args, ok := kinds[kind]
	if !ok {
		return nil, fault("unknown %s %q (known: %s)", unknown, kind, known)
	}
	v := &variant{fields, kind, args, "a " + kind + " " + what}
	if err := onlyFields(fields, v.what, append([]string{tag}, common...), args); err != nil {
		return nil, err
	}
	return v, nil
}

func decodeMessage(raw json.RawMessage) (*Message, *adapterError) {
	v, err := decodeVariant(raw, "message", "type", payloadFields, "message type",
		"RequestVote, RequestVoteResponse, RequestPreVote, RequestPreVoteResponse, "+
			"AppendEntries, AppendEntriesResponse, Heartbeat, HeartbeatResponse, Propose, Snapshot",
		"from", "to", "term")
	if err != nil {
		return nil, err
	}
	fields, payload, what2 := v.fields, v.args, v.what
	m := &Message{Type: v.kind}
	for _, f := range []string{"from", "to", "term"} {
		if *m.uintField(f), err = decodeUint(fields, f, what2, true); err != nil {
			return nil, err
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
		case "snapshot":
			raw, ok := fields[f]
			if !ok {
				return nil, fault("%s lacks the field \"snapshot\"", what2)
			}
			if m.Snapshot, err = decodeSnapshot(raw, what2+" snapshot"); err != nil {
				return nil, err
			}
		default:
			if *m.uintField(f), err = decodeUint(fields, f, what2, f == "value"); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// decodedInputs caches decodeInput's results by their JSON text: a search sends the same
// inputs again and again (every replay of a path prefix). Decoding is a function of the text
// alone, and an Input is never changed once decoded. Cleared when full, so it stays small.
var decodedInputs = map[string]*Input{}

const maxDecodedInputs = 1 << 16

func decodeInput(raw json.RawMessage) (*Input, *adapterError) {
	if raw == nil {
		return nil, fault("the apply request lacks the field \"input\"")
	}
	if in, ok := decodedInputs[string(raw)]; ok {
		return in, nil
	}
	in, err := decodeInputText(raw)
	if err != nil {
		return nil, err
	}
	if len(decodedInputs) >= maxDecodedInputs {
		decodedInputs = map[string]*Input{}
	}
	decodedInputs[string(raw)] = in
	return in, nil
}

func decodeInputText(raw json.RawMessage) (*Input, *adapterError) {
	v, err := decodeVariant(raw, "input", "input", inputFields, "input",
		"timeout, receive, restart, client_request, heartbeat, drop, duplicate, "+
			"propose_conf_change, compact")
	if err != nil {
		return nil, err
	}
	fields, args, what2 := v.fields, v.args, v.what
	in := &Input{Kind: v.kind}
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
		case "change":
			raw, ok := fields[f]
			if !ok {
				return nil, fault("%s lacks the field \"change\"", what2)
			}
			if in.Change, err = decodeConfChange(raw, what2+" change"); err != nil {
				return nil, err
			}
		}
	}
	return in, nil
}

// The fast way through the JSON requests raftcheck sends. The functions below accept only
// plainly written JSON (keys and strings without escapes, ASCII, integers without sign,
// fraction or exponent) and report anything else as not theirs (false, or -1), which then
// takes encoding/json's way with its checks and error messages. They find where each value
// ends, matching brackets and reading strings to their closing quote; the values inside are
// checked when they are decoded in turn, every one of them being decoded or refused.

// splitObject is object's fast way: the raw fields of a plainly written object.
func splitObject(raw []byte) (map[string]json.RawMessage, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	fields := map[string]json.RawMessage{}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return fields, skipSpace(raw, i+1) == len(raw)
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return nil, false
		}
		end := plainString(raw, i+1)
		if end < 0 {
			return nil, false
		}
		key := string(raw[i+1 : end])
		i = skipSpace(raw, end+1)
		if i >= len(raw) || raw[i] != ':' {
			return nil, false
		}
		start := skipSpace(raw, i+1)
		stop := valueEnd(raw, start)
		if stop < 0 {
			return nil, false
		}
		fields[key] = json.RawMessage(raw[start:stop])
		i = skipSpace(raw, stop)
		if i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return fields, skipSpace(raw, i+1) == len(raw)
		default:
			return nil, false
		}
	}
}

// splitList is list's fast way: the raw items of a plainly written list.
func splitList(raw []byte) ([]json.RawMessage, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return nil, false
	}
	items := []json.RawMessage{}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return items, skipSpace(raw, i+1) == len(raw)
	}
	for {
		stop := valueEnd(raw, i)
		if stop < 0 {
			return nil, false
		}
		items = append(items, json.RawMessage(raw[i:stop]))
		i = skipSpace(raw, stop)
		if i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case ']':
			return items, skipSpace(raw, i+1) == len(raw)
		default:
			return nil, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString is the index of the quote closing the string whose text starts at b[i], or -1
// if the string has an escape, a control character or a non-ASCII byte, or does not end.
func plainString(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i
		case c == '\\' || c < 0x20 || c >= 0x80:
			return -1
		}
	}
	return -1
}

// plainUint tells whether b is a non-negative integer written plainly (no leading zero).
func plainUint(b []byte) bool {
	if len(b) == 0 || len(b) > 19 || (b[0] == '0' && len(b) > 1) {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// valueEnd is the index just past the plainly written value starting at b[i], or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end := plainString(b, i+1)
		if end < 0 {
			return -1
		}
		return end + 1
	case '{', '[':
		var open []byte
		for j := i; j < len(b); j++ {
			switch c := b[j]; c {
			case '"':
				end := plainString(b, j+1)
				if end < 0 {
					return -1
				}
				j = end
			case '{', '[':
				open = append(open, c)
			case '}', ']':
				if len(open) == 0 || (c == '}') != (open[len(open)-1] == '{') {
					return -1
				}
				open = open[:len(open)-1]
				if len(open) == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] >= 'a' && b[j] <= 'z') {
		j++
	}
	switch word := b[i:j]; {
	case string(word) == "true", string(word) == "false", string(word) == "null", plainUint(word):
		return j
	}
	return -1
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
