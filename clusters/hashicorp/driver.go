package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"raftcheck.local/eventlog"
)

// process is one node process of the cluster.
type process struct {
	id      uint64
	cmd     *exec.Cmd
	control string
	args    []string
	logPath string
}

// cluster is what the driver runs.
type cluster struct {
	exe    string
	procs  []*process
	client *http.Client
	out    string
}

// stats is the run's summary.
type stats struct {
	Proposed   int `json:"proposed"`
	Accepted   int `json:"accepted"`
	Kills      int `json:"kills"`
	Partitions int `json:"partitions"`
	Losses     int `json:"losses"`
	SlowDisks  int `json:"slow_disks"`
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *cluster) start(p *process) error {
	cmd := exec.Command(c.exe, p.args...)
	errf, err := os.OpenFile(filepath.Join(c.out, "data", fmt.Sprintf("n%d.stderr", p.id)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = errf, errf
	if err := cmd.Start(); err != nil {
		return err
	}
	p.cmd = cmd
	return nil
}

// kill is kill -9; the driver then notes the crash in the node's event log (informational).
func (c *cluster) kill(p *process) error {
	if p.cmd == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
	p.cmd = nil
	l, err := eventlog.Append(p.logPath, p.id)
	if err != nil {
		return err
	}
	l.Crash()
	return l.Close()
}

func (c *cluster) get(p *process, path string, q url.Values) (string, error) {
	resp, err := c.client.Get("http://" + p.control + path + "?" + q.Encode())
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if resp.StatusCode != http.StatusOK {
		return b.String(), fmt.Errorf("%s: %s", path, strings.TrimSpace(b.String()))
	}
	return b.String(), nil
}

func (c *cluster) leader() *process {
	for _, p := range c.procs {
		if p.cmd == nil {
			continue
		}
		body, err := c.get(p, "/status", nil)
		if err != nil {
			continue
		}
		var s struct{ State string }
		if json.Unmarshal([]byte(body), &s) == nil && s.State == "Leader" {
			return p
		}
	}
	return nil
}

func (c *cluster) setFaults(p *process, blocked []uint64, drop float64, diskMs int) {
	var bs []string
	for _, b := range blocked {
		bs = append(bs, strconv.FormatUint(b, 10))
	}
	q := url.Values{"block": {strings.Join(bs, ",")}, "drop": {strconv.FormatFloat(drop, 'f', 3, 64)}, "disk_ms": {strconv.Itoa(diskMs)}}
	_, _ = c.get(p, "/faults", q)
}

// runDriver is `hashicorp-cluster run --nodes 3 --seconds S --seed N --out DIR [--inject BUG]`.
func runDriver(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	nodes := fs.Int("nodes", 3, "number of node processes")
	seconds := fs.Float64("seconds", 5, "how long to run")
	seed := fs.Int64("seed", 1, "seed of the faults and losses")
	out := fs.String("out", "", "output directory (event logs DIR/n*.ndjson, data DIR/data)")
	inject := fs.String("inject", "", "bug to inject: "+strings.Join(Bugs, ", "))
	faultEvery := fs.Duration("fault-every", 600*time.Millisecond, "mean time between faults (0: none)")
	faultList := fs.String("faults", "kill,partition,loss,disk", "the kinds of fault to inject (kill -9 and restart, a node partitioned away, 20% message loss, slow disk)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *nodes < 1 || *seconds <= 0 {
		return errors.New("run: --out DIR is required, --nodes and --seconds must be positive")
	}
	if *inject != "" && *inject != BugVoteNotPersisted && *inject != BugUnsyncedTailLost {
		return fmt.Errorf("unknown bug %q (known: %s)", *inject, strings.Join(Bugs, ", "))
	}
	var kinds []int
	for _, k := range strings.FieldsFunc(*faultList, func(c rune) bool { return c == ',' }) {
		i := map[string]int{"kill": 0, "partition": 1, "loss": 2, "disk": 3}
		n, ok := i[k]
		if !ok {
			return fmt.Errorf("unknown fault %q (kill, partition, loss, disk)", k)
		}
		kinds = append(kinds, n)
	}
	if len(kinds) == 0 {
		*faultEvery = 0
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	// Fresh state: old logs and data go.
	old, _ := filepath.Glob(filepath.Join(*out, "n*.ndjson"))
	for _, f := range old {
		_ = os.Remove(f)
	}
	_ = os.RemoveAll(filepath.Join(*out, "data"))
	if err := os.MkdirAll(filepath.Join(*out, "data"), 0o755); err != nil {
		return err
	}
	c := &cluster{exe: exe, out: *out, client: &http.Client{Timeout: 2 * time.Second}}
	var peerList []string
	controls := map[uint64]string{}
	for i := 1; i <= *nodes; i++ {
		rp, err := freePort()
		if err != nil {
			return err
		}
		cp, err := freePort()
		if err != nil {
			return err
		}
		peerList = append(peerList, fmt.Sprintf("%d=127.0.0.1:%d", i, rp))
		controls[uint64(i)] = fmt.Sprintf("127.0.0.1:%d", cp)
	}
	for i := 1; i <= *nodes; i++ {
		id := uint64(i)
		logPath := filepath.Join(*out, fmt.Sprintf("n%d.ndjson", i))
		p := &process{id: id, control: controls[id], logPath: logPath, args: []string{"node",
			"--id", strconv.Itoa(i), "--peers", strings.Join(peerList, ","),
			"--dir", filepath.Join(*out, "data", fmt.Sprintf("n%d", i)), "--log", logPath,
			"--control", controls[id], "--seed", strconv.FormatInt(*seed, 10), "--inject", *inject}}
		c.procs = append(c.procs, p)
		if err := c.start(p); err != nil {
			return err
		}
	}
	defer func() {
		for _, p := range c.procs {
			if p.cmd != nil {
				_ = p.cmd.Process.Signal(syscall.SIGKILL)
				_ = p.cmd.Wait()
			}
		}
	}()

	rng := rand.New(rand.NewSource(*seed))
	var st stats
	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	nextFault := time.Now().Add(time.Second + jitter(rng, *faultEvery))
	var healAt time.Time
	var restart *process
	var restartAt time.Time
	var leader *process
	value := uint64(0)
	for time.Now().Before(deadline) {
		now := time.Now()
		if restart != nil && now.After(restartAt) {
			if err := c.start(restart); err != nil {
				return err
			}
			restart = nil
		}
		if !healAt.IsZero() && now.After(healAt) {
			for _, p := range c.procs {
				if p.cmd != nil {
					c.setFaults(p, nil, 0, 0)
				}
			}
			healAt = time.Time{}
		}
		if *faultEvery > 0 && now.After(nextFault) && restart == nil && healAt.IsZero() {
			target := c.procs[rng.Intn(len(c.procs))]
			switch kinds[rng.Intn(len(kinds))] {
			case 0:
				if err := c.kill(target); err != nil {
					return err
				}
				restart, restartAt = target, now.Add(200*time.Millisecond+time.Duration(rng.Intn(400))*time.Millisecond)
				st.Kills++
			case 1:
				for _, p := range c.procs {
					if p == target {
						var others []uint64
						for _, q := range c.procs {
							if q != p {
								others = append(others, q.id)
							}
						}
						c.setFaults(p, others, 0, 0)
					} else {
						c.setFaults(p, []uint64{target.id}, 0, 0)
					}
				}
				healAt = now.Add(400*time.Millisecond + time.Duration(rng.Intn(800))*time.Millisecond)
				st.Partitions++
			case 2:
				for _, p := range c.procs {
					c.setFaults(p, nil, 0.2, 0)
				}
				healAt = now.Add(500*time.Millisecond + time.Duration(rng.Intn(500))*time.Millisecond)
				st.Losses++
			case 3:
				c.setFaults(target, nil, 0, 20+rng.Intn(40))
				healAt = now.Add(500*time.Millisecond + time.Duration(rng.Intn(500))*time.Millisecond)
				st.SlowDisks++
			}
			nextFault = now.Add(jitter(rng, *faultEvery) + 300*time.Millisecond)
		}
		if leader == nil || leader.cmd == nil {
			leader = c.leader()
		}
		if leader != nil {
			value++
			st.Proposed++
			if _, err := c.get(leader, "/apply", url.Values{"value": {strconv.FormatUint(value, 10)}}); err != nil {
				leader = nil
			} else {
				st.Accepted++
			}
		}
		time.Sleep(time.Duration(5+rng.Intn(20)) * time.Millisecond)
	}
	if restart != nil {
		if err := c.start(restart); err != nil {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
	summary, _ := json.Marshal(st)
	fmt.Println(string(summary))
	return nil
}

func jitter(rng *rand.Rand, mean time.Duration) time.Duration {
	if mean <= 0 {
		return time.Hour
	}
	return time.Duration(rng.Int63n(int64(mean)*2) + 1)
}
