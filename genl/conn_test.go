package genl_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/nlkit/nlkit/genl"
	"github.com/nlkit/nlkit/genl/genltest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Attributes and commands of the fake "demo" family.
const (
	demoCmdGet   = 1
	demoCmdSet   = 2
	demoCmdList  = 3
	demoAttrName = 1
	demoAttrMTU  = 2
	demoAttrNest = 3
	demoAttrInNr = 1
)

var demoInner = &core.Policy{Attrs: []core.AttrPolicy{
	demoAttrInNr: {Kind: core.KindU8, UintRange: &core.UintRange{Min: 1, Max: 9}},
}}

var demoPolicy = &core.Policy{Attrs: []core.AttrPolicy{
	demoAttrName: {Kind: core.KindNulString, MaxLen: 15},
	demoAttrMTU:  {Kind: core.KindU32, UintRange: &core.UintRange{Min: 68, Max: 65535}},
	demoAttrNest: {Kind: core.KindNested, Nested: demoInner},
}}

// demoKernel is a fake kernel with the "demo" family: get echoes the name
// it is given, a dump answers three messages, set checks the MTU.
func demoKernel(t *testing.T) (*genltest.Kernel, *genl.Family) {
	k := genltest.New(t)
	f := k.Register(demoFamily(k))
	return k, f
}

func demoFamily(k *genltest.Kernel) genltest.Family {
	return genltest.Family{
		Family: genl.Family{
			Name: "demo", Version: 3, MaxAttr: demoAttrNest,
			Ops: []genl.Op{
				{ID: demoCmdGet, Flags: genl.OpCanDo | genl.OpCanDump},
				{ID: demoCmdSet, Flags: genl.OpCanDo | genl.OpAdminPerm},
				{ID: demoCmdList, Flags: genl.OpCanDump},
			},
			Groups: []genl.Group{{Name: "events"}, {Name: "other"}},
		},
		Policies: map[uint32]*core.Policy{demoCmdGet: demoPolicy, demoCmdSet: demoPolicy, demoCmdList: demoInner},
		Handler: func(r *genltest.Request) []nltest.Reply {
			switch r.Genl.Command {
			case demoCmdGet:
				if r.Header.Flags&core.FlagDump == core.FlagDump {
					var out [][]byte
					for _, n := range []string{"a", "b", "c"} {
						var e core.AttrEncoder
						e.String(demoAttrName, n)
						out = append(out, e.Bytes())
					}
					return r.Dump(demoCmdGet, out...)
				}
				return r.Reply(demoCmdGet, r.Attrs)
			case demoCmdSet:
				return r.Ack()
			}
			return r.Error(unix.EOPNOTSUPP)
		},
	}
}

func nameAttr(name string) []byte {
	var e core.AttrEncoder
	e.String(demoAttrName, name)
	return e.Bytes()
}

func TestFakeFamilyResolveAndExecute(t *testing.T) {
	k, f := demoKernel(t)
	c := k.Conn()
	ctx := context.Background()

	got, err := c.Family(ctx, "demo")
	require.NoError(t, err)
	require.True(t, f.Equal(got), "diff %v", f.Diff(got))
	require.Equal(t, uint32(genl.OpCanDo|genl.OpCanDump|genl.OpHasPolicy), got.Ops[0].Flags)
	g, ok := got.Group("events")
	require.True(t, ok)
	require.NotZero(t, g.ID)

	msgs, err := c.Execute(ctx, "demo", demoCmdGet, 0, nameAttr("eth0"))
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, genl.Header{Command: demoCmdGet, Version: 3}, msgs[0].Genl)
	s := core.ScanAttrs(msgs[0].Data)
	require.True(t, s.Next())
	require.Equal(t, "eth0", s.String())

	// The request carried the family's ID, the command and its version.
	last := k.LastRequest()
	require.Equal(t, core.MessageType(f.ID), last.Header.Type)
	require.Equal(t, []byte{demoCmdGet, 3, 0, 0}, last.Data[:4])

	// The family was resolved once: later calls by name cost no request
	// to the controller.
	ctrl := 0
	for _, r := range k.Requests() {
		if r.Header.Type == unix.GENL_ID_CTRL {
			ctrl++
		}
	}
	require.Equal(t, 1, ctrl)
	_, err = c.Family(ctx, "demo")
	require.NoError(t, err)
	require.Len(t, k.Requests(), 2)

	var names []string
	for m, err := range c.Dump(ctx, "demo", demoCmdGet, nil) {
		require.NoError(t, err)
		s := core.ScanAttrs(m.Data)
		for s.Next() {
			names = append(names, s.String())
		}
	}
	require.Equal(t, []string{"a", "b", "c"}, names)
}

func TestUnknownFamily(t *testing.T) {
	k, _ := demoKernel(t)
	c := k.Conn()
	ctx := context.Background()
	_, err := c.Family(ctx, "nosuch")
	require.EqualError(t, err, `genl: family "nosuch" not found`)
	require.ErrorIs(t, err, fs.ErrNotExist)
	var nf *genl.FamilyNotFoundError
	require.ErrorAs(t, err, &nf)
	require.Equal(t, "nosuch", nf.Name)

	_, err = c.Execute(ctx, "nosuch", 1, 0, nil)
	require.EqualError(t, err, `genl: family "nosuch" not found`)
	for _, err := range c.Dump(ctx, "nosuch", 1, nil) {
		require.ErrorIs(t, err, fs.ErrNotExist)
	}
	// A name too long for the kernel is not asked about.
	n := len(k.Requests())
	_, err = c.Family(ctx, "a-name-far-too-long-for-genl")
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Len(t, k.Requests(), n)
}

func TestFamilyListAndByID(t *testing.T) {
	k, f := demoKernel(t)
	c := k.Conn()
	ctx := context.Background()
	fams, err := c.Families(ctx)
	require.NoError(t, err)
	require.Len(t, fams, 2)
	require.Equal(t, "nlctrl", fams[0].Name)
	require.Equal(t, uint16(unix.GENL_ID_CTRL), fams[0].ID)
	require.True(t, f.Equal(&fams[1]))

	byID, err := c.FamilyByID(ctx, f.ID)
	require.NoError(t, err)
	require.True(t, f.Equal(byID))
	_, err = c.FamilyByID(ctx, 999)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.EqualError(t, err, "genl: family ID 999 not found")
}

// waitUntil polls cond for up to two seconds.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(time.Millisecond)
	}
}

func ctrlRequests(k *genltest.Kernel) int {
	n := 0
	for _, r := range k.Requests() {
		if r.Header.Type == unix.GENL_ID_CTRL {
			n++
		}
	}
	return n
}

func TestDelFamilyForgets(t *testing.T) {
	k, f := demoKernel(t)
	c := k.Conn()
	ctx := context.Background()
	_, err := c.Execute(ctx, "demo", demoCmdGet, 0, nil)
	require.NoError(t, err)
	require.Equal(t, 1, ctrlRequests(k))

	// The module goes away and comes back under another ID: the
	// watcher hears CTRL_CMD_DELFAMILY and the next call resolves again.
	require.True(t, k.Unregister("demo"))
	waitUntil(t, func() bool { return !genl.Cached(c, "demo") })
	f2 := k.Register(demoFamily(k))
	require.NotEqual(t, f.ID, f2.ID)
	_, err = c.Execute(ctx, "demo", demoCmdGet, 0, nil)
	require.NoError(t, err)
	require.Equal(t, 2, ctrlRequests(k))
	require.Equal(t, core.MessageType(f2.ID), k.LastRequest().Header.Type)

	// Gone for good: the name is not found.
	require.True(t, k.Unregister("demo"))
	waitUntil(t, func() bool { return !genl.Cached(c, "demo") })
	_, err = c.Execute(ctx, "demo", demoCmdGet, 0, nil)
	require.EqualError(t, err, `genl: family "demo" not found`)
}

func TestStaleIDRetried(t *testing.T) {
	k, f := demoKernel(t)
	// A Conn without a watcher: only the stale-ID retry helps.
	c := genl.NewConn(k.Dial(nil))
	ctx := context.Background()
	_, err := c.Execute(ctx, "demo", demoCmdGet, 0, nil)
	require.NoError(t, err)

	k.Unregister("demo")
	f2 := k.Register(demoFamily(k))
	k.ResetRequests()
	msgs, err := c.Execute(ctx, "demo", demoCmdGet, 0, nameAttr("x"))
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	reqs := k.Requests()
	require.Len(t, reqs, 3, "stale request, GETFAMILY, retried request")
	require.Equal(t, core.MessageType(f.ID), reqs[0].Header.Type)
	require.Equal(t, core.MessageType(unix.GENL_ID_CTRL), reqs[1].Header.Type)
	require.Equal(t, core.MessageType(f2.ID), reqs[2].Header.Type)

	// Dump is retried the same way.
	k.Unregister("demo")
	f3 := k.Register(demoFamily(k))
	n := 0
	for _, err := range c.Dump(ctx, "demo", demoCmdGet, nil) {
		require.NoError(t, err)
		n++
	}
	require.Equal(t, 3, n)
	require.Equal(t, core.MessageType(f3.ID), k.LastRequest().Header.Type)

	// An EINVAL that is the request's own fault (the ID did not change)
	// is returned after one check, not retried.
	k.ResetRequests()
	fam, _ := k.Lookup("demo")
	k.Handle(core.MessageType(fam.ID), func(r *nltest.Request) []nltest.Reply {
		return r.Error(unix.EINVAL, nltest.ExtAck{Message: "bad thing"})
	})
	_, err = c.Execute(ctx, "demo", demoCmdSet, 0, nil)
	require.ErrorIs(t, err, unix.EINVAL)
	require.ErrorContains(t, err, "genl demo command 2: invalid argument: bad thing")
	require.Len(t, k.Requests(), 2, "request, GETFAMILY, no retry")
	require.NoError(t, c.Close())
}

func TestSubscribe(t *testing.T) {
	k, f := demoKernel(t)
	c := k.Conn()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	g, _ := f.Group("events")
	for _, err := range c.Subscribe(ctx, "demo", "nosuch") {
		require.ErrorIs(t, err, fs.ErrNotExist)
		require.EqualError(t, err, `genl: family "demo" has no multicast group "nosuch"`)
	}
	go func() {
		// Wait for the subscription (and the family watcher) to block.
		for k.Blocked() < 2 {
			time.Sleep(time.Millisecond)
		}
		k.Event(g.ID, core.Message{Header: core.Header{Type: core.MessageType(f.ID)}, Data: genltest.Payload(7, 3, nameAttr("ev1"))})
		k.Overrun()
		k.Event(g.ID, core.Message{Header: core.Header{Type: core.MessageType(f.ID)}, Data: genltest.Payload(7, 3, nameAttr("ev2"))})
	}()
	var got []string
	overruns := 0
	for m, err := range c.Subscribe(ctx, "demo", "events") {
		if errors.Is(err, core.ErrOverrun) {
			overruns++
			continue
		}
		require.NoError(t, err)
		require.Equal(t, uint8(7), m.Genl.Command)
		s := core.ScanAttrs(m.Data)
		for s.Next() {
			got = append(got, s.String())
		}
		if len(got) == 2 {
			break
		}
	}
	require.Equal(t, []string{"ev1", "ev2"}, got)
	require.Equal(t, 1, overruns)

	plain := genl.NewConn(k.Dial(nil))
	for _, err := range plain.Subscribe(ctx, "demo", "events") {
		require.ErrorIs(t, err, genl.ErrNoDialer)
	}
}

func TestFamilyMarshal(t *testing.T) {
	b, err := (&genl.Family{Name: "ethtool"}).Marshal(nil)
	require.NoError(t, err)
	require.Equal(t, []byte{unix.CTRL_CMD_GETFAMILY, 2, 0, 0, 12, 0, unix.CTRL_ATTR_FAMILY_NAME, 0, 'e', 't', 'h', 't', 'o', 'o', 'l', 0}, b)
	var f genl.Family
	b, err = (&genl.Family{ID: 0x15}).Marshal(nil)
	require.NoError(t, err)
	require.Equal(t, []byte{unix.CTRL_CMD_GETFAMILY, 2, 0, 0, 6, 0, unix.CTRL_ATTR_FAMILY_ID, 0, 0x15, 0, 0, 0}, b)
	_, err = (&genl.Family{Name: "a-name-far-too-long"}).Marshal(nil)
	require.EqualError(t, err, `genl: family name "a-name-far-too-long" is longer than 15 bytes`)

	// Unmarshal reads what the controller sends, and an error changes
	// nothing.
	want := genl.Family{ID: 20, Name: "demo", Version: 1, MaxAttr: 4,
		Ops:    []genl.Op{{ID: 1, Flags: genl.OpCanDo}},
		Groups: []genl.Group{{ID: 5, Name: "events"}}}
	require.NoError(t, f.Unmarshal(genltest.Payload(unix.CTRL_CMD_NEWFAMILY, 2, genltest.AppendFamily(nil, &want))))
	require.True(t, want.Equal(&f), "%v", want.Diff(&f))
	require.Empty(t, want.Diff(&f))
	require.Equal(t, "demo id 20 version 1 hdrsize 0 maxattr 4 ops 1 groups events(5)", f.String())
	require.Error(t, f.Unmarshal([]byte{1, 2, 0, 0, 4, 0}))
	require.True(t, want.Equal(&f))
	o := f
	o.Version = 2
	o.Groups = nil
	require.Equal(t, []string{"Version", "Groups"}, f.Diff(&o))
	require.Equal(t, "admin-perm,do,dump,has-policy,0x100", genl.OpFlagsString(genl.OpCanDo|genl.OpCanDump|genl.OpHasPolicy|genl.OpAdminPerm|0x100))
	require.Equal(t, "none", genl.OpFlagsString(0))
}

func TestCloseStopsWatcher(t *testing.T) {
	nstest.CheckLeaks(t) // not parallel: it counts the process's goroutines
	k := genltest.New(t)
	k.Register(demoFamily(k))
	c := genl.NewConnDialer(k.Dial(nil), func() (*core.Conn, error) {
		s, err := k.Socket(nil)
		if err != nil {
			return nil, err
		}
		return core.NewConn(s, unix.NETLINK_GENERIC, nil), nil
	})
	_, err := c.Family(context.Background(), "demo")
	require.NoError(t, err)
	waitUntil(t, func() bool { return k.Blocked() == 1 }) // the watcher
	require.NoError(t, c.Close())
	require.Zero(t, k.Blocked())
	_, err = c.Execute(context.Background(), "demo", demoCmdGet, 0, nil)
	require.ErrorIs(t, err, core.ErrClosed)
}

func TestShortReply(t *testing.T) {
	k := genltest.New(t)
	f := k.Register(genltest.Family{
		Family: genl.Family{Name: "short", Version: 1, HeaderSize: 4, Ops: []genl.Op{{ID: 1, Flags: genl.OpCanDo}}},
		Handler: func(r *genltest.Request) []nltest.Reply {
			// A genlmsghdr but only half the family header.
			return r.Request.Reply(core.MessageType(r.Family.ID), []byte{1, 1, 0, 0, 9, 9})
		},
	})
	c := k.Conn()
	_, err := c.Execute(context.Background(), "short", 1, 0, []byte{0, 0, 0, 0})
	var pe *core.ParseError
	require.ErrorAs(t, err, &pe)
	require.ErrorContains(t, err, "genlmsghdr and family header")
	require.Equal(t, core.MessageType(f.ID), k.LastRequest().Header.Type)
	// The family header goes out at the start of attrs, and comes back
	// split from the attributes.
	k.Register(genltest.Family{
		Family: genl.Family{Name: "hdr", Version: 1, HeaderSize: 4, Ops: []genl.Op{{ID: 1, Flags: genl.OpCanDo}}},
		Handler: func(r *genltest.Request) []nltest.Reply {
			return r.Reply(1, r.Attrs)
		},
	})
	msgs, err := c.Execute(context.Background(), "hdr", 1, 0, append([]byte{7, 0, 0, 0}, nameAttr("x")...))
	require.NoError(t, err)
	require.Equal(t, []byte{7, 0, 0, 0}, msgs[0].FamilyHeader)
	require.Equal(t, nameAttr("x"), msgs[0].Data)
}
