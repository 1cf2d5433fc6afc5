package genl

import (
	"context"
	"encoding/binary"
	"iter"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// The controller (nlctrl, GENL_ID_CTRL): families by name or ID, all of
// them, and their policies (policy.go).

// CtrlNotifyGroup is the ID of nlctrl's "notify" multicast group, where
// the controller announces families and groups coming and going. The
// kernel gives nlctrl's only group the ID GENL_ID_CTRL.
const CtrlNotifyGroup = unix.GENL_ID_CTRL

// GetFamily asks the controller about the family called name: one round
// trip every time (Family is the cached form). An unknown name gives a
// *FamilyNotFoundError.
func (c *Conn) GetFamily(ctx context.Context, name string) (*Family, error) {
	if name == "" || len(name) >= unix.GENL_NAMSIZ {
		return nil, &FamilyNotFoundError{Name: name}
	}
	bp := c.request(unix.CTRL_CMD_GETFAMILY, ctrlVersion, nil)
	*bp = familyAppendString(*bp, unix.CTRL_ATTR_FAMILY_NAME, name)
	f, err := c.getFamily(ctx, *bp)
	c.release(bp)
	if err != nil {
		return nil, familyNotFound(core.WithOp(err, "genl get family "+name), name, 0)
	}
	return f, nil
}

// FamilyByID asks the controller about the family whose ID is id.
func (c *Conn) FamilyByID(ctx context.Context, id uint16) (*Family, error) {
	bp := c.request(unix.CTRL_CMD_GETFAMILY, ctrlVersion, nil)
	b := binary.NativeEndian.AppendUint16(*bp, 6)
	b = binary.NativeEndian.AppendUint16(b, unix.CTRL_ATTR_FAMILY_ID)
	b = binary.NativeEndian.AppendUint16(b, id)
	*bp = append(b, 0, 0)
	f, err := c.getFamily(ctx, *bp)
	c.release(bp)
	if err != nil {
		return nil, familyNotFound(core.WithOp(err, "genl get family id "+strconv.Itoa(int(id))), "", id)
	}
	return f, nil
}

func (c *Conn) getFamily(ctx context.Context, payload []byte) (*Family, error) {
	f := new(Family)
	got := false
	req := core.Message{Header: core.Header{Type: unix.GENL_ID_CTRL}, Data: payload}
	err := c.c.ExecuteFunc(ctx, req, func(m core.Message) error {
		if got || m.Header.Type != unix.GENL_ID_CTRL {
			return nil
		}
		if len(m.Data) < HeaderLen {
			return &core.ParseError{What: "genlmsghdr", Len: len(m.Data), Want: HeaderLen}
		}
		got = true
		return f.decode(m.Data[HeaderLen:], &c.intern)
	})
	if err != nil {
		return nil, err
	}
	if !got {
		return nil, &core.ParseError{What: "CTRL_CMD_NEWFAMILY reply", Want: HeaderLen}
	}
	return f, nil
}

// FamilyIter dumps every family the controller knows (CTRL_CMD_GETFAMILY
// with NLM_F_DUMP), decoding each into one reused Family: it is valid only
// in the loop body (its names stay valid; copy the slices to keep them).
func (c *Conn) FamilyIter(ctx context.Context) iter.Seq2[*Family, error] {
	return func(yield func(*Family, error) bool) {
		if err := c.familyDump(ctx, func(f *Family) bool { return yield(f, nil) }); err != nil {
			yield(nil, err)
		}
	}
}

// familyDump runs the family dump, calling fn with each family decoded
// into one reused Family until fn returns false.
func (c *Conn) familyDump(ctx context.Context, fn func(*Family) bool) error {
	f, _ := c.scratch.Get().(*Family)
	if f == nil {
		f = new(Family)
	}
	defer func() {
		*f = Family{Ops: f.Ops[:0], Groups: f.Groups[:0]}
		c.scratch.Put(f)
	}()
	req := core.Message{Header: core.Header{Type: unix.GENL_ID_CTRL}, Data: ctrlDumpFamilies[:]}
	for m, err := range c.c.Dump(ctx, req) {
		if err != nil {
			return core.WithOp(err, "genl list families")
		}
		if m.Header.Type != unix.GENL_ID_CTRL {
			continue
		}
		if len(m.Data) < HeaderLen {
			return &core.OpError{Op: "genl list families", Err: &core.ParseError{What: "genlmsghdr", Len: len(m.Data), Want: HeaderLen}}
		}
		if err := f.decode(m.Data[HeaderLen:], &c.intern); err != nil {
			return &core.OpError{Op: "genl list families", Err: err}
		}
		if !fn(f) {
			return nil
		}
	}
	return nil
}

// ctrlDumpFamilies is the payload of a family dump request. The kernel
// only reads it.
var ctrlDumpFamilies = [HeaderLen]byte{unix.CTRL_CMD_GETFAMILY, ctrlVersion}

// Families returns every family the controller knows, in its order (by
// ID). The families share three allocations: the list, and one array
// each for all their ops and all their groups, sized from the last call.
func (c *Conn) Families(ctx context.Context) ([]Family, error) {
	acc := &familyList{
		out:    make([]Family, 0, c.hints.families.Load()),
		ops:    make([]Op, 0, c.hints.ops.Load()),
		groups: make([]Group, 0, c.hints.groups.Load()),
	}
	if err := c.familyDump(ctx, acc.add); err != nil {
		return acc.out, err
	}
	c.hints.families.Store(uint32(min(len(acc.out), 1<<16)))
	c.hints.ops.Store(uint32(min(len(acc.ops), 1<<20)))
	c.hints.groups.Store(uint32(min(len(acc.groups), 1<<16)))
	return acc.out, nil
}

// familyList collects families for Families. It is one value behind a
// pointer so that the loop body, a closure, does not move each of its
// slices to the heap.
type familyList struct {
	out    []Family
	ops    []Op
	groups []Group
}

func (l *familyList) add(f *Family) bool {
	fc := *f
	fc.Ops, fc.Groups = nil, nil
	if len(f.Ops) > 0 {
		o := len(l.ops)
		l.ops = append(l.ops, f.Ops...)
		fc.Ops = l.ops[o:len(l.ops):len(l.ops)]
	}
	if len(f.Groups) > 0 {
		g := len(l.groups)
		l.groups = append(l.groups, f.Groups...)
		fc.Groups = l.groups[g:len(l.groups):len(l.groups)]
	}
	l.out = append(l.out, fc)
	return true
}
