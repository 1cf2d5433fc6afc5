package nltest

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// TB is the part of testing.TB a Kernel uses; *testing.T and *testing.B
// satisfy it.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// HandlerFunc answers one request with the datagrams to send back to the
// socket that sent it, in order. It runs on the sending goroutine: it may
// call the Kernel (Event, Requests, ...) but not the Conn that sent r.
type HandlerFunc func(r *Request) []Reply

// Kernel is the fake kernel side of one netlink protocol: it records every
// request sent to it, answers with the handlers the test registered, and
// delivers events to the sockets that joined a group.
type Kernel struct {
	t     TB
	proto int

	mu        sync.Mutex
	handlers  map[core.MessageType]HandlerFunc
	fallback  HandlerFunc
	requests  []*Request
	sockets   map[uint32]*Socket
	nextPort  uint32
	datagrams int

	blocked atomic.Int64
}

// New returns a fake kernel for protocol (unix.NETLINK_ROUTE, ...). Its
// sockets are closed when t ends.
func New(t TB, protocol int) *Kernel {
	t.Helper()
	k := &Kernel{
		t:        t,
		proto:    protocol,
		handlers: make(map[core.MessageType]HandlerFunc),
		sockets:  make(map[uint32]*Socket),
		nextPort: 4096,
	}
	t.Cleanup(k.closeAll)
	return k
}

// Protocol is the netlink protocol the kernel speaks.
func (k *Kernel) Protocol() int { return k.proto }

// Dial returns a Conn to the kernel over a new Socket set up as cfg says
// (nil: the defaults), closed when the test ends. It fails the test if the
// socket cannot be made (a PortID already bound, a group 0 in cfg.Groups),
// so call it from the test's goroutine.
func (k *Kernel) Dial(cfg *core.Config) *core.Conn {
	k.t.Helper()
	s, err := k.Socket(cfg)
	if err != nil {
		k.t.Fatalf("nltest: dial: %v", err)
		return nil
	}
	c := core.NewConn(s, k.proto, cfg)
	k.t.Cleanup(func() { c.Close() })
	return c
}

// Socket makes a socket bound to cfg.PortID (0: a port the kernel picks)
// with cfg.Groups joined, for core.NewConn. Dial is the short form.
func (k *Kernel) Socket(cfg *core.Config) (*Socket, error) {
	if cfg == nil {
		cfg = &core.Config{}
	}
	s := &Socket{
		k:         k,
		capAck:    cfg.CapAck,
		extAck:    !cfg.NoExtAck,
		noENOBUFS: cfg.NoENOBUFS,
		pktInfo:   cfg.PktInfo,
		passCred:  cfg.PassCred,
		groups:    make(map[uint32]bool),
		wake:      make(chan struct{}),
	}
	for _, g := range cfg.Groups {
		if g == 0 {
			return nil, fmt.Errorf("join group 0: %w", unix.EINVAL)
		}
		s.groups[g] = true
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	port := cfg.PortID
	if port == 0 {
		for k.sockets[k.nextPort] != nil || k.nextPort == 0 {
			k.nextPort++
		}
		port = k.nextPort
		k.nextPort++
	} else if k.sockets[port] != nil {
		return nil, fmt.Errorf("bind port %d: %w", port, unix.EADDRINUSE)
	}
	s.port = port
	k.sockets[port] = s
	return s, nil
}

func (k *Kernel) closeAll() {
	k.mu.Lock()
	socks := make([]*Socket, 0, len(k.sockets))
	for _, s := range k.sockets {
		socks = append(socks, s)
	}
	k.mu.Unlock()
	for _, s := range socks {
		s.Close()
	}
}

func (k *Kernel) unbind(s *Socket) {
	k.mu.Lock()
	if k.sockets[s.port] == s {
		delete(k.sockets, s.port)
	}
	k.mu.Unlock()
}

// Handle makes h answer requests of type typ; a nil h removes the handler.
func (k *Kernel) Handle(typ core.MessageType, h HandlerFunc) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if h == nil {
		delete(k.handlers, typ)
		return
	}
	k.handlers[typ] = h
}

// HandleDefault makes h answer requests of every type that has no handler
// of its own. Without one, such a request is answered with EOPNOTSUPP, as
// the kernel answers a type it does not know.
func (k *Kernel) HandleDefault(h HandlerFunc) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fallback = h
}

// Requests returns every message sent to the kernel so far, in order.
func (k *Kernel) Requests() []*Request {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]*Request(nil), k.requests...)
}

// LastRequest returns the last message sent to the kernel. It fails the
// test when there is none, so call it from the test's goroutine.
func (k *Kernel) LastRequest() *Request {
	k.t.Helper()
	k.mu.Lock()
	n := len(k.requests)
	var r *Request
	if n > 0 {
		r = k.requests[n-1]
	}
	k.mu.Unlock()
	if r == nil {
		k.t.Fatalf("nltest: no request was sent to the kernel")
	}
	return r
}

// ResetRequests forgets the requests recorded so far.
func (k *Kernel) ResetRequests() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.requests = nil
}

// CheckRequests checks that exactly len(wants) requests were sent and that
// request i matches wants[i] (see Request.Check). It reports every
// difference as a test error and returns whether all matched.
func (k *Kernel) CheckRequests(wants ...Want) bool {
	k.t.Helper()
	reqs := k.Requests()
	ok := true
	if len(reqs) != len(wants) {
		types := make([]string, len(reqs))
		for i, r := range reqs {
			types[i] = r.Header.Type.String()
		}
		k.t.Errorf("nltest: %d requests sent (types %v), want %d", len(reqs), types, len(wants))
		ok = false
	}
	for i := range min(len(reqs), len(wants)) {
		if !reqs[i].Check(wants[i]) {
			ok = false
		}
	}
	return ok
}

// Event sends msgs in one datagram from the kernel to every open socket
// that joined group, as a multicast notification, and returns how many
// sockets it reached. Headers are sent as given (events usually carry
// sequence number 0 and port 0).
func (k *Kernel) Event(group uint32, msgs ...core.Message) int {
	b := encode(msgs)
	n := 0
	for _, s := range k.members(group, 0) {
		if s.deliver(b, core.Sender{}, group) {
			n++
		}
	}
	return n
}

// Unicast sends datagrams to the socket bound to port, unasked: each
// Reply's Port is its sender (0: the kernel). It returns ECONNREFUSED when
// no open socket has that port.
func (k *Kernel) Unicast(port uint32, rs ...Reply) error {
	k.mu.Lock()
	s := k.sockets[port]
	k.mu.Unlock()
	if s == nil {
		return fmt.Errorf("nltest: send to port %d: %w", port, unix.ECONNREFUSED)
	}
	for _, r := range rs {
		s.deliverReply(r)
	}
	return nil
}

// Overrun marks every open socket's receive queue as overflowed: the next
// Receive on each returns core.ErrOverrun (before any datagram still
// queued, as the kernel reports a socket error first). Sockets made with
// Config.NoENOBUFS are not told.
func (k *Kernel) Overrun() {
	k.mu.Lock()
	socks := make([]*Socket, 0, len(k.sockets))
	for _, s := range k.sockets {
		socks = append(socks, s)
	}
	k.mu.Unlock()
	for _, s := range socks {
		s.setOverrun()
	}
}

// Blocked is how many Receive calls are waiting for a datagram right now.
// Tests use it to act once a call is really blocked.
func (k *Kernel) Blocked() int { return int(k.blocked.Load()) }

// members returns the open sockets in group, except the one bound to
// skip (0: none).
func (k *Kernel) members(group, skip uint32) []*Socket {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []*Socket
	for port, s := range k.sockets {
		if port != skip && s.inGroup(group) {
			out = append(out, s)
		}
	}
	return out
}

// input handles one datagram a socket sent to the kernel, message by
// message, as netlink_rcv_skb does, and queues the answers on from.
func (k *Kernel) input(from *Socket, b []byte) {
	k.mu.Lock()
	dg := k.datagrams
	k.datagrams++
	k.mu.Unlock()
	off := 0
	for off < len(b) {
		rest := b[off:]
		if len(rest) < core.HeaderLen {
			k.t.Errorf("nltest: datagram %d: %d stray bytes at offset %d after the last message", dg, len(rest), off)
			return
		}
		l := int(binary.NativeEndian.Uint32(rest))
		if l < core.HeaderLen || l > len(rest) {
			k.t.Errorf("nltest: datagram %d: message at offset %d has length %d, %d bytes left", dg, off, l, len(rest))
			return
		}
		raw := append([]byte(nil), rest[:l]...)
		h, _ := core.ParseHeader(raw)
		r := &Request{
			Message:  core.Message{Header: h, Data: raw[core.HeaderLen:]},
			Port:     from.port,
			Datagram: dg,
			raw:      raw,
			t:        k.t,
			capAck:   from.capAck,
			extAck:   from.extAck,
		}
		k.mu.Lock()
		r.Index = len(k.requests)
		k.requests = append(k.requests, r)
		h2 := k.handlers[h.Type]
		if h2 == nil {
			h2 = k.fallback
		}
		k.mu.Unlock()

		var replies []Reply
		switch {
		case h.Flags&core.FlagRequest == 0 || h.Type < unix.NLMSG_MIN_TYPE:
			if h.Flags&core.FlagAck != 0 {
				replies = r.Ack()
			}
		case h2 == nil:
			replies = r.Error(unix.EOPNOTSUPP, ExtAck{Message: fmt.Sprintf("nltest: no handler for message type %d", h.Type)})
		default:
			replies = h2(r)
		}
		for _, rep := range replies {
			from.deliverReply(rep)
		}
		off += core.Align(l)
	}
}

func encode(msgs []core.Message) []byte {
	var b []byte
	for _, m := range msgs {
		b = core.AppendMessage(b, m)
	}
	return b
}
