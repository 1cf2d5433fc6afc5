package nfpkt

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// newFields returns Fields pointing at fresh variables.
func newFields() *Fields {
	f := &Fields{Timestamp: new(time.Time), HWAddr: new(net.HardwareAddr)}
	for _, p := range []**uint32{&f.Mark, &f.InDev, &f.OutDev, &f.PhysInDev, &f.PhysOutDev, &f.UID, &f.GID, &f.CTInfo} {
		*p = new(uint32)
	}
	for _, p := range []**bool{&f.HasMark, &f.HasUID, &f.HasGID, &f.HasCTInfo, &f.HasVLAN} {
		*p = new(bool)
	}
	for _, p := range []**[]byte{&f.Payload, &f.L2Header, &f.CT} {
		*p = new([]byte)
	}
	f.VLANProto, f.VLANTCI = new(uint16), new(uint16)
	return f
}

// others records the attributes Decode leaves to its caller.
type others []uint16

func (o *others) add(typ uint16, v []byte) error {
	*o = append(*o, typ)
	return nil
}

// message encodes every shared attribute with subsystem sub's numbers,
// a packet header and an unknown attribute.
func message(sub Subsys) []byte {
	n := func(k kind) uint16 { return attrs[k].num[sub] }
	var e core.AttrEncoder
	e.Binary(packetHdr, make([]byte, 8))
	e.Uint32BE(n(kindMark), 0x10)
	ts := make([]byte, 16)
	binary.BigEndian.PutUint64(ts, 1700000000)
	binary.BigEndian.PutUint64(ts[8:], 250000)
	e.Binary(n(kindTimestamp), ts)
	e.Uint32BE(n(kindInDev), 1)
	e.Uint32BE(n(kindOutDev), 2)
	e.Uint32BE(n(kindPhysInDev), 3)
	e.Uint32BE(n(kindPhysOutDev), 4)
	e.Binary(n(kindHWAddr), []byte{0, 6, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0})
	e.Binary(n(kindPayload), []byte{0x45, 0, 0, 0})
	e.Uint32BE(n(kindUID), 1000)
	e.Uint32BE(n(kindGID), 100)
	ct := e.NestStart(n(kindCT))
	e.Uint32BE(ctaMark, 0x2a)
	e.NestEnd(ct)
	e.Uint32BE(n(kindCTInfo), 2)
	v := e.NestStart(n(kindVLAN))
	e.Uint16BE(vlanProto, 0x8100)
	e.Uint16BE(vlanTCI, 42)
	e.NestEnd(v)
	e.Binary(n(kindL2Hdr), make([]byte, 14))
	e.Binary(30, []byte{1})
	return append(netfilter.AppendHeader(nil, netfilter.Header{Family: unix.AF_INET, ResID: 7}), e.Bytes()...)
}

func TestDecode(t *testing.T) {
	for _, sub := range []Subsys{Log, Queue} {
		f := newFields()
		var o others
		h, err := sub.Decode(message(sub), f, o.add)
		require.NoError(t, err)
		require.Equal(t, uint16(7), h.ResID)
		require.True(t, *f.HasMark)
		require.Equal(t, uint32(0x10), *f.Mark)
		require.Equal(t, time.Unix(1700000000, 250000000), *f.Timestamp)
		require.Equal(t, [4]uint32{1, 2, 3, 4}, [4]uint32{*f.InDev, *f.OutDev, *f.PhysInDev, *f.PhysOutDev})
		require.Equal(t, "02:00:00:00:00:01", f.HWAddr.String())
		require.Len(t, *f.Payload, 4)
		require.Equal(t, [2]uint32{1000, 100}, [2]uint32{*f.UID, *f.GID})
		m, ok := ConnMark(*f.CT)
		require.True(t, ok)
		require.Equal(t, uint32(0x2a), m)
		require.Equal(t, uint32(2), *f.CTInfo)
		require.True(t, *f.HasVLAN)
		require.Equal(t, [2]uint16{0x8100, 42}, [2]uint16{*f.VLANProto, *f.VLANTCI})
		require.Len(t, *f.L2Header, 14)
		require.Equal(t, others{packetHdr, 30}, o)

		b := f.AppendTail(f.AppendMeta(nil))
		require.Equal(t, " mark=0x10 indev=1 outdev=2 physindev=3 physoutdev=4 hwaddr=02:00:00:00:00:01 uid=1000 gid=100 vlan=0x8100/42 len=4", string(b))

		orig := *f.Payload
		f.CloneBytes()
		orig[0] = 0xff
		require.Equal(t, byte(0x45), (*f.Payload)[0], "cloned")
	}
}

func TestDecodeErrors(t *testing.T) {
	f := newFields()
	var o others
	for _, c := range []struct {
		sub  Subsys
		data []byte
		want string
	}{
		{Log, []byte{2, 0}, "nfgenmsg"},
		{Log, []byte{2, 0, 0, 1}, "nflog: packet message without NFULA_PACKET_HDR"},
		{Queue, []byte{2, 0, 0, 1}, "nfqueue: packet message without NFQA_PACKET_HDR"},
		{Log, []byte{2, 0, 0, 1, 8, 0, 1, 0}, "length 8"},
		{Queue, []byte{2, 0, 0, 1, 1, 0}, "nfqueue: attribute header at offset 0: 2 bytes left"},
		{Log, []byte{2, 0, 0, 1, 5, 0, 2, 0, 1, 0, 0, 0}, "nflog: NFULA_MARK: 1 bytes, want 4"},
		{Queue, []byte{2, 0, 0, 1, 5, 0, 3, 0, 1, 0, 0, 0}, "nfqueue: NFQA_MARK: 1 bytes, want 4"},
		{Queue, []byte{2, 0, 0, 1, 8, 0, 4, 0, 0, 0, 0, 0}, "NFQA_TIMESTAMP: 4 bytes, want 16"},
		{Log, []byte{2, 0, 0, 1, 16, 0, 8, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "NFULA_HWADDR says 9 bytes, holds 8"},
		{Log, []byte{2, 0, 0, 1, 12, 0, 20, 0, 5, 0, 1, 0, 1, 0, 0, 0}, "nflog: NFULA_VLAN: 1 bytes, want 2"},
		{Queue, []byte{2, 0, 0, 1, 6, 0, 19, 0, 1, 0, 0, 0}, "nfqueue: NFQA_VLAN: truncated attribute"},
	} {
		_, err := c.sub.Decode(c.data, f, o.add)
		require.ErrorContains(t, err, c.want)
	}
}

func TestDecodeAllocs(t *testing.T) {
	data := message(Queue)
	f := newFields()
	o := make(others, 0, 2)
	require.Zero(t, testing.AllocsPerRun(100, func() {
		o = o[:0]
		_, _ = Queue.Decode(data, f, o.add)
	}))
}

func TestNames(t *testing.T) {
	require.Equal(t, "INPUT", HookName(1))
	require.Equal(t, "hook(9)", HookName(9))
	names := []string{1: "meta", 2: "packet"}
	require.Equal(t, "meta", EnumName(1, names, "copy"))
	require.Equal(t, "copy(0)", EnumName(0, names, "copy"))
	require.Equal(t, "copy(7)", EnumName(7, names, "copy"))
	require.Equal(t, "none", FlagNames(0, []string{"a", "b"}))
	require.Equal(t, "a,b,0x8", FlagNames(0xb, []string{"a", "b"}))
}

func FuzzDecode(f *testing.F) {
	f.Add(uint8(Log), message(Log))
	f.Add(uint8(Queue), message(Queue))
	f.Add(uint8(Log), []byte{2, 0, 0, 1, 4, 0, 1, 0})
	f.Fuzz(func(t *testing.T, sub uint8, data []byte) {
		f := newFields()
		var o others
		if _, err := Subsys(sub%2).Decode(data, f, o.add); err == nil {
			_ = f.AppendTail(f.AppendMeta(nil))
			ConnMark(*f.CT)
			f.CloneBytes()
		}
	})
}
