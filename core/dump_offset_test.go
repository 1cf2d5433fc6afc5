package core

import (
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestDescribeOffset(t *testing.T) {
	var e AttrEncoder
	e.Raw(make([]byte, unix.SizeofIfInfomsg))
	e.String(unix.IFLA_IFNAME, "v0")      // at 32
	li := e.NestStart(unix.IFLA_LINKINFO) // at 40
	e.String(unix.IFLA_INFO_KIND, "veth") // at 44
	d := e.NestStart(unix.IFLA_INFO_DATA) // at 56
	e.Uint32(7, 1)                        // at 60
	e.NestEnd(d)
	e.NestEnd(li)
	msg := AppendMessage(nil, Message{Header: Header{Type: unix.RTM_NEWLINK}, Data: e.Bytes()})

	f := &Formatter{Protocol: unix.NETLINK_ROUTE}
	require.Equal(t, "3 (length 3)", f.DescribeOffset(msg, 32))
	require.Equal(t, "18 (length 24)", f.DescribeOffset(msg, 40))
	require.Equal(t, "18 > 1 (length 5)", f.DescribeOffset(msg, 44))
	require.Equal(t, "18 > 2 > 7 (length 4)", f.DescribeOffset(msg, 60))
	require.Equal(t, "family header, byte 4", f.DescribeOffset(msg, 20))
	require.Empty(t, f.DescribeOffset(msg, 34), "inside an attribute header")
	require.Empty(t, f.DescribeOffset(msg, 64), "inside a u32 payload")
	require.Empty(t, f.DescribeOffset(msg, 5), "inside the netlink header")
	require.Empty(t, f.DescribeOffset(msg, len(msg)), "past the end")
	require.Empty(t, f.DescribeOffset(nil, 16))

	named := &Formatter{Protocol: unix.NETLINK_ROUTE, AttrName: func(_ MessageType, p []uint16) string {
		if len(p) == 1 && p[0] == unix.IFLA_LINKINFO {
			return "IFLA_LINKINFO"
		}
		return ""
	}}
	require.Equal(t, "IFLA_LINKINFO > 2 > 7 (length 4)", named.DescribeOffset(msg, 60))

	// A protocol whose family header is unknown: the plain description.
	other := &Formatter{Protocol: 31}
	require.Equal(t, "attribute 3, length 7", other.DescribeOffset(msg, 32))
}

func FuzzDescribeOffset(f *testing.F) {
	var e AttrEncoder
	e.Raw(make([]byte, unix.SizeofIfInfomsg))
	n := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	e.NestEnd(n)
	f.Add(AppendMessage(nil, Message{Header: Header{Type: unix.RTM_NEWLINK}, Data: e.Bytes()}), 36)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, msg []byte, off int) {
		fm := &Formatter{Protocol: unix.NETLINK_ROUTE}
		fm.DescribeOffset(msg, off)
		(&Formatter{Protocol: unix.NETLINK_GENERIC}).DescribeOffset(msg, off)
	})
}
