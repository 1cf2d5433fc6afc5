package nflog

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/nlkit/nlkit/netfilter/internal/nfsock"
	"iter"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
	"golang.org/x/sys/unix"
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

const openTimeout = 5 * time.Second

// ErrBusy is matched (errors.Is) by the error of Open when the group is
// already bound by another socket. The kernel answers EPERM then, as it
// does to a caller without CAP_NET_ADMIN; Open tells the two apart.
var ErrBusy = errors.New("nflog: group is bound by another socket")

// boundBy reads /proc/net/netfilter/nfnetlink_log in ns and returns the
// port that has group bound.
func boundBy(ns *core.NetNS, group uint16) (uint32, bool) {
	var data []byte
	if err := ns.Do(func() error {
		var err error
		data, err = os.ReadFile("/proc/thread-self/net/netfilter/nfnetlink_log")
		return err
	}); err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != strconv.Itoa(int(group)) {
			continue
		}
		port, err := strconv.ParseUint(f[1], 10, 32)
		return uint32(port), err == nil
	}
	return 0, false
}

// Log is a bound NFLOG group.
type Log struct {
	group uint16
	sock  *nfsock.Socket
	seq   atomic.Uint32

	reading atomic.Bool
	pkt     Packet
	backlog [][]byte
}

// Open binds log group group (NFULNL_CFG_CMD_BIND) with cfg (nil: the
// defaults) in one config request.
func Open(group uint16, cfg *Config) (*Log, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	op := fmt.Sprintf("nflog group %d bind", group)
	mode := cfg.CopyMode
	if mode == 0 {
		mode = CopyPacket
	}
	if mode > CopyPacket {
		return nil, &core.OpError{Op: op, Err: fmt.Errorf("copy mode %d is not one of meta, packet", mode)}
	}
	rng := cfg.CopyRange
	if rng == 0 || rng > 0xffff {
		rng = 0xffff
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
	slot := 4096
	if mode == CopyPacket {
		slot = int(rng) + 4096
	}
	// The kernel's default buffer is NLMSG_GOODSIZE: under a page, or
	// under 8 KiB with larger pages.
	bs := int(cfg.BufferSize)
	if bs == 0 {
		bs = min(os.Getpagesize(), 8192)
	}
	slot = max(slot, bs)
	slot = (slot + 63) &^ 63
	batch := cfg.Batch
	if batch <= 0 {
		batch = 64
		if max := (4 << 20) / slot; batch > max {
			batch = max
		}
	}
	rcvbuf := cfg.ReadBuffer
	if rcvbuf == 0 {
		rcvbuf = 4 << 20
	}
	s, err := nfsock.Open(cfg.NetNS, batch, slot, rcvbuf)
	if err != nil {
		return nil, &core.OpError{Op: op, Err: err}
	}
	if cfg.NoENOBUFS {
		if err := s.SetNoENOBUFS(); err != nil {
			s.Close()
			return nil, &core.OpError{Op: op, Err: os.NewSyscallError("setsockopt", err)}
		}
	}
	l := &Log{group: group, sock: s}
	l.seq.Store(uint32(time.Now().UnixNano()))
	if cfg.PFBind {
		for _, c := range []uint8{cmdPFUnbind, cmdPFBind} {
			if err := l.config([]byte{5, 0, cfgAttrCmd, 0, c, 0, 0, 0}, cfg.Family); err != nil {
				s.Close()
				return nil, core.WithOp(err, fmt.Sprintf("nflog family %d bind", cfg.Family))
			}
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
	if err := l.config(e.Bytes(), cfg.Family); err != nil {
		s.Close()
		switch {
		case errors.Is(err, unix.EPERM):
			if port, ok := boundBy(cfg.NetNS, group); ok {
				return nil, &core.OpError{Op: op, Err: fmt.Errorf("%w (port %d): %w", ErrBusy, port, err)}
			}
		case errors.Is(err, unix.EOPNOTSUPP) && cfg.Flags&Conntrack != 0:
			return nil, &core.OpError{Op: op, Err: fmt.Errorf("%w: the kernel cannot attach conntrack entries to logged packets (built without CONFIG_NETFILTER_NETLINK_GLUE_CT)", err)}
		}
		return nil, core.WithOp(err, op)
	}
	return l, nil
}

// config sends one NFULNL_MSG_CONFIG for the group and waits for its ACK.
func (l *Log) config(attrs []byte, family uint8) error {
	seq := l.seq.Add(1)
	req := core.AppendMessage(nil, core.Message{
		Header: core.Header{
			Type:     netfilter.MessageType(netfilter.SubsysLog, msgConfig),
			Flags:    core.FlagRequest | core.FlagAck,
			Sequence: seq,
		},
		Data: append(netfilter.AppendHeader(nil, netfilter.Header{Family: family, ResID: l.group}), attrs...),
	})
	return l.sock.Exchange(req, seq, openTimeout, func(m []byte) {
		l.backlog = append(l.backlog, bytes.Clone(m))
	})
}

// Group is the log group's number.
func (l *Log) Group() uint16 { return l.group }

// PortID is the netlink port of the socket bound to the group.
func (l *Log) PortID() uint32 { return l.sock.Port }

// Packets streams the logged packets until ctx ends, the loop breaks, or
// the Log is closed (the last pair then carries the reason). The Packet
// is reused: it and its slices are valid only in the loop body. One
// Packets loop may run at a time.
//
// When the socket buffer overflowed (ENOBUFS: packets were lost), the
// loop yields core.ErrOverrun and goes on; with the Seq flag, the gap in
// Packet.Seq says how many.
func (l *Log) Packets(ctx context.Context) iter.Seq2[*Packet, error] {
	return func(yield func(*Packet, error) bool) {
		op := fmt.Sprintf("nflog group %d receive", l.group)
		if !l.reading.CompareAndSwap(false, true) {
			yield(nil, &core.OpError{Op: op, Err: errors.New("another Packets loop is running")})
			return
		}
		defer l.reading.Store(false)
		if ctx.Done() != nil {
			stop := context.AfterFunc(ctx, func() { l.sock.SetReadDeadline(time.Unix(1, 0)) })
			defer func() {
				if !stop() {
					l.sock.SetReadDeadline(time.Time{})
				}
			}()
		}
		for len(l.backlog) > 0 {
			m := l.backlog[0]
			l.backlog = l.backlog[1:]
			if !l.deliver(m, len(l.backlog), yield) {
				return
			}
		}
		for {
			n, err := l.sock.Read(0)
			if err != nil {
				switch {
				case errors.Is(err, core.ErrOverrun):
					if !yield(nil, core.ErrOverrun) {
						return
					}
					continue
				case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
					err = ctx.Err()
				case errors.Is(err, os.ErrClosed) || l.sock.IsClosed():
					err = core.ErrClosed
				}
				yield(nil, &core.OpError{Op: op, Err: err})
				return
			}
			for i := range n {
				d, trunc := l.sock.Datagram(i)
				if trunc {
					if !yield(nil, &core.OpError{Op: op, Err: fmt.Errorf("datagram of more than %d bytes cut short: raise BufferSize or lower CopyRange", len(d))}) {
						return
					}
					continue
				}
				if !l.deliver(d, n-i-1, yield) {
					return
				}
			}
		}
	}
}

// deliver walks one datagram (one or more packet messages, then
// NLMSG_DONE when the kernel batched them) and yields its packets.
func (l *Log) deliver(d []byte, remaining int, yield func(*Packet, error) bool) bool {
	// Count the packets in this datagram, for Remaining.
	left := 0
	for off := 0; off+core.HeaderLen <= len(d); {
		n := int(binary.NativeEndian.Uint32(d[off:]))
		if n < core.HeaderLen || off+n > len(d) {
			break
		}
		if core.MessageType(binary.NativeEndian.Uint16(d[off+4:])) == netfilter.MessageType(netfilter.SubsysLog, msgPacket) {
			left++
		}
		off += core.Align(n)
	}
	for off := 0; off+core.HeaderLen <= len(d); {
		n := int(binary.NativeEndian.Uint32(d[off:]))
		if n < core.HeaderLen || off+n > len(d) {
			return yield(nil, &core.OpError{Op: fmt.Sprintf("nflog group %d receive", l.group),
				Err: &core.ParseError{What: "netlink message length", Offset: off, Len: len(d) - off, Want: n}})
		}
		m := d[off : off+n]
		off += core.Align(n)
		switch core.MessageType(binary.NativeEndian.Uint16(m[4:])) {
		case netfilter.MessageType(netfilter.SubsysLog, msgPacket):
			if err := l.pkt.Unmarshal(m[core.HeaderLen:]); err != nil {
				if !yield(nil, &core.OpError{Op: fmt.Sprintf("nflog group %d receive", l.group), Err: err}) {
					return false
				}
				continue
			}
			left--
			l.pkt.Remaining = remaining + left
			if !yield(&l.pkt, nil) {
				return false
			}
		case core.MessageType(unix.NLMSG_ERROR):
			h, _ := core.ParseHeader(m)
			e, err := core.ParseErrorMessage(h, m[core.HeaderLen:], nil)
			if err == nil && e == nil {
				continue
			}
			if err == nil {
				err = core.WithOp(e, fmt.Sprintf("nflog group %d", l.group))
			}
			if !yield(nil, err) {
				return false
			}
		}
	}
	return true
}

// Close unbinds the group and closes the socket; a running Packets loop
// ends with core.ErrClosed.
func (l *Log) Close() error {
	req := core.AppendMessage(nil, core.Message{
		Header: core.Header{Type: netfilter.MessageType(netfilter.SubsysLog, msgConfig), Flags: core.FlagRequest, Sequence: l.seq.Add(1)},
		Data:   append(netfilter.AppendHeader(nil, netfilter.Header{ResID: l.group}), 5, 0, cfgAttrCmd, 0, cmdUnbind, 0, 0, 0),
	})
	uerr := l.sock.Send(req)
	if errors.Is(uerr, core.ErrClosed) {
		return nil
	}
	if err := l.sock.Close(); err != nil {
		return &core.OpError{Op: fmt.Sprintf("nflog group %d close", l.group), Err: err}
	}
	if uerr != nil {
		return &core.OpError{Op: fmt.Sprintf("nflog group %d unbind", l.group), Err: uerr}
	}
	return nil
}
