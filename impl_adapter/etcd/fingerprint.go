package main

// The fingerprint of the cluster's hidden state, so raftcheck can merge product states.
//
// Merging is sound only if two clusters with equal observations and equal fingerprints behave
// identically for every future input. So the fingerprint does not pick fields: it walks every
// node's whole state with reflection — the RawNode and everything reachable from it, exported
// and unexported fields alike (raft: term, vote, lead, state, leadTransferee, pendingConfIndex,
// uncommittedSize, msgs, readStates, readOnly, pendingReadIndexMessages, config values; raftLog:
// committed, applied, the unstable entries, offset and snapshot, the storage behind it;
// ProgressTracker: configuration, the votes received, every peer's Progress; RawNode:
// prevSoftSt, prevHardSt), plus the node's storage seam (the storage raft reads: HardState,
// every stored entry, the voters; and, behind an injected persistence bug, the durable copy a
// restart goes back to) and its transport seam (the bug wrapped around it, if any, with the
// peer list it misroutes over).
//
// Excluded, each because it provably cannot change what the node does under this driver:
//
//   - raft.logger, raftLog.logger, unstable.logger: where log lines go.
//   - raft.randomizedElectionTimeout and raft.electionElapsed: read only by tickElection
//     (followers and candidates), which never runs — this adapter ticks leaders only — and,
//     on a leader, by tickHeartbeat, where electionElapsed only matters with CheckQuorum (off)
//     or a leadership transfer in progress (leadTransferee, which needs MsgTransferLeader,
//     never delivered, and is hashed anyway); and by Step's lease check (raft.go, "inLease"),
//     which needs CheckQuorum. becomeFollower/Candidate/Leader reset both.
//     (randomizedElectionTimeout is drawn from a time-seeded random source, so hashing it would
//     even make equal runs differ.)
//   - function values (raft.tick, raft.step): fixed functions chosen by the role
//     (tickHeartbeat/stepLeader for leaders, ...), and the role is hashed.
//   - sync.Mutex values (MemoryStorage's lock): unlocked whenever the adapter is idle.
//   - tracker.Inflights internals: hashed as its logical content (size, count and the in-flight
//     indexes in order), not the ring buffer's start position and spare capacity, which no
//     Inflights method's result depends on.
//   - slice capacities, and nil versus empty slices and maps (no reader distinguishes them).
//
// raft.heartbeatElapsed is hashed although it is always 0 at quiescence here: reset() zeroes
// it, only tickHeartbeat increments it, and with HeartbeatTick 1 the same tick sees 1 >= 1 and
// zeroes it again (raft.go tickHeartbeat).
//
// Pointers are followed with cycle protection; a pointer seen before in the same walk is
// hashed as a back-reference to its first visit, so sharing (the storage that both the node and
// raft's log point to) is part of the state too. Map entries are hashed in the order of their
// encoded keys. Each node is walked on its own into a SHA-256 digest, which the cluster caches
// until an input is applied to that node or it is reset (an input changes only the node it is
// applied to: the messages it sends are held by raftcheck, not delivered). The fingerprint is
// the SHA-256 of the injected bug, the node count and the node digests in id order, shortened to
// 128 bits, in hex.

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"reflect"
	"sort"
	"sync"

	"go.etcd.io/etcd/raft"
	"go.etcd.io/etcd/raft/tracker"
)

var (
	loggerType    = reflect.TypeOf((*raft.Logger)(nil)).Elem()
	mutexType     = reflect.TypeOf(sync.Mutex{})
	rwMutexType   = reflect.TypeOf(sync.RWMutex{})
	inflightsType = reflect.TypeOf(tracker.Inflights{})
	raftType      = reflect.TypeOf(raft.RawNode{}).Field(0).Type.Elem() // the unexported raft struct
)

// excludedRaftFields are the raft struct's fields that cannot change behaviour (see above).
var excludedRaftFields = map[string]bool{
	"randomizedElectionTimeout": true,
	"electionElapsed":           true,
}

type ptrKey struct {
	t reflect.Type
	p uintptr
}

// encoder writes a canonical, unambiguous encoding of a value into b: every item carries a
// kind tag and every variable-length item its length. (Into memory, hashed in one go: a hash
// written nine bytes at a time costs more than the walk.)
type encoder struct {
	b    []byte
	seen map[ptrKey]uint64
}

func (e *encoder) tag(t byte) { e.b = append(e.b, t) }

func (e *encoder) u64(t byte, v uint64) {
	e.b = binary.BigEndian.AppendUint64(append(e.b, t), v)
}

func (e *encoder) str(t byte, s string) {
	e.u64(t, uint64(len(s)))
	e.b = append(e.b, s...)
}

// value encodes v. Unexported fields are read only through Int, Uint, Bool, String, Float, Len,
// Index, MapKeys, MapIndex, Elem, Field and Pointer, never through Interface.
func (e *encoder) value(v reflect.Value) {
	switch v.Kind() {
	case reflect.Invalid:
		e.tag('0')
	case reflect.Bool:
		if v.Bool() {
			e.u64('b', 1)
		} else {
			e.u64('b', 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.u64('i', uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.u64('u', v.Uint())
	case reflect.Float32, reflect.Float64:
		e.u64('f', math.Float64bits(v.Float()))
	case reflect.String:
		e.str('s', v.String())
	case reflect.Slice, reflect.Array:
		// nil and empty slices encode alike; capacity is not encoded.
		e.u64('l', uint64(v.Len()))
		for i := 0; i < v.Len(); i++ {
			e.value(v.Index(i))
		}
	case reflect.Map:
		e.mapValue(v)
	case reflect.Ptr:
		if v.IsNil() {
			e.tag('n')
			return
		}
		key := ptrKey{v.Type(), v.Pointer()}
		if n, ok := e.seen[key]; ok {
			e.u64('r', n)
			return
		}
		if e.seen == nil {
			e.seen = map[ptrKey]uint64{}
		}
		e.seen[key] = uint64(len(e.seen))
		e.tag('p')
		e.value(v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			e.tag('n')
			return
		}
		e.str('I', v.Elem().Type().String())
		e.value(v.Elem())
	case reflect.Struct:
		e.structValue(v)
	case reflect.Func:
		// Function values are fixed functions chosen by state that is itself encoded (see the
		// file comment); only their presence is recorded.
		e.u64('F', boolToUint(!v.IsNil()))
	default:
		// Channels and unsafe pointers do not occur in the state walked.
		e.str('?', v.Type().String())
	}
}

func boolToUint(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func (e *encoder) structValue(v reflect.Value) {
	t := v.Type()
	switch t {
	case mutexType, rwMutexType:
		e.tag('M') // a lock: no state that matters while the adapter is idle
		return
	case inflightsType:
		e.inflights(v)
		return
	}
	// Neither the type's name nor the fields' names are written: within one static type the
	// fields come in a fixed order, every item is tagged and every variable-length item
	// carries its length, so the encoding stays unambiguous (an interface value carries its
	// dynamic type's name, see value). Names would only cost time.
	plan := fieldPlan(t)
	e.u64('S', uint64(len(plan)))
	for i, skip := range plan {
		if skip != 0 {
			e.tag(skip)
			continue
		}
		e.value(v.Field(i))
	}
}

// fieldPlans caches fieldPlan's answers, by struct type. A plain map: the adapter answers one
// request at a time, on one goroutine.
var fieldPlans = map[reflect.Type][]byte{}

// fieldPlan says, per field of the struct type t, what structValue writes for it: 0 to walk
// the field, or the tag that stands for a field not walked — 'L' for a logger (where log lines
// go) and 'X' for a raft field excluded in the file comment. Computed once per type: reading
// a type's fields through reflection costs more than walking most values.
func fieldPlan(t reflect.Type) []byte {
	if plan, ok := fieldPlans[t]; ok {
		return plan
	}
	plan := make([]byte, t.NumField())
	for i := range plan {
		f := t.Field(i)
		switch {
		case f.Type == loggerType:
			plan[i] = 'L'
		case t == raftType && excludedRaftFields[f.Name] || excludedVersionField(t, f.Name):
			plan[i] = 'X' // see the file comment
		}
	}
	fieldPlans[t] = plan
	return plan
}

// inflights encodes a tracker.Inflights by its logical content: size, count and the in-flight
// indexes from start, wrapping at size.
func (e *encoder) inflights(v reflect.Value) {
	start := int(v.Field(inflightsStart).Int())
	count := int(v.Field(inflightsCount).Int())
	size := int(v.Field(inflightsSize).Int())
	buffer := v.Field(inflightsBuffer)
	e.u64('N', uint64(size))
	e.u64('l', uint64(count))
	for i := 0; i < count; i++ {
		at := start + i
		if size > 0 && at >= size {
			at -= size
		}
		if at < buffer.Len() {
			e.value(buffer.Index(at)) // 3.4: an index; v3.6: {index, bytes}
		} else {
			e.tag('x') // cannot happen: Add grows the buffer before writing past its end
		}
	}
}

// The indexes of tracker.Inflights' fields, looked up once.
var inflightsStart, inflightsCount, inflightsSize, inflightsBuffer = func() (int, int, int, int) {
	index := func(name string) int {
		f, ok := inflightsType.FieldByName(name)
		if !ok {
			panic("tracker.Inflights has no field " + name)
		}
		return f.Index[0]
	}
	return index("start"), index("count"), index("size"), index("buffer")
}()

type mapItem struct {
	key []byte
	val reflect.Value
}

func (e *encoder) mapValue(v reflect.Value) {
	// nil and empty maps encode alike; entries in the order of their encoded keys.
	items := make([]mapItem, 0, v.Len())
	iter := v.MapRange()
	for iter.Next() {
		var key encoder
		key.value(iter.Key())
		items = append(items, mapItem{key: key.b, val: iter.Value()})
	}
	sort.Slice(items, func(i, j int) bool { return string(items[i].key) < string(items[j].key) })
	e.u64('m', uint64(len(items)))
	for _, it := range items {
		e.b = append(e.b, it.key...)
		e.value(it.val)
	}
}

// canonicalBytes is the canonical encoding of a value (used to compare raftpb messages).
func canonicalBytes(x interface{}) []byte {
	var e encoder
	e.value(reflect.ValueOf(x))
	return e.b
}

// nodeScratch is the buffer nodeDigest encodes into, kept from one call to the next.
var nodeScratch []byte

// nodeDigest is the SHA-256 digest of one node's whole state.
func nodeDigest(n *node) []byte {
	e := encoder{b: nodeScratch[:0]}
	e.value(reflect.ValueOf(n))
	nodeScratch = e.b
	sum := sha256.Sum256(e.b)
	return sum[:]
}

// digest is node id's digest, from the cache where the node has not changed since it was
// computed.
func (c *cluster) digest(id uint64) []byte {
	if c.digests[id-1] == nil {
		c.digests[id-1] = nodeDigest(c.nodes[id-1])
	}
	return c.digests[id-1]
}

// nodeFingerprint is one node's fingerprint (feature "node_step"): its digest, which covers
// the node's whole state, shortened to 128 bits, in hex. The injected bug and the cluster's
// size are part of the node (its storage and transport seams), so two nodes with equal
// fingerprints behave identically for every future input addressed to them.
func (c *cluster) nodeFingerprint(id uint64) string {
	return hex.EncodeToString(c.digest(id)[:16])
}

// nodeFingerprints is every node's fingerprint, in id order.
func (c *cluster) nodeFingerprints() []string {
	fps := make([]string, len(c.nodes))
	for i := range c.nodes {
		fps[i] = c.nodeFingerprint(uint64(i + 1))
	}
	return fps
}

// fingerprint is the hex digest of every node's state, in id order. Node digests come from
// the cache where the node has not changed since they were computed.
func (c *cluster) fingerprint() string {
	var e encoder
	e.str('C', c.bug)
	e.u64('l', uint64(len(c.nodes)))
	for i := range c.nodes {
		e.b = append(e.b, c.digest(uint64(i+1))...)
	}
	sum := sha256.Sum256(e.b)
	return hex.EncodeToString(sum[:16])
}

// unstableEntries is the number of entries raft holds that are not yet in storage
// (raftLog.unstable.entries), read with reflection: etcd does not export it.
func unstableEntries(rn *raft.RawNode) int {
	r := reflect.ValueOf(rn).Elem().FieldByName("raft")
	if r.IsNil() {
		return 0
	}
	log := r.Elem().FieldByName("raftLog")
	if log.IsNil() {
		return 0
	}
	return log.Elem().FieldByName("unstable").FieldByName("entries").Len()
}
