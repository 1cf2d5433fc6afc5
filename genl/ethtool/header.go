package ethtool

import (
	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// The family, as the kernel registers it (linux/ethtool_netlink.h).
const (
	// FamilyName is the generic netlink family name.
	FamilyName = unix.ETHTOOL_GENL_NAME
	// FamilyVersion is the interface version requests carry.
	FamilyVersion = unix.ETHTOOL_GENL_VERSION
	// MonitorGroup is the multicast group of the notifications.
	MonitorGroup = unix.ETHTOOL_MCGRP_MONITOR_NAME
)

// Request header flags (ETHTOOL_A_HEADER_FLAGS).
const (
	// FlagCompactBitsets asks for bit sets in the compact form.
	FlagCompactBitsets = unix.ETHTOOL_FLAG_COMPACT_BITSETS
	// FlagOmitReply asks a SET request not to reply with what changed.
	FlagOmitReply = unix.ETHTOOL_FLAG_OMIT_REPLY
	// FlagStats asks for statistics along with the reply.
	FlagStats = unix.ETHTOOL_FLAG_STATS
)

// String set IDs (enum ethtool_stringset, linux/ethtool.h) this package
// uses; StringSet takes any.
const (
	// StringSetFeatures names the netdev features (ETH_SS_FEATURES).
	StringSetFeatures = 4
	// StringSetLinkModes names the link modes (ETH_SS_LINK_MODES).
	StringSetLinkModes = 9
)

// ethtoolHeaderAttr is the attribute type every request and reply of this
// package carries its header in: ETHTOOL_A_*_HEADER is 1 in each.
const ethtoolHeaderAttr = 1

// Device names the network device a request is about or a reply came
// from (the ETHTOOL_A_HEADER_* nest).
type Device struct {
	// Index is the interface index.
	Index uint32 `json:"ifindex"`
	// Name is the interface name.
	Name string `json:"ifname"`
}

// String is the name, or "ifindex N".
func (d Device) String() string {
	if d.Name != "" {
		return d.Name
	}
	return "ifindex " + itoa(uint64(d.Index))
}

// appendHeader appends a request header nest of type typ naming dev (by
// name, or by index when the name is empty) with flags.
func appendHeader(e *core.AttrEncoder, typ uint16, dev Device, flags uint32) error {
	n := e.NestStart(typ | core.AttrNested)
	if dev.Index != 0 {
		e.Uint32(unix.ETHTOOL_A_HEADER_DEV_INDEX, dev.Index)
	}
	if dev.Name != "" {
		e.String(unix.ETHTOOL_A_HEADER_DEV_NAME, dev.Name)
	}
	if flags != 0 {
		e.Uint32(unix.ETHTOOL_A_HEADER_FLAGS, flags)
	}
	return e.NestEnd(n)
}

// unmarshalHeader reads a reply's header nest.
func (d *Device) unmarshalHeader(data []byte) error {
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.ETHTOOL_A_HEADER_DEV_INDEX:
			d.Index = s.Uint32()
		case unix.ETHTOOL_A_HEADER_DEV_NAME:
			d.Name = s.String()
		}
	}
	return s.Err()
}

// genlHeader is the genlmsghdr Marshal writes: command, version, reserved.
func genlHeader(b []byte, cmd uint8) []byte {
	return append(b, cmd, FamilyVersion, 0, 0)
}

// skipGenl strips the genlmsghdr from a message payload for Unmarshal.
func skipGenl(data []byte) ([]byte, error) {
	if len(data) < 4 {
		return nil, &core.ParseError{What: "genlmsghdr", Len: len(data), Want: 4}
	}
	return data[4:], nil
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return string(b[i:])
}

// diffs collects the names of the fields that differ.
type diffs []string

func (d *diffs) add(name string, differ bool) {
	if differ {
		*d = append(*d, name)
	}
}
