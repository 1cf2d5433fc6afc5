package netfilter

import (
	"encoding/binary"
	"fmt"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Subsystem is an nfnetlink subsystem: the high byte of a message type.
type Subsystem uint8

// The nfnetlink subsystems (NFNL_SUBSYS_*).
const (
	SubsysNone         Subsystem = 0
	SubsysConntrack    Subsystem = 1
	SubsysConntrackExp Subsystem = 2
	SubsysQueue        Subsystem = 3
	SubsysLog          Subsystem = 4 // NFNL_SUBSYS_ULOG: NFLOG
	SubsysOSF          Subsystem = 5
	SubsysIPSet        Subsystem = 6
	SubsysAcct         Subsystem = 7
	SubsysCTTimeout    Subsystem = 8
	SubsysCTHelper     Subsystem = 9
	SubsysNFTables     Subsystem = 10
	SubsysNFTCompat    Subsystem = 11
	SubsysHook         Subsystem = 12
	subsysCount        Subsystem = 13
)

var subsysNames = [...]string{
	"none", "ctnetlink", "ctnetlink_exp", "queue", "ulog", "osf", "ipset",
	"acct", "cttimeout", "cthelper", "nftables", "nft_compat", "hook",
}

// String names the subsystem the way the kernel's headers do.
func (s Subsystem) String() string {
	if s < subsysCount {
		return subsysNames[s]
	}
	return fmt.Sprintf("subsys(%d)", uint8(s))
}

// Version is the only nfgenmsg version there is (NFNETLINK_V0).
const Version = 0

// Batch message types (NFNL_MSG_BATCH_BEGIN/END): they frame a
// transaction for subsystems that take batches (nftables).
const (
	TypeBatchBegin core.MessageType = unix.NLMSG_MIN_TYPE
	TypeBatchEnd   core.MessageType = unix.NLMSG_MIN_TYPE + 1
)

// MessageType joins a subsystem and its message number into a netlink
// message type (NFNL_SUBSYS_ID << 8 | NFNL_MSG_TYPE).
func MessageType(s Subsystem, msg uint8) core.MessageType {
	return core.MessageType(uint16(s)<<8 | uint16(msg))
}

// SplitType splits a netlink message type into subsystem and message number.
func SplitType(t core.MessageType) (Subsystem, uint8) {
	return Subsystem(uint16(t) >> 8), uint8(t)
}

// HeaderLen is the size of struct nfgenmsg.
const HeaderLen = 4

// Header is struct nfgenmsg: the address family, the version and a
// resource ID (a queue or log group number, for instance), which travels
// in network byte order.
type Header struct {
	Family  uint8
	Version uint8
	ResID   uint16
}

// AppendHeader appends h's wire form to b.
func AppendHeader(b []byte, h Header) []byte {
	return append(b, h.Family, h.Version, byte(h.ResID>>8), byte(h.ResID))
}

// ParseHeader reads the nfgenmsg at the start of a message's data and
// returns it with the attributes that follow.
func ParseHeader(data []byte) (Header, []byte, error) {
	if len(data) < HeaderLen {
		return Header{}, nil, fmt.Errorf("nfnetlink: message of %d bytes has no nfgenmsg (%d bytes)", len(data), HeaderLen)
	}
	h := Header{Family: data[0], Version: data[1], ResID: binary.BigEndian.Uint16(data[2:4])}
	return h, data[HeaderLen:], nil
}

// NewRequest builds a request of subsystem s, message msg, with the
// nfgenmsg h followed by attrs (already encoded, for instance by a
// core.AttrEncoder). Conn.Execute adds the sequence number and ACK.
func NewRequest(s Subsystem, msg uint8, flags core.HeaderFlags, h Header, attrs []byte) core.Message {
	data := make([]byte, 0, HeaderLen+len(attrs))
	data = AppendHeader(data, h)
	data = append(data, attrs...)
	return core.Message{
		Header: core.Header{Type: MessageType(s, msg), Flags: core.FlagRequest | flags},
		Data:   data,
	}
}

// BatchBegin returns the message that opens a batch for subsystem s
// (NFNL_MSG_BATCH_BEGIN, with the subsystem in the resource ID).
func BatchBegin(s Subsystem) core.Message {
	return NewRequest(0, uint8(TypeBatchBegin), 0, Header{Family: unix.AF_UNSPEC, ResID: uint16(s)}, nil)
}

// BatchEnd returns the message that closes a batch for subsystem s.
func BatchEnd(s Subsystem) core.Message {
	return NewRequest(0, uint8(TypeBatchEnd), 0, Header{Family: unix.AF_UNSPEC, ResID: uint16(s)}, nil)
}

// Dial opens a NETLINK_NETFILTER socket configured by cfg (nil for
// defaults). The subpackages build their clients on it.
func Dial(cfg *core.Config) (*core.Conn, error) {
	return core.Dial(unix.NETLINK_NETFILTER, cfg)
}
