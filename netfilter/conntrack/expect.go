package conntrack

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
)

// ExpectFlags are an expectation's flags (NF_CT_EXPECT_*).
type ExpectFlags uint32

// The expectation flags.
const (
	ExpectPermanent ExpectFlags = 0x1
	ExpectInactive  ExpectFlags = 0x2
	ExpectUserspace ExpectFlags = 0x4
)

// String names the flags as conntrack(8) does ("PERMANENT,USERSPACE").
func (f ExpectFlags) String() string {
	var w []string
	for _, n := range []struct {
		f    ExpectFlags
		name string
	}{{ExpectPermanent, "PERMANENT"}, {ExpectInactive, "INACTIVE"}, {ExpectUserspace, "USERSPACE"}} {
		if f&n.f != 0 {
			w = append(w, n.name)
		}
	}
	if rest := f &^ 7; rest != 0 {
		w = append(w, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return strings.Join(w, ",")
}

// Expect is a conntrack expectation: a flow a helper (ftp, sip, ...)
// expects to see, related to a master flow (NFNL_SUBSYS_CTNETLINK_EXP).
type Expect struct {
	// Family is unix.AF_INET or unix.AF_INET6.
	Family uint8 `json:"-"`
	// Master is the original tuple of the flow that expects this one.
	Master Tuple `json:"master"`
	// Tuple is the expected flow's tuple and Mask says which of its bits
	// must match (a zero source port in the mask: any port).
	Tuple Tuple `json:"tuple"`
	Mask  Tuple `json:"mask"`
	// Timeout is the time left, in whole seconds.
	Timeout time.Duration `json:"-"`
	ID      uint32        `json:"id,omitempty"`
	// Helper is the helper's name; Function the helper's expectation
	// function (CTA_EXPECT_FN, "ftp" has none, "sip" has "signalling").
	Helper   string      `json:"helper,omitempty"`
	Function string      `json:"fn,omitempty"`
	Zone     uint16      `json:"zone,omitempty"`
	Flags    ExpectFlags `json:"-"`
	Class    uint32      `json:"class"`
	// NAT, when HasNAT: the direction and tuple a NAT helper rewrites
	// the expected flow to.
	HasNAT   bool   `json:"-"`
	NATDir   uint32 `json:"-"`
	NATTuple Tuple  `json:"-"`
}

// Unmarshal decodes an expectation message's payload into e.
func (x *Expect) Unmarshal(data []byte) error {
	h, attrs, err := netfilter.ParseHeader(data)
	if err != nil {
		return err
	}
	helper, fn := x.Helper, x.Function
	*x = Expect{Family: h.Family}
	s := core.ScanAttrs(attrs)
	for s.Next() {
		switch s.Type() {
		case ctaExpectMaster:
			x.Master.unmarshal(&s)
		case ctaExpectTuple:
			x.Tuple.unmarshal(&s)
		case ctaExpectMask:
			x.Mask.unmarshal(&s)
		case ctaExpectTimeout:
			x.Timeout = time.Duration(ctGet32(&s)) * time.Second
		case ctaExpectID:
			x.ID = ctGet32(&s)
		case ctaExpectHelpName:
			x.Helper = helper
			ctString(&x.Helper, &s)
		case ctaExpectZone:
			x.Zone = ctGet16(&s)
		case ctaExpectFlags:
			x.Flags = ExpectFlags(ctGet32(&s))
		case ctaExpectClass:
			x.Class = ctGet32(&s)
		case ctaExpectFn:
			x.Function = fn
			ctString(&x.Function, &s)
		case ctaExpectNAT:
			x.HasNAT = true
			n0 := s.Nested()
			n := &n0
			for n.Next() {
				switch n.Type() {
				case ctaExpectNATDir:
					x.NATDir = ctGet32(n)
				case ctaExpectNATTuple:
					x.NATTuple.unmarshal(n)
				}
			}
			s.Fail(n.Err())
		}
	}
	if err := s.Err(); err != nil {
		return &core.OpError{Op: "conntrack: decode expectation", Err: err}
	}
	return nil
}

func (x *Expect) family() uint8 {
	if x.Family != 0 {
		return x.Family
	}
	if f := x.Tuple.Family(); f != 0 {
		return f
	}
	return x.Master.Family()
}

// Marshal appends a create request's payload for x to b: the master, the
// tuple and mask, the timeout, and the helper, zone, flags, class and NAT
// that are set.
func (x *Expect) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw(b)
	if err := x.encode(&e, true); err != nil {
		return b, err
	}
	return e.Bytes(), nil
}

func (x *Expect) encode(e *core.AttrEncoder, create bool) error {
	if err := x.Tuple.check("expected"); err != nil {
		return err
	}
	var hdr [netfilter.HeaderLen]byte
	e.Raw(netfilter.AppendHeader(hdr[:0], netfilter.Header{Family: x.family()}))
	if err := x.Tuple.marshal(e, ctaExpectTuple); err != nil {
		return err
	}
	if x.ID != 0 {
		e.Uint32BE(ctaExpectID, x.ID)
	}
	if !create {
		if x.Zone != 0 {
			e.Uint16BE(ctaExpectZone, x.Zone)
		}
		return nil
	}
	if err := x.Master.check("master"); err != nil {
		return err
	}
	if err := x.Master.marshal(e, ctaExpectMaster); err != nil {
		return err
	}
	mask := x.Mask
	if mask.IsZero() {
		mask = x.Tuple.fullMask()
	}
	if err := mask.marshal(e, ctaExpectMask); err != nil {
		return err
	}
	if x.Timeout > 0 {
		e.Uint32BE(ctaExpectTimeout, uint32(x.Timeout/time.Second))
	}
	if x.Helper != "" {
		e.String(ctaExpectHelpName, x.Helper)
	}
	if x.Zone != 0 {
		e.Uint16BE(ctaExpectZone, x.Zone)
	}
	if x.Flags != 0 {
		e.Uint32BE(ctaExpectFlags, uint32(x.Flags))
	}
	if x.Class != 0 {
		e.Uint32BE(ctaExpectClass, x.Class)
	}
	if x.Function != "" {
		e.String(ctaExpectFn, x.Function)
	}
	if x.HasNAT {
		n := ctNest(e, ctaExpectNAT)
		e.Uint32BE(ctaExpectNATDir, x.NATDir)
		if err := x.NATTuple.marshal(e, ctaExpectNATTuple); err != nil {
			return err
		}
		e.NestEnd(n)
	}
	return nil
}

// fullMask is the mask that matches t exactly.
func (t Tuple) fullMask() Tuple {
	m := Tuple{Proto: t.Proto, SrcPort: 0xffff, DstPort: 0xffff, ICMPID: 0xffff, ICMPType: 0xff, ICMPCode: 0xff}
	if t.Src.Is4() {
		m.Src = netipAllOnes4
		m.Dst = netipAllOnes4
	} else {
		m.Src = netipAllOnes6
		m.Dst = netipAllOnes6
	}
	return m
}

// String prints x on one line as `conntrack -L expect` does:
//
//	297 proto=6 src=192.0.2.2 dst=192.0.2.1 sport=0 dport=41000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=192.0.2.2 dst=192.0.2.1 sport=39522 dport=21 class=0 helper=ftp
func (x *Expect) String() string {
	b := strconv.AppendInt(nil, int64(x.Timeout/time.Second), 10)
	b = append(b, " proto="...)
	b = strconv.AppendUint(b, uint64(x.Tuple.Proto), 10)
	b = append(b, ' ')
	b = x.Tuple.appendText(b)
	b = append(b, " mask-src="...)
	b = x.Mask.Src.AppendTo(b)
	b = append(b, " mask-dst="...)
	b = x.Mask.Dst.AppendTo(b)
	m := x.Mask
	m.Src, m.Dst = netipZero, netipZero
	b = appendProto(b, &m)
	b = append(b, " master-src="...)
	b = x.Master.Src.AppendTo(b)
	b = append(b, " master-dst="...)
	b = x.Master.Dst.AppendTo(b)
	b = appendProto(b, &x.Master)
	if x.Zone != 0 {
		b = append(b, " zone="...)
		b = strconv.AppendUint(b, uint64(x.Zone), 10)
	}
	if x.Flags != 0 {
		b = append(b, ' ')
		b = append(b, x.Flags.String()...)
	}
	b = append(b, " class="...)
	b = strconv.AppendUint(b, uint64(x.Class), 10)
	if x.Helper != "" {
		b = append(b, " helper="...)
		b = append(b, x.Helper...)
	}
	if x.Function != "" {
		b = append(b, " fn="...)
		b = append(b, x.Function...)
	}
	return string(b)
}

// appendProto appends the protocol part of a tuple (ports or ICMP).
func appendProto(b []byte, t *Tuple) []byte {
	switch {
	case isICMP(t.Proto):
		b = append(b, " type="...)
		b = strconv.AppendUint(b, uint64(t.ICMPType), 10)
		b = append(b, " code="...)
		b = strconv.AppendUint(b, uint64(t.ICMPCode), 10)
		b = append(b, " id="...)
		b = strconv.AppendUint(b, uint64(t.ICMPID), 10)
	case hasPorts(t.Proto):
		b = append(b, " sport="...)
		b = strconv.AppendUint(b, uint64(t.SrcPort), 10)
		b = append(b, " dport="...)
		b = strconv.AppendUint(b, uint64(t.DstPort), 10)
	}
	return b
}

// Equal reports whether x and o are the same expectation state.
func (x *Expect) Equal(o *Expect) bool { return len(x.Diff(o)) == 0 }

// Diff names the fields that differ between x and o.
func (x *Expect) Diff(o *Expect) []string {
	var d []string
	add := func(differ bool, name string) {
		if differ {
			d = append(d, name)
		}
	}
	add(x.Family != o.Family, "family")
	add(x.Master != o.Master, "master")
	add(x.Tuple != o.Tuple, "tuple")
	add(x.Mask != o.Mask, "mask")
	add(x.Timeout != o.Timeout, "timeout")
	add(x.ID != o.ID, "id")
	add(x.Helper != o.Helper, "helper")
	add(x.Function != o.Function, "fn")
	add(x.Zone != o.Zone, "zone")
	add(x.Flags != o.Flags, "flags")
	add(x.Class != o.Class, "class")
	add(x.HasNAT != o.HasNAT || x.NATDir != o.NATDir || x.NATTuple != o.NATTuple, "nat")
	return d
}

// MarshalJSON prints the expectation with conntrack(8)'s names.
func (x *Expect) MarshalJSON() ([]byte, error) {
	type plain Expect
	j := struct {
		Family  string   `json:"family"`
		Proto   string   `json:"proto"`
		Timeout uint32   `json:"timeout"`
		Flags   []string `json:"flags,omitempty"`
		NAT     *struct {
			Dir   uint32 `json:"dir"`
			Tuple Tuple  `json:"tuple"`
		} `json:"nat,omitempty"`
		*plain
	}{Family: familyName(x.family()), Proto: ProtoName(x.Tuple.Proto), Timeout: uint32(x.Timeout / time.Second), plain: (*plain)(x)}
	if x.Flags != 0 {
		j.Flags = strings.Split(x.Flags.String(), ",")
	}
	if x.HasNAT {
		j.NAT = &struct {
			Dir   uint32 `json:"dir"`
			Tuple Tuple  `json:"tuple"`
		}{x.NATDir, x.NATTuple}
	}
	return json.Marshal(j)
}
