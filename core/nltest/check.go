package nltest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/core"
)

// Want is what a request is expected to be. Zero fields are not checked.
type Want struct {
	// Type is the message type.
	Type core.MessageType
	// Flags are the exact header flags (NLM_F_REQUEST included).
	Flags core.HeaderFlags
	// Header is the family header expected at the start of the payload
	// (ifinfomsg, genlmsghdr, nfgenmsg, ...).
	Header []byte
	// HeaderLen is the family header's length when Header is not given,
	// to find the attributes.
	HeaderLen int
	// Attrs are the attributes expected after the family header, encoded
	// (core.AttrEncoder makes them). They are compared by type, in any
	// order, nested attributes level by level.
	Attrs []byte
}

// Check compares r with w and reports each difference as a test error
// naming the request and what differed. It returns whether r matched.
func (r *Request) Check(w Want) bool {
	r.t.Helper()
	if err := r.Diff(w); err != nil {
		r.t.Errorf("%v", err)
		return false
	}
	return true
}

// Diff compares r with w and returns an error listing every difference,
// or nil when r matches.
func (r *Request) Diff(w Want) error {
	var d []string
	if w.Type != 0 && r.Header.Type != w.Type {
		d = append(d, fmt.Sprintf("type %s, want %s", r.Header.Type, w.Type))
	}
	if w.Flags != 0 && r.Header.Flags != w.Flags {
		d = append(d, fmt.Sprintf("flags %s, want %s", flagDesc(r.Header.Flags), flagDesc(w.Flags)))
	}
	hl := w.HeaderLen
	if w.Header != nil {
		hl = len(w.Header)
		got := r.Data[:min(len(r.Data), len(w.Header))]
		if !bytes.Equal(got, w.Header) {
			d = append(d, fmt.Sprintf("family header %s, want %s", hexs(got), hexs(w.Header)))
		}
	}
	if w.Attrs != nil {
		start := core.Align(hl)
		if start > len(r.Data) {
			d = append(d, fmt.Sprintf("payload of %d bytes has no room for a %d-byte family header", len(r.Data), hl))
		} else {
			d = append(d, diffAttrs("", r.Data[start:], w.Attrs)...)
		}
	}
	if len(d) == 0 {
		return nil
	}
	return errors.New("nltest: " + r.String() + ":\n\t" + strings.Join(d, "\n\t"))
}

// flagDesc prints flags in hex and by name. Bits 8-11 mean different
// things in get and new requests, so both readings are given when any is
// set.
func flagDesc(f core.HeaderFlags) string {
	if f&0xf00 == 0 {
		return fmt.Sprintf("%#x (%s)", uint16(f), f)
	}
	return fmt.Sprintf("%#x (get: %s; new: %s)", uint16(f), core.FlagsString(f, false, false), core.FlagsString(f, true, false))
}

// diffAttrs compares two attribute streams by type. Attributes of the
// same type are paired in order; where both payloads are themselves
// attribute streams the comparison goes one level down.
func diffAttrs(path string, got, want []byte) []string {
	g, gerr := core.ParseAttrs(got)
	w, werr := core.ParseAttrs(want)
	if werr != nil {
		return []string{fmt.Sprintf("%swanted attributes are malformed: %v", path, werr)}
	}
	if gerr != nil {
		return []string{fmt.Sprintf("%sattributes are malformed: %v (bytes %s)", path, gerr, hexs(got))}
	}
	var d []string
	used := make([]bool, len(g))
	for _, wa := range w {
		gi := -1
		for i, ga := range g {
			if !used[i] && ga.Type == wa.Type {
				gi = i
				break
			}
		}
		name := path + "attribute " + strconv.Itoa(int(wa.Type))
		if gi < 0 {
			d = append(d, fmt.Sprintf("%s missing (want %s)", name, hexs(wa.Data)))
			continue
		}
		used[gi] = true
		ga := g[gi]
		if ga.Flags != wa.Flags {
			d = append(d, fmt.Sprintf("%s: flags %#x, want %#x", name, ga.Flags, wa.Flags))
		}
		if bytes.Equal(ga.Data, wa.Data) {
			continue
		}
		if isAttrStream(ga.Data) && isAttrStream(wa.Data) {
			if sub := diffAttrs(path+strconv.Itoa(int(wa.Type))+" > ", ga.Data, wa.Data); len(sub) > 0 {
				d = append(d, sub...)
				continue
			}
		}
		d = append(d, fmt.Sprintf("%s: %s, want %s", name, hexs(ga.Data), hexs(wa.Data)))
	}
	for i, ga := range g {
		if !used[i] {
			d = append(d, fmt.Sprintf("%sattribute %d not wanted (%s)", path, ga.Type, hexs(ga.Data)))
		}
	}
	return d
}

// isAttrStream reports whether b parses whole as one or more attributes.
func isAttrStream(b []byte) bool {
	if len(b) < core.AttrHeaderLen {
		return false
	}
	s := core.ScanAttrs(b)
	n := 0
	for s.Next() {
		n++
	}
	return s.Err() == nil && n > 0
}

// hexs prints b as hex with its length, cut after 64 bytes.
func hexs(b []byte) string {
	const limit = 64
	if len(b) > limit {
		return fmt.Sprintf("%d bytes %s...", len(b), hex.EncodeToString(b[:limit]))
	}
	return fmt.Sprintf("%d bytes %s", len(b), hex.EncodeToString(b))
}
