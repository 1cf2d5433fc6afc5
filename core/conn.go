package core

import (
	"context"
	"errors"
	"fmt"
	"io"
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
// A Conn is safe for use by many goroutines. Each call that waits for the
// kernel — Execute, ExecuteBatch, Run, Dump (for the length of the
// iteration), Receive, Listen (for the length of the iteration) — holds
// the Conn for its whole exchange, so requests are serialised and replies
// can never cross between callers: every reply is matched by sequence
// number and sender. Send, SendTo and SendBatch only send: they take a
// lock of their own and never wait for an exchange, so one goroutine can
// Listen while others Send on the same Conn (NFQUEUE verdicts, for one). Waiting for the Conn honours the
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
	sb   sendBuf // requests of the exchange holding the Conn

	smu sync.Mutex // guards ob: Send, SendTo and SendBatch
	ob  sendBuf
	tmu sync.Mutex // serialises writes to the transport

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
