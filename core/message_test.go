package core

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMessageRoundTrip(t *testing.T) {
	m := Message{Header: Header{Type: 16, Flags: FlagRequest | FlagAck, Sequence: 7, PID: 9}, Data: []byte{1, 2, 3, 4, 5}}
	b, err := m.MarshalBinary()
	require.NoError(t, err)
	require.Len(t, b, 24, "header + 5 bytes, padded to 4")
	got, err := ParseMessages(b)
	require.NoError(t, err)
	require.Len(t, got, 1)
	m.Header.Length = 21
	require.Equal(t, m, got[0])
}

func TestMessageScannerRejectsBadLength(t *testing.T) {
	b := AppendMessage(nil, Message{Header: Header{Type: 16}, Data: []byte{1, 2, 3, 4}})
	b[0] = 200 // claims more than there is
	s := ScanMessages(b)
	require.False(t, s.Next())
	require.ErrorContains(t, s.Err(), "malformed netlink message length at offset 0")
}

func TestFlagsString(t *testing.T) {
	require.Equal(t, "REQUEST|ACK", (FlagRequest | FlagAck).String())
	require.Equal(t, "REQUEST|DUMP", (FlagRequest | FlagDump).String())
	require.Equal(t, "REQUEST|ACK|REPLACE|CREATE", FlagsString(FlagRequest|FlagAck|FlagReplace|FlagCreate, true, false))
	require.Equal(t, "ACK_TLVS", FlagsString(FlagAckTLVs, false, true))
	require.Equal(t, "0", HeaderFlags(0).String())
	require.Equal(t, "DONE", TypeDone.String())
	require.Equal(t, "16", MessageType(16).String())
}
