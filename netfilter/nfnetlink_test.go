package netfilter

import (
	"context"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestMessageType(t *testing.T) {
	mt := MessageType(SubsysConntrackExp, 2)
	require.Equal(t, core.MessageType(0x0202), mt)
	s, m := SplitType(mt)
	require.Equal(t, SubsysConntrackExp, s)
	require.Equal(t, uint8(2), m)
	s, m = SplitType(MessageType(SubsysNFTables, 0x0a))
	require.Equal(t, SubsysNFTables, s)
	require.Equal(t, uint8(0x0a), m)
}

func TestSubsystemString(t *testing.T) {
	require.Equal(t, "ctnetlink", SubsysConntrack.String())
	require.Equal(t, "ulog", SubsysLog.String())
	require.Equal(t, "hook", SubsysHook.String())
	require.Equal(t, "subsys(13)", Subsystem(13).String())
	require.Equal(t, "subsys(255)", Subsystem(255).String())
}

func TestHeader(t *testing.T) {
	b := AppendHeader([]byte{9}, Header{Family: unix.AF_INET6, Version: 1, ResID: 0x1234})
	require.Equal(t, []byte{9, unix.AF_INET6, 1, 0x12, 0x34}, b, "resource ID in network byte order")
	h, rest, err := ParseHeader(append(b[1:], 0xaa, 0xbb))
	require.NoError(t, err)
	require.Equal(t, Header{Family: unix.AF_INET6, Version: 1, ResID: 0x1234}, h)
	require.Equal(t, []byte{0xaa, 0xbb}, rest)
	_, _, err = ParseHeader([]byte{1, 2, 3})
	require.ErrorContains(t, err, "no nfgenmsg")
}

func TestNewRequest(t *testing.T) {
	attrs := []byte{8, 0, 1, 0, 1, 2, 3, 4}
	m := NewRequest(SubsysConntrack, 1, core.FlagDump, Header{Family: unix.AF_INET}, attrs)
	require.Equal(t, MessageType(SubsysConntrack, 1), m.Header.Type)
	require.Equal(t, core.FlagRequest|core.FlagDump, m.Header.Flags)
	require.Equal(t, append([]byte{unix.AF_INET, 0, 0, 0}, attrs...), m.Data)
	attrs[0] = 99
	require.Equal(t, byte(8), m.Data[4], "the request holds its own copy")
}

func TestBatchFraming(t *testing.T) {
	b := BatchBegin(SubsysNFTables)
	require.Equal(t, TypeBatchBegin, b.Header.Type)
	require.Equal(t, []byte{unix.AF_UNSPEC, 0, 0, 10}, b.Data)
	e := BatchEnd(SubsysNFTables)
	require.Equal(t, TypeBatchEnd, e.Header.Type)
	require.Equal(t, []byte{unix.AF_UNSPEC, 0, 0, 10}, e.Data)
	s, _ := SplitType(TypeBatchBegin)
	require.Equal(t, SubsysNone, s)
}

// Dial opens a NETLINK_NETFILTER socket the kernel answers: a conntrack
// global statistics request in a fresh namespace.
func TestDial(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, unix.NETLINK_NETFILTER, c.Protocol())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	msgs, err := c.Execute(ctx, NewRequest(SubsysConntrack, 5, 0, Header{}, nil)) // IPCTNL_MSG_CT_GET_STATS
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	s, _ := SplitType(msgs[0].Header.Type)
	require.Equal(t, SubsysConntrack, s)
	h, _, err := ParseHeader(msgs[0].Data)
	require.NoError(t, err)
	require.Equal(t, uint8(Version), h.Version)

	// An unknown message of a known subsystem: the kernel's error.
	_, err = c.Execute(ctx, NewRequest(SubsysConntrack, 99, 0, Header{}, nil))
	require.ErrorIs(t, err, unix.EINVAL)
}
