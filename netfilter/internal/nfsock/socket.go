// Package nfsock is the socket nfqueue and nflog share: one reader
// draining datagrams with recvmmsg on Go's poller, and writers sending
// with sendto on the raw descriptor without waiting for the reader.
// Binding adds what both do with it: bind a group or queue with config
// messages, stream its packets, unbind it.
package nfsock

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Socket is a NETLINK_NETFILTER socket with two independent paths: one
// reader draining datagrams with recvmmsg on Go's poller, and any number of
// writers sending with sendto on the raw descriptor. A writer takes only
// the read side of an RWMutex (which Close takes to write), so writers
// never wait for a blocked reader, nor for each other.
//
// Unlike core.Conn it reads many datagrams per system call (recvmmsg),
// which is what draining a full queue at line rate takes.
type Socket struct {
	f  *os.File
	rc syscall.RawConn
	fd int
	// Port is the socket's netlink port ID.
	Port uint32

	mu     sync.RWMutex // writers: RLock; Close: Lock
	closed bool

	// reader state, used by one goroutine at a time
	slot   int // bytes per datagram slot
	arena  []byte
	iovs   []unix.Iovec
	hdrs   []mmsghdr
	want   int // slots to fill in the next read
	got    int
	rerr   error
	recvFn func(fd uintptr) bool
}

// mmsghdr is struct mmsghdr; Go pads it as C does.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// OpenSocket makes a socket in ns (nil: the caller's), with slots datagram
// buffers of slot bytes each and, when rcvbuf > 0, that socket receive
// buffer (SO_RCVBUFFORCE, else SO_RCVBUF).
func OpenSocket(ns *core.NetNS, slots, slot, rcvbuf int) (*Socket, error) {
	var fd int
	err := ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_NETFILTER)
		return err
	})
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	fail := func(what string, err error) (*Socket, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", what, os.NewSyscallError(what, err))
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1); err != nil && !errors.Is(err, unix.ENOPROTOOPT) {
		return fail("setsockopt", err)
	}
	// Verdicts and config are answered only on error; the answers echo
	// only the header, so a large payload in a verdict is not sent back.
	if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1); err != nil && !errors.Is(err, unix.ENOPROTOOPT) {
		return fail("setsockopt", err)
	}
	if rcvbuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf); err != nil {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf); err != nil {
				return fail("setsockopt", err)
			}
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fail("bind", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	nl, ok := sa.(*unix.SockaddrNetlink)
	if !ok {
		return fail("getsockname", unix.EAFNOSUPPORT)
	}
	if slots < 1 {
		slots = 1
	}
	s := &Socket{fd: fd, Port: nl.Pid, slot: slot}
	s.f = os.NewFile(uintptr(fd), "nfnetlink")
	if s.rc, err = s.f.SyscallConn(); err != nil {
		s.f.Close()
		return nil, err
	}
	s.arena = make([]byte, slots*slot)
	s.iovs = make([]unix.Iovec, slots)
	s.hdrs = make([]mmsghdr, slots)
	for i := range s.hdrs {
		s.iovs[i].Base = &s.arena[i*slot]
		s.iovs[i].SetLen(slot)
		s.hdrs[i].hdr.Iov = &s.iovs[i]
		s.hdrs[i].hdr.SetIovlen(1)
	}
	s.recvFn = func(fd uintptr) bool {
		for i := 0; i < s.want; i++ {
			s.hdrs[i].hdr.Flags = 0
			s.hdrs[i].len = 0
		}
		n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&s.hdrs[0])), uintptr(s.want), unix.MSG_DONTWAIT, 0, 0)
		for e == unix.EINTR {
			n, _, e = unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&s.hdrs[0])), uintptr(s.want), unix.MSG_DONTWAIT, 0, 0)
		}
		if e == unix.EAGAIN {
			return false
		}
		if e != 0 {
			s.got, s.rerr = 0, e
		} else {
			s.got, s.rerr = int(n), nil
		}
		return true
	}
	return s, nil
}

// Read waits for datagrams and returns how many arrived (at most max, and
// at most the slots there are); datagram i is s.Datagram(i).
func (s *Socket) Read(max int) (int, error) {
	s.want = len(s.hdrs)
	if max > 0 && max < s.want {
		s.want = max
	}
	if err := s.rc.Read(s.recvFn); err != nil {
		return 0, err
	}
	if s.rerr != nil {
		if s.rerr == unix.ENOBUFS {
			return 0, core.ErrOverrun
		}
		return 0, os.NewSyscallError("recvmmsg", s.rerr)
	}
	return s.got, nil
}

// Datagram returns datagram i of the last read and whether it was cut
// short (it did not fit its slot).
func (s *Socket) Datagram(i int) ([]byte, bool) {
	n := int(s.hdrs[i].len)
	trunc := s.hdrs[i].hdr.Flags&unix.MSG_TRUNC != 0 || n > s.slot
	if n > s.slot {
		n = s.slot
	}
	return s.arena[i*s.slot : i*s.slot+n], trunc
}

// SetReadDeadline makes a blocked read give up at t.
func (s *Socket) SetReadDeadline(t time.Time) error { return s.f.SetReadDeadline(t) }

// Send writes one datagram to the kernel. It may be called from any
// number of goroutines at once, also while a read is blocked.
func (s *Socket) Send(b []byte) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return core.ErrClosed
	}
	var sa unix.RawSockaddrNetlink
	sa.Family = unix.AF_NETLINK
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	for {
		_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(s.fd), uintptr(p), uintptr(len(b)), 0,
			uintptr(unsafe.Pointer(&sa)), unix.SizeofSockaddrNetlink)
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("sendto", e)
	}
}

// Close closes the descriptor once no send is running; a blocked read
// returns.
func (s *Socket) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.f.Close()
}

// IsClosed reports whether close was called.
func (s *Socket) IsClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// Exchange sends req (one message with NLM_F_ACK and sequence seq) and
// waits up to timeout for its answer. Other messages read meanwhile
// (packets already flowing) are passed to keep, which must copy them.
func (s *Socket) Exchange(req []byte, seq uint32, timeout time.Duration, keep func([]byte)) error {
	if err := s.Send(req); err != nil {
		return err
	}
	if err := s.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	defer s.SetReadDeadline(time.Time{})
	for {
		n, err := s.Read(0)
		if err != nil {
			if errors.Is(err, core.ErrOverrun) {
				continue
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("no answer from the kernel in %v: %w", timeout, context.DeadlineExceeded)
			}
			return err
		}
		for i := range n {
			d, _ := s.Datagram(i)
			for off := 0; off+core.HeaderLen <= len(d); {
				l := int(binary.NativeEndian.Uint32(d[off:]))
				if l < core.HeaderLen || off+l > len(d) {
					break
				}
				typ := binary.NativeEndian.Uint16(d[off+4:])
				mseq := binary.NativeEndian.Uint32(d[off+8:])
				if typ == unix.NLMSG_ERROR && mseq == seq {
					h, _ := core.ParseHeader(d[off:])
					e, perr := core.ParseErrorMessage(h, d[off+core.HeaderLen:off+l], req)
					if perr != nil {
						return perr
					}
					if e != nil {
						// Anything after the answer in this read is kept too.
						s.keepRest(d[off+core.Align(l):], i+1, n, keep)
						return e
					}
					s.keepRest(d[off+core.Align(l):], i+1, n, keep)
					return nil
				}
				keep(d[off : off+l])
				off += core.Align(l)
			}
		}
	}
}

func (s *Socket) keepRest(rest []byte, next, n int, keep func([]byte)) {
	walk := func(d []byte) {
		for off := 0; off+core.HeaderLen <= len(d); {
			l := int(binary.NativeEndian.Uint32(d[off:]))
			if l < core.HeaderLen || off+l > len(d) {
				return
			}
			keep(d[off : off+l])
			off += core.Align(l)
		}
	}
	walk(rest)
	for i := next; i < n; i++ {
		d, _ := s.Datagram(i)
		walk(d)
	}
}

// SetNoENOBUFS sets NETLINK_NO_ENOBUFS: an overflowing receive queue
// drops datagrams without reporting ENOBUFS to the reader.
func (s *Socket) SetNoENOBUFS() error {
	return unix.SetsockoptInt(s.fd, unix.SOL_NETLINK, unix.NETLINK_NO_ENOBUFS, 1)
}
