package main

// The "step" feature: a step answers exactly what apply, observe and fingerprint answer in
// turn, and a replay leaves the cluster exactly where its requests one by one leave it.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// somePath elects n1 and replicates a value, with a restart and a stale vote on the way.
func somePath() []string {
	return []string{
		timeout(1),
		receive(rv(1, 2, 1, 0, 0)),
		receive(rvr(2, 1, 1, false)),
		client(1, 7),
		receive(rv(1, 3, 1, 0, 0)),
		restart(2),
		timeout(3),
		heartbeat(1),
	}
}

func TestStepAnswersApplyObserveAndFingerprintInOne(t *testing.T) {
	stepped, plain := started(t, 3, "null"), started(t, 3, "null")
	for _, in := range somePath() {
		var got struct {
			Outputs     json.RawMessage `json:"outputs"`
			Nodes       json.RawMessage `json:"nodes"`
			Fingerprint string          `json:"fingerprint"`
		}
		if err := json.Unmarshal([]byte(stepped.ok(`"op":"step","input":`+in)), &got); err != nil {
			t.Fatal(err)
		}
		outputs := plain.apply(in)
		var observed struct {
			Nodes json.RawMessage `json:"nodes"`
		}
		if err := json.Unmarshal([]byte(plain.observe()), &observed); err != nil {
			t.Fatal(err)
		}
		if string(got.Outputs) != outputs || string(got.Nodes) != string(observed.Nodes) ||
			got.Fingerprint != plain.fingerprint() {
			t.Fatalf("step %s\n got: %s %s %s\nwant: %s %s", in, got.Outputs, got.Nodes,
				got.Fingerprint, outputs, observed.Nodes)
		}
	}
	// A refusal is the apply's refusal.
	stepped.fails(`"op":"step","input":{"input":"timeout","node":9}`, kindFault, "no node n9")
}

func TestReplayDoesWhatItsRequestsDoOneByOne(t *testing.T) {
	batch, plain := started(t, 3, "null"), started(t, 3, "null")
	var steps []string
	for _, in := range somePath() {
		plain.apply(in)
		steps = append(steps, `{"op":"apply","input":`+in+`}`)
	}
	plain.ok(`"op":"reset_node","node":2`)
	plain.apply(timeout(2))
	steps = append(steps, `{"op":"reset_node","node":2}`, `{"op":"apply","input":`+timeout(2)+`}`)
	if got := batch.ok(`"op":"replay","steps":[` + strings.Join(steps, ",") + `]`); got != "{}" {
		t.Fatalf("replay answered %s", got)
	}
	if batch.observe() != plain.observe() || batch.fingerprint() != plain.fingerprint() {
		t.Fatalf("after the replay:\n%s\nwant:\n%s", batch.observe(), plain.observe())
	}
	batch.ok(`"op":"replay","steps":[]`)
}

func TestAFailedReplayStepIsNamed(t *testing.T) {
	h := started(t, 3, "null")
	for k, bad := range []string{
		`{"op":"apply","input":{"input":"timeout","node":4}}`,
		`{"op":"observe"}`,
		`{"op":"reset_node","node":1,"extra":1}`,
		`7`,
	} {
		line := h.s.answer([]byte(fmt.Sprintf(`{"id":1,"op":"replay","steps":[{"op":"apply","input":%s},%s]}`,
			timeout(1), bad)))
		var r struct {
			Error *struct {
				Kind    string `json:"kind"`
				Message string `json:"message"`
				Step    *int   `json:"step"`
			} `json:"error"`
		}
		if err := json.Unmarshal(line, &r); err != nil || r.Error == nil {
			t.Fatalf("case %d: %s (%v)", k, line, err)
		}
		if r.Error.Kind != kindFault || r.Error.Step == nil || *r.Error.Step != 1 ||
			!strings.HasPrefix(r.Error.Message, "step 1: ") {
			t.Fatalf("case %d: %s", k, line)
		}
	}
	h.fails(`"op":"replay"`, kindFault, `lacks the field "steps"`)
	h.fails(`"op":"replay","steps":{}`, kindFault, "must be a list")
}

// The fast way through plainly written JSON reads what encoding/json reads, and leaves
// everything else to it.
func TestPlainJSONIsSplitLikeEncodingJSONSplitsIt(t *testing.T) {
	for _, text := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":1,"a":2}`, `{"id":3,"op":"apply","input":{"input":"timeout","node":1}}` + "\n",
		`{"a":[1,[2,{"b":"]}"}]],"c":null,"d":true,"e":false,"f":"x y"}`,
		`{ "a" : { } , "b" : [ ] }`,
	} {
		fast, ok := splitObject([]byte(text))
		if !ok {
			t.Fatalf("%s: not split", text)
		}
		var slow map[string]json.RawMessage
		if err := json.Unmarshal([]byte(text), &slow); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(fast) != fmt.Sprint(slow) {
			t.Fatalf("%s: split into %v, encoding/json: %v", text, fast, slow)
		}
	}
	for _, text := range []string{
		``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1}x`, `{"a":-1}`, `{"a":1.5}`, `{"a":1e3}`,
		`{"a":01}`, `{"a":"\u0041"}`, `{"\u0061":1}`, `{"a":[}`, `{"a":{]}`, `{"a":tru}`, `{"é":1}`,
		`[1]`, `null`, `{"a":12345678901234567890}`,
	} {
		if fields, ok := splitObject([]byte(text)); ok {
			t.Fatalf("%s: split into %v; it is encoding/json's to read", text, fields)
		}
	}
	if items, ok := splitList([]byte(` [ 1 , "a" , {"b":[2]} ] `)); !ok || len(items) != 3 ||
		string(items[2]) != `{"b":[2]}` {
		t.Fatalf("list split into %q", items)
	}
	for _, text := range []string{`[`, `[1,]`, `[1 2]`, `{}`} {
		if _, ok := splitList([]byte(text)); ok {
			t.Fatalf("%s: split as a list", text)
		}
	}
}
