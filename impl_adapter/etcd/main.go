// Command raftcheck-etcd puts etcd's raft package (go.etcd.io/etcd/raft, 3.4) behind
// raftcheck's adapter protocol, version 1 (impl_adapter/PROTOCOL.md): JSON requests, one per
// line, on stdin; one JSON response per request on stdout; nothing else on stdout. It exits
// when stdin closes. See README.md.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"

	"go.etcd.io/etcd/raft"
)

// logEnv turns etcd's log output on (to stderr) when set to a non-empty value.
const logEnv = "RAFTCHECK_ETCD_LOG"

// quietLogger is etcd's logger for this program: silent by default (or writing to stderr when
// RAFTCHECK_ETCD_LOG is set), and turning Fatal into a panic, so that an etcd assertion becomes
// a "fault" answer instead of ending the process.
type quietLogger struct {
	out *log.Logger // nil: discard
}

func (l *quietLogger) logf(level, format string, v ...interface{}) {
	if l.out != nil {
		l.out.Output(3, level+": "+fmt.Sprintf(format, v...))
	}
}

func (l *quietLogger) Debug(v ...interface{})                 { l.logf("DEBUG", "%s", fmt.Sprint(v...)) }
func (l *quietLogger) Debugf(format string, v ...interface{}) { l.logf("DEBUG", format, v...) }
func (l *quietLogger) Info(v ...interface{})                  { l.logf("INFO", "%s", fmt.Sprint(v...)) }
func (l *quietLogger) Infof(format string, v ...interface{})  { l.logf("INFO", format, v...) }
func (l *quietLogger) Warning(v ...interface{})               { l.logf("WARN", "%s", fmt.Sprint(v...)) }
func (l *quietLogger) Warningf(format string, v ...interface{}) {
	l.logf("WARN", format, v...)
}
func (l *quietLogger) Error(v ...interface{})                 { l.logf("ERROR", "%s", fmt.Sprint(v...)) }
func (l *quietLogger) Errorf(format string, v ...interface{}) { l.logf("ERROR", format, v...) }
func (l *quietLogger) Fatal(v ...interface{})                 { l.Panic(v...) }
func (l *quietLogger) Fatalf(format string, v ...interface{}) { l.Panicf(format, v...) }
func (l *quietLogger) Panic(v ...interface{}) {
	l.logf("PANIC", "%s", fmt.Sprint(v...))
	panic(fmt.Sprint(v...))
}
func (l *quietLogger) Panicf(format string, v ...interface{}) {
	l.logf("PANIC", format, v...)
	panic(fmt.Sprintf(format, v...))
}

// etcdLogger is the logger of every node and of etcd's package-level code (MemoryStorage).
var etcdLogger = &quietLogger{}

func init() {
	if os.Getenv(logEnv) != "" {
		etcdLogger.out = log.New(os.Stderr, "etcd ", log.Lmicroseconds)
	}
	raft.SetLogger(etcdLogger)
}

// session is the state of one protocol conversation: the current cluster, if any.
type session struct {
	cluster *cluster
}

// request is a decoded request line.
type request struct {
	id     uint64
	op     string
	fields map[string]json.RawMessage
}

// opArgs lists each operation's arguments.
var opArgs = map[string][]string{
	"hello":       {"protocol"},
	"reset":       {"nodes", "spares", "inject", "pre_vote"},
	"apply":       {"input"},
	"observe":     {},
	"fingerprint": {},
	"reset_node":  {"node"},
	// feature "step"
	"step":   {"input"},
	"replay": {"steps"},
	// feature "node_step"
	"node_step":         {"input"},
	"node_fingerprints": {},
}

// parseRequest decodes a request line. The id is returned even when the rest is malformed,
// if it can be read at all (0 otherwise).
func parseRequest(line []byte) (uint64, *request, *adapterError) {
	fields, ok := splitObject(line)
	if !ok {
		if err := json.Unmarshal(line, &fields); err != nil || fields == nil {
			return 0, nil, fault("not a protocol request (a JSON object on one line): %s", shorten(string(line)))
		}
	}
	id, err := decodeUint(fields, "id", "the request", true)
	if err != nil {
		return 0, nil, err
	}
	op, err := decodeString(fields, "op", "the request")
	if err != nil {
		return id, nil, err
	}
	args, ok := opArgs[op]
	if !ok {
		return id, nil, fault("unknown op %q; this adapter answers hello, reset, apply, observe, "+
			"fingerprint, reset_node, step, replay, node_step, node_fingerprints", op)
	}
	if err := onlyFields(fields, "the "+op+" request", []string{"id", "op"}, args); err != nil {
		return id, nil, err
	}
	return id, &request{id: id, op: op, fields: fields}, nil
}

// handle answers one request; a panic anywhere (an etcd assertion, an adapter bug) becomes a
// fault answer, and the cluster, now in an unknown state, is discarded.
func (s *session) handle(r *request) (result interface{}, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.cluster = nil
			// The stack first, the message last: raftcheck shows the tail of stderr.
			fmt.Fprintf(os.Stderr, "%s\nraftcheck-etcd: panic in %s: %v\n", debug.Stack(), r.op, p)
			result, err = nil, fault("etcd panicked during %s: %v (the cluster is discarded; "+
				"send reset)", r.op, p)
		}
	}()
	return s.dispatch(r)
}

func (s *session) dispatch(r *request) (interface{}, error) {
	what := "the " + r.op + " request"
	switch r.op {
	case "hello":
		v, err := decodeUint(r.fields, "protocol", what, true)
		if err != nil {
			return nil, err
		}
		if v != protocolVersion {
			return nil, fault("this adapter speaks protocol version %d, not %d", protocolVersion, v)
		}
		return map[string]interface{}{
			"protocol":       protocolVersion,
			"implementation": implementation,
			"flavour":        flavour,
			"bugs":           allBugs,
			"features": []string{"fingerprint", "reset_node", "pre_vote", "membership", "snapshots",
				"step", "node_step"},
		}, nil
	case "reset":
		nodes, err := decodeUint(r.fields, "nodes", what, true)
		if err != nil {
			return nil, err
		}
		if nodes == 0 || nodes > 1000 {
			return nil, fault("a cluster needs 1 to 1000 nodes, not %d", nodes)
		}
		spares, err := decodeUint(r.fields, "spares", what, false)
		if err != nil {
			return nil, err
		}
		if spares > 1000 {
			return nil, fault("at most 1000 spares, not %d", spares)
		}
		bug := ""
		if raw, ok := r.fields["inject"]; ok && strings.TrimSpace(string(raw)) != "null" {
			if bug, err = decodeString(r.fields, "inject", what); err != nil {
				return nil, err
			}
			if !knownBug(bug) {
				return nil, fault("unknown bug %q; this adapter injects: %s", bug,
					strings.Join(allBugs, ", "))
			}
		}
		preVote := false
		if _, ok := r.fields["pre_vote"]; ok {
			if preVote, err = decodeBool(r.fields, "pre_vote", what); err != nil {
				return nil, err
			}
		}
		s.cluster = nil
		c, e := newCluster(int(nodes), int(spares), bug, preVote)
		if e != nil {
			return nil, e
		}
		s.cluster = c
		return struct{}{}, nil
	case "apply", "observe", "fingerprint", "reset_node", "step", "replay", "node_step",
		"node_fingerprints":
		c, err := s.current()
		if err != nil {
			return nil, err
		}
		return clusterOp(c, r, what)
	}
	return nil, fault("unknown op %q", r.op)
}

// clusterOp answers a request that acts on the current cluster c.
func clusterOp(c *cluster, r *request, what string) (interface{}, error) {
	switch r.op {
	case "apply":
		in, aerr := decodeInput(r.fields["input"])
		if aerr != nil {
			return nil, aerr
		}
		outputs, e := c.apply(in)
		if e != nil {
			return nil, e
		}
		return map[string]interface{}{"outputs": outputs}, nil
	case "observe":
		views, e := c.observe()
		if e != nil {
			return nil, e
		}
		return map[string]interface{}{"nodes": views}, nil
	case "fingerprint":
		return map[string]interface{}{"fingerprint": c.fingerprint()}, nil
	case "reset_node":
		id, aerr := decodeUint(r.fields, "node", what, true)
		if aerr != nil {
			return nil, aerr
		}
		if e := c.resetNode(id); e != nil {
			return nil, e
		}
		return struct{}{}, nil
	case "step":
		in, aerr := decodeInput(r.fields["input"])
		if aerr != nil {
			return nil, aerr
		}
		return step(c, in)
	case "replay":
		return replay(c, r.fields["steps"])
	case "node_step":
		in, aerr := decodeInput(r.fields["input"])
		if aerr != nil {
			return nil, aerr
		}
		return nodeStep(c, in)
	case "node_fingerprints":
		return map[string]interface{}{"fingerprints": c.nodeFingerprints()}, nil
	}
	return nil, fault("unknown op %q", r.op)
}

// nodeStep answers a node_step request: apply an input addressed to one node, then that node's
// view and fingerprint, in one encoded answer.
func nodeStep(c *cluster, in *Input) (encoded, error) {
	target := in.target()
	if target == 0 {
		return nil, fault("node_step needs an input addressed to a node, not %q", in.Kind)
	}
	outputs, e := c.apply(in)
	if e != nil {
		return nil, e
	}
	n, e := c.node(target)
	if e != nil {
		return nil, e
	}
	view, e := n.view()
	if e != nil {
		return nil, e
	}
	var b bytes.Buffer
	if err := encodeNodeStepped(&b, outputs, view, c.nodeFingerprint(target)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// step answers a step request: apply, then observe and fingerprint, in one encoded answer.
func step(c *cluster, in *Input) (encoded, error) {
	outputs, e := c.apply(in)
	if e != nil {
		return nil, e
	}
	views, e := c.observe()
	if e != nil {
		return nil, e
	}
	var b bytes.Buffer
	if err := encodeStepped(&b, outputs, views, c.fingerprint()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// replayOps lists the arguments of the requests a replay batch may hold.
var replayOps = map[string][]string{
	"apply":      {"input"},
	"reset_node": {"node"},
}

// replay carries out a replay request's steps in order, discarding outputs; a failing step
// ends the batch with its error, which names the step's index.
func replay(c *cluster, raw json.RawMessage) (interface{}, error) {
	if raw == nil {
		return nil, fault("the replay request lacks the field \"steps\"")
	}
	steps, aerr := list(raw, "the replay request field \"steps\"")
	if aerr != nil {
		return nil, aerr
	}
	for k, rawStep := range steps {
		what := fmt.Sprintf("replay step %d", k)
		err := replayStep(c, rawStep, what)
		if err == nil {
			continue
		}
		ae, ok := err.(*adapterError)
		if !ok {
			ae = fault("%v", err)
		}
		return nil, ae.at(k)
	}
	return struct{}{}, nil
}

func replayStep(c *cluster, raw json.RawMessage, what string) error {
	v, aerr := decodeVariant(raw, what, "op", replayOps, "replay op", "apply, reset_node")
	if aerr != nil {
		return aerr
	}
	switch v.kind {
	case "apply":
		in, aerr := decodeInput(v.fields["input"])
		if aerr != nil {
			return aerr
		}
		if _, e := c.apply(in); e != nil {
			return e
		}
	case "reset_node":
		id, aerr := decodeUint(v.fields, "node", v.what, true)
		if aerr != nil {
			return aerr
		}
		if e := c.resetNode(id); e != nil {
			return e
		}
	}
	return nil
}

func (s *session) current() (*cluster, error) {
	if s.cluster == nil {
		return nil, fault("there is no cluster: send reset first (a fault discards the cluster)")
	}
	return s.cluster, nil
}

func knownBug(name string) bool {
	for _, b := range allBugs {
		if b == name {
			return true
		}
	}
	return false
}

// answer is the response line for one request line.
func (s *session) answer(line []byte) []byte {
	id, r, perr := parseRequest(line)
	var result interface{}
	var err error
	if perr != nil {
		err = perr
	} else {
		result, err = s.handle(r)
	}
	if raw, ok := result.(encoded); ok && err == nil {
		return append(append([]byte(`{"id":`+strconv.FormatUint(id, 10)+`,"ok":`), raw...), '}')
	}
	if err == nil {
		body, merr := json.Marshal(result)
		if merr == nil {
			return []byte(`{"id":` + strconv.FormatUint(id, 10) + `,"ok":` + string(body) + "}")
		}
		s.cluster = nil
		err = fault("cannot encode the answer: %v", merr)
	}
	ae, ok := err.(*adapterError)
	if !ok {
		ae = fault("%v", err)
	}
	fields := map[string]interface{}{"kind": ae.kind, "message": ae.message}
	if ae.step >= 0 {
		fields["step"] = ae.step
	}
	body, _ := json.Marshal(fields)
	return []byte(`{"id":` + strconv.FormatUint(id, 10) + `,"error":` + string(body) + "}")
}

// serve answers every request line from in on out until in ends. Answers are flushed when
// no further complete request is already waiting: a batch of requests sent together gets its
// answers in one write, and no answer waits for a request that has not been sent.
func serve(in io.Reader, out io.Writer) error {
	reader := bufio.NewReaderSize(in, 1<<16)
	writer := bufio.NewWriterSize(out, 1<<16)
	s := &session{}
	for {
		line, err := reader.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if _, werr := writer.Write(append(s.answer(line), '\n')); werr != nil {
				return werr
			}
			if !lineWaiting(reader) {
				if werr := writer.Flush(); werr != nil {
					return werr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// lineWaiting tells whether a whole request line is already buffered.
func lineWaiting(r *bufio.Reader) bool {
	waiting, _ := r.Peek(r.Buffered())
	return bytes.IndexByte(waiting, '\n') >= 0
}

// profileEnv names a file prefix: when set, the adapter writes a Go CPU profile of its whole
// run to PREFIX.PID.pprof (for `go tool pprof`), one file per adapter process.
const profileEnv = "RAFTCHECK_ETCD_CPUPROFILE"

func main() {
	if prefix := os.Getenv(profileEnv); prefix != "" {
		f, err := os.Create(fmt.Sprintf("%s.%d.pprof", prefix, os.Getpid()))
		if err != nil {
			fmt.Fprintf(os.Stderr, "raftcheck-etcd: %s: %v\n", profileEnv, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "raftcheck-etcd: %s: %v\n", profileEnv, err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if err := serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "raftcheck-etcd: %v\n", err)
		os.Exit(1)
	}
}
