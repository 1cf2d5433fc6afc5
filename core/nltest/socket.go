package nltest

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Socket is one fake netlink socket: a core.GroupTransport bound to a port
// of its Kernel, with a receive queue of whole datagrams. Kernel.Dial puts
// a Conn on one; Kernel.Socket makes one for core.NewConn.
type Socket struct {
	k    *Kernel
	port uint32

	capAck, extAck, noENOBUFS, pktInfo, passCred bool

	mu       sync.Mutex
	queue    []datagram
	groups   map[uint32]bool
	overrun  bool
	closed   bool
	rdl, wdl time.Time
	wake     chan struct{} // closed and replaced at every change
}

type datagram struct {
	b    []byte
	from core.Sender
}

var _ core.GroupTransport = (*Socket)(nil)

// changed wakes every waiter; s.mu must be held.
func (s *Socket) changed() {
	close(s.wake)
	s.wake = make(chan struct{})
}

func closedErr(op string) error {
	return fmt.Errorf("nltest: %s: %w", op, os.ErrClosed)
}

// PortID is the port the socket is bound to.
func (s *Socket) PortID() uint32 { return s.port }

// Receive takes the next datagram off the queue into *buf, growing it when
// the datagram is larger, and returns its length and sender. It waits for
// one until the read deadline, then returns an error wrapping
// os.ErrDeadlineExceeded; like a socket on Go's poller it does so at once
// when the deadline is already past, even with datagrams queued. It
// returns core.ErrOverrun once after Kernel.Overrun (before the datagrams
// queued), and an error wrapping os.ErrClosed after Close.
func (s *Socket) Receive(buf *[]byte) (int, core.Sender, error) {
	s.mu.Lock()
	waiting := false
	defer func() {
		if waiting {
			s.k.blocked.Add(-1)
		}
	}()
	for {
		switch {
		case s.closed:
			s.mu.Unlock()
			return 0, core.Sender{}, closedErr("receive")
		case !s.rdl.IsZero() && !time.Now().Before(s.rdl):
			// Checked first, as Go's poller does.
			s.mu.Unlock()
			return 0, core.Sender{}, fmt.Errorf("nltest: receive: %w", os.ErrDeadlineExceeded)
		case s.overrun:
			s.overrun = false
			s.mu.Unlock()
			return 0, core.Sender{}, core.ErrOverrun
		case len(s.queue) > 0:
			d := s.queue[0]
			s.queue[0] = datagram{}
			s.queue = s.queue[1:]
			s.mu.Unlock()
			if len(d.b) > cap(*buf) {
				*buf = make([]byte, core.Align(len(d.b))+4096)
			}
			*buf = (*buf)[:cap(*buf)]
			return copy(*buf, d.b), d.from, nil
		}
		var timeout <-chan time.Time
		var timer *time.Timer
		if !s.rdl.IsZero() {
			timer = time.NewTimer(time.Until(s.rdl))
			timeout = timer.C
		}
		wake := s.wake
		if !waiting {
			waiting = true
			s.k.blocked.Add(1)
		}
		s.mu.Unlock()
		select {
		case <-wake:
		case <-timeout:
		}
		if timer != nil {
			timer.Stop()
		}
		s.mu.Lock()
	}
}

// Send writes one datagram, as the kernel's netlink_sendmsg does: to every
// member of group (a group number, 1-32, as sockaddr_nl can address), then
// to port: 0 is the kernel, which records each message and answers it with
// the Kernel's handlers, any other port another socket of the Kernel.
// NETLINK_USERSOCK has no kernel side: a send to port 0 alone fails with
// ECONNREFUSED there, and with a group it reaches the group only.
func (s *Socket) Send(b []byte, port, group uint32) error {
	if group > 32 {
		return fmt.Errorf("nltest: send to group %d: sockaddr_nl addresses groups 1-32 only", group)
	}
	s.mu.Lock()
	closed, wdl := s.closed, s.wdl
	s.mu.Unlock()
	if closed {
		return closedErr("send")
	}
	if !wdl.IsZero() && !time.Now().Before(wdl) {
		return fmt.Errorf("nltest: send: %w", os.ErrDeadlineExceeded)
	}
	b = append([]byte(nil), b...)
	from := core.Sender{Port: s.port}
	if group != 0 {
		for _, m := range s.k.members(group, port) {
			m.deliver(b, from, group)
		}
	}
	if port == 0 {
		if s.k.proto == unix.NETLINK_USERSOCK {
			if group != 0 {
				return nil
			}
			return fmt.Errorf("nltest: send to port 0: %w", unix.ECONNREFUSED)
		}
		s.k.input(s, b)
		return nil
	}
	s.k.mu.Lock()
	dst := s.k.sockets[port]
	s.k.mu.Unlock()
	if dst == nil || !dst.deliver(b, from, 0) {
		return fmt.Errorf("nltest: send to port %d: %w", port, unix.ECONNREFUSED)
	}
	return nil
}

// deliverReply queues one Reply on s.
func (s *Socket) deliverReply(r Reply) {
	b := r.Raw
	if b == nil {
		b = encode(r.Messages)
	}
	s.deliver(b, core.Sender{Port: r.Port}, 0)
}

// deliver queues datagram b from sender to s, sent to group (0: unicast),
// filling in what the socket's options ask for. It reports false when s is
// closed.
func (s *Socket) deliver(b []byte, from core.Sender, group uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	// As core's socket reports it: the group number, known for groups
	// 1-32 from recvmsg's nl_groups mask, and for any group with
	// NETLINK_PKTINFO.
	if group != 0 && (group <= 32 || s.pktInfo) {
		from.Group = group
	}
	if s.passCred {
		from.HasCred = true
		if from.Port != 0 {
			from.Cred = unix.Ucred{Pid: int32(os.Getpid()), Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())}
		}
	}
	s.queue = append(s.queue, datagram{b: b, from: from})
	s.changed()
	return true
}

func (s *Socket) setOverrun() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.noENOBUFS {
		return
	}
	s.overrun = true
	s.changed()
}

func (s *Socket) inGroup(g uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && s.groups[g]
}

// Queued is how many datagrams wait in the socket's receive queue.
func (s *Socket) Queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// SetReadDeadline sets when a waiting Receive gives up with
// os.ErrDeadlineExceeded; a time in the past makes it give up at once, the
// zero time waits for ever.
func (s *Socket) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return closedErr("set read deadline")
	}
	s.rdl = t
	s.changed()
	return nil
}

// SetWriteDeadline sets when Send fails with os.ErrDeadlineExceeded. Send
// never waits, so only a deadline already past has an effect.
func (s *Socket) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return closedErr("set write deadline")
	}
	s.wdl = t
	return nil
}

// JoinGroup joins multicast group g: Kernel.Event(g, ...) reaches the
// socket.
func (s *Socket) JoinGroup(g uint32) error {
	return s.setGroup(g, true)
}

// LeaveGroup leaves multicast group g.
func (s *Socket) LeaveGroup(g uint32) error {
	return s.setGroup(g, false)
}

func (s *Socket) setGroup(g uint32, on bool) error {
	if g == 0 {
		return fmt.Errorf("nltest: group 0: %w", unix.EINVAL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return closedErr("set membership")
	}
	if on {
		s.groups[g] = true
	} else {
		delete(s.groups, g)
	}
	return nil
}

// Close unbinds the socket and makes a waiting Receive return an error
// wrapping os.ErrClosed. Closing twice returns that error too.
func (s *Socket) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return closedErr("close")
	}
	s.closed = true
	s.queue = nil
	s.changed()
	s.mu.Unlock()
	s.k.unbind(s)
	return nil
}
