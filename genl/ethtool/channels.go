package ethtool

import (
	"fmt"
	"strings"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Channels is what ETHTOOL_MSG_CHANNELS_GET says of a device's channels
// (queues with their interrupts; ethtool -l): the maximums and the current
// counts of receive-only, transmit-only, other and combined channels. A
// maximum of 0 means the kind is not supported ("n/a").
type Channels struct {
	// Dev is the device.
	Dev Device `json:"dev"`
	// RXMax, TXMax, OtherMax and CombinedMax are the largest counts.
	RXMax       uint32 `json:"rx_max"`
	TXMax       uint32 `json:"tx_max"`
	OtherMax    uint32 `json:"other_max"`
	CombinedMax uint32 `json:"combined_max"`
	// RX, TX, Other and Combined are the current counts.
	RX       uint32 `json:"rx"`
	TX       uint32 `json:"tx"`
	Other    uint32 `json:"other"`
	Combined uint32 `json:"combined"`
}

// Unmarshal decodes a CHANNELS message payload: genlmsghdr, then
// attributes.
func (c *Channels) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return c.unmarshalAttrs(a)
}

func (c *Channels) unmarshalAttrs(data []byte) error {
	*c = Channels{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.ETHTOOL_A_CHANNELS_HEADER:
			s.Fail(c.Dev.unmarshalHeader(s.Bytes()))
		case unix.ETHTOOL_A_CHANNELS_RX_MAX:
			c.RXMax = s.Uint32()
		case unix.ETHTOOL_A_CHANNELS_TX_MAX:
			c.TXMax = s.Uint32()
		case unix.ETHTOOL_A_CHANNELS_OTHER_MAX:
			c.OtherMax = s.Uint32()
		case unix.ETHTOOL_A_CHANNELS_COMBINED_MAX:
			c.CombinedMax = s.Uint32()
		case unix.ETHTOOL_A_CHANNELS_RX_COUNT:
			c.RX = s.Uint32()
		case unix.ETHTOOL_A_CHANNELS_TX_COUNT:
			c.TX = s.Uint32()
		case unix.ETHTOOL_A_CHANNELS_OTHER_COUNT:
			c.Other = s.Uint32()
		case unix.ETHTOOL_A_CHANNELS_COMBINED_COUNT:
			c.Combined = s.Uint32()
		}
	}
	return s.Err()
}

// Marshal appends a CHANNELS_SET request for c.Dev carrying the counts of
// the kinds the device supports (maximum not 0) or that are not 0, so a
// Channels read from the kernel and changed sets just what changed.
func (c *Channels) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw(genlHeader(b, unix.ETHTOOL_MSG_CHANNELS_SET))
	if err := c.encodeSet(&e); err != nil {
		return b, err
	}
	return e.Bytes(), nil
}

// encodeSet appends the attributes of a CHANNELS_SET request.
func (c *Channels) encodeSet(e *core.AttrEncoder) error {
	if err := appendHeader(e, unix.ETHTOOL_A_CHANNELS_HEADER, c.Dev, 0); err != nil {
		return err
	}
	for _, v := range []struct {
		typ      uint16
		cur, max uint32
	}{
		{unix.ETHTOOL_A_CHANNELS_RX_COUNT, c.RX, c.RXMax},
		{unix.ETHTOOL_A_CHANNELS_TX_COUNT, c.TX, c.TXMax},
		{unix.ETHTOOL_A_CHANNELS_OTHER_COUNT, c.Other, c.OtherMax},
		{unix.ETHTOOL_A_CHANNELS_COMBINED_COUNT, c.Combined, c.CombinedMax},
	} {
		if v.max != 0 || v.cur != 0 {
			e.Uint32(v.typ, v.cur)
		}
	}
	return nil
}

// Equal reports whether c and o are the same.
func (c *Channels) Equal(o *Channels) bool { return *c == *o }

// Diff names the fields that differ.
func (c *Channels) Diff(o *Channels) []string {
	var d diffs
	d.add("dev", c.Dev != o.Dev)
	d.add("rx_max", c.RXMax != o.RXMax)
	d.add("tx_max", c.TXMax != o.TXMax)
	d.add("other_max", c.OtherMax != o.OtherMax)
	d.add("combined_max", c.CombinedMax != o.CombinedMax)
	d.add("rx", c.RX != o.RX)
	d.add("tx", c.TX != o.TX)
	d.add("other", c.Other != o.Other)
	d.add("combined", c.Combined != o.Combined)
	return d
}

// String prints one line: "veth0 rx 4/4 tx 4/4 other n/a combined n/a"
// (current/maximum).
func (c *Channels) String() string {
	var s strings.Builder
	s.WriteString(c.Dev.String())
	for _, v := range []struct {
		name     string
		cur, max uint32
	}{{"rx", c.RX, c.RXMax}, {"tx", c.TX, c.TXMax}, {"other", c.Other, c.OtherMax}, {"combined", c.Combined, c.CombinedMax}} {
		if v.max == 0 {
			fmt.Fprintf(&s, " %s n/a", v.name)
			continue
		}
		fmt.Fprintf(&s, " %s %d/%d", v.name, v.cur, v.max)
	}
	return s.String()
}
