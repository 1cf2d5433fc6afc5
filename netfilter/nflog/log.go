package nflog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"os"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
	"github.com/nlkit/nlkit/netfilter/internal/nfsock"
)

// Config says how Open binds a log group. The zero value copies whole
// packets with the kernel's defaults for buffering.
type Config struct {
	// NetNS is the namespace the group lives in; nil is the caller's.
	NetNS *core.NetNS
	// CopyMode is how much of each packet is copied; zero means
	// CopyPacket.
	CopyMode CopyMode
	// CopyRange is how many payload bytes are copied at most; 0 means
	// 65535.
	CopyRange uint32
	// BufferSize is the kernel's batching buffer for the group in bytes
	// (NFULA_CFG_NLBUFSIZ, at most 131072); 0 keeps the default (about
	// one page).
	BufferSize uint32
	// QThresh is how many packets the kernel gathers before sending them
	// in one datagram (NFULA_CFG_QTHRESH); 0 keeps the default. 1 sends
	// each packet at once.
	QThresh uint32
	// Timeout is how long the kernel holds a partly filled batch
	// (NFULA_CFG_TIMEOUT, in hundredths of a second); 0 keeps the default
	// (one second).
	Timeout time.Duration
	// Flags are the group's flags (sequence numbers, conntrack).
	Flags Flags
	// Family and PFBind: on kernels before 3.17 the family had to be
	// bound to nfnetlink_log first (NFULNL_CFG_CMD_PF_UNBIND, PF_BIND);
	// with PFBind, Open does that for Family (which on newer kernels
	// makes nfnetlink_log the family's default logger in the namespace).
	Family uint8
	PFBind bool
	// ReadBuffer is the socket receive buffer (SO_RCVBUFFORCE, else
	// SO_RCVBUF); 0 means 4 MiB, -1 keeps the kernel's default.
	ReadBuffer int
	// Batch is how many datagrams one read takes at most (recvmmsg); 0
	// means 64, fewer when each must hold a large copy.
	Batch int
	// NoENOBUFS sets NETLINK_NO_ENOBUFS: lost packets are not reported.
	NoENOBUFS bool
}

// ErrBusy is matched (errors.Is) by the error of Open when the group is
// already bound by another socket. The kernel answers EPERM then, as it
// does to a caller without CAP_NET_ADMIN; Open tells the two apart.
var ErrBusy = errors.New("nflog: group is bound by another socket")

// spec is what the shared socket plumbing needs to know of nflog.
var spec = nfsock.Spec{
	Subsys:      netfilter.SubsysLog,
	MsgPacket:   msgPacket,
	MsgConfig:   msgConfig,
	Name:        "nflog group %d",
	ProcFile:    "nfnetlink_log",
	ErrBusy:     ErrBusy,
	NoConntrack: "the kernel cannot attach conntrack entries to logged packets (built without CONFIG_NETFILTER_NETLINK_GLUE_CT)",
	TruncHint:   "raise BufferSize or lower CopyRange",
}

// Log is a bound NFLOG group.
type Log struct {
	group uint16
	b     *nfsock.Binding
	pkt   Packet
}

// Open binds log group group (NFULNL_CFG_CMD_BIND) with cfg (nil: the
// defaults) in one config request.
func Open(group uint16, cfg *Config) (*Log, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	op := fmt.Sprintf("nflog group %d bind", group)
	mode, rng, slot, err := nfsock.CopyParams(uint8(cfg.CopyMode), cfg.CopyRange, "meta, packet")
	if err != nil {
		return nil, &core.OpError{Op: op, Err: err}
	}
	if cfg.BufferSize > maxBufSize {
		return nil, &core.OpError{Op: op, Err: fmt.Errorf("buffer size %d: the kernel takes at most %d", cfg.BufferSize, maxBufSize)}
	}
	if cfg.Flags >= 1<<len(flagNames) {
		return nil, &core.OpError{Op: op, Err: fmt.Errorf("unknown flags 0x%x", uint16(cfg.Flags))}
	}
	timeout := cfg.Timeout / (10 * time.Millisecond)
	if cfg.Timeout < 0 || timeout > 1<<32-1 {
		return nil, &core.OpError{Op: op, Err: fmt.Errorf("timeout %v out of range", cfg.Timeout)}
	}
	// A datagram holds up to the buffer size, or one packet if larger.
	// The kernel's default buffer is NLMSG_GOODSIZE: under a page, or
	// under 8 KiB with larger pages.
	bs := int(cfg.BufferSize)
	if bs == 0 {
		bs = min(os.Getpagesize(), 8192)
	}
	b, err := nfsock.Open(&spec, group, &nfsock.Options{NetNS: cfg.NetNS, Slot: max(slot, bs),
		Batch: cfg.Batch, ReadBuffer: cfg.ReadBuffer, NoENOBUFS: cfg.NoENOBUFS})
	if err != nil {
		return nil, err
	}
	l := &Log{group: group, b: b}
	if cfg.PFBind {
		if err := b.PFBind(cfg.Family, cmdPFUnbind, cmdPFBind, cmdAttr, fmt.Sprintf("nflog family %d bind", cfg.Family)); err != nil {
			return nil, err
		}
	}
	var e core.AttrEncoder
	e.Binary(cfgAttrCmd, []byte{cmdBind})
	var m [6]byte
	binary.BigEndian.PutUint32(m[:], rng)
	m[4] = uint8(mode)
	e.Binary(cfgAttrMode, m[:])
	if cfg.BufferSize > 0 {
		e.Uint32BE(cfgAttrBufSiz, cfg.BufferSize)
	}
	if cfg.Timeout > 0 {
		e.Uint32BE(cfgAttrTimeout, uint32(timeout))
	}
	if cfg.QThresh > 0 {
		e.Uint32BE(cfgAttrQThresh, cfg.QThresh)
	}
	if cfg.Flags != 0 {
		e.Uint16BE(cfgAttrFlags, uint16(cfg.Flags))
	}
	if err := b.Bind(e.Bytes(), cfg.Family, cfg.Flags&Conntrack != 0); err != nil {
		return nil, err
	}
	return l, nil
}

// cmdAttr is the NFULA_CFG_CMD attribute for command c.
func cmdAttr(c uint8) []byte { return []byte{5, 0, cfgAttrCmd, 0, c, 0, 0, 0} }

// Group is the log group's number.
func (l *Log) Group() uint16 { return l.group }

// PortID is the netlink port of the socket bound to the group.
func (l *Log) PortID() uint32 { return l.b.Sock.Port }

// Packets streams the logged packets until ctx ends, the loop breaks, or
// the Log is closed (the last pair then carries the reason). The Packet
// is reused: it and its slices are valid only in the loop body. One
// Packets loop may run at a time.
//
// When the socket buffer overflowed (ENOBUFS: packets were lost), the
// loop yields core.ErrOverrun and goes on; with the Seq flag, the gap in
// Packet.Seq says how many.
func (l *Log) Packets(ctx context.Context) iter.Seq2[*Packet, error] {
	return nfsock.Packets(ctx, l.b, &l.pkt, func(m []byte, remaining int) error {
		if err := l.pkt.Unmarshal(m); err != nil {
			return err
		}
		l.pkt.Remaining = remaining
		return nil
	})
}

// Close unbinds the group and closes the socket; a running Packets loop
// ends with core.ErrClosed.
func (l *Log) Close() error { return l.b.Close(cmdAttr(cmdUnbind)) }
