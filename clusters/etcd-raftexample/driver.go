package main

// The driver: `etcd-cluster run` starts one node process per node with a fresh data directory,
// sends client proposals, injects seeded faults, and stops everything after --seconds.
//
// Faults, one at a time, each after a pause of 0.5–1.5 s (all drawn from --seed; the first is
// always a kill, so that every run has a restart):
//
//	kill       kill -9 a node (the leader or any), restart it 0.2–1 s later from its WAL
//	partition  isolate one node from the others (both directions) for 0.8–2 s
//	loss       lose 20–50% of the messages between two nodes (both directions) for 1–2 s
//	slow       one node sleeps 20–80 ms before every WAL save for 1–2 s
//
// With --inject, every fault is the kill that brings the bug out: the leader (it voted for itself
// in its term) for vote-not-persisted, a follower shortly after proposals for unsynced-tail-lost;
// apply-uncommitted shows without any fault and keeps the usual mix.
//
// The seed fixes the schedule of faults and proposals, not the run: timing, elections and
// message interleavings are the machine's.

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

type runOptions struct {
	nodes    int
	duration time.Duration
	seed     uint64
	out      string
	bug      string
	faults   bool
	// omitHintTerm is passed to the nodes (converter.omitHintTerm).
	omitHintTerm bool
}

func runCommand(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	nodes := fs.Int("nodes", 3, "number of nodes")
	seconds := fs.Float64("seconds", 10, "run length in seconds")
	seed := fs.Uint64("seed", 1, "seed of the fault and proposal schedule")
	out := fs.String("out", "", "output directory (must not exist or be empty)")
	bug := fs.String("inject", "", "bug to inject: "+strings.Join(bugs, ", "))
	noFaults := fs.Bool("no-faults", false, "inject no faults")
	omitHintTerm := fs.Bool("omit-hint-term", false,
		"leave hint_term out of logged append responses (etcd v3.6's differs from the spec's etcd flavour)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *nodes < 1 || *nodes > 9 {
		return fmt.Errorf("--nodes must be 1..9")
	}
	if *seconds <= 0 {
		return fmt.Errorf("--seconds must be positive")
	}
	if *out == "" {
		return fmt.Errorf("--out is required")
	}
	if !knownBug(*bug) {
		return fmt.Errorf("unknown bug %q (known: %s)", *bug, strings.Join(bugs, ", "))
	}
	return run(runOptions{nodes: *nodes, duration: time.Duration(*seconds * float64(time.Second)),
		seed: *seed, out: *out, bug: *bug, faults: !*noFaults, omitHintTerm: *omitHintTerm})
}

// proc is one node's process slot.
type proc struct {
	id     uint64
	cmd    *exec.Cmd
	done   chan struct{}
	killed bool // by the driver
}

type cluster struct {
	o       runOptions
	exe     string
	ids     []uint64
	addrs   map[uint64]string
	addrArg string
	plan    string
	// rng draws the fault schedule and the nodes' tick intervals and seeds (the fault loop's
	// goroutine only, so a seed gives one schedule); proposals have their own.
	rng     *rand.Rand
	propRng *rand.Rand
	mu      sync.Mutex
	procs   map[uint64]*proc
	faults  *os.File
	start   time.Time
	// failures: nodes that exited without being killed
	failures []string
	// counters
	proposals, kills int
}

func run(o runOptions) error {
	if entries, err := os.ReadDir(o.out); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists and is not empty", o.out)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	c := &cluster{o: o, exe: exe, addrs: map[uint64]string{}, procs: map[uint64]*proc{},
		plan: filepath.Join(o.out, "faults.plan"), rng: rand.New(rand.NewPCG(o.seed, 0x5eed)),
		propRng: rand.New(rand.NewPCG(o.seed, 0x960905e))}
	var parts []string
	for i := 1; i <= o.nodes; i++ {
		id := uint64(i)
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		c.ids = append(c.ids, id)
		c.addrs[id] = addr
		parts = append(parts, fmt.Sprintf("%d=%s", id, addr))
	}
	c.addrArg = strings.Join(parts, ",")
	if err := writePlan(c.plan, emptyPlan()); err != nil {
		return err
	}
	if c.faults, err = os.Create(filepath.Join(o.out, "faults.txt")); err != nil {
		return err
	}
	defer c.faults.Close()
	c.start = time.Now()
	for _, id := range c.ids {
		if err := c.startNode(id); err != nil {
			c.stopAll()
			return err
		}
	}
	deadline := c.start.Add(o.duration)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.propose(deadline, stop) }()
	if o.faults {
		c.faultLoop(deadline)
	} else {
		time.Sleep(time.Until(deadline))
	}
	close(stop)
	wg.Wait()
	_ = writePlan(c.plan, emptyPlan())
	c.stopAll()
	return c.summary()
}

// freeAddr is a loopback address with a port free now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (c *cluster) note(format string, a ...any) {
	fmt.Fprintf(c.faults, "%8.3fs %s\n", time.Since(c.start).Seconds(), fmt.Sprintf(format, a...))
}

// startNode starts (or restarts) node id's process.
func (c *cluster) startNode(id uint64) error {
	tick := 10 + c.rng.IntN(11)
	seed := c.rng.Uint64()
	stderr, err := os.OpenFile(filepath.Join(c.o.out, fmt.Sprintf("n%d.stderr", id)),
		os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(c.exe, "node", "--id", fmt.Sprint(id), "--addrs", c.addrArg,
		"--data", filepath.Join(c.o.out, "data", fmt.Sprintf("n%d", id)),
		"--log", filepath.Join(c.o.out, fmt.Sprintf("n%d.ndjson", id)),
		"--plan", c.plan, "--inject", c.o.bug, "--tick-ms", fmt.Sprint(tick), "--seed", fmt.Sprint(seed),
		fmt.Sprintf("--omit-hint-term=%v", c.o.omitHintTerm))
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		stderr.Close()
		return err
	}
	p := &proc{id: id, cmd: cmd, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		stderr.Close()
		c.mu.Lock()
		if !p.killed {
			c.failures = append(c.failures,
				fmt.Sprintf("node %d exited by itself (%v): see n%d.stderr", id, err, id))
		}
		c.mu.Unlock()
		close(p.done)
	}()
	c.mu.Lock()
	c.procs[id] = p
	c.mu.Unlock()
	c.note("start n%d (tick %d ms)", id, tick)
	return nil
}

// kill kills node id with SIGKILL and waits for it.
func (c *cluster) kill(id uint64) {
	c.mu.Lock()
	p := c.procs[id]
	if p == nil {
		c.mu.Unlock()
		return
	}
	p.killed = true
	c.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (c *cluster) stopAll() {
	for _, id := range c.ids {
		c.kill(id)
	}
}

// statusOf asks a node for its role, term and leader.
func (c *cluster) statusOf(id uint64) (status, error) {
	conn, err := net.DialTimeout("tcp", c.addrs[id], 200*time.Millisecond)
	if err != nil {
		return status{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(300 * time.Millisecond))
	if err := writeFrame(conn, frameStatus, nil); err != nil {
		return status{}, err
	}
	kind, payload, err := readFrame(bufio.NewReader(conn))
	if err != nil {
		return status{}, err
	}
	if kind != frameAnswer {
		return status{}, fmt.Errorf("answer of kind %d", kind)
	}
	return decodeStatus(payload)
}

// leader is the node that is leader in the highest term, or 0.
func (c *cluster) leader() uint64 {
	var best status
	var id uint64
	for _, n := range c.ids {
		s, err := c.statusOf(n)
		if err == nil && s.role == 3 && s.term > best.term {
			best, id = s, n
		}
	}
	return id
}

// propose sends client values 1, 2, 3, ... to random nodes every 10–40 ms until the deadline.
func (c *cluster) propose(deadline time.Time, stop <-chan struct{}) {
	conns := map[uint64]net.Conn{}
	defer func() {
		for _, conn := range conns {
			conn.Close()
		}
	}()
	value := uint64(0)
	for time.Now().Before(deadline) {
		wait := time.Duration(10+c.propRng.IntN(31)) * time.Millisecond
		id := c.ids[c.propRng.IntN(len(c.ids))]
		select {
		case <-stop:
			return
		case <-time.After(wait):
		}
		conn := conns[id]
		if conn == nil {
			var err error
			if conn, err = net.DialTimeout("tcp", c.addrs[id], 100*time.Millisecond); err != nil {
				continue
			}
			conns[id] = conn
		}
		value++
		_ = conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if err := writeFrame(conn, framePropose, encodeValue(value)); err != nil {
			conn.Close()
			delete(conns, id)
			continue
		}
		c.mu.Lock()
		c.proposals++
		c.mu.Unlock()
	}
}

func (c *cluster) uniform(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(c.rng.Int64N(int64(hi-lo)+1))
}

func (c *cluster) pick(n int) int {
	return c.rng.IntN(n)
}

// sleepUntil sleeps d, or until the deadline if that is sooner; it reports whether time is left.
func sleepUntil(d time.Duration, deadline time.Time) bool {
	if left := time.Until(deadline); d > left {
		time.Sleep(max(left, 0))
		return false
	}
	time.Sleep(d)
	return true
}

// faultLoop injects faults until the deadline.
func (c *cluster) faultLoop(deadline time.Time) {
	for first := true; sleepUntil(c.uniform(500*time.Millisecond, 1500*time.Millisecond), deadline); first = false {
		kind := []string{"kill", "kill", "partition", "loss", "slow"}[c.pick(5)]
		if first || c.o.bug == bugVoteNotPersisted || c.o.bug == bugUnsyncedTailLost {
			kind = "kill"
		}
		switch kind {
		case "kill":
			c.killAndRestart(deadline)
		case "partition":
			victim := c.ids[c.pick(len(c.ids))]
			p := emptyPlan()
			for _, other := range c.ids {
				if other != victim {
					p.loss[pair{victim, other}], p.loss[pair{other, victim}] = 1, 1
				}
			}
			c.withPlan(p, c.uniform(800*time.Millisecond, 2*time.Second), deadline, "partition n%d", victim)
		case "loss":
			if len(c.ids) < 2 {
				continue
			}
			a := c.ids[c.pick(len(c.ids))]
			b := a
			for b == a {
				b = c.ids[c.pick(len(c.ids))]
			}
			prob := 0.2 + 0.3*float64(c.pick(101))/100
			p := emptyPlan()
			p.loss[pair{a, b}], p.loss[pair{b, a}] = prob, prob
			c.withPlan(p, c.uniform(time.Second, 2*time.Second), deadline, "loss n%d<->n%d %.2f", a, b, prob)
		case "slow":
			victim := c.ids[c.pick(len(c.ids))]
			d := c.uniform(20*time.Millisecond, 80*time.Millisecond)
			p := emptyPlan()
			p.slow[victim] = d
			c.withPlan(p, c.uniform(time.Second, 2*time.Second), deadline, "slow disk n%d %d ms", victim, d.Milliseconds())
		}
	}
}

// withPlan puts plan in force for d (or until the deadline), then heals.
func (c *cluster) withPlan(p *faultPlan, d time.Duration, deadline time.Time, format string, a ...any) {
	if err := writePlan(c.plan, p); err != nil {
		c.note("cannot write the fault plan: %v", err)
		return
	}
	c.note(format, a...)
	sleepUntil(d, deadline)
	_ = writePlan(c.plan, emptyPlan())
	c.note("heal")
}

// killAndRestart kills a node (chosen for the injected bug, else the leader or any node) and
// restarts it after 0.2–1 s.
func (c *cluster) killAndRestart(deadline time.Time) {
	var victim uint64
	switch {
	case c.o.bug == bugVoteNotPersisted:
		victim = c.leader()
	case c.o.bug == bugUnsyncedTailLost:
		lead := c.leader()
		for _, id := range c.ids {
			if id != lead {
				victim = id
				break
			}
		}
		// shortly after proposals: the write-behind tail holds acknowledged entries
		time.Sleep(c.uniform(50*time.Millisecond, 200*time.Millisecond))
	case c.pick(2) == 0:
		victim = c.leader()
	}
	if victim == 0 {
		victim = c.ids[c.pick(len(c.ids))]
	}
	c.kill(victim)
	c.mu.Lock()
	c.kills++
	c.mu.Unlock()
	c.note("kill -9 n%d", victim)
	sleepUntil(c.uniform(200*time.Millisecond, time.Second), deadline.Add(time.Second))
	if err := c.startNode(victim); err != nil {
		c.note("restart n%d failed: %v", victim, err)
	}
}

// summary checks that no node died by itself and prints what the run did.
func (c *cluster) summary() error {
	c.mu.Lock()
	failures := append([]string(nil), c.failures...)
	c.mu.Unlock()
	events := 0
	for _, id := range c.ids {
		data, err := os.ReadFile(filepath.Join(c.o.out, fmt.Sprintf("n%d.ndjson", id)))
		if err == nil {
			events += strings.Count(string(data), "\n") - 1
		}
	}
	elapsed := time.Since(c.start).Seconds()
	fmt.Printf("nodes %d, %.1f s, seed %d, bug %q: %d proposals, %d kills, %d events (%.0f/s), logs %s/n*.ndjson\n",
		c.o.nodes, elapsed, c.o.seed, c.o.bug, c.proposals, c.kills, events, float64(events)/elapsed, c.o.out)
	if len(failures) > 0 {
		sort.Strings(failures)
		return fmt.Errorf("%s", strings.Join(failures, "; "))
	}
	return nil
}
