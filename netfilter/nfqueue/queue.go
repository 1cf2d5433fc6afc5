package nfqueue

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"sync"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
	"github.com/nlkit/nlkit/netfilter/internal/nfsock"
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

// ErrBusy is matched (errors.Is) by the error of Open when the queue is
// already bound by another socket. The kernel answers EPERM then, as it
// does to a caller without CAP_NET_ADMIN; Open tells the two apart.
var ErrBusy = errors.New("nfqueue: queue is bound by another socket")

// spec is what the shared socket plumbing needs to know of nfqueue.
var spec = nfsock.Spec{
	Subsys:      netfilter.SubsysQueue,
	MsgPacket:   msgPacket,
	MsgConfig:   msgConfig,
	Name:        "nfqueue %d",
	ProcFile:    "nfnetlink_queue",
	ErrBusy:     ErrBusy,
	NoConntrack: "the kernel cannot attach conntrack entries to queued packets (built without CONFIG_NETFILTER_NETLINK_GLUE_CT)",
	TruncHint:   "raise the slot size (CopyRange)",
	ErrorOp:     " verdict",
}

// Queue is a bound NFQUEUE queue: one goroutine reads packets with
// Packets while any number of goroutines send verdicts, none waiting for
// another (see the package documentation for the worker pattern).
type Queue struct {
	num  uint16
	b    *nfsock.Binding
	sock *nfsock.Socket
	pkt  Packet

	pool sync.Pool // *[]byte scratch for SetDecision
}

// Open binds queue num (NFQNL_CFG_CMD_BIND) with cfg (nil: the defaults)
// in one config request, and returns the Queue.
func Open(num uint16, cfg *Config) (*Queue, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	op := fmt.Sprintf("nfqueue %d bind", num)
	mode, rng, slot, err := nfsock.CopyParams(uint8(cfg.CopyMode), cfg.CopyRange, "none, meta, packet")
	if err != nil {
		return nil, &core.OpError{Op: op, Err: err}
	}
	if cfg.MaxLen > maxQueueBacklog {
		return nil, &core.OpError{Op: op, Err: fmt.Errorf("queue length %d: the kernel takes at most %d", cfg.MaxLen, maxQueueBacklog)}
	}
	if cfg.Flags >= 1<<len(flagNames) {
		return nil, &core.OpError{Op: op, Err: fmt.Errorf("unknown flags 0x%x", uint32(cfg.Flags))}
	}
	b, err := nfsock.Open(&spec, num, &nfsock.Options{NetNS: cfg.NetNS, Slot: slot,
		Batch: cfg.Batch, ReadBuffer: cfg.ReadBuffer, NoENOBUFS: cfg.NoENOBUFS})
	if err != nil {
		return nil, err
	}
	q := &Queue{num: num, b: b, sock: b.Sock}
	if cfg.PFBind {
		cmd := func(c uint8) []byte { return cmdAttr(c, cfg.Family) }
		if err := b.PFBind(cfg.Family, cmdPFUnbind, cmdPFBind, cmd, fmt.Sprintf("nfqueue family %d bind", cfg.Family)); err != nil {
			return nil, err
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
	if err := b.Bind(e.Bytes(), unix.AF_UNSPEC, cfg.Flags&Conntrack != 0); err != nil {
		return nil, err
	}
	return q, nil
}

func cmdMsg(cmd uint8, family uint8) []byte {
	return []byte{cmd, 0, 0, family} // struct nfqnl_msg_config_cmd: pf is big-endian
}

// cmdAttr is the NFQA_CFG_CMD attribute for command c.
func cmdAttr(c uint8, family uint8) []byte {
	var e core.AttrEncoder
	e.Binary(cfgAttrCmd, cmdMsg(c, family))
	return e.Bytes()
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
	return nfsock.Packets(ctx, q.b, &q.pkt, func(m []byte, remaining int) error {
		if err := q.pkt.Unmarshal(m); err != nil {
			return err
		}
		q.pkt.Remaining = remaining
		return nil
	})
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
func (q *Queue) Close() error { return q.b.Close(cmdAttr(cmdUnbind, 0)) }
