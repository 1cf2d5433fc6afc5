package genltest

import (
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/genl"
	"golang.org/x/sys/unix"
)

// PolicyDump encodes what CTRL_CMD_GETPOLICY answers for a family with
// ID id, ops and policies (by command; the same policy for do and dump),
// as the kernel lays it out: one message per command with
// CTRL_ATTR_OP_POLICY, then one message per attribute rule with
// CTRL_ATTR_POLICY { policy index { type { NL_POLICY_TYPE_ATTR_* } } }.
// With one set, only command op is dumped. Like the kernel, it reports a
// command that has only a dump handler as command 0. Each element is a message's
// attributes, after genlmsghdr.
func PolicyDump(id uint16, ops []genl.Op, policies map[uint32]*core.Policy, op uint32, one bool) [][]byte {
	idx := map[*core.Policy]uint32{}
	var order []*core.Policy
	var add func(p *core.Policy) uint32
	add = func(p *core.Policy) uint32 {
		if i, ok := idx[p]; ok {
			return i
		}
		i := uint32(len(order))
		idx[p] = i
		order = append(order, p)
		for _, ap := range p.Attrs {
			if ap.Nested != nil {
				add(ap.Nested)
			}
		}
		return i
	}
	var out [][]byte
	for _, o := range ops {
		p := policies[o.ID]
		if p == nil || (one && o.ID != op) {
			continue
		}
		i := add(p)
		var e core.AttrEncoder
		e.Uint16(unix.CTRL_ATTR_FAMILY_ID, id)
		n := e.NestStart(unix.CTRL_ATTR_OP_POLICY | core.AttrNested)
		// As ctrl_dumppolicy_put_op does, the command is nested under
		// its do handler's number: 0 for a dump-only command.
		nr := uint16(o.ID)
		if o.Flags&genl.OpCanDo == 0 {
			nr = 0
		}
		m := e.NestStart(nr | core.AttrNested)
		if o.Flags&genl.OpCanDo != 0 {
			e.Uint32(unix.CTRL_ATTR_POLICY_DO, i)
		}
		if o.Flags&genl.OpCanDump != 0 {
			e.Uint32(unix.CTRL_ATTR_POLICY_DUMP, i)
		}
		e.NestEnd(m)
		e.NestEnd(n)
		out = append(out, e.Bytes())
	}
	for pi, p := range order {
		for t, ap := range p.Attrs {
			switch ap.Kind {
			case core.KindNone, core.KindUnspec, core.KindReject:
				continue // not dumped, as in the kernel
			}
			var e core.AttrEncoder
			e.Uint16(unix.CTRL_ATTR_FAMILY_ID, id)
			n := e.NestStart(unix.CTRL_ATTR_POLICY | core.AttrNested)
			m := e.NestStart(uint16(pi) | core.AttrNested)
			a := e.NestStart(uint16(t) | core.AttrNested)
			appendRule(&e, ap, idx)
			e.NestEnd(a)
			e.NestEnd(m)
			e.NestEnd(n)
			out = append(out, e.Bytes())
		}
	}
	return out
}

// appendRule writes one rule as __netlink_policy_dump_write_attr does:
// the bounds, then the type.
func appendRule(e *core.AttrEncoder, ap core.AttrPolicy, idx map[*core.Policy]uint32) {
	appendBounds(e, ap, idx)
	e.Uint32(unix.NL_POLICY_TYPE_ATTR_TYPE, uint32(ap.Kind))
}

func appendBounds(e *core.AttrEncoder, ap core.AttrPolicy, idx map[*core.Policy]uint32) {
	switch {
	case ap.Kind.Unsigned():
		if ap.Mask != 0 {
			e.Uint64(unix.NL_POLICY_TYPE_ATTR_MASK, ap.Mask)
			return
		}
		r := core.UintRange{Max: unsignedMax(ap.Kind)}
		if ap.UintRange != nil {
			r = *ap.UintRange
		}
		e.Uint64(unix.NL_POLICY_TYPE_ATTR_MIN_VALUE_U, r.Min)
		e.Uint64(unix.NL_POLICY_TYPE_ATTR_MAX_VALUE_U, r.Max)
	case ap.Kind.Signed():
		lo, hi := signedRange(ap.Kind)
		r := core.IntRange{Min: lo, Max: hi}
		if ap.IntRange != nil {
			r = *ap.IntRange
		}
		e.Int64(unix.NL_POLICY_TYPE_ATTR_MIN_VALUE_S, r.Min)
		e.Int64(unix.NL_POLICY_TYPE_ATTR_MAX_VALUE_S, r.Max)
	case ap.Kind == core.KindBitfield32:
		e.Uint32(unix.NL_POLICY_TYPE_ATTR_BITFIELD32_MASK, uint32(ap.Mask))
	case ap.Kind == core.KindString, ap.Kind == core.KindNulString, ap.Kind == core.KindBinary:
		lo, hi := ap.MinLen, ap.MaxLen
		if ap.Len > 0 {
			lo, hi = ap.Len, ap.Len
		}
		if lo > 0 {
			e.Uint32(unix.NL_POLICY_TYPE_ATTR_MIN_LENGTH, uint32(lo))
		}
		if hi > 0 {
			e.Uint32(unix.NL_POLICY_TYPE_ATTR_MAX_LENGTH, uint32(hi))
		}
	case ap.Kind == core.KindNested, ap.Kind == core.KindNestedArray:
		if ap.Nested != nil {
			e.Uint32(unix.NL_POLICY_TYPE_ATTR_POLICY_IDX, idx[ap.Nested])
			e.Uint32(unix.NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE, uint32(max(len(ap.Nested.Attrs)-1, 0)))
		}
	}
}

func unsignedMax(k core.Kind) uint64 {
	switch k {
	case core.KindU8:
		return 1<<8 - 1
	case core.KindU16:
		return 1<<16 - 1
	case core.KindU32:
		return 1<<32 - 1
	}
	return 1<<64 - 1
}

func signedRange(k core.Kind) (int64, int64) {
	switch k {
	case core.KindS8:
		return -1 << 7, 1<<7 - 1
	case core.KindS16:
		return -1 << 15, 1<<15 - 1
	case core.KindS32:
		return -1 << 31, 1<<31 - 1
	}
	return -1 << 63, 1<<63 - 1
}
