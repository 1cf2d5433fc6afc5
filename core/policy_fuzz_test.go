package core_test

import (
	"testing"

	"github.com/nlkit/nlkit/core"
)

// FuzzPolicyValidate feeds arbitrary attribute streams to a policy that
// uses every kind, nests itself and holds nested arrays. Validate must
// never panic, and whatever it accepts must scan cleanly, nests included.
func FuzzPolicyValidate(f *testing.F) {
	p := polRich()
	seed := func(fn func(e *core.AttrEncoder)) { f.Add(polEnc(fn)) }

	// Valid streams.
	for _, depth := range []int{0, 1, 3} {
		seed(func(e *core.AttrEncoder) { polRichValid(e, depth) })
	}
	full := polEnc(func(e *core.AttrEncoder) { polRichValid(e, 1) })
	// Truncated and corrupted copies of a valid one.
	for _, n := range []int{1, 3, 4, 7, 33, len(full) / 2, len(full) - 1} {
		f.Add(append([]byte{}, full[:n]...))
	}
	bad := append([]byte{}, full...)
	bad[0], bad[1] = 0xff, 0xff // first attribute's length past the end
	f.Add(bad)

	// One broken rule each, after a valid prefix.
	broken := []func(e *core.AttrEncoder){
		func(e *core.AttrEncoder) { e.Uint32(1, 0) },                         // flag with payload
		func(e *core.AttrEncoder) { e.Uint8(2, 101) },                        // u8 out of range
		func(e *core.AttrEncoder) { e.Uint16BE(3, 0x1000) },                  // u16 outside mask
		func(e *core.AttrEncoder) { e.Uint16(4, 1500) },                      // u32 of the wrong width
		func(e *core.AttrEncoder) { e.Int8(6, -11) },                         // s8 out of range
		func(e *core.AttrEncoder) { e.Int(16, 1<<41) },                       // sint out of range
		func(e *core.AttrEncoder) { e.Binary(17, []byte{1, 2, 3}) },          // uint of 3 bytes
		func(e *core.AttrEncoder) { e.Binary(10, make([]byte, 17)) },         // binary too long
		func(e *core.AttrEncoder) { e.String(11, "abcdefghi") },              // string too long
		func(e *core.AttrEncoder) { e.Binary(12, []byte("eth0")) },           // not NUL-terminated
		func(e *core.AttrEncoder) { e.Binary(15, make([]byte, 4)) },          // bitfield32 too short
		func(e *core.AttrEncoder) { e.Flag(18) },                             // rejected
		func(e *core.AttrEncoder) { e.Binary(19, []byte{1}) },                // unspec of the wrong length
		func(e *core.AttrEncoder) { e.Flag(250) },                            // unknown
		func(e *core.AttrEncoder) { e.Raw([]byte{9, 0, 2}) },                 // truncated header
		func(e *core.AttrEncoder) { n := e.NestStart(13); _ = e.NestEnd(n) }, // nest missing required
		func(e *core.AttrEncoder) { // array element out of range
			a := e.NestStart(14)
			n := e.NestStart(1)
			e.Uint32(2, 0)
			_ = e.NestEnd(n)
			_ = e.NestEnd(a)
		},
		func(e *core.AttrEncoder) { // malformed nest without a policy
			n := e.NestStart(20)
			e.Raw([]byte{40, 0, 1, 0})
			_ = e.NestEnd(n)
		},
	}
	for _, fn := range broken {
		seed(func(e *core.AttrEncoder) { polRichValid(e, 0); fn(e) })
	}
	// Too deep: the policy nests itself.
	seed(func(e *core.AttrEncoder) { polRichValid(e, core.MaxPolicyDepth+1) })

	f.Fuzz(func(t *testing.T, b []byte) {
		if err := p.Validate(b); err != nil {
			_ = err.Error()
			return
		}
		polScanAll(t, p, b, 0)
	})
}

// polScanAll walks b and every nest its policy describes, failing the test on
// any scan error.
func polScanAll(t *testing.T, p *core.Policy, b []byte, depth int) {
	t.Helper()
	if depth > core.MaxPolicyDepth+1 {
		t.Fatalf("accepted nesting deeper than %d", core.MaxPolicyDepth)
	}
	s := core.ScanAttrs(b)
	for s.Next() {
		ap := p.Attr(s.Type())
		if ap == nil {
			continue
		}
		switch ap.Kind {
		case core.KindNested:
			polScanAll(t, ap.Nested, s.Bytes(), depth+1)
		case core.KindNestedArray:
			el := s.Nested()
			for el.Next() {
				polScanAll(t, ap.Nested, el.Bytes(), depth+1)
			}
			if err := el.Err(); err != nil {
				t.Fatalf("accepted a malformed array: %v", err)
			}
		}
	}
	if err := s.Err(); err != nil {
		t.Fatalf("accepted a malformed stream: %v", err)
	}
}
