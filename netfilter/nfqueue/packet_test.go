package nfqueue

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
// captured from this kernel: a UDP packet "hello nfqueue" queued at INPUT
// on queue 1, copy range 64.
func TestUnmarshalCaptured(t *testing.T) {
	p, data := nftest.DecodeCaptured[Packet](t)
	require.Equal(t, uint8(unix.AF_INET), p.Family)
	require.Equal(t, uint16(1), p.Queue)
	require.Equal(t, uint32(1), p.ID)
	require.Equal(t, uint16(unix.ETH_P_IP), p.HWProtocol)
	require.Equal(t, HookInput, p.Hook)
	require.Equal(t, uint32(2), p.InDev)
	require.Len(t, p.HWAddr, 6)
	require.Equal(t, "hello nfqueue", string(p.Payload[28:]))
	require.Equal(t, uint32(SKBCsumNotReady), p.SKBInfo)
	require.Contains(t, p.String(), "hook=INPUT")
	c := p.Clone()
	data[len(data)-1] = 'X'
	require.Equal(t, "hello nfqueue", string(c.Payload[28:]))
}

// encodedPacket builds a packet message with every attribute.
func encodedPacket() []byte {
	var e core.AttrEncoder
	e.Binary(attrPacketHdr, []byte{0, 0, 0, 9, 0x86, 0xdd, 3})
	e.Uint32BE(attrMark, 0x10)
	ts := make([]byte, 16)
	binary.BigEndian.PutUint64(ts, 1700000000)
	binary.BigEndian.PutUint64(ts[8:], 250000)
	e.Binary(attrTimestamp, ts)
	e.Uint32BE(attrInDev, 1)
	e.Uint32BE(attrOutDev, 2)
	e.Uint32BE(attrPhysInDev, 3)
	e.Uint32BE(attrPhysOutDev, 4)
	e.Binary(attrHWAddr, []byte{0, 6, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0})
	e.Binary(attrPayload, []byte{0x60, 0, 0, 0})
	ct := e.NestStart(attrCT)
	e.Uint32BE(ctaMark, 0x2a)
	e.NestEnd(ct)
	e.Uint32BE(attrCTInfo, 2)
	e.Uint32BE(attrCapLen, 1500)
	e.Uint32BE(attrSKBInfo, SKBGSO)
	e.Uint32BE(attrUID, 1000)
	e.Uint32BE(attrGID, 100)
	e.Binary(attrSecCtx, []byte("system_u:object_r:x_t\x00"))
	v := e.NestStart(attrVLAN)
	e.Uint16BE(attrVLANProto, 0x8100)
	e.Uint16BE(attrVLANTCI, 42)
	e.NestEnd(v)
	e.Binary(attrL2Hdr, make([]byte, 14))
	e.Uint32BE(attrPriority, 6)
	e.Binary(99, []byte{1}) // unknown: ignored
	return append(netfilter.AppendHeader(nil, netfilter.Header{Family: unix.AF_INET6, ResID: 7}), e.Bytes()...)
}

func TestUnmarshalEveryAttribute(t *testing.T) {
	var p Packet
	require.NoError(t, p.Unmarshal(encodedPacket()))
	require.Equal(t, uint32(9), p.ID)
	require.Equal(t, uint16(0x86dd), p.HWProtocol)
	require.Equal(t, HookOutput, p.Hook)
	require.True(t, p.HasMark)
	require.Equal(t, uint32(0x10), p.Mark)
	require.Equal(t, int64(1700000000), p.Timestamp.Unix())
	require.Equal(t, 250000000, p.Timestamp.Nanosecond())
	require.Equal(t, [4]uint32{1, 2, 3, 4}, [4]uint32{p.InDev, p.OutDev, p.PhysInDev, p.PhysOutDev})
	require.Equal(t, "02:00:00:00:00:01", p.HWAddr.String())
	m, ok := p.ConnMark()
	require.True(t, ok)
	require.Equal(t, uint32(0x2a), m)
	require.True(t, p.HasCTInfo)
	require.Equal(t, uint32(1500), p.CapLen)
	require.Equal(t, uint32(SKBGSO), p.SKBInfo)
	require.Equal(t, [2]uint32{1000, 100}, [2]uint32{p.UID, p.GID})
	require.Equal(t, "system_u:object_r:x_t", string(p.SecCtx))
	require.True(t, p.HasVLAN)
	require.Equal(t, uint16(42), p.VLANTCI)
	require.Len(t, p.L2Header, 14)
	require.Equal(t, uint32(6), p.Priority)
	require.Contains(t, p.String(), "uid=1000")
}

func TestUnmarshalErrors(t *testing.T) {
	var p Packet
	require.ErrorContains(t, p.Unmarshal([]byte{2, 0}), "nfgenmsg")
	require.ErrorContains(t, p.Unmarshal([]byte{2, 0, 0, 1}), "without NFQA_PACKET_HDR")
	require.ErrorContains(t, p.Unmarshal([]byte{2, 0, 0, 1, 8, 0, 1, 0}), "length 8")
	require.ErrorContains(t, p.Unmarshal([]byte{2, 0, 0, 1, 5, 0, 3, 0, 1, 0, 0, 0}), "NFQA_MARK")
}

func TestUnmarshalAllocs(t *testing.T) { nftest.RequireNoAllocs[Packet](t, encodedPacket()) }

func TestAppendVerdict(t *testing.T) {
	d := Decision{ID: 5, Verdict: QueueTo(3), SetMark: true, Mark: 9, SetConnMark: true, ConnMark: 0x2a,
		Label: make([]byte, 16), LabelMask: make([]byte, 16), Payload: []byte{1, 2, 3}}
	b, err := appendVerdict(nil, 7, &d, false)
	require.NoError(t, err)
	msgs, err := core.ParseMessages(b)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, netfilter.MessageType(netfilter.SubsysQueue, msgVerdict), msgs[0].Header.Type)
	h, attrs, err := netfilter.ParseHeader(msgs[0].Data)
	require.NoError(t, err)
	require.Equal(t, uint16(7), h.ResID)
	got := map[uint16][]byte{}
	s := core.ScanAttrs(attrs)
	for s.Next() {
		got[s.Type()] = s.Bytes()
	}
	require.NoError(t, s.Err())
	require.Equal(t, []byte{0, 3, 0, 3, 0, 0, 0, 5}, got[attrVerdictHdr])
	require.Equal(t, []byte{0, 0, 0, 9}, got[attrMark])
	require.Equal(t, []byte{1, 2, 3}, got[attrPayload])
	p := Packet{CT: got[attrCT]}
	m, ok := p.ConnMark()
	require.True(t, ok)
	require.Equal(t, uint32(0x2a), m)
	require.Equal(t, "queue 3", d.Verdict.String())

	_, err = appendVerdict(nil, 7, &Decision{Label: make([]byte, 17)}, false)
	require.ErrorContains(t, err, "16 bytes")
	_, err = appendVerdict(nil, 7, &Decision{Payload: []byte{1}}, true)
	require.ErrorContains(t, err, "batch verdict")
}

func FuzzPacketUnmarshal(f *testing.F) { nftest.FuzzUnmarshal[Packet](f, encodedPacket()) }
