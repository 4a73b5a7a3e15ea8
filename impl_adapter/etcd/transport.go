package main

// The transport seam of a node: how an incoming message reaches RawNode.Step, and where the
// messages of a Ready go. The honest transport is direct: incoming messages are stepped as they
// arrived, outgoing ones leave as etcd addressed them, to raftcheck's network (the outputs of
// the input being applied); nothing is delivered behind the checker's back. The injected
// message bugs (bugs.go) are wrappers around it.

import (
	pb "go.etcd.io/etcd/raft/raftpb"
)

// transport is how a node's messages come in and go out.
type transport interface {
	// deliver is an incoming message as the node will step it, and false if the transport
	// swallows it instead (the node never sees it); term is the node's current term.
	deliver(m pb.Message, term uint64) (pb.Message, bool)
	// send hands an outgoing message to the network: the messages sent so far, with m.
	send(sent []pb.Message, m pb.Message) []pb.Message
}

// direct is the honest transport.
type direct struct{}

func (direct) deliver(m pb.Message, term uint64) (pb.Message, bool) { return m, true }

func (direct) send(sent []pb.Message, m pb.Message) []pb.Message { return append(sent, m) }
