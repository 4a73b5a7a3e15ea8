package main

// The "node_step" feature: a node_step answers what apply answers, plus the stepped node's own
// view and fingerprint; a node's fingerprint depends on that node alone, so raftcheck may
// remember its transitions.

import (
	"encoding/json"
	"testing"
)

// nodeStepped is a node_step answer.
type nodeStepped struct {
	Outputs     json.RawMessage `json:"outputs"`
	Node        json.RawMessage `json:"node"`
	Fingerprint string          `json:"fingerprint"`
}

func (h *harness) nodeStep(input string) nodeStepped {
	h.t.Helper()
	var got nodeStepped
	if err := json.Unmarshal([]byte(h.ok(`"op":"node_step","input":`+input)), &got); err != nil {
		h.t.Fatal(err)
	}
	return got
}

func (h *harness) nodeFingerprints() []string {
	h.t.Helper()
	var got struct {
		Fingerprints []string `json:"fingerprints"`
	}
	if err := json.Unmarshal([]byte(h.ok(`"op":"node_fingerprints"`)), &got); err != nil {
		h.t.Fatal(err)
	}
	return got.Fingerprints
}

func TestNodeStepAnswersApplyAndTheSteppedNode(t *testing.T) {
	stepped, plain := started(t, 3, "null"), started(t, 3, "null")
	for _, in := range somePath() {
		var target struct {
			Node    int `json:"node"`
			Message struct {
				To int `json:"to"`
			} `json:"message"`
		}
		if err := json.Unmarshal([]byte(in), &target); err != nil {
			t.Fatal(err)
		}
		id := target.Node
		if id == 0 {
			id = target.Message.To
		}
		before := stepped.nodeFingerprints()
		got := stepped.nodeStep(in)
		outputs := plain.apply(in)
		if string(got.Outputs) != outputs || string(got.Node) != plain.view(id) {
			t.Fatalf("node_step %s\n got: %s %s\nwant: %s %s", in, got.Outputs, got.Node,
				outputs, plain.view(id))
		}
		after := stepped.nodeFingerprints()
		if after[id-1] != got.Fingerprint {
			t.Fatalf("node_step %s: fingerprint %s, node_fingerprints says %s", in,
				got.Fingerprint, after[id-1])
		}
		for k := range after {
			if k != id-1 && after[k] != before[k] {
				t.Fatalf("node_step %s changed n%d's fingerprint", in, k+1)
			}
		}
	}
	stepped.fails(`"op":"node_step","input":{"input":"timeout","node":9}`, kindFault, "no node n9")
	stepped.fails(`"op":"node_step","input":{"input":"drop","message":`+rv(1, 2, 1, 0, 0)+`}`,
		kindFault, "addressed to a node")
}

// A node's fingerprint is its own: the same inputs to n3 give the same n3 whatever the other
// nodes did, and a different n3 a different fingerprint.
func TestANodesFingerprintIsItsOwn(t *testing.T) {
	a, b := started(t, 3, "null"), started(t, 3, "null")
	for _, in := range somePath() {
		a.apply(in)
	}
	b.apply(timeout(2))
	if a.nodeFingerprints()[2] == b.nodeFingerprints()[2] {
		t.Fatal("n3 timed out in one cluster only, yet its fingerprints agree")
	}
	b.apply(receive(rv(1, 3, 1, 0, 0)))
	b.apply(timeout(3))
	if fa, fb := a.nodeFingerprints()[2], b.nodeFingerprints()[2]; fa != fb {
		t.Fatalf("n3 took the same inputs in both clusters, yet %s != %s", fa, fb)
	}
	if a.nodeFingerprints()[1] == b.nodeFingerprints()[1] {
		t.Fatal("n2 differs between the clusters, yet its fingerprints agree")
	}
}
