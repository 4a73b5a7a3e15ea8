// Command hashicorp-cluster runs a real hashicorp/raft cluster — one process per node, talking
// over hashicorp's NetworkTransport on loopback, with durable file stores — under seeded
// faults, and has every node write a raftcheck event log (impl_adapter/EVENTLOG.md) for
// `raftcheck validate`. hashicorp/raft is used as released and instrumented only through its
// public interfaces: a wrapping Transport, the LogStore, StableStore and FSM, and an observer.
//
//	hashicorp-cluster run --nodes 3 --seconds S --seed N --out DIR [--inject BUG]
//	hashicorp-cluster node ...   (one node process; started by run)
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hashicorp-cluster run --nodes 3 --seconds S --seed N --out DIR [--inject BUG]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runDriver(os.Args[2:])
	case "node":
		err = runNode(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (run, node)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hashicorp-cluster:", err)
		os.Exit(2)
	}
}
