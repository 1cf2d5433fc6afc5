package nltest

import "github.com/nlkit/nlkit/core"

// Reply is one datagram sent to a socket.
type Reply struct {
	// Messages are encoded one after the other, each padded to 4 bytes,
	// with Header.Length set to the real length.
	Messages []core.Message
	// Port is the sender's port: 0 is the kernel. A Conn drops datagrams
	// from any other sender unless Config.AcceptNonKernel is set.
	Port uint32
	// Raw, when not nil, is sent as it is instead of Messages: use it
	// for malformed datagrams.
	Raw []byte
}

// Packed puts msgs in one datagram from the kernel.
func Packed(msgs ...core.Message) []Reply {
	return []Reply{{Messages: msgs}}
}

// Split sends each of msgs in a datagram of its own.
func Split(msgs ...core.Message) []Reply {
	return Chunks(1, msgs...)
}

// Chunks sends msgs n to a datagram (the last may hold fewer), as the
// kernel cuts a long dump to the reader's buffer.
func Chunks(n int, msgs ...core.Message) []Reply {
	n = max(n, 1)
	out := make([]Reply, 0, (len(msgs)+n-1)/n)
	for len(msgs) > 0 {
		c := min(n, len(msgs))
		out = append(out, Reply{Messages: msgs[:c:c]})
		msgs = msgs[c:]
	}
	return out
}

// FromPort puts msgs in one datagram sent by the userspace socket bound to
// port instead of the kernel: what a forged reply looks like to a Conn.
func FromPort(port uint32, msgs ...core.Message) []Reply {
	return []Reply{{Messages: msgs, Port: port}}
}
