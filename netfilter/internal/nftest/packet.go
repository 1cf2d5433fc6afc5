package nftest

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// Packet is the method set nflog.Packet and nfqueue.Packet share, for
// the tests of their decoders.
type Packet[T any] interface {
	*T
	Unmarshal(data []byte) error
	String() string
	ConnMark() (uint32, bool)
	Clone() *T
}

// Captured is where each package keeps a packet message captured from
// the kernel (after the netlink header).
const Captured = "testdata/packet-udp.bin"

// DecodeCaptured reads the captured message and decodes it, failing the
// test on error; it returns the packet and the bytes it aliases.
func DecodeCaptured[T any, P Packet[T]](t *testing.T) (*T, []byte) {
	t.Helper()
	data, err := os.ReadFile(Captured)
	require.NoError(t, err)
	p := new(T)
	require.NoError(t, P(p).Unmarshal(data))
	return p, data
}

// RequireNoAllocs fails the test when decoding data allocates.
func RequireNoAllocs[T any, P Packet[T]](t *testing.T, data []byte) {
	t.Helper()
	p := P(new(T))
	require.NoError(t, p.Unmarshal(data))
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = p.Unmarshal(data) }))
}

// FuzzUnmarshal fuzzes the packet decoder, seeded with the captured
// message, seeds and a bare header; what decodes is printed, searched
// and cloned.
func FuzzUnmarshal[T any, P Packet[T]](f *testing.F, seeds ...[]byte) {
	if data, err := os.ReadFile(Captured); err == nil {
		f.Add(data)
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add([]byte{2, 0, 0, 1, 4, 0, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := P(new(T))
		if p.Unmarshal(data) == nil {
			_ = p.String()
			p.ConnMark()
			p.Clone()
		}
	})
}
