// Package genltest is a fake generic netlink kernel for unit tests of code
// built on genl.Conn: a core/nltest kernel speaking NETLINK_GENERIC whose
// controller (nlctrl) knows the families a test registers, answers
// CTRL_CMD_GETFAMILY (by name, by ID, dump) and CTRL_CMD_GETPOLICY as the
// kernel does, and announces families coming and going on its "notify"
// group. Each family's requests go to the handler the test gives.
//
//	k := genltest.New(t)
//	fam := k.Register(genltest.Family{
//		Family: genl.Family{Name: "demo", Version: 1, MaxAttr: 2,
//			Ops:    []genl.Op{{ID: 1, Flags: genl.OpCanDo}},
//			Groups: []genl.Group{{Name: "events"}}},
//		Handler: func(r *genltest.Request) []nltest.Reply {
//			return r.Reply(1, attrs) // genlmsghdr{cmd 1} + attrs, then the ACK
//		},
//	})
//	c := k.Conn() // a *genl.Conn, closed when the test ends
package genltest

import (
	"cmp"
	"slices"
	"sync"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/nlkit/nlkit/genl"
	"golang.org/x/sys/unix"
)

// Request is one request to a fake family: the nltest request and its
// generic netlink header, split out.
type Request struct {
	*nltest.Request
	// Genl is the request's genlmsghdr.
	Genl genl.Header
	// Attrs is the payload after genlmsghdr (the family header, if any,
	// then the attributes).
	Attrs []byte
	// Family is the family as registered.
	Family *genl.Family
}

// Reply answers r with one message of the family (genlmsghdr with cmd and
// the family's version, then attrs) and, when r asked for it, the ACK.
func (r *Request) Reply(cmd uint8, attrs []byte) []nltest.Reply {
	return r.Request.Reply(core.MessageType(r.Family.ID), Payload(cmd, uint8(r.Family.Version), attrs))
}

// Dump answers r with a multipart reply: one message per attrs, each with
// genlmsghdr{cmd}, then NLMSG_DONE.
func (r *Request) Dump(cmd uint8, attrs ...[]byte) []nltest.Reply {
	ps := make([][]byte, len(attrs))
	for i, a := range attrs {
		ps[i] = Payload(cmd, uint8(r.Family.Version), a)
	}
	return r.Request.Dump(core.MessageType(r.Family.ID), ps...)
}

// Payload is genlmsghdr{cmd, version} followed by attrs.
func Payload(cmd, version uint8, attrs []byte) []byte {
	return append([]byte{cmd, version, 0, 0}, attrs...)
}

// Family is a family to register: what the controller says about it, its
// handler, and its policies.
type Family struct {
	genl.Family
	// Handler answers the family's requests; nil answers EOPNOTSUPP.
	Handler func(r *Request) []nltest.Reply
	// Policies are the attribute policies CTRL_CMD_GETPOLICY reports, by
	// command: the same policy for do and dump. Commands listed get
	// genl.OpHasPolicy.
	Policies map[uint32]*core.Policy
}

// Kernel is the fake kernel: an nltest.Kernel with a controller.
type Kernel struct {
	*nltest.Kernel
	t nltest.TB

	mu     sync.Mutex
	fams   map[uint16]*Family
	nextID uint16
	nextGr uint32
}

// New returns a fake kernel whose controller knows nlctrl itself.
func New(t nltest.TB) *Kernel {
	t.Helper()
	k := &Kernel{Kernel: nltest.New(t, unix.NETLINK_GENERIC), t: t, fams: make(map[uint16]*Family), nextID: unix.GENL_START_ALLOC, nextGr: unix.GENL_ID_CTRL + 1}
	ctrl := &Family{Family: genl.Family{
		ID: unix.GENL_ID_CTRL, Name: "nlctrl", Version: 2, MaxAttr: unix.CTRL_ATTR_OP,
		Ops: []genl.Op{
			{ID: unix.CTRL_CMD_GETFAMILY, Flags: genl.OpCanDo | genl.OpCanDump | genl.OpHasPolicy},
			{ID: unix.CTRL_CMD_GETPOLICY, Flags: genl.OpCanDump | genl.OpHasPolicy},
		},
		Groups: []genl.Group{{ID: genl.CtrlNotifyGroup, Name: "notify"}},
	}}
	k.fams[unix.GENL_ID_CTRL] = ctrl
	k.Handle(unix.GENL_ID_CTRL, k.ctrl)
	return k
}

// Conn returns a genl.Conn to the kernel that can open sockets of its own
// (for Subscribe and the family watcher), closed when the test ends.
func (k *Kernel) Conn() *genl.Conn {
	k.t.Helper()
	c := genl.NewConnDialer(k.Dial(nil), func() (*core.Conn, error) {
		s, err := k.Socket(nil)
		if err != nil {
			return nil, err
		}
		return core.NewConn(s, unix.NETLINK_GENERIC, nil), nil
	})
	k.t.Cleanup(func() { c.Close() })
	return c
}

// Register adds f: an ID is assigned when f.ID is 0, group IDs when they
// are 0, OpHasPolicy is set on ops with a policy; the controller
// announces it (CTRL_CMD_NEWFAMILY on "notify"). It returns the family as
// the controller now describes it.
func (k *Kernel) Register(f Family) *genl.Family {
	k.mu.Lock()
	if f.ID == 0 {
		for k.fams[k.nextID] != nil {
			k.nextID++
		}
		f.ID = k.nextID
		k.nextID++
	}
	f.Ops = slices.Clone(f.Ops)
	for i := range f.Ops {
		if f.Policies[f.Ops[i].ID] != nil {
			f.Ops[i].Flags |= genl.OpHasPolicy
		}
	}
	f.Groups = slices.Clone(f.Groups)
	for i := range f.Groups {
		if f.Groups[i].ID == 0 {
			f.Groups[i].ID = k.nextGr
			k.nextGr++
		}
	}
	fp := &f
	k.fams[f.ID] = fp
	k.mu.Unlock()
	k.Handle(core.MessageType(f.ID), func(r *nltest.Request) []nltest.Reply {
		return k.family(fp, r)
	})
	k.Event(genl.CtrlNotifyGroup, core.Message{Header: core.Header{Type: unix.GENL_ID_CTRL}, Data: Payload(unix.CTRL_CMD_NEWFAMILY, 2, AppendFamily(nil, &f.Family))})
	out := f.Family
	return &out
}

// Unregister removes the family called name, as unloading its module
// does: requests to its ID are answered ENOENT from now on, and the
// controller announces it gone (CTRL_CMD_DELFAMILY on "notify"). It
// reports whether there was such a family.
func (k *Kernel) Unregister(name string) bool {
	k.mu.Lock()
	var f *Family
	for _, x := range k.fams {
		if x.Name == name {
			f = x
		}
	}
	if f != nil {
		delete(k.fams, f.ID)
	}
	k.mu.Unlock()
	if f == nil {
		return false
	}
	k.Handle(core.MessageType(f.ID), func(r *nltest.Request) []nltest.Reply {
		return r.Error(unix.ENOENT)
	})
	k.Event(genl.CtrlNotifyGroup, core.Message{Header: core.Header{Type: unix.GENL_ID_CTRL}, Data: Payload(unix.CTRL_CMD_DELFAMILY, 2, AppendFamily(nil, &f.Family))})
	return true
}

// Lookup returns the family registered under name.
func (k *Kernel) Lookup(name string) (*genl.Family, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, x := range k.fams {
		if x.Name == name {
			f := x.Family
			return &f, true
		}
	}
	return nil, false
}

func (k *Kernel) family(f *Family, r *nltest.Request) []nltest.Reply {
	if len(r.Data) < genl.HeaderLen {
		return r.Error(unix.EINVAL, nltest.ExtAck{Message: "genltest: no genlmsghdr"})
	}
	req := &Request{Request: r, Genl: genl.Header{Command: r.Data[0], Version: r.Data[1]}, Attrs: r.Data[genl.HeaderLen:], Family: &f.Family}
	if _, ok := f.Op(uint32(req.Genl.Command)); !ok || f.Handler == nil {
		return r.Error(unix.EOPNOTSUPP)
	}
	return f.Handler(req)
}

// sorted returns the registered families by ID.
func (k *Kernel) sorted() []*Family {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]*Family, 0, len(k.fams))
	for _, f := range k.fams {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b *Family) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// ctrl is the controller: GETFAMILY and GETPOLICY.
func (k *Kernel) ctrl(r *nltest.Request) []nltest.Reply {
	if len(r.Data) < genl.HeaderLen {
		return r.Error(unix.EINVAL)
	}
	cmd := r.Data[0]
	attrs := r.Data[genl.HeaderLen:]
	var name string
	var id uint16
	var op uint32
	hasOp := false
	s := core.ScanAttrs(attrs)
	for s.Next() {
		switch s.Type() {
		case unix.CTRL_ATTR_FAMILY_NAME:
			name = s.String()
		case unix.CTRL_ATTR_FAMILY_ID:
			id = s.Uint16()
		case unix.CTRL_ATTR_OP:
			op, hasOp = s.Uint32(), true
		}
	}
	if s.Err() != nil {
		return r.Error(unix.EINVAL)
	}
	var fam *Family
	for _, f := range k.sorted() {
		if (name != "" && f.Name == name) || (id != 0 && f.ID == id) {
			fam = f
		}
	}
	dump := r.Header.Flags&core.FlagDump == core.FlagDump
	switch cmd {
	case unix.CTRL_CMD_GETFAMILY:
		if dump {
			var ps [][]byte
			for _, f := range k.sorted() {
				ps = append(ps, Payload(unix.CTRL_CMD_NEWFAMILY, 2, AppendFamily(nil, &f.Family)))
			}
			return r.Dump(unix.GENL_ID_CTRL, ps...)
		}
		if name == "" && id == 0 {
			return r.Error(unix.EINVAL, nltest.ExtAck{Message: "missing family name or ID"})
		}
		if fam == nil {
			return r.Error(unix.ENOENT)
		}
		return r.Reply(unix.GENL_ID_CTRL, Payload(unix.CTRL_CMD_NEWFAMILY, 2, AppendFamily(nil, &fam.Family)))
	case unix.CTRL_CMD_GETPOLICY:
		if !dump {
			return r.Error(unix.EOPNOTSUPP)
		}
		if fam == nil {
			return r.Error(unix.ENOENT)
		}
		var msgs [][]byte
		for _, a := range PolicyDump(fam.ID, fam.Ops, fam.Policies, op, hasOp) {
			msgs = append(msgs, Payload(unix.CTRL_CMD_GETPOLICY, 2, a))
		}
		if msgs == nil {
			return r.Error(unix.ENODATA)
		}
		return r.Dump(unix.GENL_ID_CTRL, msgs...)
	}
	return r.Error(unix.EOPNOTSUPP)
}

// AppendFamily appends the controller's attributes about f, as
// CTRL_CMD_NEWFAMILY carries them, to b.
func AppendFamily(b []byte, f *genl.Family) []byte {
	var e core.AttrEncoder
	e.Raw(b)
	e.String(unix.CTRL_ATTR_FAMILY_NAME, f.Name)
	e.Uint16(unix.CTRL_ATTR_FAMILY_ID, f.ID)
	e.Uint32(unix.CTRL_ATTR_VERSION, f.Version)
	e.Uint32(unix.CTRL_ATTR_HDRSIZE, f.HeaderSize)
	e.Uint32(unix.CTRL_ATTR_MAXATTR, f.MaxAttr)
	if len(f.Ops) > 0 {
		n := e.NestStart(unix.CTRL_ATTR_OPS)
		for i, o := range f.Ops {
			m := e.NestStart(uint16(i + 1))
			e.Uint32(unix.CTRL_ATTR_OP_ID, o.ID)
			e.Uint32(unix.CTRL_ATTR_OP_FLAGS, o.Flags)
			e.NestEnd(m)
		}
		e.NestEnd(n)
	}
	if len(f.Groups) > 0 {
		n := e.NestStart(unix.CTRL_ATTR_MCAST_GROUPS)
		for i, g := range f.Groups {
			m := e.NestStart(uint16(i + 1))
			e.Uint32(unix.CTRL_ATTR_MCAST_GRP_ID, g.ID)
			e.String(unix.CTRL_ATTR_MCAST_GRP_NAME, g.Name)
			e.NestEnd(m)
		}
		e.NestEnd(n)
	}
	return e.Bytes()
}
