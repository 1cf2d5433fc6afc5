package core

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Conn is a netlink socket (libnl's nl_sock).
//
// # Concurrency
//
// A Conn is safe for use by many goroutines. Each call that talks to the
// kernel — Send, SendBatch, Execute, ExecuteBatch, Run, Dump (for the
// length of the iteration), Receive, Listen (for the length of the
// iteration) — holds the Conn for its whole exchange, so requests are
// serialised and replies can never cross between callers: every reply
// is matched by sequence number and sender. Waiting for the Conn honours the
// call's context. Close may be called at any time and unblocks a blocked
// call. Because Listen holds the Conn while it waits for events, use one
// Conn for events and another for requests. For the same reason, do not
// call the Conn from inside its own Dump or Listen loop: that call waits
// for the loop to end, which it never does (it returns when its context
// ends); use a second Conn, or collect first with DumpAll.
//
// # Buffers
//
// Messages handed out by Dump, Listen, Run and callbacks alias the Conn's
// receive buffer and are valid until the iteration moves on; Execute,
// DumpAll and Receive return copies.
type Conn struct {
	t      Transport
	proto  int
	cfg    Config
	sem    chan struct{}
	seq    atomic.Uint32
	closed atomic.Bool

	rbuf []byte
	sbuf []byte
	offs []int // where each message of the last datagram sent starts in sbuf

	wmu         sync.Mutex
	watching    bool
	watchGen    uint64 // which call the active watch belongs to
	deadline    time.Time
	maxDatagram int

	foreign, unexpected, overruns atomic.Uint64

	trace io.Writer
	fmt   *Formatter
}

// Stats counts what a Conn dropped.
type Stats struct {
	// Foreign counts datagrams dropped because their sender was not the
	// kernel (and Config.AcceptNonKernel was off).
	Foreign uint64
	// Unexpected counts messages dropped because their sequence number
	// was not the one awaited.
	Unexpected uint64
	// Overruns counts receive-queue overflows (ENOBUFS) reported.
	Overruns uint64
}

// Dial opens a netlink socket for protocol (unix.NETLINK_ROUTE,
// unix.NETLINK_GENERIC, unix.NETLINK_NETFILTER, a kernel module's own
// number, ...) set up as cfg says; a nil cfg means the defaults.
func Dial(protocol int, cfg *Config) (*Conn, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	var fd int
	err := cfg.NetNS.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, protocol)
		return err
	})
	if err != nil {
		return nil, &OpError{Op: fmt.Sprintf("netlink dial protocol %d", protocol), Err: os.NewSyscallError("socket", err)}
	}
	s, err := newSocket(fd, cfg)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := setup(s, cfg); err != nil {
		s.Close()
		return nil, &OpError{Op: fmt.Sprintf("netlink dial protocol %d", protocol), Err: err}
	}
	c := NewConn(s, protocol, cfg)
	var sndbuf int
	s.rc.Control(func(fd uintptr) { sndbuf, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF) })
	if sndbuf > 64 {
		c.maxDatagram = sndbuf - 64
	}
	return c, nil
}

func setup(s *socket, cfg *Config) error {
	type opt struct {
		level, name, val int
		on, optional     bool
		what             string
	}
	opts := []opt{
		{unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1, !cfg.NoExtAck, true, "extended ACK"},
		{unix.SOL_NETLINK, unix.NETLINK_GET_STRICT_CHK, 1, !cfg.NoStrict, true, "strict checking"},
		{unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1, cfg.CapAck, false, "NETLINK_CAP_ACK"},
		{unix.SOL_NETLINK, unix.NETLINK_LISTEN_ALL_NSID, 1, cfg.ListenAllNSID, false, "NETLINK_LISTEN_ALL_NSID"},
		{unix.SOL_NETLINK, unix.NETLINK_NO_ENOBUFS, 1, cfg.NoENOBUFS, false, "NETLINK_NO_ENOBUFS"},
		{unix.SOL_NETLINK, unix.NETLINK_PKTINFO, 1, cfg.PktInfo, false, "NETLINK_PKTINFO"},
		{unix.SOL_SOCKET, unix.SO_PASSCRED, 1, cfg.PassCred, false, "SO_PASSCRED"},
	}
	for _, o := range opts {
		if !o.on {
			continue
		}
		if err := s.setsockopt(o.level, o.name, o.val); err != nil && !(o.optional && errors.Is(err, unix.ENOPROTOOPT)) {
			return fmt.Errorf("set %s: %w", o.what, err)
		}
	}
	if cfg.ReadBuffer > 0 {
		if err := s.setsockopt(unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, cfg.ReadBuffer); err != nil {
			if err := s.setsockopt(unix.SOL_SOCKET, unix.SO_RCVBUF, cfg.ReadBuffer); err != nil {
				return fmt.Errorf("set receive buffer: %w", err)
			}
		}
	}
	if cfg.WriteBuffer > 0 {
		if err := s.setsockopt(unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, cfg.WriteBuffer); err != nil {
			if err := s.setsockopt(unix.SOL_SOCKET, unix.SO_SNDBUF, cfg.WriteBuffer); err != nil {
				return fmt.Errorf("set send buffer: %w", err)
			}
		}
	}
	if err := s.bind(cfg.PortID); err != nil {
		return fmt.Errorf("bind port %d: %w", cfg.PortID, err)
	}
	for _, g := range cfg.Groups {
		if err := s.JoinGroup(g); err != nil {
			return fmt.Errorf("join group %d: %w", g, err)
		}
	}
	return nil
}

// NewConn makes a Conn over any Transport; Dial uses it with a netlink
// socket, core/nltest with its fake kernel. Socket options in cfg are the
// transport's business; NewConn uses the rest.
func NewConn(t Transport, protocol int, cfg *Config) *Conn {
	if cfg == nil {
		cfg = &Config{}
	}
	c := &Conn{t: t, proto: protocol, cfg: *cfg, sem: make(chan struct{}, 1)}
	size := cfg.ReceiveBufferSize
	if size < defaultReceiveBuffer {
		size = defaultReceiveBuffer
	}
	c.rbuf = make([]byte, size)
	c.seq.Store(uint32(time.Now().Unix()))
	c.trace = cfg.Trace
	if c.trace == nil && os.Getenv("NLKIT_TRACE") == "1" {
		c.trace = os.Stderr
	}
	c.fmt = cfg.Formatter
	if c.fmt == nil {
		c.fmt = &Formatter{Protocol: protocol}
	}
	return c
}

// Protocol is the netlink protocol the Conn speaks.
func (c *Conn) Protocol() int { return c.proto }

// PortID is the port the Conn is bound to.
func (c *Conn) PortID() uint32 { return c.t.PortID() }

// Stats returns what the Conn has dropped so far.
func (c *Conn) Stats() Stats {
	return Stats{Foreign: c.foreign.Load(), Unexpected: c.unexpected.Load(), Overruns: c.overruns.Load()}
}

// Close closes the socket and unblocks any call waiting on it. Calls after
// Close return ErrClosed.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.t.Close()
}

// SetDeadline sets a deadline for every wait on the Conn, on top of each
// call's context. The zero time clears it.
func (c *Conn) SetDeadline(t time.Time) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.deadline = t
	if err := c.t.SetReadDeadline(t); err != nil {
		return err
	}
	return c.t.SetWriteDeadline(t)
}

// JoinGroup joins multicast group g (any number, also past 32).
func (c *Conn) JoinGroup(g uint32) error {
	gt, ok := c.t.(GroupTransport)
	if !ok {
		return &OpError{Op: fmt.Sprintf("join group %d", g), Err: errors.ErrUnsupported}
	}
	return wrapOp(gt.JoinGroup(g), "join group %d", g)
}

// LeaveGroup leaves multicast group g.
func (c *Conn) LeaveGroup(g uint32) error {
	gt, ok := c.t.(GroupTransport)
	if !ok {
		return &OpError{Op: fmt.Sprintf("leave group %d", g), Err: errors.ErrUnsupported}
	}
	return wrapOp(gt.LeaveGroup(g), "leave group %d", g)
}

func wrapOp(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &OpError{Op: fmt.Sprintf(format, args...), Err: err}
}

// lock takes the Conn for one exchange, honouring ctx while waiting.
func (c *Conn) lock(ctx context.Context) error {
	if done := ctx.Done(); done != nil {
		select {
		case c.sem <- struct{}{}:
		case <-done:
			return ctx.Err()
		}
	} else {
		c.sem <- struct{}{}
	}
	if c.closed.Load() {
		<-c.sem
		return ErrClosed
	}
	return nil
}

func (c *Conn) unlock() { <-c.sem }

// watcher makes a context's deadline and cancellation reach a blocked
// socket call, through the transport's deadlines.
type watcher struct {
	stop func() bool
	set  bool
}

var longAgo = time.Unix(1, 0)

func (c *Conn) watch(ctx context.Context) watcher {
	var w watcher
	d, ok := ctx.Deadline()
	c.wmu.Lock()
	c.watching = true
	c.watchGen++
	gen := c.watchGen
	if ok && (c.deadline.IsZero() || d.Before(c.deadline)) {
		c.t.SetReadDeadline(d)
		c.t.SetWriteDeadline(d)
		w.set = true
	}
	c.wmu.Unlock()
	if ctx.Done() != nil {
		w.stop = context.AfterFunc(ctx, func() {
			c.wmu.Lock()
			if c.watching && c.watchGen == gen {
				c.t.SetReadDeadline(longAgo)
				c.t.SetWriteDeadline(longAgo)
			}
			c.wmu.Unlock()
		})
	}
	return w
}

func (c *Conn) unwatch(w watcher) {
	if w.stop != nil && !w.stop() {
		w.set = true
	}
	c.wmu.Lock()
	c.watching = false
	if w.set {
		c.t.SetReadDeadline(c.deadline)
		c.t.SetWriteDeadline(c.deadline)
	}
	c.wmu.Unlock()
}

// ioErr turns a transport error into what the caller should see.
func (c *Conn) ioErr(ctx context.Context, op string, err error) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
		return &OpError{Op: op, Err: ctx.Err()}
	case errors.Is(err, os.ErrDeadlineExceeded) && ctxExpired(ctx):
		// The socket's deadline fired before the context's own timer.
		return &OpError{Op: op, Err: context.DeadlineExceeded}
	case errors.Is(err, os.ErrClosed) || c.closed.Load():
		return &OpError{Op: op, Err: ErrClosed}
	case errors.Is(err, ErrOverrun):
		c.overruns.Add(1)
		return ErrOverrun
	}
	return &OpError{Op: op, Err: err}
}

// ctxExpired reports whether ctx's deadline has passed.
func ctxExpired(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

func (c *Conn) nextSeq() uint32 {
	for {
		s := c.seq.Add(1)
		if s != 0 {
			return s
		}
	}
}

// encode appends m to the send buffer, assigning a sequence number when it
// has none, and returns it as sent.
func (c *Conn) encode(m Message) Message {
	if m.Header.Sequence == 0 {
		m.Header.Sequence = c.nextSeq()
	}
	if m.Header.PID == 0 {
		m.Header.PID = c.t.PortID()
	}
	m.Header.Length = uint32(m.Len())
	c.offs = append(c.offs, len(c.sbuf))
	c.sbuf = AppendMessage(c.sbuf, m)
	return m
}

// flush sends the encoded datagram to port/group, calling MsgOut and the
// trace first.
func (c *Conn) flush(ctx context.Context, port, group uint32) error {
	if cb := c.cfg.Callbacks; cb != nil && cb.MsgOut != nil {
		s := ScanMessages(c.sbuf)
		for s.Next() {
			if a := cb.MsgOut(s.Message()); a != Continue {
				return &OpError{Op: "netlink send", Err: errors.New("cancelled by the MsgOut callback")}
			}
		}
	}
	if c.trace != nil {
		c.fmt.Trace(c.trace, "send", c.sbuf)
	}
	if err := c.t.Send(c.sbuf, port, group); err != nil {
		return c.ioErr(ctx, "netlink send", err)
	}
	return nil
}

// Send sends one message to the kernel and returns the sequence number it
// carried (assigned when m had none). Flags are sent as given.
func (c *Conn) Send(ctx context.Context, m Message) (uint32, error) {
	return c.SendTo(ctx, m, 0, 0)
}

// SendTo sends one message to a userspace port or a multicast group (port
// 0 and group 0: the kernel).
func (c *Conn) SendTo(ctx context.Context, m Message, port, group uint32) (uint32, error) {
	if err := c.lock(ctx); err != nil {
		return 0, err
	}
	defer c.unlock()
	w := c.watch(ctx)
	defer c.unwatch(w)
	c.sbuf, c.offs = c.sbuf[:0], c.offs[:0]
	m = c.encode(m)
	return m.Header.Sequence, c.flush(ctx, port, group)
}

// SendBatch sends ms to the kernel in one datagram (one sendmsg), assigning
// sequence numbers to those without one (written back into ms). It does
// not wait for replies: use ExecuteBatch for that.
func (c *Conn) SendBatch(ctx context.Context, ms []Message) error {
	if err := c.lock(ctx); err != nil {
		return err
	}
	defer c.unlock()
	w := c.watch(ctx)
	defer c.unwatch(w)
	c.sbuf, c.offs = c.sbuf[:0], c.offs[:0]
	for i := range ms {
		ms[i] = c.encode(ms[i])
	}
	return c.flush(ctx, 0, 0)
}

// Execute sends req and waits for its answer (libnl's nl_send_sync and
// friends): the reply messages, copied, then the ACK. NLM_F_REQUEST and
// NLM_F_ACK are added. The answer ends at the ACK, a kernel error
// (returned as *Error), or NLMSG_DONE, which is how a request the kernel
// treats as a dump ends (the kernel does not ACK dumps); Dump streams a
// dump without the copies.
func (c *Conn) Execute(ctx context.Context, req Message) ([]Message, error) {
	var out []Message
	err := c.do(ctx, req, func(m Message) bool {
		out = append(out, m.Clone())
		return true
	})
	return out, err
}

// ExecuteFunc is Execute without the copies: fn sees each reply in place
// (valid only during the call), which is how a family decodes a reply
// straight into its object. When fn returns an error, the rest of the
// answer is read and dropped, and that error is returned.
func (c *Conn) ExecuteFunc(ctx context.Context, req Message, fn func(Message) error) error {
	var ferr error
	err := c.do(ctx, req, func(m Message) bool {
		ferr = fn(m)
		return ferr == nil
	})
	if ferr != nil {
		return ferr
	}
	return err
}

// Run sends req and runs the receive loop with cb for this call on top of
// Config.Callbacks (cb's hooks win), like libnl's nl_send_auto followed by
// nl_recvmsgs. Data messages reach cb.Valid; the loop ends at the ACK,
// NLMSG_DONE for a dump, an error, or a Stop.
func (c *Conn) Run(ctx context.Context, req Message, cb *Callbacks) error {
	if cb == nil {
		return c.do(ctx, req, nil)
	}
	saved := c.cfg.Callbacks
	merged := mergeCallbacks(saved, cb)
	if err := c.lock(ctx); err != nil {
		return err
	}
	defer c.unlock()
	c.cfg.Callbacks = merged
	defer func() { c.cfg.Callbacks = saved }()
	return c.doLocked(ctx, req, nil, false)
}

func (c *Conn) do(ctx context.Context, req Message, deliver func(Message) bool) error {
	if err := c.lock(ctx); err != nil {
		return err
	}
	defer c.unlock()
	return c.doLocked(ctx, req, deliver, false)
}

// doLocked sends req and receives its answer. A dump (from Dump) ends at
// NLMSG_DONE and asks for no ACK. Anything else asks for the ACK and ends
// at it, at an error, or at NLMSG_DONE: the flag bits alone cannot tell a
// dump (ROOT|MATCH) from a new request with REPLACE|EXCL, so a request
// that the kernel treats as a dump (and so does not ACK) also ends.
func (c *Conn) doLocked(ctx context.Context, req Message, deliver func(Message) bool, dump bool) error {
	w := c.watch(ctx)
	defer c.unwatch(w)
	req.Header.Flags |= FlagRequest
	if dump {
		req.Header.Flags |= FlagDump
	} else {
		req.Header.Flags |= FlagAck
	}
	c.sbuf, c.offs = c.sbuf[:0], c.offs[:0]
	req = c.encode(req)
	if err := c.flush(ctx, 0, 0); err != nil {
		return err
	}
	exp := expect{seq: req.Header.Sequence, n: 1, dump: dump}
	return c.receive(ctx, &exp, deliver)
}

// Dump sends a dump request (NLM_F_REQUEST|NLM_F_DUMP are added) and
// streams the reply messages from one reused buffer. A Message is valid
// until the loop moves on. A kernel error ends the stream as the last
// pair; a dump the kernel flagged NLM_F_DUMP_INTR ends, after all its data,
// with ErrDumpInterrupted. Breaking out of the loop early is allowed: the
// rest of the dump is read and dropped so the Conn stays in step.
func (c *Conn) Dump(ctx context.Context, req Message) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		if err := c.lock(ctx); err != nil {
			yield(Message{}, err)
			return
		}
		defer c.unlock()
		broke := false
		err := c.doLocked(ctx, req, func(m Message) bool {
			if !yield(m, nil) {
				broke = true
				return false
			}
			return true
		}, true)
		if err != nil && !broke {
			yield(Message{}, err)
		}
	}
}

// DumpAll runs a dump and returns copies of its messages. When the kernel
// interrupts the dump (ErrDumpInterrupted), it starts again, up to retries
// more times, and returns the last attempt's messages with the error if
// every attempt was interrupted.
func (c *Conn) DumpAll(ctx context.Context, req Message, retries int) ([]Message, error) {
	for attempt := 0; ; attempt++ {
		var out []Message
		var err error
		for m, e := range c.Dump(ctx, req) {
			if e != nil {
				err = e
				break
			}
			out = append(out, m.Clone())
		}
		if errors.Is(err, ErrDumpInterrupted) && attempt < retries {
			continue
		}
		return out, err
	}
}

// ExecuteBatch sends ms in datagrams of Config.BatchSize messages (one
// sendmsg each) with NLM_F_REQUEST|NLM_F_ACK, and reads every ACK. Replies
// other than ACKs are dropped. When errs is not nil (len(errs) >=
// len(ms)), errs[i] receives message i's kernel error or nil, and the
// returned error is only a transport failure; with errs nil the first
// kernel error is returned after the whole batch is done.
func (c *Conn) ExecuteBatch(ctx context.Context, ms []Message, errs []error) error {
	if errs != nil && len(errs) < len(ms) {
		return &OpError{Op: "netlink batch", Err: fmt.Errorf("errs holds %d entries for %d messages", len(errs), len(ms))}
	}
	if err := c.lock(ctx); err != nil {
		return err
	}
	defer c.unlock()
	w := c.watch(ctx)
	defer c.unwatch(w)
	size := c.cfg.BatchSize
	if size <= 0 {
		size = defaultBatchSize
	}
	var first error
	for start := 0; start < len(ms); {
		c.sbuf, c.offs = c.sbuf[:0], c.offs[:0]
		end := start
		base := c.nextSeq()
		for end < len(ms) && end-start < size {
			m := ms[end]
			m.Header.Flags |= FlagRequest | FlagAck
			m.Header.Sequence = base + uint32(end-start)
			if end > start && c.maxDatagram > 0 && len(c.sbuf)+Align(m.Len()) > c.maxDatagram {
				break
			}
			c.encode(m)
			end++
		}
		c.seq.Store(base + uint32(end-start-1))
		if err := c.flush(ctx, 0, 0); err != nil {
			return err
		}
		exp := expect{seq: base, n: end - start, batch: true}
		if errs != nil {
			exp.errs = errs[start:end]
		}
		if err := c.receive(ctx, &exp, nil); err != nil {
			return err
		}
		if first == nil {
			first = exp.first
		}
		start = end
	}
	return first
}

// expect is what the receive loop waits for.
type expect struct {
	seq   uint32 // first sequence number awaited; 0: none (events)
	n     int    // how many requests, from seq on
	dump  bool   // stop at NLMSG_DONE
	batch bool   // n requests, each ending at its ACK or error
	errs  []error
	first error
	done  int
}

func (e *expect) match(seq uint32) (int, bool) {
	if e.seq == 0 {
		return 0, true
	}
	i := int(seq - e.seq)
	return i, seq-e.seq < uint32(e.n)
}

// receive is the receive loop (nl_recvmsgs): it reads datagrams, drops
// foreign senders and strangers, runs the callbacks, and hands data
// messages to deliver (nil: none) until the exchange ends. After deliver
// returns false, it keeps reading to the end of the exchange but delivers
// nothing more.
func (c *Conn) receive(ctx context.Context, exp *expect, deliver func(Message) bool) error {
	cb := c.cfg.Callbacks
	if cb == nil {
		cb = &noCallbacks
	}
	interrupted := false
	var result error
	for {
		n, from, err := c.t.Receive(&c.rbuf)
		if err != nil {
			return c.ioErr(ctx, "netlink receive", err)
		}
		if from.Port != 0 && !c.cfg.AcceptNonKernel {
			c.foreign.Add(1)
			continue
		}
		dgram := c.rbuf[:n]
		if c.trace != nil {
			c.fmt.Trace(c.trace, "recv", dgram)
		}
		s := ScanMessages(dgram)
		for s.Next() {
			m := s.Message()
			m.From = from
			switch call(cb.MsgIn, m) {
			case Skip:
				continue
			case Stop:
				return result
			}
			idx, ok := exp.match(m.Header.Sequence)
			if !ok {
				a := Skip
				if cb.SeqCheck != nil {
					a = cb.SeqCheck(m)
				}
				if a == Stop {
					return result
				}
				if a != Continue {
					c.unexpected.Add(1)
					continue
				}
			}
			if m.Header.Flags&FlagDumpIntr != 0 {
				switch a := call(cb.DumpInterrupted, m); a {
				case Skip:
					continue
				case Stop:
					return result
				}
				interrupted = true
			}
			if m.Header.Flags&FlagAck != 0 && cb.SendAck != nil {
				if a := cb.SendAck(m); a == Stop {
					return result
				} else if a == Skip {
					continue
				}
			}
			switch m.Header.Type {
			case TypeNoop:
				if call(cb.Skipped, m) == Stop {
					return result
				}
				continue
			case TypeOverrun:
				switch call(cb.Overrun, m) {
				case Skip:
					continue
				case Stop:
					return result
				}
				c.overruns.Add(1)
				return ErrOverrun
			case TypeDone:
				if e := parseDoneError(m, c.requestBytes(idx)); e != nil {
					switch errCall(cb.Error, m, e) {
					case Skip:
						continue
					case Stop:
						return result
					}
					return e
				}
				switch call(cb.Finish, m) {
				case Skip:
					continue
				case Stop:
					return result
				}
				if exp.seq != 0 && !exp.batch {
					if interrupted {
						return ErrDumpInterrupted
					}
					return result
				}
				continue
			case TypeError:
				e, perr := ParseErrorMessage(m.Header, m.Data, c.requestBytes(idx))
				if perr != nil {
					switch invalid(cb.Invalid, m, perr) {
					case Skip:
						continue
					case Stop:
						return result
					}
					return perr
				}
				if e == nil {
					switch call(cb.Ack, m) {
					case Skip:
						continue
					case Stop:
						return result
					}
					if exp.batch {
						if !ok {
							continue
						}
						if exp.errs != nil {
							exp.errs[idx] = nil
						}
						if exp.done++; exp.done == exp.n {
							return result
						}
						continue
					}
					if interrupted {
						return ErrDumpInterrupted
					}
					return result
				}
				switch errCall(cb.Error, m, e) {
				case Skip:
					continue
				case Stop:
					return result
				}
				if exp.batch {
					if !ok {
						continue
					}
					if exp.errs != nil {
						exp.errs[idx] = e
					} else if exp.first == nil {
						exp.first = e
					}
					if exp.done++; exp.done == exp.n {
						return result
					}
					continue
				}
				return e
			}
			switch call(cb.Valid, m) {
			case Skip:
				continue
			case Stop:
				return result
			}
			if exp.batch {
				continue
			}
			if deliver != nil && !deliver(m) {
				deliver = nil
			}
			if exp.seq == 0 {
				continue
			}
			if m.Header.Flags&FlagMulti == 0 && exp.dump {
				// A dump answered by a single message (some
				// families do that): it is the whole answer.
				return result
			}
		}
		if err := s.Err(); err != nil {
			switch invalid(cb.Invalid, Message{From: from}, err) {
			case Skip:
				continue
			case Stop:
				return result
			}
			return &OpError{Op: "netlink receive", Err: err}
		}
		if exp.seq == 0 {
			return result
		}
	}
}

var noCallbacks Callbacks

func call(fn func(Message) Action, m Message) Action {
	if fn == nil {
		return Continue
	}
	return fn(m)
}

func errCall(fn func(Message, *Error) Action, m Message, e *Error) Action {
	if fn == nil {
		return Continue
	}
	return fn(m, e)
}

func invalid(fn func(Message, error) Action, m Message, err error) Action {
	if fn == nil {
		return Continue
	}
	return fn(m, err)
}

// requestBytes returns request i of the last datagram sent.
func (c *Conn) requestBytes(i int) []byte {
	if i < 0 || i >= len(c.offs) {
		return nil
	}
	end := len(c.sbuf)
	if i+1 < len(c.offs) {
		end = c.offs[i+1]
	}
	return c.sbuf[c.offs[i]:end]
}

// parseDoneError reads the error a strict dump may put in NLMSG_DONE.
func parseDoneError(m Message, req []byte) *Error {
	if len(m.Data) < 4 || binary.NativeEndian.Uint32(m.Data) == 0 {
		return nil
	}
	h := m.Header
	// An NLMSG_DONE carries an int error and, with NLM_F_ACK_TLVS, the
	// extended-ACK attributes right after it (no request echo).
	fake := make([]byte, 0, 4+HeaderLen+len(m.Data)-4)
	fake = append(fake, m.Data[:4]...)
	fake = AppendMessage(fake, Message{Header: Header{Type: h.Type}})
	fake = append(fake, m.Data[4:]...)
	h.Flags |= FlagCapped
	e, err := ParseErrorMessage(h, fake, req)
	if err != nil || e == nil {
		return nil
	}
	e.Request = Header{}
	return e
}

// Receive reads one datagram from the kernel or, with AcceptNonKernel, any
// sender, and returns copies of its messages with their sender in From.
// Datagrams from senders not accepted are dropped and counted.
func (c *Conn) Receive(ctx context.Context) ([]Message, error) {
	if err := c.lock(ctx); err != nil {
		return nil, err
	}
	defer c.unlock()
	w := c.watch(ctx)
	defer c.unwatch(w)
	for {
		n, from, err := c.t.Receive(&c.rbuf)
		if err != nil {
			return nil, c.ioErr(ctx, "netlink receive", err)
		}
		if from.Port != 0 && !c.cfg.AcceptNonKernel {
			c.foreign.Add(1)
			continue
		}
		if c.trace != nil {
			c.fmt.Trace(c.trace, "recv", c.rbuf[:n])
		}
		msgs, err := ParseMessages(c.rbuf[:n])
		for i := range msgs {
			msgs[i].From = from
		}
		if err != nil {
			return msgs, &OpError{Op: "netlink receive", Err: err}
		}
		return msgs, nil
	}
}

// Listen streams messages as they arrive (events on a Conn that joined
// groups, or a userspace peer's messages) until ctx ends or the loop
// breaks, from one reused buffer. A receive-queue overflow is yielded as
// ErrOverrun and the stream goes on: a caller mirroring kernel state
// should then dump again. When ctx ends, the last pair carries its error.
// Listen holds the Conn for as long as it runs.
func (c *Conn) Listen(ctx context.Context) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		if err := c.lock(ctx); err != nil {
			yield(Message{}, err)
			return
		}
		defer c.unlock()
		w := c.watch(ctx)
		defer c.unwatch(w)
		stop := false
		deliver := func(m Message) bool {
			if !yield(m, nil) {
				stop = true
				return false
			}
			return true
		}
		for !stop {
			exp := expect{}
			err := c.receive(ctx, &exp, deliver)
			if stop {
				return
			}
			if err != nil {
				if !yield(Message{}, err) {
					return
				}
				if !errors.Is(err, ErrOverrun) {
					if _, ok := err.(*Error); !ok {
						return
					}
				}
			}
		}
	}
}

func mergeCallbacks(base, over *Callbacks) *Callbacks {
	if base == nil {
		return over
	}
	m := *base
	if over.Valid != nil {
		m.Valid = over.Valid
	}
	if over.Finish != nil {
		m.Finish = over.Finish
	}
	if over.Overrun != nil {
		m.Overrun = over.Overrun
	}
	if over.Skipped != nil {
		m.Skipped = over.Skipped
	}
	if over.Ack != nil {
		m.Ack = over.Ack
	}
	if over.MsgIn != nil {
		m.MsgIn = over.MsgIn
	}
	if over.MsgOut != nil {
		m.MsgOut = over.MsgOut
	}
	if over.Invalid != nil {
		m.Invalid = over.Invalid
	}
	if over.SeqCheck != nil {
		m.SeqCheck = over.SeqCheck
	}
	if over.SendAck != nil {
		m.SendAck = over.SendAck
	}
	if over.DumpInterrupted != nil {
		m.DumpInterrupted = over.DumpInterrupted
	}
	if over.Error != nil {
		m.Error = over.Error
	}
	return &m
}
