package genl_test

import (
	"context"
	"errors"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/nlkit/nlkit/genl"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Kernel tests: a real controller, in a namespace of the test's own.

func dialNS(t *testing.T, cfg *core.Config) (*genl.Conn, *core.NetNS) {
	t.Helper()
	ns := nstest.New(t)
	if cfg == nil {
		cfg = &core.Config{}
	}
	cfg.NetNS = ns
	c, err := genl.Dial(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c, ns
}

var (
	genlNameRE  = regexp.MustCompile(`^Name: (\S+)`)
	genlIDRE    = regexp.MustCompile(`ID: (0x[0-9a-f]+)\s+Version: (0x[0-9a-f]+)\s+header size: (\d+)\s+max attribs: (\d+)`)
	genlOpRE    = regexp.MustCompile(`^#\d+:\s+ID-(0x[0-9a-f]+)`)
	genlCapRE   = regexp.MustCompile(`^Capabilities \((0x[0-9a-f]+)\)`)
	genlGroupRE = regexp.MustCompile(`^#\d+:\s+ID-(0x[0-9a-f]+)\s+name: (\S+)`)
)

// parseGenlCtrlList reads `genl ctrl list`: families with their ID,
// version, header size, maximum attribute, ops (with flags where genl
// prints them; -1 when it does not) and groups.
func parseGenlCtrlList(t *testing.T, out string) []genl.Family {
	t.Helper()
	num := func(s string) uint64 {
		v, err := strconv.ParseUint(s, 0, 64)
		require.NoError(t, err, s)
		return v
	}
	var fams []genl.Family
	inGroups := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if m := genlNameRE.FindStringSubmatch(line); m != nil {
			fams = append(fams, genl.Family{Name: m[1]})
			inGroups = false
			continue
		}
		if len(fams) == 0 {
			continue
		}
		f := &fams[len(fams)-1]
		switch {
		case genlIDRE.MatchString(line):
			m := genlIDRE.FindStringSubmatch(line)
			f.ID, f.Version, f.HeaderSize, f.MaxAttr = uint16(num(m[1])), uint32(num(m[2])), uint32(num(m[3])), uint32(num(m[4]))
		case strings.HasPrefix(line, "multicast groups:"):
			inGroups = true
		case inGroups && genlGroupRE.MatchString(line):
			m := genlGroupRE.FindStringSubmatch(line)
			f.Groups = append(f.Groups, genl.Group{ID: uint32(num(m[1])), Name: m[2]})
		case genlOpRE.MatchString(line):
			m := genlOpRE.FindStringSubmatch(line)
			f.Ops = append(f.Ops, genl.Op{ID: uint32(num(m[1])), Flags: ^uint32(0)})
		case genlCapRE.MatchString(line):
			f.Ops[len(f.Ops)-1].Flags = uint32(num(genlCapRE.FindStringSubmatch(line)[1]))
		}
	}
	return fams
}

func TestKernelFamiliesMatchGenlCtrlList(t *testing.T) {
	t.Parallel()
	c, ns := dialNS(t, nil)
	ctx := context.Background()
	want := parseGenlCtrlList(t, nstest.Cmd(t, ns, "genl", "ctrl", "list"))
	require.NotEmpty(t, want)
	got, err := c.Families(ctx)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		require.Equal(t, w.Name, g.Name)
		require.Equal(t, w.ID, g.ID, w.Name)
		require.Equal(t, w.Version, g.Version, w.Name)
		require.Equal(t, w.HeaderSize, g.HeaderSize, w.Name)
		require.Equal(t, w.MaxAttr, g.MaxAttr, w.Name)
		require.Equal(t, w.Groups, g.Groups, w.Name)
		require.Len(t, g.Ops, len(w.Ops), w.Name)
		for j, o := range w.Ops {
			require.Equal(t, o.ID, g.Ops[j].ID, w.Name)
			if o.Flags != ^uint32(0) {
				require.Equal(t, o.Flags, g.Ops[j].Flags, "%s op %d", w.Name, o.ID)
			}
		}
	}

	// By name and by ID, the controller says the same as in the dump.
	for i := range got {
		f, err := c.GetFamily(ctx, got[i].Name)
		require.NoError(t, err)
		require.True(t, got[i].Equal(f), "%s: %v", got[i].Name, got[i].Diff(f))
		f, err = c.FamilyByID(ctx, got[i].ID)
		require.NoError(t, err)
		require.True(t, got[i].Equal(f), "%s: %v", got[i].Name, got[i].Diff(f))
	}
	nl, err := c.Family(ctx, "nlctrl")
	require.NoError(t, err)
	require.Equal(t, uint16(unix.GENL_ID_CTRL), nl.ID)
	g, ok := nl.Group("notify")
	require.True(t, ok)
	require.Equal(t, uint32(genl.CtrlNotifyGroup), g.ID)
}

func TestKernelUnknownFamily(t *testing.T) {
	t.Parallel()
	c, _ := dialNS(t, nil)
	ctx := context.Background()
	_, err := c.Family(ctx, "nosuch")
	require.EqualError(t, err, `genl: family "nosuch" not found`)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorIs(t, err, unix.ENOENT, "the controller's answer is kept")
	_, err = c.Execute(ctx, "nosuch", 1, 0, nil)
	require.EqualError(t, err, `genl: family "nosuch" not found`)
	_, err = c.FamilyByID(ctx, unix.GENL_MAX_ID)
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = c.OpPolicy(ctx, "nosuch", 1)
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestKernelNlctrlPolicy(t *testing.T) {
	t.Parallel()
	c, _ := dialNS(t, nil)
	ctx := context.Background()
	d, err := c.Policy(ctx, "nlctrl")
	require.NoError(t, err)
	require.Equal(t, uint16(unix.GENL_ID_CTRL), d.FamilyID)
	o, ok := d.Op(unix.CTRL_CMD_GETFAMILY)
	require.True(t, ok)
	require.True(t, o.HasDo)
	tb := d.Table(o.Do)
	require.NotNil(t, tb)
	name := tb.Attr(unix.CTRL_ATTR_FAMILY_NAME)
	require.NotNil(t, name)
	require.Equal(t, core.KindNulString, name.Kind)
	require.Equal(t, uint32(unix.GENL_NAMSIZ-1), name.MaxLen)
	id := tb.Attr(unix.CTRL_ATTR_FAMILY_ID)
	require.Equal(t, core.KindU16, id.Kind)
	o, ok = d.Op(unix.CTRL_CMD_GETPOLICY)
	require.True(t, ok)
	require.True(t, o.HasDump)
	require.NotNil(t, d.Table(o.Dump).Attr(unix.CTRL_ATTR_OP))

	// The do policy as a core.Policy: a name too long is refused locally,
	// and the kernel refuses it too.
	p, ok := d.OpCore(unix.CTRL_CMD_GETFAMILY, false, nil)
	require.True(t, ok)
	var e core.AttrEncoder
	e.String(unix.CTRL_ATTR_FAMILY_NAME, "name-of-20-letters--")
	require.EqualError(t, p.Validate(e.Bytes()), "2: string length 20, want at most 15")
	err = c.ExecuteFamily(ctx, nl(t, c), unix.CTRL_CMD_GETFAMILY, 0, e.Bytes(), func(genl.Message) error { return nil })
	require.ErrorIs(t, err, unix.EINVAL, "the kernel's NUL-string length check")
}

func TestKernelEthtoolPolicyRefusedBeforeSend(t *testing.T) {
	t.Parallel()
	var sent atomic.Int64
	cfg := &core.Config{Callbacks: &core.Callbacks{MsgOut: func(m core.Message) core.Action {
		if m.Header.Type != unix.GENL_ID_CTRL {
			sent.Add(1)
		}
		return core.Continue
	}}}
	c, ns := dialNS(t, cfg)
	nstest.Cmd(t, ns, "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
	ctx := context.Background()

	d, err := c.Policy(ctx, "ethtool")
	require.NoError(t, err)
	require.NotEmpty(t, d.Ops)
	require.NotEmpty(t, d.Policies)
	// ETHTOOL_MSG_LINKINFO_GET (1): ETHTOOL_A_LINKINFO_HEADER (1) nests
	// the request header, whose ETHTOOL_A_HEADER_DEV_NAME (2) is a
	// NUL-terminated name.
	o, ok := d.Op(1)
	require.True(t, ok)
	hdr := d.Table(o.Do).Attr(1)
	require.Equal(t, core.KindNested, hdr.Kind)
	require.True(t, hdr.HasNested)
	dev := d.Table(hdr.NestedPolicy).Attr(2)
	require.Equal(t, core.KindNulString, dev.Kind)
	require.NotZero(t, dev.MaxLen)

	c.SetAttrNames("ethtool", func(path []uint16) string {
		switch {
		case len(path) == 1 && path[0] == 1:
			return "ETHTOOL_A_LINKINFO_HEADER"
		case len(path) == 2 && path[1] == 2:
			return "ETHTOOL_A_HEADER_DEV_NAME"
		case len(path) == 2 && path[1] == 3:
			return "ETHTOOL_A_HEADER_FLAGS"
		}
		return ""
	})
	header := func(name string, flags uint32) []byte {
		var e core.AttrEncoder
		n := e.NestStart(1 | core.AttrNested)
		e.String(2, name)
		if flags != 0 {
			e.Uint32(3, flags)
		}
		e.NestEnd(n)
		return e.Bytes()
	}
	// A good request passes and is answered.
	msgs, err := c.ExecuteValidated(ctx, "ethtool", 1, 0, header("veth0", 0))
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, int64(1), sent.Load())

	// Flags outside the header's mask are refused here, unsent.
	_, err = c.ExecuteValidated(ctx, "ethtool", 1, 0, header("veth0", 0x80))
	require.EqualError(t, err, "genl ethtool command 1: policy: ETHTOOL_A_LINKINFO_HEADER > ETHTOOL_A_HEADER_FLAGS: value 0x80 sets bits 0x80 outside mask 0x"+strconv.FormatUint(d.Table(hdr.NestedPolicy).Attr(3).Mask, 16))
	var pe *core.PolicyError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, core.ProblemMask, pe.Problem)
	require.Equal(t, int64(1), sent.Load(), "nothing was sent")
	// So is an unknown attribute in the nested header (its maximum type
	// is known), and a device name too long.
	var e core.AttrEncoder
	n := e.NestStart(1 | core.AttrNested)
	e.Uint32(40, 1)
	e.NestEnd(n)
	_, err = c.ExecuteValidated(ctx, "ethtool", 1, 0, e.Bytes())
	require.ErrorContains(t, err, "ETHTOOL_A_LINKINFO_HEADER: unknown attribute type 40")
	_, err = c.ExecuteValidated(ctx, "ethtool", 1, 0, header(strings.Repeat("x", int(dev.MaxLen)+1), 0))
	require.ErrorContains(t, err, "ETHTOOL_A_HEADER_DEV_NAME: string length")
	require.Equal(t, int64(1), sent.Load(), "nothing was sent")

	// The kernel agrees: sent anyway, the same requests are refused.
	_, err = c.Execute(ctx, "ethtool", 1, 0, header("veth0", 0x80))
	require.ErrorIs(t, err, unix.EINVAL)
	require.Equal(t, int64(2), sent.Load())
}

func TestKernelSubscribeEthtoolMonitor(t *testing.T) {
	t.Parallel()
	c, ns := dialNS(t, nil)
	nstest.Cmd(t, ns, "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := c.Family(ctx, "ethtool")
	require.NoError(t, err)

	ready := make(chan struct{})
	go func() {
		<-ready
		// The subscription's socket joins the group before its loop
		// starts reading; toggling until an event is seen covers the
		// moment in between.
		for i := 0; ctx.Err() == nil; i++ {
			state := []string{"off", "on"}[i%2]
			nstest.CmdErr(ns, "ethtool", "-K", "veth0", "tx-checksumming", state)
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	close(ready)
	var got genl.Message
	for m, err := range c.Subscribe(ctx, "ethtool", "monitor") {
		if errors.Is(err, core.ErrOverrun) {
			continue
		}
		require.NoError(t, err)
		got = m
		break
	}
	cancel()
	require.Equal(t, core.MessageType(f.ID), got.Header.Type)
	g, _ := f.Group("monitor")
	require.Equal(t, g.ID, got.From.Group)
	require.NotEmpty(t, got.Data)
}

func nl(t *testing.T, c *genl.Conn) *genl.Family {
	f, err := c.Family(context.Background(), "nlctrl")
	require.NoError(t, err)
	return f
}
