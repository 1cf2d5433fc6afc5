package core

import "io"

// Config says how Dial sets a socket up. The zero value (or a nil *Config)
// is the safe default: a kernel-assigned port, strict checking and extended
// ACK on where the kernel has them, a 32 KiB receive buffer, replies and
// events accepted only from the kernel.
type Config struct {
	// Groups are multicast groups to join at once (any number, also past
	// 32, through NETLINK_ADD_MEMBERSHIP).
	Groups []uint32
	// NetNS is the namespace the socket is made in; nil is the caller's.
	NetNS *NetNS
	// PortID binds the socket to a fixed port; 0 lets the kernel pick.
	PortID uint32

	// NoStrict turns off NETLINK_GET_STRICT_CHK (strict checking of dump
	// requests, so kernel-side filters apply and bad requests are refused).
	NoStrict bool
	// NoExtAck turns off NETLINK_EXT_ACK (the kernel's error messages).
	NoExtAck bool
	// CapAck sets NETLINK_CAP_ACK: ACKs and errors do not echo the request
	// payload. Extended-ACK offsets still resolve against the request the
	// Conn keeps.
	CapAck bool
	// ListenAllNSID sets NETLINK_LISTEN_ALL_NSID: receive events from
	// every peer namespace; Message.From.NSID says which.
	ListenAllNSID bool
	// NoENOBUFS sets NETLINK_NO_ENOBUFS: overflows are not reported.
	NoENOBUFS bool
	// PktInfo sets NETLINK_PKTINFO: Message.From.Group carries the group
	// of each multicast message.
	PktInfo bool
	// PassCred sets SO_PASSCRED: Message.From.Cred carries the sender's
	// credentials.
	PassCred bool

	// ReadBuffer and WriteBuffer set the socket buffers (SO_RCVBUF and
	// SO_SNDBUF; the FORCE variants are tried first, which root may use
	// past the sysctl maximum). 0 keeps the kernel default.
	ReadBuffer, WriteBuffer int
	// ReceiveBufferSize is the size of the Conn's own receive buffer,
	// default and minimum 32 KiB: the kernel sizes dump batches by the
	// reader's buffer. A larger datagram still arrives whole.
	ReceiveBufferSize int
	// BatchSize is how many messages ExecuteBatch sends in one datagram
	// before reading their ACKs; default 64.
	BatchSize int

	// AcceptNonKernel accepts messages from senders other than the kernel
	// (port 0): userspace peers on NETLINK_USERSOCK, a custom protocol, or
	// generic netlink. By default they are dropped and counted in Stats.
	AcceptNonKernel bool

	// Callbacks customise the receive loop of every call on the Conn.
	Callbacks *Callbacks
	// Trace, when set, receives a readable dump of every message sent and
	// received. The environment variable NLKIT_TRACE=1 sends it to stderr.
	Trace io.Writer
	// Formatter prints traced messages; nil uses one for the protocol.
	Formatter *Formatter
}

const (
	defaultReceiveBuffer = 32 << 10
	defaultBatchSize     = 64
)
