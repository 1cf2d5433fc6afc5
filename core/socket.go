package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Transport carries netlink datagrams for a Conn. The netlink socket made by
// Dial is one; core/nltest provides an in-memory stand-in for the kernel.
// A Conn calls a Transport from one goroutine at a time, except Close and
// SetReadDeadline, which may be called while a Receive is blocked.
type Transport interface {
	// Send writes one datagram (one or more encoded messages) to the
	// kernel (port 0), another socket's port, or a multicast group.
	Send(b []byte, port, group uint32) error
	// Receive reads one whole datagram into *buf, growing it if the
	// datagram is larger, and returns its length and sender. It returns
	// ErrOverrun when the receive queue overflowed and os.ErrDeadlineExceeded
	// when the read deadline passes.
	Receive(buf *[]byte) (int, Sender, error)
	// SetReadDeadline sets when a blocked Receive gives up; a time in the
	// past unblocks it at once. The zero time means no deadline.
	SetReadDeadline(t time.Time) error
	// SetWriteDeadline does the same for Send.
	SetWriteDeadline(t time.Time) error
	// PortID is the port the transport is bound to.
	PortID() uint32
	// Close releases the transport and unblocks a blocked Receive.
	Close() error
}

// GroupTransport is a Transport that can join and leave multicast groups.
type GroupTransport interface {
	Transport
	JoinGroup(group uint32) error
	LeaveGroup(group uint32) error
}

// socket is the Transport over a real netlink socket, non-blocking on Go's
// poller. The recv/send closures and their scratch are made once, so a
// receive allocates nothing.
type socket struct {
	f    *os.File
	rc   syscall.RawConn
	port uint32
	oob  []byte

	// scratch for the recv closure
	rsa   unix.RawSockaddrNetlink
	riov  [2]unix.Iovec
	rniov int
	// spill catches the tail of a datagram larger than the receive
	// buffer, so one recvmsg reads any datagram the kernel can build
	// (see Receive). It is address space only until a datagram spills.
	spill  []byte
	peek   bool
	rmsg   unix.Msghdr
	rflags int
	rn     int
	rerr   error
	recvFn func(fd uintptr) bool

	// scratch for the send closure
	ssa    unix.RawSockaddrNetlink
	siov   unix.Iovec
	smsg   unix.Msghdr
	serr   error
	sendFn func(fd uintptr) bool
}

func newSocket(fd int, cfg *Config) (*socket, error) {
	s := &socket{peek: cfg.AcceptNonKernel}
	if !s.peek {
		// Address space only: MAP_NORESERVE, and untouched pages are
		// never backed. If it cannot be had, Receive peeks instead.
		if m, err := unix.Mmap(-1, 0, spillSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE); err == nil {
			s.spill = m
			runtime.AddCleanup(s, func(m []byte) { unix.Munmap(m) }, m)
		}
	}
	if cfg.PassCred || cfg.PktInfo || cfg.ListenAllNSID {
		s.oob = make([]byte, 128)
	}
	s.f = os.NewFile(uintptr(fd), "netlink")
	rc, err := s.f.SyscallConn()
	if err != nil {
		s.f.Close()
		return nil, err
	}
	s.rc = rc
	s.recvFn = func(fd uintptr) bool {
		s.rmsg.Name = (*byte)(unsafe.Pointer(&s.rsa))
		s.rmsg.Namelen = unix.SizeofSockaddrNetlink
		s.rmsg.Iov = &s.riov[0]
		s.rmsg.SetIovlen(s.rniov)
		if len(s.oob) > 0 && s.rflags&unix.MSG_PEEK == 0 {
			s.rmsg.Control = &s.oob[0]
			s.rmsg.SetControllen(len(s.oob))
		} else {
			s.rmsg.Control = nil
			s.rmsg.SetControllen(0)
		}
		n, _, e := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&s.rmsg)), uintptr(s.rflags))
		for e == unix.EINTR {
			n, _, e = unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&s.rmsg)), uintptr(s.rflags))
		}
		if e == unix.EAGAIN {
			return false
		}
		s.rn = int(n)
		if e != 0 {
			s.rerr = e
		} else {
			s.rerr = nil
		}
		return true
	}
	s.sendFn = func(fd uintptr) bool {
		s.smsg.Name = (*byte)(unsafe.Pointer(&s.ssa))
		s.smsg.Namelen = unix.SizeofSockaddrNetlink
		s.smsg.Iov = &s.siov
		s.smsg.Iovlen = 1
		_, _, e := unix.Syscall(unix.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&s.smsg)), 0)
		for e == unix.EINTR {
			_, _, e = unix.Syscall(unix.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&s.smsg)), 0)
		}
		// EAGAIN here means the receiving socket's queue is full (a
		// userspace peer not reading): waiting for our own socket to
		// become writable would never end, so it is returned.
		if e != 0 {
			s.serr = e
		} else {
			s.serr = nil
		}
		return true
	}
	return s, nil
}

func (s *socket) recv(buf, spill []byte, flags int) (int, error) {
	s.rflags = flags
	s.rniov = 1
	s.riov[0].Base = nil
	if len(buf) > 0 {
		s.riov[0].Base = &buf[0]
	}
	s.riov[0].SetLen(len(buf))
	if len(spill) > 0 {
		s.riov[1].Base = &spill[0]
		s.riov[1].SetLen(len(spill))
		s.rniov = 2
	}
	if err := s.rc.Read(s.recvFn); err != nil {
		return 0, err
	}
	s.riov[0].Base, s.riov[1].Base = nil, nil
	return s.rn, s.rerr
}

// spillSize bounds what one recvmsg can take beyond the receive buffer.
// Datagrams the kernel builds stay far below it (dumps are cut at 32 KiB
// or one object's size).
const spillSize = 4 << 20

// Receive reads one whole datagram with one recvmsg, its tail landing in
// the spill area when it is larger than *buf, which then grows. A
// datagram larger than buffer and spill together (only a userspace peer
// with a huge send buffer could make one) is reported, never cut silently.
//
// Sockets that accept userspace senders, and sockets where the spill area
// could not be mapped, ask the kernel for each datagram's size first
// instead (MSG_PEEK|MSG_TRUNC with no buffer, which copies nothing): a
// second syscall, with no limit on the size.
func (s *socket) Receive(buf *[]byte) (int, Sender, error) {
	*buf = (*buf)[:cap(*buf)]
	var n int
	var err error
	if s.peek || s.spill == nil {
		n, err = s.recv(nil, nil, unix.MSG_PEEK|unix.MSG_TRUNC)
		if err != nil {
			return 0, Sender{}, mapRecvErr(err)
		}
		if n > len(*buf) {
			*buf = make([]byte, Align(n)+4096)
		}
		n, err = s.recv(*buf, nil, unix.MSG_TRUNC)
	} else {
		n, err = s.recv(*buf, s.spill, unix.MSG_TRUNC)
	}
	if err != nil {
		return 0, Sender{}, mapRecvErr(err)
	}
	if n > len(*buf) {
		tail := n - len(*buf)
		if s.peek || s.spill == nil || tail > len(s.spill) {
			return 0, Sender{}, &ParseError{What: "datagram (too large: its tail was cut)", Len: len(*buf) + len(s.spill), Want: n}
		}
		nb := make([]byte, Align(n)+4096)
		copy(nb, *buf)
		copy(nb[len(*buf):], s.spill[:tail])
		*buf = nb
		// Give the touched spill pages back; the mapping stays.
		unix.Madvise(s.spill[:tail], unix.MADV_DONTNEED)
	}
	from := Sender{Port: s.rsa.Pid}
	if s.rsa.Groups != 0 {
		// nl_groups is a bit mask of the (first 32) groups; NETLINK_PKTINFO
		// below gives the number of any group.
		from.Group = uint32(bits.TrailingZeros32(s.rsa.Groups)) + 1
	}
	if len(s.oob) > 0 {
		parseControl(s.oob[:s.rmsg.Controllen], &from)
	}
	return n, from, nil
}

func mapRecvErr(err error) error {
	if errors.Is(err, unix.ENOBUFS) {
		return ErrOverrun
	}
	return err
}

func parseControl(oob []byte, from *Sender) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_CREDENTIALS:
			if c, err := unix.ParseUnixCredentials(&m); err == nil {
				from.Cred, from.HasCred = *c, true
			}
		case m.Header.Level == unix.SOL_NETLINK && m.Header.Type == unix.NETLINK_PKTINFO && len(m.Data) >= 4:
			from.Group = binary.NativeEndian.Uint32(m.Data)
		case m.Header.Level == unix.SOL_NETLINK && m.Header.Type == unix.NETLINK_LISTEN_ALL_NSID && len(m.Data) >= 4:
			from.NSID, from.HasNSID = int32(binary.NativeEndian.Uint32(m.Data)), true
		}
	}
}

// Send writes one datagram to port (0: the kernel) or group (a group
// number, 1-32: sockaddr_nl can address no higher group). For a send to a
// group alone, the kernel also unicasts to port 0, which on a protocol with
// no kernel socket (NETLINK_USERSOCK) fails with ECONNREFUSED after the
// group has had its copy; that error is not a failure of the send.
func (s *socket) Send(b []byte, port, group uint32) error {
	var mask uint32
	if group > 32 {
		return errors.New("netlink: sending to a group past 32 is not possible (sockaddr_nl holds a 32-bit mask)")
	}
	if group > 0 {
		mask = 1 << (group - 1)
	}
	s.ssa = unix.RawSockaddrNetlink{Family: unix.AF_NETLINK, Pid: port, Groups: mask}
	if len(b) > 0 {
		s.siov.Base = &b[0]
	}
	s.siov.SetLen(len(b))
	err := s.rc.Write(s.sendFn)
	s.siov.Base = nil
	if err != nil {
		return err
	}
	if port == 0 && group != 0 && s.serr == unix.ECONNREFUSED {
		return nil
	}
	if s.serr == unix.EAGAIN {
		return fmt.Errorf("the receiving socket (port %d) has a full queue: %w", port, unix.EAGAIN)
	}
	return s.serr
}

func (s *socket) SetReadDeadline(t time.Time) error  { return s.f.SetReadDeadline(t) }
func (s *socket) SetWriteDeadline(t time.Time) error { return s.f.SetWriteDeadline(t) }
func (s *socket) PortID() uint32                     { return s.port }

// Close closes the socket. The spill area is unmapped by a cleanup when
// the socket is unreachable, not here: a Receive that raced with Close may
// still be copying out of it.
func (s *socket) Close() error { return s.f.Close() }

func (s *socket) setsockopt(level, opt, v int) error {
	var err error
	cerr := s.rc.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), level, opt, v) })
	if cerr != nil {
		return cerr
	}
	return err
}

func (s *socket) JoinGroup(g uint32) error {
	return s.setsockopt(unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, int(g))
}

func (s *socket) LeaveGroup(g uint32) error {
	return s.setsockopt(unix.SOL_NETLINK, unix.NETLINK_DROP_MEMBERSHIP, int(g))
}

// bind binds the socket to port (0: kernel-assigned) and reads back the
// port the kernel gave.
func (s *socket) bind(port uint32) error {
	var err error
	cerr := s.rc.Control(func(fd uintptr) {
		if err = unix.Bind(int(fd), &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: port}); err != nil {
			return
		}
		var sa unix.Sockaddr
		sa, err = unix.Getsockname(int(fd))
		if err == nil {
			if nl, ok := sa.(*unix.SockaddrNetlink); ok {
				s.port = nl.Pid
			}
		}
	})
	if cerr != nil {
		return cerr
	}
	return err
}
