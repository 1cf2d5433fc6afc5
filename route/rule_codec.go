package route

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// ruleHeaderLen is sizeof(struct fib_rule_hdr).
const ruleHeaderLen = 12

// Unmarshal decodes an RTM_NEWRULE payload (struct fib_rule_hdr and FRA_*
// attributes) into r. It reuses r's range and suppress storage and keeps
// its IIF/OIF strings when they are unchanged, so decoding into the same
// value again allocates nothing; do not keep pointers into a value that
// is decoded into again. Unknown attributes are ignored.
func (r *Rule) Unmarshal(data []byte) error {
	if len(data) < ruleHeaderLen {
		return roShort("fib_rule_hdr", len(data), ruleHeaderLen)
	}
	sp := r.spare
	keep := func(p, spare *RuleRange) *RuleRange {
		if p != nil {
			return p
		}
		return spare
	}
	keepU := func(p, spare *uint32) *uint32 {
		if p != nil {
			return p
		}
		return spare
	}
	uid, sport, dport := keep(r.UIDRange, sp.uid), keep(r.SportRange, sp.sport), keep(r.DportRange, sp.dport)
	spl, sig := keepU(r.SuppressPrefixLen, sp.prefixLen), keepU(r.SuppressIfgroup, sp.ifgroup)
	iif, oif := r.IIF, r.OIF
	if iif == "" {
		iif = sp.iif
	}
	if oif == "" {
		oif = sp.oif
	}
	*r = Rule{
		Family: Family(data[0]),
		TOS:    data[3],
		Table:  uint32(data[4]),
		Action: RuleAction(data[7]),
		Flags:  roU32(data[8:]),
	}
	defer func() {
		r.spare = ruleSpare{iif: iif, oif: oif, uid: uid, sport: sport, dport: dport, prefixLen: spl, ifgroup: sig}
		if r.IIF != "" {
			r.spare.iif = r.IIF
		}
		if r.OIF != "" {
			r.spare.oif = r.OIF
		}
		for _, p := range []struct {
			cur   *RuleRange
			spare **RuleRange
		}{{r.UIDRange, &r.spare.uid}, {r.SportRange, &r.spare.sport}, {r.DportRange, &r.spare.dport}} {
			if p.cur != nil {
				*p.spare = p.cur
			}
		}
		if r.SuppressPrefixLen != nil {
			r.spare.prefixLen = r.SuppressPrefixLen
		}
		if r.SuppressIfgroup != nil {
			r.spare.ifgroup = r.SuppressIfgroup
		}
	}()
	r.Invert = r.Flags&unix.FIB_RULE_INVERT != 0
	r.Flags &^= unix.FIB_RULE_INVERT
	dstLen, srcLen := int(data[1]), int(data[2])
	s := core.ScanAttrs(data[ruleHeaderLen:])
	for s.Next() {
		switch s.Type() {
		case unix.FRA_DST:
			r.Dst = rulePrefix(&s, dstLen)
		case unix.FRA_SRC:
			r.Src = rulePrefix(&s, srcLen)
		case unix.FRA_IIFNAME:
			r.IIF = ruleKeepString(iif, s.Attr().StringBytes())
		case unix.FRA_OIFNAME:
			r.OIF = ruleKeepString(oif, s.Attr().StringBytes())
		case unix.FRA_GOTO:
			r.Goto = s.Uint32()
		case unix.FRA_PRIORITY:
			r.Priority = s.Uint32()
		case unix.FRA_FWMARK:
			r.Fwmark = s.Uint32()
		case unix.FRA_FWMASK:
			r.Fwmask = s.Uint32()
		case unix.FRA_FLOW:
			r.Flow = s.Uint32()
		case unix.FRA_TUN_ID:
			b := s.Bytes()
			if len(b) != 8 {
				s.Fail(&core.AttrError{Type: unix.FRA_TUN_ID, Kind: "be64", Len: len(b), Want: 8})
				break
			}
			r.TunID = binary.BigEndian.Uint64(b)
		case unix.FRA_SUPPRESS_IFGROUP:
			if v := s.Uint32(); v != ruleNoSuppress {
				r.SuppressIfgroup = ruleReuseU32(sig, v)
			}
		case unix.FRA_SUPPRESS_PREFIXLEN:
			if v := s.Uint32(); v != ruleNoSuppress {
				r.SuppressPrefixLen = ruleReuseU32(spl, v)
			}
		case unix.FRA_TABLE:
			r.Table = s.Uint32()
		case unix.FRA_L3MDEV:
			r.L3mdev = s.Uint8() != 0
		case unix.FRA_UID_RANGE:
			r.UIDRange = ruleRange(&s, uid, 4)
		case unix.FRA_PROTOCOL:
			r.Protocol = Protocol(s.Uint8())
		case unix.FRA_IP_PROTO:
			r.IPProto = s.Uint8()
		case unix.FRA_SPORT_RANGE:
			r.SportRange = ruleRange(&s, sport, 2)
		case unix.FRA_DPORT_RANGE:
			r.DportRange = ruleRange(&s, dport, 2)
		}
	}
	return s.Err()
}

// ruleNoSuppress is the suppress value (-1) the kernel sends for none.
const ruleNoSuppress = 0xffffffff

// rulePrefix reads an address attribute as a prefix of length bits.
func rulePrefix(s *core.AttrScanner, bits int) netip.Prefix {
	a := s.Addr()
	if !a.IsValid() {
		return netip.Prefix{}
	}
	p, err := a.Prefix(bits)
	if err != nil {
		s.Fail(&core.AttrError{Type: s.Type(), Kind: "prefix", Len: len(s.Bytes()), Want: -1, Detail: "prefix length out of range"})
		return netip.Prefix{}
	}
	return p
}

// ruleKeepString returns old when it equals b, else a new string.
func ruleKeepString(old string, b []byte) string {
	if old == string(b) {
		return old
	}
	return string(b)
}

// ruleReuseU32 stores v in p, or in a new value when p is nil.
func ruleReuseU32(p *uint32, v uint32) *uint32 {
	if p == nil {
		p = new(uint32)
	}
	*p = v
	return p
}

// ruleRange reads a pair of size-byte integers into p (or a new range).
func ruleRange(s *core.AttrScanner, p *RuleRange, size int) *RuleRange {
	b := s.Bytes()
	if len(b) != 2*size {
		s.Fail(&core.AttrError{Type: s.Type(), Kind: "range", Len: len(b), Want: 2 * size})
		return nil
	}
	if p == nil {
		p = new(RuleRange)
	}
	if size == 2 {
		p.Start, p.End = uint32(roU16(b)), uint32(roU16(b[2:]))
	} else {
		p.Start, p.End = roU32(b), roU32(b[4:])
	}
	return p
}

var errRuleFamily = errors.New("route: source and destination of a rule differ in family")

// ruleFamily is r's family, or the one of its prefixes.
func ruleFamily(r *Rule) Family {
	if r.Family != FamilyUnspec {
		return r.Family
	}
	for _, p := range []netip.Prefix{r.Src, r.Dst} {
		if p.IsValid() {
			return neighFamilyOf(p.Addr())
		}
	}
	return FamilyUnspec
}

// Marshal appends r as an RTM_NEWRULE/RTM_DELRULE payload to b.
func (r *Rule) Marshal(b []byte) ([]byte, error) {
	fam := ruleFamily(r)
	for _, p := range []netip.Prefix{r.Src, r.Dst} {
		if p.IsValid() && neighFamilyOf(p.Addr()) != fam {
			return b, errRuleFamily
		}
	}
	var h [ruleHeaderLen]byte
	h[0] = byte(fam)
	if r.Dst.IsValid() {
		h[1] = byte(r.Dst.Bits())
	}
	if r.Src.IsValid() {
		h[2] = byte(r.Src.Bits())
	}
	h[3] = r.TOS
	if r.Table < 256 {
		h[4] = byte(r.Table)
	}
	h[7] = byte(r.Action)
	flags := r.Flags
	if r.Invert {
		flags |= unix.FIB_RULE_INVERT
	}
	binary.NativeEndian.PutUint32(h[8:], flags)
	var e core.AttrEncoder
	e.Raw(h[:])
	if r.Dst.IsValid() {
		e.Addr(unix.FRA_DST, r.Dst.Addr().Unmap())
	}
	if r.Src.IsValid() {
		e.Addr(unix.FRA_SRC, r.Src.Addr().Unmap())
	}
	if r.IIF != "" {
		e.String(unix.FRA_IIFNAME, r.IIF)
	}
	if r.OIF != "" {
		e.String(unix.FRA_OIFNAME, r.OIF)
	}
	if r.Goto != 0 {
		e.Uint32(unix.FRA_GOTO, r.Goto)
	}
	if r.Priority != 0 {
		e.Uint32(unix.FRA_PRIORITY, r.Priority)
	}
	if r.Fwmark != 0 || r.Fwmask != 0 {
		e.Uint32(unix.FRA_FWMARK, r.Fwmark)
	}
	if r.Fwmask != 0 {
		e.Uint32(unix.FRA_FWMASK, r.Fwmask)
	}
	if r.Flow != 0 {
		e.Uint32(unix.FRA_FLOW, r.Flow)
	}
	if r.TunID != 0 {
		e.Binary(unix.FRA_TUN_ID, binary.BigEndian.AppendUint64(nil, r.TunID))
	}
	if r.SuppressIfgroup != nil {
		e.Uint32(unix.FRA_SUPPRESS_IFGROUP, *r.SuppressIfgroup)
	}
	if r.SuppressPrefixLen != nil {
		e.Uint32(unix.FRA_SUPPRESS_PREFIXLEN, *r.SuppressPrefixLen)
	}
	if r.Table != 0 {
		e.Uint32(unix.FRA_TABLE, r.Table)
	}
	if r.L3mdev {
		e.Uint8(unix.FRA_L3MDEV, 1)
	}
	if r.UIDRange != nil {
		var v [8]byte
		binary.NativeEndian.PutUint32(v[:], r.UIDRange.Start)
		binary.NativeEndian.PutUint32(v[4:], r.UIDRange.End)
		e.Binary(unix.FRA_UID_RANGE, v[:])
	}
	if r.Protocol != 0 {
		e.Uint8(unix.FRA_PROTOCOL, uint8(r.Protocol))
	}
	if r.IPProto != 0 {
		e.Uint8(unix.FRA_IP_PROTO, r.IPProto)
	}
	for _, pr := range []struct {
		typ uint16
		r   *RuleRange
	}{{unix.FRA_SPORT_RANGE, r.SportRange}, {unix.FRA_DPORT_RANGE, r.DportRange}} {
		if pr.r == nil {
			continue
		}
		if pr.r.Start > 0xffff || pr.r.End > 0xffff {
			return b, errors.New("route: port range beyond 65535")
		}
		var v [4]byte
		binary.NativeEndian.PutUint16(v[:], uint16(pr.r.Start))
		binary.NativeEndian.PutUint16(v[2:], uint16(pr.r.End))
		e.Binary(pr.typ, v[:])
	}
	return append(b, e.Bytes()...), nil
}
