package main

// Configuration changes on the wire and in etcd: the protocol's ConfChange (the spec's serde
// form), its translation to etcd's ConfChange (v1) and ConfChangeV2, and the ConfState shape
// in which configurations travel (snapshots, node views).
//
//	protocol change                              etcd
//	{"kind":"single","change":{"op":O,"node":N}}  ConfChange{Type: AddNode | AddLearnerNode |
//	                                               RemoveNode, NodeID: N}   (EntryConfChange)
//	{"kind":"joint","changes":[...],              ConfChangeV2{Transition: JointImplicit (auto)
//	 "auto_leave":A}                               or JointExplicit, Changes}  (EntryConfChangeV2)
//	{"kind":"leave"}                              ConfChangeV2{} (empty; EntryConfChangeV2)
//
// Anything else etcd could carry in a configuration entry (UpdateNode, a ConfChange's ID or
// Context, a ConfChangeV2 with transition Auto and changes) is unmodelled.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"

	"go.etcd.io/etcd/raft"
	"go.etcd.io/etcd/raft/quorum"
	pb "go.etcd.io/etcd/raft/raftpb"
	"go.etcd.io/etcd/raft/tracker"
)

// Change ops of the protocol.
const (
	opAddVoter   = "add-voter"
	opAddLearner = "add-learner"
	opRemove     = "remove"
)

// ConfChange kinds of the protocol.
const (
	confSingle = "single"
	confJoint  = "joint"
	confLeave  = "leave"
)

// Change is one change to one node.
type Change struct {
	Op   string
	Node uint64
}

// ConfChange is a spec configuration change: a single change (Changes holds exactly one), a
// joint one (AutoLeave: the leader leaves it by itself), or the leave.
type ConfChange struct {
	Kind      string
	Changes   []Change
	AutoLeave bool
}

var changeTypes = map[string]pb.ConfChangeType{
	opAddVoter:   pb.ConfChangeAddNode,
	opAddLearner: pb.ConfChangeAddLearnerNode,
	opRemove:     pb.ConfChangeRemoveNode,
}

func changeOp(t pb.ConfChangeType) (string, error) {
	for op, ct := range changeTypes {
		if ct == t {
			return op, nil
		}
	}
	return "", fmt.Errorf("a configuration change of type %s, which the spec does not model", t)
}

// MarshalJSON writes {"op":O,"node":N}.
func (c Change) MarshalJSON() ([]byte, error) {
	return []byte(`{"op":"` + c.Op + `","node":` + strconv.FormatUint(c.Node, 10) + `}`), nil
}

// MarshalJSON writes the change in the spec's serde form (see the file comment).
func (c ConfChange) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"kind":"` + c.Kind + `"`)
	switch c.Kind {
	case confSingle:
		if len(c.Changes) != 1 {
			return nil, fmt.Errorf("a single configuration change with %d changes", len(c.Changes))
		}
		text, _ := c.Changes[0].MarshalJSON()
		b.WriteString(`,"change":`)
		b.Write(text)
	case confJoint:
		if err := writeList(&b, "changes", c.Changes); err != nil {
			return nil, err
		}
		b.WriteString(`,"auto_leave":` + strconv.FormatBool(c.AutoLeave))
	case confLeave:
	default:
		return nil, fmt.Errorf("unknown configuration change kind %q", c.Kind)
	}
	b.WriteString("}")
	return b.Bytes(), nil
}

// confKinds lists, per ConfChange kind, its fields besides "kind".
var confKinds = map[string][]string{
	confSingle: {"change"},
	confJoint:  {"changes", "auto_leave"},
	confLeave:  {},
}

func decodeChange(raw json.RawMessage, what string) (Change, *adapterError) {
	fields, err := object(raw, what)
	if err != nil {
		return Change{}, err
	}
	if err := onlyFields(fields, what, []string{"op", "node"}); err != nil {
		return Change{}, err
	}
	op, err := decodeString(fields, "op", what)
	if err != nil {
		return Change{}, err
	}
	if _, ok := changeTypes[op]; !ok {
		return Change{}, fault("%s has unknown op %q (known: add-voter, add-learner, remove)", what, op)
	}
	node, err := decodeUint(fields, "node", what, true)
	if err != nil {
		return Change{}, err
	}
	return Change{Op: op, Node: node}, nil
}

// decodeConfChange decodes a configuration change in the spec's serde form.
func decodeConfChange(raw json.RawMessage, what string) (*ConfChange, *adapterError) {
	v, err := decodeVariant(raw, what, "kind", confKinds, "configuration change kind",
		"single, joint, leave")
	if err != nil {
		return nil, err
	}
	cc := &ConfChange{Kind: v.kind}
	switch v.kind {
	case confSingle:
		raw, ok := v.fields["change"]
		if !ok {
			return nil, fault("%s lacks the field \"change\"", v.what)
		}
		c, err := decodeChange(raw, v.what+" change")
		if err != nil {
			return nil, err
		}
		cc.Changes = []Change{c}
	case confJoint:
		var list []json.RawMessage
		if err := decodeField(v.fields, "changes", v.what, true, &list, "a list"); err != nil {
			return nil, err
		}
		for i, r := range list {
			c, err := decodeChange(r, fmt.Sprintf("%s changes[%d]", v.what, i))
			if err != nil {
				return nil, err
			}
			cc.Changes = append(cc.Changes, c)
		}
		if err := decodeField(v.fields, "auto_leave", v.what, true, &cc.AutoLeave, "true or false"); err != nil {
			return nil, err
		}
	}
	return cc, nil
}

// toEtcd is the change as etcd proposes it: a ConfChange for a single change, a ConfChangeV2
// for a joint one or the leave.
func (c *ConfChange) toEtcd() pb.ConfChangeI {
	var changes []pb.ConfChangeSingle
	for _, ch := range c.Changes {
		changes = append(changes, pb.ConfChangeSingle{Type: changeTypes[ch.Op], NodeID: ch.Node})
	}
	switch c.Kind {
	case confSingle:
		return pb.ConfChange{Type: changes[0].Type, NodeID: changes[0].NodeID}
	case confJoint:
		t := pb.ConfChangeTransitionJointExplicit
		if c.AutoLeave {
			t = pb.ConfChangeTransitionJointImplicit
		}
		return pb.ConfChangeV2{Transition: t, Changes: changes}
	default:
		return pb.ConfChangeV2{}
	}
}

// confChangeFromEtcd is the change an EntryConfChange or EntryConfChangeV2 entry carries.
func confChangeFromEtcd(e pb.Entry) (*ConfChange, error) {
	switch e.Type {
	case pb.EntryConfChange:
		var cc pb.ConfChange
		if err := cc.Unmarshal(e.Data); err != nil {
			return nil, fmt.Errorf("entry %d: not a ConfChange: %v", e.Index, err)
		}
		if cc.ID != 0 || len(cc.Context) != 0 {
			return nil, fmt.Errorf("entry %d: a ConfChange with an ID or a Context", e.Index)
		}
		op, err := changeOp(cc.Type)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %v", e.Index, err)
		}
		return &ConfChange{Kind: confSingle, Changes: []Change{{Op: op, Node: cc.NodeID}}}, nil
	case pb.EntryConfChangeV2:
		var cc pb.ConfChangeV2
		if err := cc.Unmarshal(e.Data); err != nil {
			return nil, fmt.Errorf("entry %d: not a ConfChangeV2: %v", e.Index, err)
		}
		if len(cc.Context) != 0 {
			return nil, fmt.Errorf("entry %d: a ConfChangeV2 with a Context", e.Index)
		}
		out := &ConfChange{}
		switch {
		case cc.Transition == pb.ConfChangeTransitionAuto && len(cc.Changes) == 0:
			out.Kind = confLeave
			return out, nil
		case cc.Transition == pb.ConfChangeTransitionJointImplicit:
			out.Kind, out.AutoLeave = confJoint, true
		case cc.Transition == pb.ConfChangeTransitionJointExplicit:
			out.Kind = confJoint
		default:
			return nil, fmt.Errorf("entry %d: a ConfChangeV2 with transition %s and %d changes, "+
				"which the spec does not model", e.Index, cc.Transition, len(cc.Changes))
		}
		for _, ch := range cc.Changes {
			op, err := changeOp(ch.Type)
			if err != nil {
				return nil, fmt.Errorf("entry %d: %v", e.Index, err)
			}
			out.Changes = append(out.Changes, Change{Op: op, Node: ch.NodeID})
		}
		return out, nil
	}
	return nil, fmt.Errorf("entry %d has type %s, not a configuration change", e.Index, e.Type)
}

// ConfState is a configuration in etcd's ConfState shape, lists sorted; empty lists and a false
// AutoLeave are left out on the wire, except Voters.
type ConfState struct {
	Voters         []uint64
	VotersOutgoing []uint64
	Learners       []uint64
	LearnersNext   []uint64
	AutoLeave      bool
}

// MarshalJSON writes {"voters":[...], ...} (see ConfState).
func (c ConfState) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	writeList := func(key string, ids []uint64, always bool) {
		if len(ids) == 0 && !always {
			return
		}
		if b.Len() > 0 {
			b.WriteString(",")
		} else {
			b.WriteString("{")
		}
		b.WriteString(`"` + key + `":[`)
		for i, id := range ids {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(strconv.FormatUint(id, 10))
		}
		b.WriteString("]")
	}
	writeList("voters", c.Voters, true)
	writeList("voters_outgoing", c.VotersOutgoing, false)
	writeList("learners", c.Learners, false)
	writeList("learners_next", c.LearnersNext, false)
	if c.AutoLeave {
		b.WriteString(`,"auto_leave":true`)
	}
	b.WriteString("}")
	return b.Bytes(), nil
}

func decodeConfState(raw json.RawMessage, what string) (ConfState, *adapterError) {
	fields, err := object(raw, what)
	if err != nil {
		return ConfState{}, err
	}
	lists := []string{"voters", "voters_outgoing", "learners", "learners_next"}
	if err := onlyFields(fields, what, lists, []string{"auto_leave"}); err != nil {
		return ConfState{}, err
	}
	var c ConfState
	for i, dst := range []*[]uint64{&c.Voters, &c.VotersOutgoing, &c.Learners, &c.LearnersNext} {
		if err := decodeField(fields, lists[i], what, i == 0, dst, "a list of node ids"); err != nil {
			return ConfState{}, err
		}
	}
	if c.AutoLeave, err = decodeBool(fields, "auto_leave", what); err != nil {
		return ConfState{}, err
	}
	return c, nil
}

// confStateFromEtcd is an etcd ConfState in the protocol's shape (lists sorted).
func confStateFromEtcd(cs pb.ConfState) ConfState {
	return ConfState{
		Voters:         sortedIDs(cs.Voters),
		VotersOutgoing: sortedIDs(cs.VotersOutgoing),
		Learners:       sortedIDs(cs.Learners),
		LearnersNext:   sortedIDs(cs.LearnersNext),
		AutoLeave:      cs.AutoLeave,
	}
}

func (c ConfState) toEtcd() pb.ConfState {
	return pb.ConfState{
		Voters:         sortedIDs(c.Voters),
		VotersOutgoing: sortedIDs(c.VotersOutgoing),
		Learners:       sortedIDs(c.Learners),
		LearnersNext:   sortedIDs(c.LearnersNext),
		AutoLeave:      c.AutoLeave,
	}
}

// rawNodeConfig is the configuration raft works with (its progress tracker's), in the protocol's
// shape. RawNode.Status().Config is a tracker.Config.Clone, which in etcd 3.4 leaves AutoLeave
// out (tracker.go, Clone), so AutoLeave is read from the tracker itself (raft.prs.Config,
// unexported: with reflection, as unstableEntries does).
func rawNodeConfig(rn *raft.RawNode) ConfState {
	cs := configFromTracker(rn.Status().Config)
	cs.AutoLeave = reflect.ValueOf(rn).Elem().FieldByName("raft").Elem().
		FieldByName(trackerField).FieldByName("Config").FieldByName("AutoLeave").Bool()
	return cs
}

// configFromTracker is a tracker configuration in the protocol's shape.
func configFromTracker(cfg tracker.Config) ConfState {
	ids := func(m map[uint64]struct{}) []uint64 {
		return quorum.MajorityConfig(m).Slice()
	}
	return ConfState{
		Voters:         cfg.Voters[0].Slice(),
		VotersOutgoing: cfg.Voters[1].Slice(),
		Learners:       ids(cfg.Learners),
		LearnersNext:   ids(cfg.LearnersNext),
		AutoLeave:      cfg.AutoLeave,
	}
}

func sortedIDs(ids []uint64) []uint64 {
	if len(ids) == 0 {
		return nil
	}
	out := append([]uint64(nil), ids...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func cloneConfState(cs pb.ConfState) pb.ConfState {
	return pb.ConfState{
		Voters:         append([]uint64(nil), cs.Voters...),
		Learners:       append([]uint64(nil), cs.Learners...),
		VotersOutgoing: append([]uint64(nil), cs.VotersOutgoing...),
		LearnersNext:   append([]uint64(nil), cs.LearnersNext...),
		AutoLeave:      cs.AutoLeave,
	}
}
