package main

// The fault plan: which messages the network loses and how slow each node's disk is, as a small
// text file the driver rewrites (write to a temporary file, then rename) and every node rereads
// when it changes. One directive a line; '#' starts a comment:
//
//	drop FROM TO          every message FROM→TO is lost (a partition is drops both ways)
//	loss FROM TO P        each message FROM→TO is lost with probability P (0 ≤ P ≤ 1)
//	slow NODE MS          NODE sleeps MS milliseconds before every WAL save
//
// Messages are lost at the sender's transport, after the send was logged: the log says the node
// sent the message, and the receiver never logs it, as with a real lossy network.

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pair is a directed link.
type pair struct{ from, to uint64 }

// faultPlan is one version of the plan.
type faultPlan struct {
	loss map[pair]float64 // probability of losing a message on the link; 1 for drop
	slow map[uint64]time.Duration
}

// emptyPlan is the plan without faults.
func emptyPlan() *faultPlan {
	return &faultPlan{loss: map[pair]float64{}, slow: map[uint64]time.Duration{}}
}

// parsePlan reads a plan; a malformed line is an error naming it.
func parsePlan(text string) (*faultPlan, error) {
	p := emptyPlan()
	sc := bufio.NewScanner(strings.NewReader(text))
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		f := strings.Fields(s)
		if len(f) == 0 {
			continue
		}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("fault plan line %d (%q): %s", line, sc.Text(), fmt.Sprintf(format, a...))
		}
		ids := func(fields []string) ([]uint64, error) {
			out := make([]uint64, len(fields))
			for i, s := range fields {
				n, err := strconv.ParseUint(s, 10, 64)
				if err != nil || n == 0 {
					return nil, bad("%q is no node id", s)
				}
				out[i] = n
			}
			return out, nil
		}
		switch f[0] {
		case "drop":
			if len(f) != 3 {
				return nil, bad("want: drop FROM TO")
			}
			n, err := ids(f[1:])
			if err != nil {
				return nil, err
			}
			p.loss[pair{n[0], n[1]}] = 1
		case "loss":
			if len(f) != 4 {
				return nil, bad("want: loss FROM TO P")
			}
			n, err := ids(f[1:3])
			if err != nil {
				return nil, err
			}
			prob, err := strconv.ParseFloat(f[3], 64)
			if err != nil || prob < 0 || prob > 1 {
				return nil, bad("%q is no probability", f[3])
			}
			if p.loss[pair{n[0], n[1]}] < prob {
				p.loss[pair{n[0], n[1]}] = prob
			}
		case "slow":
			if len(f) != 3 {
				return nil, bad("want: slow NODE MS")
			}
			n, err := ids(f[1:2])
			if err != nil {
				return nil, err
			}
			ms, err := strconv.ParseUint(f[2], 10, 32)
			if err != nil {
				return nil, bad("%q is no number of milliseconds", f[2])
			}
			p.slow[n[0]] = time.Duration(ms) * time.Millisecond
		default:
			return nil, bad("unknown directive %q", f[0])
		}
	}
	return p, nil
}

// String writes the plan in its file form (sorted, so equal plans are equal text).
func (p *faultPlan) String() string {
	var lines []string
	for k, prob := range p.loss {
		if prob >= 1 {
			lines = append(lines, fmt.Sprintf("drop %d %d", k.from, k.to))
		} else {
			lines = append(lines, fmt.Sprintf("loss %d %d %g", k.from, k.to, prob))
		}
	}
	for n, d := range p.slow {
		lines = append(lines, fmt.Sprintf("slow %d %d", n, d.Milliseconds()))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// writePlan replaces the plan file atomically.
func writePlan(path string, p *faultPlan) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(p.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// planWatcher holds the current plan of one node, reread from its file when the file changes.
type planWatcher struct {
	path string
	mu   sync.Mutex
	plan *faultPlan
	stat string // size and modification time of the file last read
}

func newPlanWatcher(path string) *planWatcher {
	w := &planWatcher{path: path, plan: emptyPlan()}
	w.refresh()
	return w
}

// refresh rereads the file if it changed. A missing file is the empty plan; a malformed one
// keeps the previous plan and reports the error on stderr.
func (w *planWatcher) refresh() {
	if w.path == "" {
		return
	}
	fi, err := os.Stat(w.path)
	stat := "missing"
	if err == nil {
		stat = fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
	}
	w.mu.Lock()
	same := stat == w.stat
	w.mu.Unlock()
	if same {
		return
	}
	p := emptyPlan()
	if err == nil {
		text, err := os.ReadFile(w.path)
		if err != nil {
			return
		}
		if p, err = parsePlan(string(text)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return
		}
	}
	w.mu.Lock()
	w.plan, w.stat = p, stat
	w.mu.Unlock()
}

// current is the plan now.
func (w *planWatcher) current() *faultPlan {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.plan
}

// watch rereads the file every interval until stop is closed.
func (w *planWatcher) watch(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.refresh()
		case <-stop:
			return
		}
	}
}
