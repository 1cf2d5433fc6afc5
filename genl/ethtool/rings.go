package ethtool

import (
	"fmt"
	"strings"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Rings is what ETHTOOL_MSG_RINGS_GET says of a device's DMA ring sizes
// (ethtool -g): the maximums and the current sizes. The kernel leaves out
// the values a driver does not report; they read 0 here ("n/a").
type Rings struct {
	// Dev is the device.
	Dev Device `json:"dev"`
	// RXMax, RXMiniMax, RXJumboMax and TXMax are the largest sizes.
	RXMax      uint32 `json:"rx_max,omitempty"`
	RXMiniMax  uint32 `json:"rx_mini_max,omitempty"`
	RXJumboMax uint32 `json:"rx_jumbo_max,omitempty"`
	TXMax      uint32 `json:"tx_max,omitempty"`
	// RX, RXMini, RXJumbo and TX are the current sizes.
	RX      uint32 `json:"rx,omitempty"`
	RXMini  uint32 `json:"rx_mini,omitempty"`
	RXJumbo uint32 `json:"rx_jumbo,omitempty"`
	TX      uint32 `json:"tx,omitempty"`
	// RXBufLen is the size of the receive buffers.
	RXBufLen uint32 `json:"rx_buf_len,omitempty"`
	// TCPDataSplit is ETHTOOL_TCP_DATA_SPLIT_* (0 unknown, 1 off, 2 on).
	TCPDataSplit uint8 `json:"tcp_data_split,omitempty"`
	// CQESize is the completion queue entry size.
	CQESize uint32 `json:"cqe_size,omitempty"`
	// TXPush and RXPush are the push modes (0 off, 1 on).
	TXPush uint8 `json:"tx_push,omitempty"`
	RXPush uint8 `json:"rx_push,omitempty"`
	// TXPushBufLen and its maximum are the TX push buffer sizes.
	TXPushBufLen    uint32 `json:"tx_push_buf_len,omitempty"`
	TXPushBufLenMax uint32 `json:"tx_push_buf_len_max,omitempty"`
	// HDSThresh and its maximum are the header/data split threshold.
	HDSThresh    uint32 `json:"hds_thresh,omitempty"`
	HDSThreshMax uint32 `json:"hds_thresh_max,omitempty"`
}

// Unmarshal decodes a RINGS message payload: genlmsghdr, then
// attributes.
func (r *Rings) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return r.unmarshalAttrs(a)
}

func (r *Rings) unmarshalAttrs(data []byte) error {
	*r = Rings{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.ETHTOOL_A_RINGS_HEADER:
			s.Fail(r.Dev.unmarshalHeader(s.Bytes()))
		case unix.ETHTOOL_A_RINGS_RX_MAX:
			r.RXMax = s.Uint32()
		case unix.ETHTOOL_A_RINGS_RX_MINI_MAX:
			r.RXMiniMax = s.Uint32()
		case unix.ETHTOOL_A_RINGS_RX_JUMBO_MAX:
			r.RXJumboMax = s.Uint32()
		case unix.ETHTOOL_A_RINGS_TX_MAX:
			r.TXMax = s.Uint32()
		case unix.ETHTOOL_A_RINGS_RX:
			r.RX = s.Uint32()
		case unix.ETHTOOL_A_RINGS_RX_MINI:
			r.RXMini = s.Uint32()
		case unix.ETHTOOL_A_RINGS_RX_JUMBO:
			r.RXJumbo = s.Uint32()
		case unix.ETHTOOL_A_RINGS_TX:
			r.TX = s.Uint32()
		case unix.ETHTOOL_A_RINGS_RX_BUF_LEN:
			r.RXBufLen = s.Uint32()
		case unix.ETHTOOL_A_RINGS_TCP_DATA_SPLIT:
			r.TCPDataSplit = s.Uint8()
		case unix.ETHTOOL_A_RINGS_CQE_SIZE:
			r.CQESize = s.Uint32()
		case unix.ETHTOOL_A_RINGS_TX_PUSH:
			r.TXPush = s.Uint8()
		case unix.ETHTOOL_A_RINGS_RX_PUSH:
			r.RXPush = s.Uint8()
		case unix.ETHTOOL_A_RINGS_TX_PUSH_BUF_LEN:
			r.TXPushBufLen = s.Uint32()
		case unix.ETHTOOL_A_RINGS_TX_PUSH_BUF_LEN_MAX:
			r.TXPushBufLenMax = s.Uint32()
		case unix.ETHTOOL_A_RINGS_HDS_THRESH:
			r.HDSThresh = s.Uint32()
		case unix.ETHTOOL_A_RINGS_HDS_THRESH_MAX:
			r.HDSThreshMax = s.Uint32()
		}
	}
	return s.Err()
}

// Marshal appends a RINGS_SET request for r.Dev. It carries the four ring
// sizes and, of the other settings, those that are not zero: a driver
// refuses a setting it does not support even when it is zero.
func (r *Rings) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw(genlHeader(b, unix.ETHTOOL_MSG_RINGS_SET))
	if err := r.encodeSet(&e); err != nil {
		return b, err
	}
	return e.Bytes(), nil
}

// encodeSet appends the attributes of a RINGS_SET request.
func (r *Rings) encodeSet(e *core.AttrEncoder) error {
	if err := appendHeader(e, unix.ETHTOOL_A_RINGS_HEADER, r.Dev, 0); err != nil {
		return err
	}
	e.Uint32(unix.ETHTOOL_A_RINGS_RX, r.RX)
	e.Uint32(unix.ETHTOOL_A_RINGS_RX_MINI, r.RXMini)
	e.Uint32(unix.ETHTOOL_A_RINGS_RX_JUMBO, r.RXJumbo)
	e.Uint32(unix.ETHTOOL_A_RINGS_TX, r.TX)
	for _, v := range []struct {
		typ uint16
		val uint32
	}{
		{unix.ETHTOOL_A_RINGS_RX_BUF_LEN, r.RXBufLen},
		{unix.ETHTOOL_A_RINGS_CQE_SIZE, r.CQESize},
		{unix.ETHTOOL_A_RINGS_TX_PUSH_BUF_LEN, r.TXPushBufLen},
		{unix.ETHTOOL_A_RINGS_HDS_THRESH, r.HDSThresh},
	} {
		if v.val != 0 {
			e.Uint32(v.typ, v.val)
		}
	}
	if r.TCPDataSplit != 0 {
		e.Uint8(unix.ETHTOOL_A_RINGS_TCP_DATA_SPLIT, r.TCPDataSplit)
	}
	if r.TXPush != 0 {
		e.Uint8(unix.ETHTOOL_A_RINGS_TX_PUSH, r.TXPush)
	}
	if r.RXPush != 0 {
		e.Uint8(unix.ETHTOOL_A_RINGS_RX_PUSH, r.RXPush)
	}
	return nil
}

// Equal reports whether r and o are the same.
func (r *Rings) Equal(o *Rings) bool { return *r == *o }

// Diff names the fields that differ.
func (r *Rings) Diff(o *Rings) []string {
	var d diffs
	d.add("dev", r.Dev != o.Dev)
	d.add("rx_max", r.RXMax != o.RXMax)
	d.add("rx_mini_max", r.RXMiniMax != o.RXMiniMax)
	d.add("rx_jumbo_max", r.RXJumboMax != o.RXJumboMax)
	d.add("tx_max", r.TXMax != o.TXMax)
	d.add("rx", r.RX != o.RX)
	d.add("rx_mini", r.RXMini != o.RXMini)
	d.add("rx_jumbo", r.RXJumbo != o.RXJumbo)
	d.add("tx", r.TX != o.TX)
	d.add("rx_buf_len", r.RXBufLen != o.RXBufLen)
	d.add("tcp_data_split", r.TCPDataSplit != o.TCPDataSplit)
	d.add("cqe_size", r.CQESize != o.CQESize)
	d.add("tx_push", r.TXPush != o.TXPush)
	d.add("rx_push", r.RXPush != o.RXPush)
	d.add("tx_push_buf_len", r.TXPushBufLen != o.TXPushBufLen)
	d.add("tx_push_buf_len_max", r.TXPushBufLenMax != o.TXPushBufLenMax)
	d.add("hds_thresh", r.HDSThresh != o.HDSThresh)
	d.add("hds_thresh_max", r.HDSThreshMax != o.HDSThreshMax)
	return d
}

// String prints one line: "eth0 rx 512/4096 rx-mini n/a rx-jumbo n/a tx
// 512/4096" (current/maximum).
func (r *Rings) String() string {
	var s strings.Builder
	s.WriteString(r.Dev.String())
	for _, v := range []struct {
		name     string
		cur, max uint32
	}{{"rx", r.RX, r.RXMax}, {"rx-mini", r.RXMini, r.RXMiniMax}, {"rx-jumbo", r.RXJumbo, r.RXJumboMax}, {"tx", r.TX, r.TXMax}} {
		if v.max == 0 && v.cur == 0 {
			fmt.Fprintf(&s, " %s n/a", v.name)
			continue
		}
		fmt.Fprintf(&s, " %s %d/%d", v.name, v.cur, v.max)
	}
	if r.RXBufLen != 0 {
		fmt.Fprintf(&s, " rx-buf-len %d", r.RXBufLen)
	}
	if r.CQESize != 0 {
		fmt.Fprintf(&s, " cqe-size %d", r.CQESize)
	}
	return s.String()
}
