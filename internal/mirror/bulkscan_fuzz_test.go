package mirror

import "testing"

// FuzzParseActionReadsAsStepByStep: the one-pass read of an action line gives what
// reading it step by step (action, metadata, id) gives, error included, for any line.
func FuzzParseActionReadsAsStepByStep(f *testing.F) {
	for _, seed := range []string{
		`{"index":{"_index":"a","_id":"1"}}`,
		`{"create":{"_id":"x y","routing":"r"}}`,
		`{"delete":{"_index":"a","_id":null}}`,
		`{"update":{"_id":"1","retry_on_conflict":3,"_source":{"includes":["a"]}}}`,
		`{"index":{}}`,
		`{"index":{"_id":5}}`,
		`{"index":{"_id":"\u0031"}}`,
		`{"index":{"_id":"caf` + "\xe9" + `"}}`,
		`{"index":{"_ID":"1","_id":"2"}}`,
		`{"index":{"_id":"1"},"index":{"_id":"2"}}`,
		`{"index":{"_id":"1"},"create":{"_id":"2"}}`,
		`{"INDEX":{"_id":"1"}}`,
		`{"ind\u0065x":{"_id":"1"}}`,
		`{"index":5}`,
		`{"index":{"_index":7}}`,
		`{}`, `[]`, `null`, `{"index":{"_id":"1"}`, ` {"delete" : {"_id" : "9"}} `,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		op1, meta1, err1 := parseAction(line)
		op2, meta2, err2 := readAction(line)
		if op1 != op2 || meta1 != meta2 || (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() {
			t.Fatalf("%q: one pass %q %+v %v; step by step %q %+v %v", line, op1, meta1, err1, op2, meta2, err2)
		}
	})
}
