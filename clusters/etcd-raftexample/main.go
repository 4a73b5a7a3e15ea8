// Command etcd-cluster runs a real cluster of etcd raft nodes, each its own process, that write
// raftcheck event logs (impl_adapter/EVENTLOG.md) for `raftcheck validate`.
//
//	etcd-cluster run --nodes 3 --seconds S --seed N --out DIR [--inject BUG] [--no-faults] [--omit-hint-term]
//	etcd-cluster node ...   (started by run; one node process)
//
// See README.md beside this file.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runCommand(os.Args[2:])
	case "node":
		err = nodeCommand(os.Args[2:])
	case "bugs":
		fmt.Println(strings.Join(bugs, "\n"))
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "etcd-cluster %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: etcd-cluster run --nodes 3 --seconds S --seed N --out DIR [--inject BUG] [--no-faults] [--omit-hint-term]\n"+
		"       etcd-cluster bugs\n"+
		"       etcd-cluster node --id ID --addrs 1=HOST:PORT,... --data DIR --log FILE [--plan FILE] [--inject BUG] [--tick-ms MS] [--seed N]")
	os.Exit(2)
}

// parseAddrs reads "1=127.0.0.1:4001,2=..." into ids (sorted as given) and addresses.
func parseAddrs(s string) ([]uint64, map[uint64]string, error) {
	addrs := map[uint64]string{}
	var ids []uint64
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		id, err := strconv.ParseUint(k, 10, 64)
		if !ok || err != nil || id == 0 || v == "" {
			return nil, nil, fmt.Errorf("--addrs: %q is not ID=HOST:PORT", part)
		}
		if _, dup := addrs[id]; dup {
			return nil, nil, fmt.Errorf("--addrs: node %d given twice", id)
		}
		addrs[id] = v
		ids = append(ids, id)
	}
	return ids, addrs, nil
}

func nodeCommand(args []string) error {
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	id := fs.Uint64("id", 0, "this node's id")
	addrs := fs.String("addrs", "", "every node's address: 1=HOST:PORT,2=...")
	data := fs.String("data", "", "data directory (WAL and snapshots)")
	logPath := fs.String("log", "", "event log file (appended to if it exists)")
	plan := fs.String("plan", "", "fault plan file")
	bug := fs.String("inject", "", "bug to inject")
	tickMS := fs.Uint("tick-ms", 15, "tick interval in milliseconds")
	seed := fs.Uint64("seed", 1, "seed of the transport's message-loss decisions")
	omitHintTerm := fs.Bool("omit-hint-term", false, "leave hint_term out of logged append responses")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ids, addrMap, err := parseAddrs(*addrs)
	if err != nil {
		return err
	}
	if _, ok := addrMap[*id]; !ok {
		return fmt.Errorf("--id %d is not in --addrs", *id)
	}
	if *data == "" || *logPath == "" {
		return fmt.Errorf("--data and --log are required")
	}
	if *tickMS == 0 {
		return fmt.Errorf("--tick-ms must be positive")
	}
	n, err := startNode(nodeOptions{
		id: *id, voters: ids, addrs: addrMap, dataDir: *data, logPath: *logPath, plan: *plan,
		bug: *bug, tick: time.Duration(*tickMS) * time.Millisecond, seed: *seed, omitHintTerm: *omitHintTerm,
		source: "etcd-raftexample on go.etcd.io/raft/v3 v3.6.0, etcd server v3.6.16 wal+snap",
	})
	if err != nil {
		return err
	}
	return n.run(nil)
}
