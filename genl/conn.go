package genl

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// HeaderLen is the size of the generic netlink header (struct
// genlmsghdr): command, version and two reserved bytes.
const HeaderLen = unix.GENL_HDRLEN

// ctrlVersion is the version nlctrl speaks (and libnl sends).
const ctrlVersion = 2

// Header is the generic netlink header (struct genlmsghdr).
type Header struct {
	// Command is the family's command (genlmsghdr.cmd).
	Command uint8
	// Version is the family's interface version (genlmsghdr.version).
	Version uint8
}

// Message is one generic netlink message, received: the netlink header,
// the genl header, and what follows them.
type Message struct {
	// Header is the netlink header; its Type is the family's ID.
	Header core.Header
	// Genl is the generic netlink header.
	Genl Header
	// Data holds the attributes: the payload after genlmsghdr and the
	// family's own header (Family.HeaderSize bytes, in FamilyHeader).
	Data []byte
	// From says who sent the message.
	From core.Sender
	// FamilyHeader is the family's own header, between genlmsghdr and
	// the attributes; empty for families without one (most).
	FamilyHeader []byte
}

// Conn is a generic netlink connection: a core.Conn speaking
// NETLINK_GENERIC, with the families it resolved by name remembered.
//
// # Family cache
//
// Each Conn resolves a family name once (CTRL_CMD_GETFAMILY) and keeps the
// answer; later calls by name cost no round trip. An entry is forgotten
// when the controller announces the family gone (CTRL_CMD_DELFAMILY on
// nlctrl's "notify" group) and when a request by name comes back ENOENT or
// EINVAL and resolving the name again gives another ID (the request is then
// sent again, once). The announcements are watched by a goroutine on a
// socket of its own, started with the first resolution when the Conn can
// dial (Dial, NewConnDialer) and stopped by Close; a Conn made by NewConn
// relies on the stale-ID retry alone.
//
// A Conn is safe for concurrent use. Like core.Conn, it cannot be called
// from inside its own Dump loop. The cache is the Conn's own: there is no
// state shared between Conns.
type Conn struct {
	c    *core.Conn
	dial func() (*core.Conn, error)

	fams    familyCache
	intern  familyInterner
	valid   validators
	bufs    sync.Pool // *[]byte request buffers
	scratch sync.Pool // *Family for FamilyIter
	hints   struct{ families, ops, groups atomic.Uint32 }

	wmu     sync.Mutex
	watch   *familyWatch
	closed  bool
	closeCh chan struct{}
}

// Dial opens a generic netlink socket set up as cfg says (nil: defaults).
// Subscribe and the family watcher open further sockets with the same
// Config, without its Groups.
func Dial(cfg *core.Config) (*Conn, error) {
	c, err := core.Dial(unix.NETLINK_GENERIC, cfg)
	if err != nil {
		return nil, err
	}
	var side core.Config
	if cfg != nil {
		side = *cfg
		side.Groups = nil
		side.PortID = 0
	}
	return NewConnDialer(c, func() (*core.Conn, error) {
		cc := side
		return core.Dial(unix.NETLINK_GENERIC, &cc)
	}), nil
}

// NewConn makes a Conn over c, which must speak NETLINK_GENERIC (a socket
// from core.Dial, or a core/nltest fake kernel's Conn). Close closes c.
// Without a way to open sockets of its own, the Conn cannot Subscribe and
// does not watch for families going away: use NewConnDialer for that.
func NewConn(c *core.Conn) *Conn {
	return NewConnDialer(c, nil)
}

// NewConnDialer is NewConn with dial, which opens a further
// NETLINK_GENERIC Conn like c (same namespace, same kernel): Subscribe
// uses one per subscription and the family watcher one per Conn.
func NewConnDialer(c *core.Conn, dial func() (*core.Conn, error)) *Conn {
	return &Conn{c: c, dial: dial, closeCh: make(chan struct{})}
}

// Core returns the underlying core.Conn.
func (c *Conn) Core() *core.Conn { return c.c }

// Close stops the family watcher and closes the socket.
func (c *Conn) Close() error {
	c.wmu.Lock()
	w := c.watch
	if !c.closed {
		c.closed = true
		close(c.closeCh)
	}
	c.watch = nil
	c.wmu.Unlock()
	if w != nil {
		w.stop()
	}
	return c.c.Close()
}

// request builds the payload of a request: genlmsghdr and attrs.
func (c *Conn) request(cmd uint8, version uint32, attrs []byte) *[]byte {
	bp, _ := c.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	b := append((*bp)[:0], cmd, uint8(version), 0, 0)
	b = append(b, attrs...)
	*bp = b
	return bp
}

func (c *Conn) release(bp *[]byte) {
	if cap(*bp) <= 64<<10 {
		c.bufs.Put(bp)
	}
}

// parseMessage splits a received message into its headers and attributes.
func parseMessage(m core.Message, hdrSize uint32) (Message, error) {
	if len(m.Data) < HeaderLen+int(hdrSize) {
		return Message{}, &core.OpError{Op: "genl receive", Err: &core.ParseError{What: "genlmsghdr and family header", Len: len(m.Data), Want: HeaderLen + int(hdrSize)}}
	}
	end := HeaderLen + int(hdrSize)
	return Message{
		Header:       m.Header,
		Genl:         Header{Command: m.Data[0], Version: m.Data[1]},
		Data:         m.Data[end:],
		From:         m.From,
		FamilyHeader: m.Data[HeaderLen:end:end],
	}, nil
}

// Execute sends command cmd of family with attrs and returns the replies,
// copied. attrs is the payload after genlmsghdr: the family's own header
// first when it has one (Family.HeaderSize bytes), then the attributes.
// flags are added to NLM_F_REQUEST|NLM_F_ACK. The family is resolved by
// name through the Conn's cache.
func (c *Conn) Execute(ctx context.Context, family string, cmd uint8, flags core.HeaderFlags, attrs []byte) ([]Message, error) {
	var out []Message
	err := c.ExecuteFunc(ctx, family, cmd, flags, attrs, func(m Message) error {
		m.Data = append([]byte(nil), m.Data...)
		m.FamilyHeader = append([]byte(nil), m.FamilyHeader...)
		out = append(out, m)
		return nil
	})
	return out, err
}

// ExecuteFunc is Execute without the copies: fn sees each reply in place,
// valid only during the call. An error from fn ends the call (the rest of
// the answer is read and dropped) and is returned.
func (c *Conn) ExecuteFunc(ctx context.Context, family string, cmd uint8, flags core.HeaderFlags, attrs []byte, fn func(Message) error) error {
	f, err := c.Family(ctx, family)
	if err != nil {
		return err
	}
	called := false
	err = c.executeFamily(ctx, f, cmd, flags, attrs, func(m Message) error {
		called = true
		return fn(m)
	})
	if !called && c.stale(err) {
		f2, rerr := c.refresh(ctx, f)
		if rerr != nil {
			return rerr
		}
		if f2 != nil {
			err = c.executeFamily(ctx, f2, cmd, flags, attrs, fn)
		}
	}
	return err
}

// ExecuteFamily is ExecuteFunc for a family already resolved: no lookup,
// no retry.
func (c *Conn) ExecuteFamily(ctx context.Context, f *Family, cmd uint8, flags core.HeaderFlags, attrs []byte, fn func(Message) error) error {
	return c.executeFamily(ctx, f, cmd, flags, attrs, fn)
}

func (c *Conn) executeFamily(ctx context.Context, f *Family, cmd uint8, flags core.HeaderFlags, attrs []byte, fn func(Message) error) error {
	bp := c.request(cmd, f.Version, attrs)
	defer c.release(bp)
	req := core.Message{Header: core.Header{Type: core.MessageType(f.ID), Flags: flags}, Data: *bp}
	hdr := f.HeaderSize
	err := c.c.ExecuteFunc(ctx, req, func(m core.Message) error {
		gm, err := parseMessage(m, hdr)
		if err != nil {
			return err
		}
		return fn(gm)
	})
	if err != nil {
		return opError(err, f.Name, cmd)
	}
	return nil
}

// opError names the family and command a failed call was about.
func opError(err error, family string, cmd uint8) error {
	var ke *core.Error
	if errors.As(err, &ke) && ke.Op != "netlink" && ke.Op != "" {
		return err
	}
	return core.WithOp(err, "genl "+family+" command "+itoa(int(cmd)))
}

func itoa(v int) string {
	var b [20]byte
	i := len(b)
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// stale reports whether err is what the kernel answers a request sent to
// a family ID that is no longer (or not yet again) that family's.
func (c *Conn) stale(err error) bool {
	var ke *core.Error
	return errors.As(err, &ke) && (ke.Errno == unix.ENOENT || ke.Errno == unix.EINVAL)
}
