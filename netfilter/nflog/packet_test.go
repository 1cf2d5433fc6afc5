package nflog

import (
	"encoding/binary"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
	"github.com/nlkit/nlkit/netfilter/internal/nftest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// testdata/packet-udp.bin is a packet message (after the netlink header)
// captured from this kernel: UDP "log-2" logged at INPUT in group 3 with
// prefix "nlkit-in" and both sequence numbers.
func TestUnmarshalCaptured(t *testing.T) {
	p, data := nftest.DecodeCaptured[Packet](t)
	require.Equal(t, uint8(unix.AF_INET), p.Family)
	require.Equal(t, uint16(3), p.Group)
	require.Equal(t, uint16(unix.ETH_P_IP), p.HWProtocol)
	require.Equal(t, HookInput, p.Hook)
	require.Equal(t, "nlkit-in", p.Prefix)
	require.Equal(t, uint32(2), p.InDev)
	require.Len(t, p.HWAddr, 6)
	require.Equal(t, uint16(unix.ARPHRD_ETHER), p.HWType)
	require.Equal(t, uint16(14), p.HWLen)
	require.Len(t, p.HWHeader, 14)
	require.False(t, p.Timestamp.IsZero())
	require.True(t, p.HasSeq)
	require.Equal(t, uint32(2), p.Seq)
	require.True(t, p.HasSeqGlobal)
	require.Equal(t, "log-2", string(p.Payload[28:]))
	require.Contains(t, p.String(), `prefix="nlkit-in"`)
	c := p.Clone()
	data[len(data)-4] = 'X'
	require.Equal(t, "log-2", string(c.Payload[28:]))
}

func encodedPacket() []byte {
	var e core.AttrEncoder
	e.Binary(attrPacketHdr, []byte{0x86, 0xdd, 2, 0})
	e.Uint32BE(attrMark, 0x10)
	ts := make([]byte, 16)
	binary.BigEndian.PutUint64(ts, 1700000000)
	e.Binary(attrTimestamp, ts)
	e.Uint32BE(attrInDev, 1)
	e.Uint32BE(attrOutDev, 2)
	e.Uint32BE(attrPhysInDev, 3)
	e.Uint32BE(attrPhysOutDev, 4)
	e.Binary(attrHWAddr, []byte{0, 6, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0})
	e.Binary(attrPayload, []byte{0x60, 0, 0, 0})
	e.Binary(attrPrefix, []byte("pfx\x00"))
	e.Uint32BE(attrUID, 1000)
	e.Uint32BE(attrGID, 100)
	e.Uint32BE(attrSeq, 5)
	e.Uint32BE(attrSeqGlobal, 50)
	e.Uint16BE(attrHWType, 1)
	e.Binary(attrHWHeader, make([]byte, 14))
	e.Uint16BE(attrHWLen, 14)
	ct := e.NestStart(attrCT)
	e.Uint32BE(ctaMark, 0x2a)
	e.NestEnd(ct)
	e.Uint32BE(attrCTInfo, 2)
	v := e.NestStart(attrVLAN)
	e.Uint16BE(attrVLANProto, 0x8100)
	e.Uint16BE(attrVLANTCI, 42)
	e.NestEnd(v)
	e.Binary(attrL2Hdr, make([]byte, 14))
	e.Binary(99, []byte{1})
	return append(netfilter.AppendHeader(nil, netfilter.Header{Family: unix.AF_INET6, ResID: 7}), e.Bytes()...)
}

func TestUnmarshalEveryAttribute(t *testing.T) {
	var p Packet
	require.NoError(t, p.Unmarshal(encodedPacket()))
	require.Equal(t, HookForward, p.Hook)
	require.Equal(t, "pfx", p.Prefix)
	require.Equal(t, uint32(0x10), p.Mark)
	require.Equal(t, int64(1700000000), p.Timestamp.Unix())
	require.Equal(t, [4]uint32{1, 2, 3, 4}, [4]uint32{p.InDev, p.OutDev, p.PhysInDev, p.PhysOutDev})
	require.Equal(t, [2]uint32{5, 50}, [2]uint32{p.Seq, p.SeqGlobal})
	require.Equal(t, [2]uint32{1000, 100}, [2]uint32{p.UID, p.GID})
	m, ok := p.ConnMark()
	require.True(t, ok)
	require.Equal(t, uint32(0x2a), m)
	require.Equal(t, uint32(2), p.CTInfo)
	require.Equal(t, uint16(42), p.VLANTCI)
	require.Len(t, p.L2Header, 14)
	require.Contains(t, p.String(), "seq=5")
}

func TestUnmarshalErrors(t *testing.T) {
	var p Packet
	require.ErrorContains(t, p.Unmarshal([]byte{2, 0}), "nfgenmsg")
	require.ErrorContains(t, p.Unmarshal([]byte{2, 0, 0, 1}), "without NFULA_PACKET_HDR")
	require.ErrorContains(t, p.Unmarshal([]byte{2, 0, 0, 1, 8, 0, 1, 0}), "length 8")
	require.ErrorContains(t, p.Unmarshal([]byte{2, 0, 0, 1, 5, 0, 2, 0, 1, 0, 0, 0}), "NFULA_MARK")
}

// The prefix string is made once and reused while it repeats.
func TestUnmarshalAllocs(t *testing.T) { nftest.RequireNoAllocs[Packet](t, encodedPacket()) }

func FuzzPacketUnmarshal(f *testing.F) { nftest.FuzzUnmarshal[Packet](f, encodedPacket()) }
