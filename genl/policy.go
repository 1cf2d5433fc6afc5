package genl

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Policy dumps: what CTRL_CMD_GETPOLICY says about a family's attribute
// policies, decoded (PolicyDump) and turned into core.Policy values that
// validate a request before it is sent.

// PolicyAttr is the rule for one attribute type in a policy dump: a
// struct nla_policy as the kernel describes it (NL_POLICY_TYPE_ATTR_*).
type PolicyAttr struct {
	// Type is the attribute type the rule is for.
	Type uint16
	// Kind is what the attribute holds (NL_POLICY_TYPE_ATTR_TYPE); the
	// numbers are the kernel's NL_ATTR_TYPE_*.
	Kind core.Kind
	// IntRange bounds a signed kind (MIN/MAX_VALUE_S); nil when not given.
	IntRange *core.IntRange
	// UintRange bounds an unsigned kind (MIN/MAX_VALUE_U); nil when not
	// given.
	UintRange *core.UintRange
	// MinLen and MaxLen bound the payload (binary) or string length
	// (MIN/MAX_LENGTH); 0: no bound given.
	MinLen, MaxLen uint32
	// Mask lists the bits an unsigned kind may set (NL_POLICY_TYPE_ATTR_MASK)
	// or a bitfield32 may use (BITFIELD32_MASK); 0: none given.
	Mask uint64
	// HasNested says the attribute's payload follows policy NestedPolicy of
	// the same dump, whose highest type is NestedMaxType
	// (POLICY_IDX, POLICY_MAXTYPE).
	HasNested     bool
	NestedPolicy  uint32
	NestedMaxType uint32
}

// String prints the rule: "3: u32 range [0, 255]", "7: nested policy 4
// maxtype 6", "2: string max-len 15".
func (a *PolicyAttr) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(a.Type)))
	b.WriteString(": ")
	b.WriteString(a.Kind.String())
	if r := a.UintRange; r != nil {
		b.WriteString(" range [" + strconv.FormatUint(r.Min, 10) + ", " + strconv.FormatUint(r.Max, 10) + "]")
	}
	if r := a.IntRange; r != nil {
		b.WriteString(" range [" + strconv.FormatInt(r.Min, 10) + ", " + strconv.FormatInt(r.Max, 10) + "]")
	}
	if a.MinLen != 0 {
		b.WriteString(" min-len " + strconv.FormatUint(uint64(a.MinLen), 10))
	}
	if a.MaxLen != 0 {
		b.WriteString(" max-len " + strconv.FormatUint(uint64(a.MaxLen), 10))
	}
	if a.Mask != 0 {
		b.WriteString(" mask 0x" + strconv.FormatUint(a.Mask, 16))
	}
	if a.HasNested {
		b.WriteString(" policy " + strconv.FormatUint(uint64(a.NestedPolicy), 10) + " maxtype " + strconv.FormatUint(uint64(a.NestedMaxType), 10))
	}
	return b.String()
}

// MarshalJSON prints the rule with the kind by name and only the bounds
// the kernel gave.
func (a *PolicyAttr) MarshalJSON() ([]byte, error) {
	type out struct {
		Type          uint16          `json:"type"`
		Kind          string          `json:"kind"`
		MinValue      *int64          `json:"min_value_s,omitempty"`
		MaxValue      *int64          `json:"max_value_s,omitempty"`
		MinValueU     *uint64         `json:"min_value_u,omitempty"`
		MaxValueU     *uint64         `json:"max_value_u,omitempty"`
		MinLen        uint32          `json:"min_length,omitempty"`
		MaxLen        uint32          `json:"max_length,omitempty"`
		Mask          json.RawMessage `json:"mask,omitempty"`
		NestedPolicy  *uint32         `json:"policy_idx,omitempty"`
		NestedMaxType *uint32         `json:"policy_maxtype,omitempty"`
	}
	o := out{Type: a.Type, Kind: a.Kind.String(), MinLen: a.MinLen, MaxLen: a.MaxLen}
	if r := a.IntRange; r != nil {
		o.MinValue, o.MaxValue = &r.Min, &r.Max
	}
	if r := a.UintRange; r != nil {
		o.MinValueU, o.MaxValueU = &r.Min, &r.Max
	}
	if a.Mask != 0 {
		o.Mask = json.RawMessage(`"0x` + strconv.FormatUint(a.Mask, 16) + `"`)
	}
	if a.HasNested {
		o.NestedPolicy, o.NestedMaxType = &a.NestedPolicy, &a.NestedMaxType
	}
	return json.Marshal(o)
}

// PolicyTable is one policy of a dump: the rules of one attribute space,
// by type.
type PolicyTable struct {
	// Index is the policy's number within the dump.
	Index uint32 `json:"index"`
	// MaxType is the highest attribute type of the space: as another
	// rule's POLICY_MAXTYPE says when one links here (MaxTypeKnown),
	// else the highest type with a rule.
	MaxType      uint32 `json:"maxtype"`
	MaxTypeKnown bool   `json:"maxtype_known"`
	// Attrs are the rules, by type. Types without a rule (NLA_UNSPEC and
	// NLA_REJECT, which the kernel does not dump) are missing.
	Attrs []PolicyAttr `json:"attrs"`
}

// Attr returns the rule for type typ, or nil.
func (t *PolicyTable) Attr(typ uint16) *PolicyAttr {
	i, ok := slices.BinarySearchFunc(t.Attrs, typ, func(a PolicyAttr, typ uint16) int { return int(a.Type) - int(typ) })
	if !ok {
		return nil
	}
	return &t.Attrs[i]
}

// OpPolicy says which policies one command validates its do and dump
// requests against (CTRL_ATTR_OP_POLICY).
type OpPolicy struct {
	// Op is the command.
	Op uint32 `json:"op"`
	// Do and Dump are policy indexes, valid when HasDo and HasDump.
	Do      uint32 `json:"do"`
	HasDo   bool   `json:"has_do"`
	Dump    uint32 `json:"dump"`
	HasDump bool   `json:"has_dump"`
}

// PolicyDump is what CTRL_CMD_GETPOLICY answers for a family, or for one
// of its commands: which policy each command uses, and the policies,
// nested ones included.
type PolicyDump struct {
	// FamilyID is the family the dump is about.
	FamilyID uint16 `json:"family_id"`
	// Family is its name (filled in by Conn.Policy; the dump does not say).
	Family string `json:"family,omitempty"`
	// Ops are the commands' policies, in the order dumped.
	Ops []OpPolicy `json:"ops"`
	// Policies are the policies, by index.
	Policies []PolicyTable `json:"policies"`
}

// Decode adds one CTRL_CMD_GETPOLICY reply to d: data is the payload after
// the netlink header, genlmsghdr included. On error d is unchanged.
func (d *PolicyDump) Decode(data []byte) error {
	if len(data) < HeaderLen {
		return &core.ParseError{What: "genlmsghdr", Len: len(data), Want: HeaderLen}
	}
	// Decode into a scratch copy of what changes, so an error changes
	// nothing.
	n := PolicyDump{FamilyID: d.FamilyID, Family: d.Family}
	var ops []OpPolicy
	type rule struct {
		idx uint32
		a   PolicyAttr
	}
	var rules []rule
	s := core.ScanAttrs(data[HeaderLen:])
	for s.Next() {
		switch s.Type() {
		case unix.CTRL_ATTR_FAMILY_ID:
			n.FamilyID = s.Uint16()
		case unix.CTRL_ATTR_OP_POLICY:
			ps := s.Nested()
			for ps.Next() {
				op := OpPolicy{Op: uint32(ps.Type())}
				a := ps.Nested()
				for a.Next() {
					switch a.Type() {
					case unix.CTRL_ATTR_POLICY_DO:
						op.Do, op.HasDo = a.Uint32(), true
					case unix.CTRL_ATTR_POLICY_DUMP:
						op.Dump, op.HasDump = a.Uint32(), true
					}
				}
				s.Fail(a.Err())
				ops = append(ops, op)
			}
			s.Fail(ps.Err())
		case unix.CTRL_ATTR_POLICY:
			ps := s.Nested()
			for ps.Next() {
				idx := uint32(ps.Type())
				as := ps.Nested()
				for as.Next() {
					r := rule{idx: idx, a: PolicyAttr{Type: as.Type()}}
					s.Fail(r.a.decode(as.Attr().Data))
					rules = append(rules, r)
				}
				s.Fail(as.Err())
				if len(rules) == 0 || rules[len(rules)-1].idx != idx {
					// A policy with no rule at all still exists.
					rules = append(rules, rule{idx: idx, a: PolicyAttr{Kind: core.KindNone}})
				}
			}
			s.Fail(ps.Err())
		}
	}
	if err := s.Err(); err != nil {
		return err
	}
	d.FamilyID = n.FamilyID
	d.Ops = append(d.Ops, ops...)
	for _, r := range rules {
		t := d.table(r.idx)
		if r.a.Kind == core.KindNone {
			continue
		}
		i, ok := slices.BinarySearchFunc(t.Attrs, r.a.Type, func(a PolicyAttr, typ uint16) int { return int(a.Type) - int(typ) })
		if ok {
			t.Attrs[i] = r.a
		} else {
			t.Attrs = slices.Insert(t.Attrs, i, r.a)
		}
		if !t.MaxTypeKnown && uint32(r.a.Type) > t.MaxType {
			t.MaxType = uint32(r.a.Type)
		}
		if r.a.HasNested {
			nt := d.table(r.a.NestedPolicy)
			t = nil // d.table may have moved the tables
			nt.MaxType, nt.MaxTypeKnown = r.a.NestedMaxType, true
		}
	}
	return nil
}

// table returns the table with index idx, adding it (in order) if needed.
func (d *PolicyDump) table(idx uint32) *PolicyTable {
	i, ok := slices.BinarySearchFunc(d.Policies, idx, func(t PolicyTable, idx uint32) int {
		switch {
		case t.Index < idx:
			return -1
		case t.Index > idx:
			return 1
		}
		return 0
	})
	if !ok {
		d.Policies = slices.Insert(d.Policies, i, PolicyTable{Index: idx})
	}
	return &d.Policies[i]
}

// Table returns the policy with index idx, or nil.
func (d *PolicyDump) Table(idx uint32) *PolicyTable {
	for i := range d.Policies {
		if d.Policies[i].Index == idx {
			return &d.Policies[i]
		}
	}
	return nil
}

// Op returns the policies of command cmd, or false when the dump has none.
func (d *PolicyDump) Op(cmd uint32) (OpPolicy, bool) {
	for _, o := range d.Ops {
		if o.Op == cmd {
			return o, true
		}
	}
	return OpPolicy{}, false
}

// decode reads one rule's NL_POLICY_TYPE_ATTR_* attributes.
func (a *PolicyAttr) decode(b []byte) error {
	var imin, imax int64
	var umin, umax uint64
	var hasI, hasU uint8
	s := core.ScanAttrs(b)
	for s.Next() {
		switch s.Type() {
		case unix.NL_POLICY_TYPE_ATTR_TYPE:
			v := s.Uint32()
			if v > 0xff {
				v = uint32(core.KindUnspec)
			}
			a.Kind = core.Kind(v)
		case unix.NL_POLICY_TYPE_ATTR_MIN_VALUE_S:
			imin = s.Int64()
			hasI |= 1
		case unix.NL_POLICY_TYPE_ATTR_MAX_VALUE_S:
			imax = s.Int64()
			hasI |= 2
		case unix.NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
			umin = s.Uint64()
			hasU |= 1
		case unix.NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
			umax = s.Uint64()
			hasU |= 2
		case unix.NL_POLICY_TYPE_ATTR_MIN_LENGTH:
			a.MinLen = s.Uint32()
		case unix.NL_POLICY_TYPE_ATTR_MAX_LENGTH:
			a.MaxLen = s.Uint32()
		case unix.NL_POLICY_TYPE_ATTR_POLICY_IDX:
			a.NestedPolicy, a.HasNested = s.Uint32(), true
		case unix.NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE:
			a.NestedMaxType = s.Uint32()
		case unix.NL_POLICY_TYPE_ATTR_BITFIELD32_MASK:
			a.Mask = uint64(s.Uint32())
		case unix.NL_POLICY_TYPE_ATTR_MASK:
			a.Mask = s.Uint64()
		}
	}
	if hasI != 0 {
		r := core.IntRange{Min: imin, Max: imax}
		if hasI&1 == 0 {
			r.Min = -1 << 63
		}
		if hasI&2 == 0 {
			r.Max = 1<<63 - 1
		}
		a.IntRange = &r
	}
	if hasU != 0 {
		r := core.UintRange{Min: umin, Max: umax}
		if hasU&2 == 0 {
			r.Max = 1<<64 - 1
		}
		a.UintRange = &r
	}
	return s.Err()
}

// String prints the dump the way `nlkit genl policy` shows it: one line
// per command, then each policy and its rules.
func (d *PolicyDump) String() string {
	var b strings.Builder
	for _, o := range d.Ops {
		b.WriteString("op " + strconv.FormatUint(uint64(o.Op), 10) + ":")
		if o.HasDo {
			b.WriteString(" do policy " + strconv.FormatUint(uint64(o.Do), 10))
		}
		if o.HasDump {
			b.WriteString(" dump policy " + strconv.FormatUint(uint64(o.Dump), 10))
		}
		b.WriteByte('\n')
	}
	for _, t := range d.Policies {
		b.WriteString("policy " + strconv.FormatUint(uint64(t.Index), 10) + " maxtype " + strconv.FormatUint(uint64(t.MaxType), 10) + "\n")
		for i := range t.Attrs {
			b.WriteString("  " + t.Attrs[i].String() + "\n")
		}
	}
	return b.String()
}

// AttrNamer names the attribute at path (attribute types from the
// command's top level down) for policy errors; "" prints its number.
type AttrNamer func(path []uint16) string

// Core converts policy idx of the dump, and the policies it links to,
// into a core.Policy that validates as the kernel would: nested policies
// are linked (also when they loop), types up to the policy's maximum
// without a rule accept anything (KindUnspec, which is how the kernel
// treats the NLA_UNSPEC rules it does not dump), and, when the maximum is
// known, types past it are refused as the kernel's strict validation
// does. names, when not nil, names the attributes in errors. It returns
// nil when the dump has no policy idx.
func (d *PolicyDump) Core(idx uint32, names AttrNamer) *core.Policy {
	if d.Table(idx) == nil {
		return nil
	}
	conv := policyConverter{d: d, names: names, done: make(map[uint32]*core.Policy)}
	return conv.convert(idx, nil)
}

// OpCore is Core for command cmd's do policy (dump false) or dump policy
// (dump true); false when the command has no such policy.
func (d *PolicyDump) OpCore(cmd uint32, dump bool, names AttrNamer) (*core.Policy, bool) {
	o, ok := d.Op(cmd)
	if !ok {
		return nil, false
	}
	idx, has := o.Do, o.HasDo
	if dump {
		idx, has = o.Dump, o.HasDump
	}
	if !has {
		return nil, false
	}
	p := d.Core(idx, names)
	return p, p != nil
}

// policyMaxSlots bounds the maximum type Core pads a policy to.
const policyMaxSlots = 4096

type policyConverter struct {
	d     *PolicyDump
	names AttrNamer
	done  map[uint32]*core.Policy
}

func (pc *policyConverter) convert(idx uint32, path []uint16) *core.Policy {
	if p := pc.done[idx]; p != nil {
		return p
	}
	t := pc.d.Table(idx)
	if t == nil {
		return nil
	}
	name := pc.d.Family
	if len(path) > 0 || name == "" {
		name += "/" + strconv.FormatUint(uint64(idx), 10)
	}
	p := &core.Policy{Name: name, RejectUnknown: t.MaxTypeKnown}
	pc.done[idx] = p
	maxType := t.MaxType
	if maxType > policyMaxSlots {
		// No kernel policy is that large: do not pad so far on the
		// dump's word, and let types past the rules through.
		maxType, p.RejectUnknown = 0, false
		for i := range t.Attrs {
			maxType = max(maxType, uint32(t.Attrs[i].Type))
		}
	}
	p.Attrs = make([]core.AttrPolicy, maxType+1)
	for i := 1; i <= int(maxType); i++ {
		p.Attrs[i].Kind = core.KindUnspec
	}
	sub := append(slices.Clip(path), 0)
	for i := range t.Attrs {
		a := &t.Attrs[i]
		if uint32(a.Type) > maxType {
			continue
		}
		ap := &p.Attrs[a.Type]
		*ap = a.core()
		sub[len(sub)-1] = a.Type
		if pc.names != nil {
			ap.Name = pc.names(sub)
		}
		if a.HasNested && (ap.Kind == core.KindNested || ap.Kind == core.KindNestedArray) {
			ap.Nested = pc.convert(a.NestedPolicy, slices.Clone(sub))
		}
	}
	return p
}

// core is the rule as a core.AttrPolicy, nested policy aside.
func (a *PolicyAttr) core() core.AttrPolicy {
	ap := core.AttrPolicy{Kind: a.Kind}
	if a.Kind == core.KindNone || a.Kind > core.KindUint {
		ap.Kind = core.KindUnspec
	}
	switch {
	case ap.Kind.Unsigned():
		if a.UintRange != nil {
			r := *a.UintRange
			ap.UintRange = &r
		}
		ap.Mask = a.Mask
	case ap.Kind.Signed():
		if a.IntRange != nil {
			r := *a.IntRange
			ap.IntRange = &r
		}
	case ap.Kind == core.KindBitfield32:
		ap.Mask = a.Mask
	case ap.Kind == core.KindString, ap.Kind == core.KindNulString, ap.Kind == core.KindBinary, ap.Kind == core.KindUnspec:
		ap.MinLen, ap.MaxLen = int(a.MinLen), int(a.MaxLen)
	}
	return ap
}
