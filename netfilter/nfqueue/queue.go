package nfqueue

import (
	"bufio"
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
	"sync"
	"sync/atomic"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
	"golang.org/x/sys/unix"
)

// Config says how Open binds a queue. The zero value copies whole
// packets (up to 64 KiB) into a queue of the kernel's default length.
type Config struct {
	// NetNS is the namespace the queue lives in; nil is the caller's.
	NetNS *core.NetNS
	// CopyMode is how much of each packet is copied; the zero value
	// means CopyPacket (the kernel queues nothing with CopyNone).
	CopyMode CopyMode
	// CopyRange is how many payload bytes are copied at most; 0 means
	// 65535.
	CopyRange uint32
	// MaxLen is the most packets the kernel holds for the reader
	// (NFQA_CFG_QUEUE_MAXLEN); 0 keeps the kernel's default (1024). This
	// kernel refuses more than 65536.
	MaxLen uint32
	// Flags are the queue's flags. Open sets them with a mask of every
	// flag there is, so the flags not given are cleared.
	Flags Flags
	// Family and PFBind: on kernels before 3.8 a family had to be bound
	// to nfnetlink_queue first (NFQNL_CFG_CMD_PF_UNBIND, PF_BIND); with
	// PFBind, Open does that for Family. Newer kernels ignore it.
	Family uint8
	PFBind bool
	// ReadBuffer is the socket receive buffer (SO_RCVBUFFORCE, else
	// SO_RCVBUF); 0 means 4 MiB, -1 keeps the kernel's default.
	ReadBuffer int
	// Batch is how many datagrams one read takes at most (recvmmsg);
	// 0 means 64, fewer when each must hold a large copy range.
	Batch int
	// NoENOBUFS sets NETLINK_NO_ENOBUFS: a full socket buffer is not
	// reported (the kernel drops the packet, or accepts it with
	// FailOpen).
	NoENOBUFS bool
}

// openTimeout bounds the wait for the kernel's answer to a config request.
const openTimeout = 5 * time.Second

// ErrBusy is matched (errors.Is) by the error of Open when the queue is
// already bound by another socket. The kernel answers EPERM then, as it
// does to a caller without CAP_NET_ADMIN; Open tells the two apart.
var ErrBusy = errors.New("nfqueue: queue is bound by another socket")

// Queue is a bound NFQUEUE queue: one goroutine reads packets with
// Packets while any number of goroutines send verdicts, none waiting for
// another (see the package documentation for the worker pattern).
type Queue struct {
	num  uint16
	ns   *core.NetNS
	sock *nfsock.Socket
	seq  atomic.Uint32

	reading atomic.Bool
	pkt     Packet
	backlog [][]byte // messages read while waiting for a config answer

	pool sync.Pool // *[]byte scratch for SetDecision
}

// Open binds queue num (NFQNL_CFG_CMD_BIND) with cfg (nil: the defaults)
// in one config request, and returns the Queue.
func Open(num uint16, cfg *Config) (*Queue, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	op := fmt.Sprintf("nfqueue %d bind", num)
	mode := cfg.CopyMode
	if mode == CopyNone {
		mode = CopyPacket
	}
	if mode > CopyPacket {
		return nil, &core.OpError{Op: op, Err: fmt.Errorf("copy mode %d is not one of none, meta, packet", mode)}
	}
	rng := cfg.CopyRange
	if rng == 0 || rng > defaultCopyMax {
		rng = defaultCopyMax
	}
	if cfg.MaxLen > maxQueueBacklog {
		return nil, &core.OpError{Op: op, Err: fmt.Errorf("queue length %d: the kernel takes at most %d", cfg.MaxLen, maxQueueBacklog)}
	}
	if cfg.Flags >= 1<<len(flagNames) {
		return nil, &core.OpError{Op: op, Err: fmt.Errorf("unknown flags 0x%x", uint32(cfg.Flags))}
	}
	// A slot holds one packet message: the copy, and room for the
	// metadata, conntrack entry and security context around it.
	slot := 4096
	if mode == CopyPacket {
		slot = int(rng) + 4096
	}
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
	q := &Queue{num: num, ns: cfg.NetNS, sock: s}
	q.seq.Store(uint32(time.Now().UnixNano()))
	if cfg.PFBind {
		for _, c := range []uint8{cmdPFUnbind, cmdPFBind} {
			if err := q.config(cmdMsg(c, cfg.Family), cfg.Family); err != nil {
				s.Close()
				return nil, core.WithOp(err, fmt.Sprintf("nfqueue family %d bind", cfg.Family))
			}
		}
	}
	var e core.AttrEncoder
	e.Binary(cfgAttrCmd, cmdMsg(cmdBind, cfg.Family))
	var params [5]byte
	binary.BigEndian.PutUint32(params[:], rng)
	params[4] = uint8(mode)
	e.Binary(cfgAttrParams, params[:])
	if cfg.MaxLen > 0 {
		e.Uint32BE(cfgAttrMaxLen, cfg.MaxLen)
	}
	e.Uint32BE(cfgAttrMask, 1<<len(flagNames)-1)
	e.Uint32BE(cfgAttrFlags, uint32(cfg.Flags))
	if err := q.config(e.Bytes(), unix.AF_UNSPEC); err != nil {
		s.Close()
		if errors.Is(err, unix.EPERM) {
			if port, ok := boundBy(cfg.NetNS, num); ok {
				return nil, &core.OpError{Op: op, Err: fmt.Errorf("%w (port %d): %w", ErrBusy, port, err)}
			}
		}
		if errors.Is(err, unix.EOPNOTSUPP) && cfg.Flags&Conntrack != 0 {
			return nil, &core.OpError{Op: op, Err: fmt.Errorf("%w: the kernel cannot attach conntrack entries to queued packets (built without CONFIG_NETFILTER_NETLINK_GLUE_CT)", err)}
		}
		return nil, core.WithOp(err, op)
	}
	return q, nil
}

func cmdMsg(cmd uint8, family uint8) []byte {
	return []byte{cmd, 0, 0, family} // struct nfqnl_msg_config_cmd: pf is big-endian
}

// config sends one NFQNL_MSG_CONFIG for the queue and waits for its ACK.
func (q *Queue) config(attrs []byte, family uint8) error {
	seq := q.seq.Add(1)
	req := core.AppendMessage(nil, core.Message{
		Header: core.Header{
			Type:     netfilter.MessageType(netfilter.SubsysQueue, msgConfig),
			Flags:    core.FlagRequest | core.FlagAck,
			Sequence: seq,
		},
		Data: append(netfilter.AppendHeader(nil, netfilter.Header{Family: family, ResID: q.num}), attrs...),
	})
	return q.sock.Exchange(req, seq, openTimeout, func(m []byte) {
		q.backlog = append(q.backlog, bytes.Clone(m))
	})
}

// boundBy reads /proc/net/netfilter/nfnetlink_queue in ns and returns the
// port that has queue num bound.
func boundBy(ns *core.NetNS, num uint16) (uint32, bool) {
	var data []byte
	if err := ns.Do(func() error {
		var err error
		data, err = os.ReadFile("/proc/thread-self/net/netfilter/nfnetlink_queue")
		return err
	}); err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != strconv.Itoa(int(num)) {
			continue
		}
		port, err := strconv.ParseUint(f[1], 10, 32)
		return uint32(port), err == nil
	}
	return 0, false
}

// Num is the queue's number.
func (q *Queue) Num() uint16 { return q.num }

// PortID is the netlink port of the socket that owns the queue.
func (q *Queue) PortID() uint32 { return q.sock.Port }

// Packets streams the queued packets until ctx ends, the loop breaks, or
// the Queue is closed (the last pair then carries the reason). The Packet
// is reused: it and its slices are valid only in the loop body, and each
// must get a verdict (from any goroutine), or it stays queued until the
// Queue is closed. One Packets loop may run at a time.
//
// An overflowed socket buffer (ENOBUFS: packets were dropped, or accepted
// with FailOpen) is yielded as core.ErrOverrun, and a verdict the kernel
// refused (an unknown packet ID, say) as its *core.Error with the packet
// ID as the request's sequence number; the stream goes on after both.
func (q *Queue) Packets(ctx context.Context) iter.Seq2[*Packet, error] {
	return func(yield func(*Packet, error) bool) {
		op := fmt.Sprintf("nfqueue %d receive", q.num)
		if !q.reading.CompareAndSwap(false, true) {
			yield(nil, &core.OpError{Op: op, Err: errors.New("another Packets loop is running")})
			return
		}
		defer q.reading.Store(false)
		if ctx.Done() != nil {
			stop := context.AfterFunc(ctx, func() { q.sock.SetReadDeadline(time.Unix(1, 0)) })
			defer func() {
				if !stop() {
					q.sock.SetReadDeadline(time.Time{})
				}
			}()
		}
		for len(q.backlog) > 0 {
			m := q.backlog[0]
			q.backlog = q.backlog[1:]
			if !q.deliver(m, len(q.backlog), yield) {
				return
			}
		}
		for {
			n, err := q.sock.Read(0)
			if err != nil {
				switch {
				case errors.Is(err, core.ErrOverrun):
					if !yield(nil, core.ErrOverrun) {
						return
					}
					continue
				case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
					err = ctx.Err()
				case errors.Is(err, os.ErrClosed) || q.sock.IsClosed():
					err = core.ErrClosed
				}
				yield(nil, &core.OpError{Op: op, Err: err})
				return
			}
			for i := range n {
				d, trunc := q.sock.Datagram(i)
				if trunc {
					if !yield(nil, &core.OpError{Op: op, Err: fmt.Errorf("datagram of more than %d bytes cut short: raise the slot size (CopyRange)", len(d))}) {
						return
					}
					continue
				}
				if !q.deliver(d, n-i-1, yield) {
					return
				}
			}
		}
	}
}

// deliver walks one datagram and yields its packets and errors; it
// returns false when the loop broke.
func (q *Queue) deliver(d []byte, remaining int, yield func(*Packet, error) bool) bool {
	for off := 0; off+core.HeaderLen <= len(d); {
		l := int(binary.NativeEndian.Uint32(d[off:]))
		if l < core.HeaderLen || off+l > len(d) {
			return yield(nil, &core.OpError{Op: fmt.Sprintf("nfqueue %d receive", q.num),
				Err: &core.ParseError{What: "netlink message length", Offset: off, Len: len(d) - off, Want: l}})
		}
		m := d[off : off+l]
		off += core.Align(l)
		typ := core.MessageType(binary.NativeEndian.Uint16(m[4:]))
		switch typ {
		case netfilter.MessageType(netfilter.SubsysQueue, msgPacket):
			if err := q.pkt.Unmarshal(m[core.HeaderLen:]); err != nil {
				if !yield(nil, &core.OpError{Op: fmt.Sprintf("nfqueue %d receive", q.num), Err: err}) {
					return false
				}
				continue
			}
			q.pkt.Remaining = remaining
			if !yield(&q.pkt, nil) {
				return false
			}
		case core.MessageType(unix.NLMSG_ERROR):
			h, _ := core.ParseHeader(m)
			e, err := core.ParseErrorMessage(h, m[core.HeaderLen:], nil)
			if err == nil && e == nil {
				continue // an ACK
			}
			if err == nil {
				err = core.WithOp(e, fmt.Sprintf("nfqueue %d verdict", q.num))
			}
			if !yield(nil, err) {
				return false
			}
		}
	}
	return true
}

// SetVerdict sends verdict v for packet id, at once, in its own write.
// It may be called from any goroutine, also while Packets waits.
func (q *Queue) SetVerdict(id uint32, v Verdict) error {
	var buf [64]byte
	d := Decision{ID: id, Verdict: v}
	b, _ := appendVerdict(buf[:0], q.num, &d, false)
	if err := q.sock.Send(b); err != nil {
		return core.WithOp(err, fmt.Sprintf("nfqueue %d verdict %d", q.num, id))
	}
	return nil
}

// SetDecision sends d (a verdict with a mark, connmark, label or new
// payload) at once. Bad input is refused before anything is sent.
func (q *Queue) SetDecision(d *Decision) error {
	bp, _ := q.pool.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer q.pool.Put(bp)
	b, err := appendVerdict((*bp)[:0], q.num, d, false)
	if err != nil {
		return &core.OpError{Op: fmt.Sprintf("nfqueue %d verdict %d", q.num, d.ID), Err: err}
	}
	*bp = b
	if err := q.sock.Send(b); err != nil {
		return core.WithOp(err, fmt.Sprintf("nfqueue %d verdict %d", q.num, d.ID))
	}
	return nil
}

// SetVerdictBatch sends verdict v (and mark, when setMark) for every
// packet still queued whose ID is at most id (NFQNL_MSG_VERDICT_BATCH).
func (q *Queue) SetVerdictBatch(id uint32, v Verdict, mark uint32, setMark bool) error {
	var buf [64]byte
	d := Decision{ID: id, Verdict: v, Mark: mark, SetMark: setMark}
	b, _ := appendVerdict(buf[:0], q.num, &d, true)
	if err := q.sock.Send(b); err != nil {
		return core.WithOp(err, fmt.Sprintf("nfqueue %d batch verdict %d", q.num, id))
	}
	return nil
}

// Close unbinds the queue and closes the socket; a running Packets loop
// ends with core.ErrClosed. The kernel drops the packets still queued
// without a verdict.
func (q *Queue) Close() error {
	var e core.AttrEncoder
	e.Binary(cfgAttrCmd, cmdMsg(cmdUnbind, 0))
	req := core.AppendMessage(nil, core.Message{
		Header: core.Header{Type: netfilter.MessageType(netfilter.SubsysQueue, msgConfig), Flags: core.FlagRequest, Sequence: q.seq.Add(1)},
		Data:   append(netfilter.AppendHeader(nil, netfilter.Header{ResID: q.num}), e.Bytes()...),
	})
	uerr := q.sock.Send(req)
	if errors.Is(uerr, core.ErrClosed) {
		return nil
	}
	if err := q.sock.Close(); err != nil {
		return &core.OpError{Op: fmt.Sprintf("nfqueue %d close", q.num), Err: err}
	}
	if uerr != nil {
		return &core.OpError{Op: fmt.Sprintf("nfqueue %d unbind", q.num), Err: uerr}
	}
	return nil
}
