package bench

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// recvMode is how the raw loop reads a datagram.
type recvMode int

const (
	// recvPlain is the floor: one recvfrom(MSG_TRUNC) into the buffer. A
	// datagram larger than the buffer is reported as an error (its tail
	// is lost).
	recvPlain recvMode = iota
	// recvPeek is what core's socket does today: a zero-length
	// recvfrom(MSG_PEEK|MSG_TRUNC) to learn the datagram's size, growing
	// the buffer if needed, then the real recvfrom.
	recvPeek
	// recvSpill is the proposed strategy: one recvmsg(MSG_TRUNC) with two
	// iovecs, the buffer and behind it a large spill area that is only
	// address space (an anonymous mapping the kernel writes into only when
	// a datagram is larger than the buffer). A datagram that overflows
	// into the spill is moved into a grown buffer; only one larger than
	// both is an error, and the kernel cannot build one (see
	// docs/performance.md).
	recvSpill
)

func (m recvMode) String() string {
	switch m {
	case recvPeek:
		return "peek"
	case recvSpill:
		return "spill"
	}
	return "plain"
}

// spillSize is the spill area behind the buffer: 4 MiB, the largest
// linear buffer the kernel can allocate for an skb on x86-64
// (KMALLOC_MAX_SIZE with MAX_PAGE_ORDER 10).
const spillSize = 4 << 20

// rawConn is a netlink socket driven with bare x/sys/unix calls: blocking,
// no poller, no closures, one reused buffer. It is what every library is
// measured against.
type rawConn struct {
	fd    int
	buf   []byte
	seq   uint32
	mode  recvMode
	spill []byte
	iov   [2]unix.Iovec
	msg   unix.Msghdr
	// scanner walks each datagram with core.ScanMessages instead of the
	// hand-written header walk, to tell the scanner's share of core's
	// cost from the receive loop's.
	scanner bool
}

// dialRaw opens a NETLINK_ROUTE socket in ns (nil: the caller's), bound to
// a kernel-assigned port, with extended ACK and strict checking on, as
// core.Dial sets them.
// rawSocketIn opens a netlink socket of proto in ns (SOCK_CLOEXEC,
// blocking), with x/sys/unix alone.
func rawSocketIn(ns *core.NetNS, proto int) (int, error) {
	var fd int
	err := ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
		return err
	})
	return fd, err
}

func dialRaw(ns *core.NetNS, bufSize int, mode recvMode) (*rawConn, error) {
	fd, err := rawSocketIn(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("raw socket: %w", err)
	}
	r := &rawConn{fd: fd, buf: make([]byte, bufSize), seq: 1, mode: mode}
	for _, opt := range []int{unix.NETLINK_EXT_ACK, unix.NETLINK_GET_STRICT_CHK} {
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, opt, 1); err != nil {
			r.close()
			return nil, fmt.Errorf("raw setsockopt %d: %w", opt, err)
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		r.close()
		return nil, fmt.Errorf("raw bind: %w", err)
	}
	if mode == recvSpill {
		r.spill, err = unix.Mmap(-1, 0, spillSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
		if err != nil {
			r.close()
			return nil, fmt.Errorf("raw spill mapping: %w", err)
		}
	}
	return r, nil
}

func (r *rawConn) close() {
	if r.spill != nil {
		_ = unix.Munmap(r.spill)
		r.spill = nil
	}
	_ = unix.Close(r.fd)
}

// send writes one datagram to the kernel (write on an unconnected netlink
// socket goes to port 0).
func (r *rawConn) send(b []byte) error {
	for {
		_, err := unix.Write(r.fd, b)
		if err != unix.EINTR {
			return err
		}
	}
}

func (r *rawConn) recvfrom(p []byte, flags int) (int, error) {
	var base unsafe.Pointer
	if len(p) > 0 {
		base = unsafe.Pointer(&p[0])
	}
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(r.fd), uintptr(base), uintptr(len(p)), uintptr(flags), 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(n), nil
	}
}

// recv reads one datagram into r.buf and returns its length.
func (r *rawConn) recv() (int, error) {
	switch r.mode {
	case recvPeek:
		n, err := r.recvfrom(nil, unix.MSG_PEEK|unix.MSG_TRUNC)
		if err != nil {
			return 0, err
		}
		if n > len(r.buf) {
			r.buf = make([]byte, core.Align(n)+4096)
		}
	case recvSpill:
		return r.recvSpill()
	}
	n, err := r.recvfrom(r.buf, unix.MSG_TRUNC)
	if err != nil {
		return 0, err
	}
	if n > len(r.buf) {
		return 0, fmt.Errorf("datagram of %d bytes cut to %d", n, len(r.buf))
	}
	return n, nil
}

func (r *rawConn) recvSpill() (int, error) {
	r.iov[0].Base = &r.buf[0]
	r.iov[0].SetLen(len(r.buf))
	r.iov[1].Base = &r.spill[0]
	r.iov[1].SetLen(len(r.spill))
	r.msg.Iov = &r.iov[0]
	r.msg.Iovlen = 2
	for {
		n, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(r.fd), uintptr(unsafe.Pointer(&r.msg)), unix.MSG_TRUNC)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		size := int(n)
		if size <= len(r.buf) {
			return size, nil
		}
		if size > len(r.buf)+len(r.spill) {
			return 0, fmt.Errorf("datagram of %d bytes cut to %d", size, len(r.buf)+len(r.spill))
		}
		// The datagram ran into the spill area: move it into a buffer
		// that holds it whole, and keep that buffer for next time.
		nb := make([]byte, core.Align(size)+4096)
		copy(nb, r.buf)
		copy(nb[len(r.buf):], r.spill[:size-len(r.buf)])
		r.buf = nb
		return size, nil
	}
}

// errMsg is the errno an NLMSG_ERROR or NLMSG_DONE payload carries.
func errMsg(payload []byte) error {
	if len(payload) < 4 {
		return fmt.Errorf("short error message (%d bytes)", len(payload))
	}
	if e := -int32(binary.NativeEndian.Uint32(payload)); e != 0 {
		return unix.Errno(e)
	}
	return nil
}

// replyEnd says when an exchange is over.
type replyEnd int

const (
	endDone  replyEnd = iota // a dump: at NLMSG_DONE
	endAck                   // a request with NLM_F_ACK: at its NLMSG_ERROR
	endFirst                 // a get without NLM_F_ACK: after the first datagram
)

// exchange sends req (a whole encoded message; its sequence number is
// overwritten with the next of r's) and walks the headers of every reply
// message until the exchange ends, calling fn (when not nil) with each
// data message's type and payload. It returns how many data messages came.
func (r *rawConn) exchange(req []byte, end replyEnd, fn func(typ uint16, payload []byte)) (int, error) {
	seq := r.seq
	r.seq++
	binary.NativeEndian.PutUint32(req[8:12], seq)
	if err := r.send(req); err != nil {
		return 0, err
	}
	msgs := 0
	for {
		n, err := r.recv()
		if err != nil {
			return msgs, err
		}
		if r.scanner {
			done, err := r.scan(r.buf[:n], seq, &msgs, fn)
			if done || err != nil {
				return msgs, err
			}
			if end == endFirst {
				return msgs, nil
			}
			continue
		}
		b := r.buf[:n]
		for len(b) > 0 {
			if len(b) < unix.SizeofNlMsghdr {
				return msgs, fmt.Errorf("short netlink header (%d bytes)", len(b))
			}
			l := int(binary.NativeEndian.Uint32(b[0:4]))
			typ := binary.NativeEndian.Uint16(b[4:6])
			if l < unix.SizeofNlMsghdr || l > len(b) {
				return msgs, fmt.Errorf("bad netlink message length %d (%d bytes left)", l, len(b))
			}
			if s := binary.NativeEndian.Uint32(b[8:12]); s != seq {
				return msgs, fmt.Errorf("sequence %d, want %d", s, seq)
			}
			payload := b[unix.SizeofNlMsghdr:l]
			switch typ {
			case unix.NLMSG_DONE:
				return msgs, errMsg(payload)
			case unix.NLMSG_ERROR:
				return msgs, errMsg(payload)
			default:
				msgs++
				if fn != nil {
					fn(typ, payload)
				}
			}
			if a := core.Align(l); a < len(b) {
				b = b[a:]
			} else {
				b = nil
			}
		}
		if end == endFirst {
			return msgs, nil
		}
	}
}

// scan is exchange's header walk done with core.MessageScanner. It reports
// whether the exchange ended.
func (r *rawConn) scan(dgram []byte, seq uint32, msgs *int, fn func(typ uint16, payload []byte)) (bool, error) {
	s := core.ScanMessages(dgram)
	for s.Next() {
		m := s.Message()
		if m.Header.Sequence != seq {
			return true, fmt.Errorf("sequence %d, want %d", m.Header.Sequence, seq)
		}
		switch m.Header.Type {
		case core.TypeDone, core.TypeError:
			return true, errMsg(m.Data)
		}
		*msgs++
		if fn != nil {
			fn(uint16(m.Header.Type), m.Data)
		}
	}
	return false, s.Err()
}
