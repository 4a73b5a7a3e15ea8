package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"raftcheck.local/eventlog"
)

// The bugs --inject can put into this cluster's own code (the stores), each a real class of
// storage bug.
const (
	// BugVoteNotPersisted: the stable store keeps the candidate voted for in memory only.
	BugVoteNotPersisted = "vote-not-persisted"
	// BugUnsyncedTailLost: the log store acknowledges appends before they are durable and
	// writes them out only every fourth write; a kill -9 loses the rest.
	BugUnsyncedTailLost = "unsynced-tail-lost"
)

// Bugs lists the injectable bugs.
var Bugs = []string{BugVoteNotPersisted, BugUnsyncedTailLost}

// Source is the header's source field.
const Source = "hashicorp/raft v1.8.0, 3 processes, NetworkTransport over TCP"

// Flavour is the spec flavour hashicorp/raft follows.
const Flavour = "hashicorp"

// raftConfig is the configuration every node runs with: short timeouts for loopback, no
// pre-vote, no snapshots within a run.
func raftConfig(id uint64, logOut io.Writer) *raft.Config {
	c := raft.DefaultConfig()
	c.LocalID = raft.ServerID(strconv.FormatUint(id, 10))
	c.HeartbeatTimeout = 200 * time.Millisecond
	c.ElectionTimeout = 200 * time.Millisecond
	c.LeaderLeaseTimeout = 100 * time.Millisecond
	c.CommitTimeout = 10 * time.Millisecond
	c.MaxAppendEntries = 16
	c.SnapshotThreshold = 1 << 40
	c.SnapshotInterval = 24 * time.Hour
	c.PreVoteDisabled = true
	c.Logger = hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Warn, Output: logOut})
	return c
}

// parsePeers reads "1=127.0.0.1:7001,2=...".
func parsePeers(s string) (map[uint64]string, []uint64, error) {
	peers := map[uint64]string{}
	var ids []uint64
	for _, p := range strings.Split(s, ",") {
		id, addr, ok := strings.Cut(p, "=")
		n, err := strconv.ParseUint(id, 10, 64)
		if !ok || err != nil || n == 0 || addr == "" {
			return nil, nil, fmt.Errorf("bad peer %q (want ID=HOST:PORT, ID > 0)", p)
		}
		peers[n] = addr
		ids = append(ids, n)
	}
	return peers, ids, nil
}

// runNode is one node process: `hashicorp-cluster node --id N --peers ... --dir D --log FILE
// --control ADDR [--inject BUG] [--seed S]`. It bootstraps on its first start (empty data
// dir) and otherwise recovers from its stores and appends to its event log.
func runNode(args []string) error {
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	id := fs.Uint64("id", 0, "this node's id")
	peersFlag := fs.String("peers", "", "ID=HOST:PORT,... of every node")
	dir := fs.String("dir", "", "data directory")
	logPath := fs.String("log", "", "event log file")
	control := fs.String("control", "", "control address (the driver's)")
	inject := fs.String("inject", "", "bug to inject")
	seed := fs.Int64("seed", 1, "seed of the random message losses")
	if err := fs.Parse(args); err != nil {
		return err
	}
	peers, ids, err := parsePeers(*peersFlag)
	if err != nil {
		return err
	}
	if _, ok := peers[*id]; !ok || *dir == "" || *logPath == "" || *control == "" {
		return errors.New("node: --id (one of --peers), --dir, --log and --control are required")
	}
	if *inject != "" && *inject != BugVoteNotPersisted && *inject != BugUnsyncedTailLost {
		return fmt.Errorf("unknown bug %q (known: %s)", *inject, strings.Join(Bugs, ", "))
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	disk := &Disk{bug: *inject}
	logs, err := OpenLogStore(filepath.Join(*dir, "log.journal"), disk)
	if err != nil {
		return err
	}
	stable, err := OpenStableStore(filepath.Join(*dir, "stable.journal"), disk)
	if err != nil {
		return err
	}
	fsm, err := OpenFSM(filepath.Join(*dir, "fsm.journal"))
	if err != nil {
		return err
	}
	raftLog, err := os.OpenFile(filepath.Join(*dir, "raft.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	addrIDs := map[raft.ServerAddress]uint64{}
	var servers []raft.Server
	for _, p := range ids {
		addrIDs[raft.ServerAddress(peers[p])] = p
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(strconv.FormatUint(p, 10)), Address: raft.ServerAddress(peers[p])})
	}
	conf := raftConfig(*id, raftLog)

	advertise, err := net.ResolveTCPAddr("tcp", peers[*id])
	if err != nil {
		return err
	}
	inner, err := raft.NewTCPTransport(peers[*id], advertise, 3, 500*time.Millisecond, raftLog)
	if err != nil {
		return err
	}
	snaps := raft.NewDiscardSnapshotStore()

	last, _ := logs.LastIndex()
	first := last == 0
	var elog *eventlog.Log
	if first {
		if err := raft.BootstrapCluster(conf, logs, stable, snaps, inner, raft.Configuration{Servers: servers}); err != nil {
			return err
		}
		elog, err = eventlog.Create(*logPath, *id, eventlog.Header{Nodes: ids, Flavour: Flavour, Source: Source})
	} else {
		elog, err = eventlog.Append(*logPath, *id)
	}
	if err != nil {
		return err
	}
	term, _ := stable.GetUint64([]byte(keyCurrentTerm))
	rec := NewRecorder(elog, *id, addrIDs, term)
	if !first {
		rec.Restarted(stable, logs)
	}
	logs.SetHooks(rec)
	stable.SetHooks(stableHooks{rec})
	fsm.log, fsm.rec = elog, rec
	faults := NewFaults(*seed*1000 + int64(*id))
	trans := NewTransport(inner, rec, faults)

	r, err := raft.NewRaft(conf, fsm, logs, stable, snaps, trans)
	if err != nil {
		return err
	}
	r.RegisterObserver(raft.NewObserver(nil, false, rec.Observe))

	mux := http.NewServeMux()
	mux.HandleFunc("/status", func(w http.ResponseWriter, _ *http.Request) {
		_, leader := r.LeaderWithID()
		_ = json.NewEncoder(w).Encode(map[string]any{"state": r.State().String(), "leader": string(leader), "applied": len(fsm.Values())})
	})
	mux.HandleFunc("/apply", func(w http.ResponseWriter, req *http.Request) {
		v, err := strconv.ParseUint(req.URL.Query().Get("value"), 10, 64)
		if err != nil {
			http.Error(w, "bad value", http.StatusBadRequest)
			return
		}
		if r.State() != raft.Leader {
			http.Error(w, "not leader", http.StatusConflict)
			return
		}
		rec.ProposedHere(v)
		f := r.Apply([]byte(strconv.FormatUint(v, 10)), time.Second)
		if err := f.Error(); err != nil {
			if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrEnqueueTimeout) {
				rec.Unpropose(v)
			}
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/faults", func(w http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		var blocked []uint64
		for _, s := range strings.FieldsFunc(q.Get("block"), func(c rune) bool { return c == ',' }) {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				http.Error(w, "bad block", http.StatusBadRequest)
				return
			}
			blocked = append(blocked, n)
		}
		drop, _ := strconv.ParseFloat(q.Get("drop"), 64)
		delay, _ := strconv.Atoi(q.Get("disk_ms"))
		faults.Set(blocked, drop)
		disk.SetDelay(time.Duration(delay) * time.Millisecond)
		fmt.Fprintln(w, "ok")
	})
	return http.ListenAndServe(*control, mux)
}
