package nfsock

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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

// Spec describes a subsystem whose sockets bind one numbered resource
// (an nflog group, an nfqueue queue) and receive its packets.
type Spec struct {
	Subsys    netfilter.Subsystem
	MsgPacket uint8 // the packet message number
	MsgConfig uint8 // the config message number
	// Name formats the resource for errors ("nflog group %d").
	Name string
	// ProcFile is the /proc/net/netfilter file listing bound resources.
	ProcFile string
	// ErrBusy is wrapped by a bind refused because another socket holds
	// the resource.
	ErrBusy error
	// NoConntrack is the reason given when the kernel cannot attach
	// conntrack entries.
	NoConntrack string
	// TruncHint tells what to raise when a datagram was cut short.
	TruncHint string
	// ErrorOp is the op after the name for errors the kernel sends
	// among the packets ("" or " verdict").
	ErrorOp string
}

// Options are the socket settings common to both subsystems.
type Options struct {
	NetNS *core.NetNS
	// Slot is the bytes one datagram may take (rounded up to 64).
	Slot int
	// Batch is the datagrams per read; 0 means 64, at most 4 MiB worth.
	Batch int
	// ReadBuffer is the receive buffer; 0 means 4 MiB, -1 the default.
	ReadBuffer int
	NoENOBUFS  bool
}

// Binding is a socket bound to one resource: the open, config, read and
// close plumbing nflog.Log and nfqueue.Queue share.
type Binding struct {
	spec *Spec
	id   uint16
	ns   *core.NetNS
	// Sock is the socket.
	Sock *Socket
	seq  atomic.Uint32

	reading atomic.Bool
	backlog [][]byte // messages read while waiting for a config answer
}

// Open opens the socket for resource id of spec with o. Errors carry
// the op "<name> bind".
func Open(spec *Spec, id uint16, o *Options) (*Binding, error) {
	slot := (o.Slot + 63) &^ 63
	batch := o.Batch
	if batch <= 0 {
		batch = min(64, (4<<20)/slot)
	}
	rcvbuf := o.ReadBuffer
	if rcvbuf == 0 {
		rcvbuf = 4 << 20
	}
	s, err := OpenSocket(o.NetNS, batch, slot, rcvbuf)
	if err != nil {
		return nil, &core.OpError{Op: spec.op(id, " bind"), Err: err}
	}
	if o.NoENOBUFS {
		if err := s.SetNoENOBUFS(); err != nil {
			s.Close()
			return nil, &core.OpError{Op: spec.op(id, " bind"), Err: os.NewSyscallError("setsockopt", err)}
		}
	}
	b := &Binding{spec: spec, id: id, ns: o.NetNS, Sock: s}
	b.seq.Store(uint32(time.Now().UnixNano()))
	return b, nil
}

func (s *Spec) op(id uint16, what string) string {
	return fmt.Sprintf(s.Name, id) + what
}

// Seq returns a fresh sequence number.
func (b *Binding) Seq() uint32 { return b.seq.Add(1) }

// Config sends one config message with attrs for the resource (family in
// the nfgenmsg header) and waits for its ACK. Packets read meanwhile are
// kept for the next Packets loop.
func (b *Binding) Config(attrs []byte, family uint8) error {
	seq := b.seq.Add(1)
	req := core.AppendMessage(nil, core.Message{
		Header: core.Header{
			Type:     netfilter.MessageType(b.spec.Subsys, b.spec.MsgConfig),
			Flags:    core.FlagRequest | core.FlagAck,
			Sequence: seq,
		},
		Data: append(netfilter.AppendHeader(nil, netfilter.Header{Family: family, ResID: b.id}), attrs...),
	})
	return b.Sock.Exchange(req, seq, openTimeout, func(m []byte) {
		b.backlog = append(b.backlog, bytes.Clone(m))
	})
}

// openTimeout bounds the wait for the kernel's answer to a config request.
const openTimeout = 5 * time.Second

// PFBind rebinds family to the subsystem (the PF_UNBIND, PF_BIND commands
// of kernels that wanted it), sending cmd(c) for each. On failure it closes
// the socket.
func (b *Binding) PFBind(family uint8, unbind, bind uint8, cmd func(c uint8) []byte, what string) error {
	for _, c := range []uint8{unbind, bind} {
		if err := b.Config(cmd(c), family); err != nil {
			b.Sock.Close()
			return core.WithOp(err, what)
		}
	}
	return nil
}

// Bind sends the bind config attrs. On failure it closes the socket and
// tells a resource bound by another socket (ErrBusy) and missing
// conntrack support (when conntrack was asked) apart.
func (b *Binding) Bind(attrs []byte, family uint8, conntrack bool) error {
	err := b.Config(attrs, family)
	if err == nil {
		return nil
	}
	b.Sock.Close()
	op := b.spec.op(b.id, " bind")
	switch {
	case errors.Is(err, unix.EPERM):
		if port, ok := b.boundBy(); ok {
			return &core.OpError{Op: op, Err: fmt.Errorf("%w (port %d): %w", b.spec.ErrBusy, port, err)}
		}
	case errors.Is(err, unix.EOPNOTSUPP) && conntrack:
		return &core.OpError{Op: op, Err: fmt.Errorf("%w: %s", err, b.spec.NoConntrack)}
	}
	return core.WithOp(err, op)
}

// boundBy reads the subsystem's /proc/net/netfilter file in the
// namespace and returns the port that has the resource bound.
func (b *Binding) boundBy() (uint32, bool) {
	var data []byte
	if err := b.ns.Do(func() error {
		var err error
		data, err = os.ReadFile("/proc/thread-self/net/netfilter/" + b.spec.ProcFile)
		return err
	}); err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != strconv.Itoa(int(b.id)) {
			continue
		}
		port, err := strconv.ParseUint(f[1], 10, 32)
		return uint32(port), err == nil
	}
	return 0, false
}

// Close sends the unbind config attrs without waiting for an answer and
// closes the socket. Closing twice is not an error.
func (b *Binding) Close(attrs []byte) error {
	req := core.AppendMessage(nil, core.Message{
		Header: core.Header{Type: netfilter.MessageType(b.spec.Subsys, b.spec.MsgConfig), Flags: core.FlagRequest, Sequence: b.seq.Add(1)},
		Data:   append(netfilter.AppendHeader(nil, netfilter.Header{ResID: b.id}), attrs...),
	})
	uerr := b.Sock.Send(req)
	if errors.Is(uerr, core.ErrClosed) {
		return nil
	}
	if err := b.Sock.Close(); err != nil {
		return &core.OpError{Op: b.spec.op(b.id, " close"), Err: err}
	}
	if uerr != nil {
		return &core.OpError{Op: b.spec.op(b.id, " unbind"), Err: uerr}
	}
	return nil
}

// Packets streams the packet messages until ctx ends, the loop breaks,
// or the socket is closed (the last pair then carries the reason).
// decode is given each packet message's payload (after the netlink
// header) and how many packets were read and will come after it; it
// fills pkt, which is then yielded. One loop may run at a time.
//
// An overflowed socket buffer is yielded as core.ErrOverrun, and an
// error the kernel sends as its *core.Error; the stream goes on.
func Packets[P any](ctx context.Context, b *Binding, pkt P, decode func(m []byte, remaining int) error) iter.Seq2[P, error] {
	return func(yield func(P, error) bool) {
		var zero P
		op := b.spec.op(b.id, " receive")
		if !b.reading.CompareAndSwap(false, true) {
			yield(zero, &core.OpError{Op: op, Err: errors.New("another Packets loop is running")})
			return
		}
		defer b.reading.Store(false)
		if ctx.Done() != nil {
			stop := context.AfterFunc(ctx, func() { b.Sock.SetReadDeadline(time.Unix(1, 0)) })
			defer func() {
				if !stop() {
					b.Sock.SetReadDeadline(time.Time{})
				}
			}()
		}
		d := deliverer[P]{b: b, pkt: pkt, decode: decode, yield: yield}
		for len(b.backlog) > 0 {
			m := b.backlog[0]
			b.backlog = b.backlog[1:]
			if !d.deliver(m, len(b.backlog)) {
				return
			}
		}
		for {
			n, err := b.Sock.Read(0)
			if err != nil {
				switch {
				case errors.Is(err, core.ErrOverrun):
					if !yield(zero, core.ErrOverrun) {
						return
					}
					continue
				case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
					err = ctx.Err()
				case errors.Is(err, os.ErrClosed) || b.Sock.IsClosed():
					err = core.ErrClosed
				}
				yield(zero, &core.OpError{Op: op, Err: err})
				return
			}
			for i := range n {
				m, trunc := b.Sock.Datagram(i)
				if trunc {
					if !yield(zero, &core.OpError{Op: op, Err: fmt.Errorf("datagram of more than %d bytes cut short: %s", len(m), b.spec.TruncHint)}) {
						return
					}
					continue
				}
				if !d.deliver(m, n-i-1) {
					return
				}
			}
		}
	}
}

type deliverer[P any] struct {
	b      *Binding
	pkt    P
	decode func([]byte, int) error
	yield  func(P, error) bool
}

// deliver walks one datagram (one or more packet messages, then
// NLMSG_DONE when the kernel batched them, or a kernel error) and yields
// its packets and errors; it returns false when the loop broke.
func (d *deliverer[P]) deliver(dg []byte, remaining int) bool {
	var zero P
	packet := netfilter.MessageType(d.b.spec.Subsys, d.b.spec.MsgPacket)
	// Count the packets in this datagram, for remaining.
	left := 0
	for off := 0; off+core.HeaderLen <= len(dg); {
		n := int(binary.NativeEndian.Uint32(dg[off:]))
		if n < core.HeaderLen || off+n > len(dg) {
			break
		}
		if core.MessageType(binary.NativeEndian.Uint16(dg[off+4:])) == packet {
			left++
		}
		off += core.Align(n)
	}
	for off := 0; off+core.HeaderLen <= len(dg); {
		n := int(binary.NativeEndian.Uint32(dg[off:]))
		if n < core.HeaderLen || off+n > len(dg) {
			return d.yield(zero, &core.OpError{Op: d.b.spec.op(d.b.id, " receive"),
				Err: &core.ParseError{What: "netlink message length", Offset: off, Len: len(dg) - off, Want: n}})
		}
		m := dg[off : off+n]
		off += core.Align(n)
		switch core.MessageType(binary.NativeEndian.Uint16(m[4:])) {
		case packet:
			left--
			if err := d.decode(m[core.HeaderLen:], remaining+left); err != nil {
				if !d.yield(zero, &core.OpError{Op: d.b.spec.op(d.b.id, " receive"), Err: err}) {
					return false
				}
				continue
			}
			if !d.yield(d.pkt, nil) {
				return false
			}
		case core.MessageType(unix.NLMSG_ERROR):
			h, _ := core.ParseHeader(m)
			e, err := core.ParseErrorMessage(h, m[core.HeaderLen:], nil)
			if err == nil && e == nil {
				continue // an ACK
			}
			if err == nil {
				err = core.WithOp(e, d.b.spec.op(d.b.id, d.b.spec.ErrorOp))
			}
			if !d.yield(zero, err) {
				return false
			}
		}
	}
	return true
}

// Copy modes both subsystems share (NFULNL_COPY_*, NFQNL_COPY_*).
const (
	copyPacket = 2
	copyMax    = 0xffff
)

// CopyParams checks and completes a copy mode and range: mode 0 means
// packet, a range of 0 or above 65535 means 65535; modes lists the valid
// ones for the error. It returns them with the datagram slot one packet
// message takes: the copy and 4 KiB for the metadata around it.
func CopyParams(mode uint8, rng uint32, modes string) (uint8, uint32, int, error) {
	if mode == 0 {
		mode = copyPacket
	}
	if mode > copyPacket {
		return 0, 0, 0, fmt.Errorf("copy mode %d is not one of %s", mode, modes)
	}
	if rng == 0 || rng > copyMax {
		rng = copyMax
	}
	slot := 4096
	if mode == copyPacket {
		slot += int(rng)
	}
	return mode, rng, slot, nil
}
