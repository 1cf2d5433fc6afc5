package core_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"golang.org/x/sys/unix"
)

// ifinfomsg builds the 16-byte struct ifinfomsg.
func ifinfomsg(family uint8, index int32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = family
	binary.NativeEndian.PutUint32(b[4:], uint32(index))
	return b
}

func dialIn(t *testing.T, ns *core.NetNS, cfg *core.Config) *core.Conn {
	t.Helper()
	if cfg == nil {
		cfg = &core.Config{}
	}
	cfg.NetNS = ns
	c, err := core.Dial(unix.NETLINK_ROUTE, cfg)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDumpLinksInNamespace(t *testing.T) {
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1")
	c := dialIn(t, ns, nil)
	var names []string
	for m, err := range c.Dump(context.Background(), core.Message{
		Header: core.Header{Type: unix.RTM_GETLINK},
		Data:   ifinfomsg(unix.AF_UNSPEC, 0),
	}) {
		if err != nil {
			t.Fatalf("dump: %v", err)
		}
		s := core.ScanAttrs(m.Data[unix.SizeofIfInfomsg:])
		for s.Next() {
			if s.Type() == unix.IFLA_IFNAME {
				names = append(names, s.String())
			}
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{"lo": true, "v0": true, "v1": true}
	if len(names) != 3 {
		t.Fatalf("links = %v, want lo, v0, v1", names)
	}
	for _, n := range names {
		if !want[n] {
			t.Fatalf("unexpected link %q in %v", n, names)
		}
	}
}

func TestExecuteErrorCarriesExtAck(t *testing.T) {
	ns := nstest.New(t)
	c := dialIn(t, ns, nil)
	var e core.AttrEncoder
	e.Raw(ifinfomsg(unix.AF_UNSPEC, 0))
	e.String(unix.IFLA_IFNAME, "x0")
	n := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "nosuchkind")
	e.NestEnd(n)
	_, err := c.Execute(context.Background(), core.Message{
		Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagCreate | core.FlagExcl},
		Data:   e.Bytes(),
	})
	var ne *core.Error
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v (%T), want *core.Error", err, err)
	}
	if ne.Errno != unix.EOPNOTSUPP || ne.Message != "Unknown device type" {
		t.Fatalf("err = %#v, want EOPNOTSUPP with \"Unknown device type\"", ne)
	}
	t.Log(err)

	// A link that already exists: EEXIST, seen as fs.ErrExist.
	e.Reset()
	e.Raw(ifinfomsg(unix.AF_UNSPEC, 0))
	e.String(unix.IFLA_IFNAME, "lo")
	n = e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	e.NestEnd(n)
	_, err = c.Execute(context.Background(), core.Message{
		Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagCreate | core.FlagExcl},
		Data:   e.Bytes(),
	})
	if !errors.Is(err, fs.ErrExist) || !errors.Is(err, unix.EEXIST) {
		t.Fatalf("err = %v, want EEXIST / fs.ErrExist", err)
	}
	// Deleting a missing link: ENODEV.
	_, err = c.Execute(context.Background(), core.Message{
		Header: core.Header{Type: unix.RTM_DELLINK},
		Data:   ifinfomsg(unix.AF_UNSPEC, 999),
	})
	if !errors.Is(err, unix.ENODEV) {
		t.Fatalf("err = %v, want ENODEV", err)
	}
}
