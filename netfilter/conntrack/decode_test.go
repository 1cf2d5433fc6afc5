package conntrack

import (
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// ctCapture reads a message captured from the kernel (testdata/NAME.hex).
func ctCapture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name + ".hex")
	require.NoError(t, err)
	d, err := hex.DecodeString(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return d
}

// A TCP flow with the ftp helper, counters and a start timestamp, as the
// kernel dumped it.
func TestFlowUnmarshalCaptured(t *testing.T) {
	var f Flow
	require.NoError(t, f.Unmarshal(ctCapture(t, "flow_tcp_ftp")))
	require.Equal(t, uint8(unix.AF_INET), f.Family)
	require.Equal(t, ProtoTCP, f.Orig.Proto)
	require.Equal(t, netip.MustParseAddr("192.0.2.1"), f.Orig.Src)
	require.Equal(t, uint16(21), f.Orig.DstPort)
	require.Equal(t, f.Orig.Reverse(), f.Reply)
	require.Equal(t, "ftp", f.Helper)
	require.Equal(t, TCPState(3), f.TCP.State)
	require.NotZero(t, f.Status&StatusHelper)
	require.NotZero(t, f.CountersOrig.Packets)
	require.NotZero(t, f.CountersReply.Bytes)
	require.False(t, f.Start.IsZero())
	require.NotZero(t, f.ID)
	for _, fl := range []Field{FieldStatus, FieldTimeout, FieldMark, FieldCounters, FieldTimestamp, FieldProtoInfo, FieldHelper, FieldUse, FieldID, FieldReply} {
		require.NotZero(t, f.Fields&fl, "field %d", fl)
	}
	require.Contains(t, f.String(), "ESTABLISHED src=192.0.2.1 dst=192.0.2.2 sport=")
	require.Contains(t, f.String(), " packets=")
	require.Contains(t, f.String(), "[ASSURED] mark=0 helper=ftp use=1")

	var g Flow
	require.NoError(t, g.Unmarshal(ctCapture(t, "flow_udp6")))
	require.Equal(t, uint8(unix.AF_INET6), g.Family)
	require.Equal(t, netip.MustParseAddr("2001:db8::1"), g.Orig.Src)
	require.Equal(t, uint16(5002), g.Orig.DstPort)
	require.Equal(t, []string{"family", "orig", "reply", "status", "timeout", "counters_orig", "counters_reply", "start", "tcp", "helper", "id", "fields"},
		ctDiffNoUnstable(f.Diff(&g)))
	require.True(t, f.Equal(&f))

	// JSON carries the same facts with conntrack's names.
	b, err := json.Marshal(&f)
	require.NoError(t, err)
	var j map[string]any
	require.NoError(t, json.Unmarshal(b, &j))
	require.Equal(t, "ipv4", j["family"])
	require.Equal(t, "tcp", j["proto"])
	require.Equal(t, "ftp", j["helper"])
	require.Equal(t, "192.0.2.1", j["orig"].(map[string]any)["src"])
	require.Equal(t, float64(21), j["orig"].(map[string]any)["dport"])
	require.Equal(t, "ESTABLISHED", j["tcp"].(map[string]any)["state"])
	require.Contains(t, j["status"], "ASSURED")
}

// ctDiffNoUnstable drops fields that differ or not by chance (use, mark).
func ctDiffNoUnstable(d []string) []string {
	var out []string
	for _, n := range d {
		if n != "use" && n != "mark" && n != "seqadj_orig" {
			out = append(out, n)
		}
	}
	return out
}

// Decoding into the same Flow again allocates nothing, helper included.
func TestFlowUnmarshalAllocs(t *testing.T) {
	data := ctCapture(t, "flow_tcp_ftp")
	var f Flow
	require.NoError(t, f.Unmarshal(data))
	n := testing.AllocsPerRun(100, func() {
		if err := f.Unmarshal(data); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, n)
}

// Marshal and Unmarshal agree on every field a create carries.
func TestFlowRoundTrip(t *testing.T) {
	for _, f := range []Flow{
		{
			Family: unix.AF_INET,
			Orig:   Tuple{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), Proto: ProtoTCP, SrcPort: 1, DstPort: 2},
			Reply:  Tuple{Src: netip.MustParseAddr("192.0.2.2"), Dst: netip.MustParseAddr("192.0.2.1"), Proto: ProtoTCP, SrcPort: 2, DstPort: 1},
			Master: Tuple{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), Proto: ProtoTCP, SrcPort: 5, DstPort: 21},
			Status: StatusSeenReply | StatusConfirmed, Timeout: 100 * time.Second, Mark: 7, Zone: 3,
			Labels: Labels{1}, TCP: TCPInfo{State: 3, WScaleOrig: 7, WScaleReply: 5, FlagsOrig: 3, MaskOrig: 3},
			Helper: "ftp", SeqAdjOrig: SeqAdj{1, 2, 3}, SeqAdjReply: SeqAdj{4, 5, 6},
			Fields: FieldStatus | FieldTimeout | FieldMark | FieldZone | FieldLabels | FieldProtoInfo | FieldHelper | FieldSeqAdj | FieldMaster | FieldReply,
		},
		{
			Family: unix.AF_INET6,
			Orig:   Tuple{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), Proto: ProtoICMPv6, ICMPType: 128, ICMPID: 9},
			Reply:  Tuple{Src: netip.MustParseAddr("2001:db8::2"), Dst: netip.MustParseAddr("2001:db8::1"), Proto: ProtoICMPv6, ICMPType: 129, ICMPID: 9},
			Status: StatusConfirmed, Timeout: time.Second, Fields: FieldStatus | FieldTimeout | FieldReply,
		},
		{
			Family: unix.AF_INET,
			Orig:   Tuple{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), Proto: ProtoSCTP, SrcPort: 1, DstPort: 2},
			Reply:  Tuple{Src: netip.MustParseAddr("192.0.2.2"), Dst: netip.MustParseAddr("192.0.2.1"), Proto: ProtoSCTP, SrcPort: 2, DstPort: 1},
			Status: StatusConfirmed, Timeout: time.Second, SCTP: SCTPInfo{State: 4, VTagOrig: 1, VTagReply: 2},
			Fields: FieldStatus | FieldTimeout | FieldReply | FieldProtoInfo,
		},
		{
			Family: unix.AF_INET,
			Orig:   Tuple{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), Proto: ProtoDCCP, SrcPort: 1, DstPort: 2, Zone: 4, HasZone: true},
			Reply:  Tuple{Src: netip.MustParseAddr("192.0.2.2"), Dst: netip.MustParseAddr("192.0.2.1"), Proto: ProtoDCCP, SrcPort: 2, DstPort: 1},
			Status: StatusConfirmed, Timeout: time.Second, DCCP: DCCPInfo{State: 4, Role: 1, HandshakeSeq: 99},
			Fields: FieldStatus | FieldTimeout | FieldReply | FieldProtoInfo,
		},
	} {
		b, err := f.Marshal(nil)
		require.NoError(t, err)
		var g Flow
		require.NoError(t, g.Unmarshal(b))
		require.Empty(t, f.Diff(&g), f.String())
	}
	// Reply derived from Orig.
	f := Flow{Orig: Tuple{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), Proto: ProtoICMP, ICMPType: 8, ICMPID: 1}, Timeout: time.Second}
	b, err := f.Marshal(nil)
	require.NoError(t, err)
	var g Flow
	require.NoError(t, g.Unmarshal(b))
	require.Equal(t, uint8(0), g.Reply.ICMPType)
	require.Equal(t, f.Orig.Dst, g.Reply.Src)
	// Bad input is refused with the buffer unchanged.
	out, err := (&Flow{Family: unix.AF_INET6, Orig: f.Orig}).Marshal([]byte{1})
	require.ErrorContains(t, err, "does not match")
	require.Equal(t, []byte{1}, out)
}

func TestExpectCaptured(t *testing.T) {
	var x Expect
	require.NoError(t, x.Unmarshal(ctCapture(t, "expect_ftp")))
	require.Equal(t, "ftp", x.Helper)
	require.Equal(t, uint16(41000), x.Tuple.DstPort)
	require.Equal(t, uint16(21), x.Master.DstPort)
	require.Equal(t, netip.MustParseAddr("255.255.255.255"), x.Mask.Src)
	require.Contains(t, x.String(), " proto=6 src=192.0.2.2 dst=192.0.2.1 sport=0 dport=41000 mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 master-src=192.0.2.1 master-dst=192.0.2.2 sport=")
	require.True(t, strings.HasSuffix(x.String(), " dport=21 class=0 helper=ftp"), x.String())
	b, err := x.Marshal(nil)
	require.NoError(t, err)
	var y Expect
	require.NoError(t, y.Unmarshal(b))
	y.ID = x.ID
	require.Empty(t, x.Diff(&y))
	j, err := json.Marshal(&x)
	require.NoError(t, err)
	require.Contains(t, string(j), `"helper":"ftp"`)
	require.Contains(t, string(j), `"family":"ipv4"`)

	nat := Expect{Tuple: x.Tuple, Master: x.Master, Mask: x.Mask, HasNAT: true, NATDir: 1, NATTuple: x.Master, Flags: ExpectPermanent | ExpectUserspace, Class: 1, Function: "signalling", Zone: 2, Timeout: time.Minute}
	b, err = nat.Marshal(nil)
	require.NoError(t, err)
	require.NoError(t, y.Unmarshal(b))
	y.Family = 0
	require.Empty(t, nat.Diff(&y))
	require.Contains(t, nat.String(), " zone=2 PERMANENT,USERSPACE class=1 fn=signalling")
}

func TestStatsCaptured(t *testing.T) {
	var s CPUStats
	require.NoError(t, s.Unmarshal(ctCapture(t, "stats_cpu")))
	require.True(t, strings.HasPrefix(s.String(), "cpu=0 found="), s.String())
	var g GlobalStats
	require.NoError(t, g.Unmarshal(ctCapture(t, "stats_global")))
	require.NotZero(t, g.Entries)
	require.Equal(t, uint32(262144), g.MaxEntries)
	var e ExpectStats
	require.NoError(t, e.Unmarshal(ctCapture(t, "stats_exp_cpu")))
}

func TestEventCaptured(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  EventType
	}{
		{"event_new", EventNew}, {"event_update", EventUpdate}, {"event_destroy", EventDestroy},
		{"event_exp_new", EventExpectNew}, {"event_exp_destroy", EventExpectDestroy},
	} {
		msgs, err := core.ParseMessages(ctCapture(t, tc.name))
		require.NoError(t, err)
		require.Len(t, msgs, 1)
		var ev Event
		var f Flow
		var x Expect
		ok, err := ev.Unmarshal(msgs[0], &f, &x)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, tc.typ, ev.Type, tc.name)
		require.True(t, strings.HasPrefix(ev.String(), "["+tc.typ.String()+"] "), ev.String())
	}
	var f Flow
	msgs, _ := core.ParseMessages(ctCapture(t, "event_destroy"))
	ev := Event{}
	_, err := ev.Unmarshal(msgs[0], &f, nil)
	require.NoError(t, err)
	require.False(t, f.Stop.IsZero(), "a destroy event carries the stop time")
	// Not a ctnetlink event.
	ok, err := ev.Unmarshal(core.Message{Header: core.Header{Type: netfilter.MessageType(netfilter.SubsysQueue, 0)}}, &f, nil)
	require.False(t, ok)
	require.NoError(t, err)
}

func TestStatusNames(t *testing.T) {
	require.Equal(t, "SEEN_REPLY|ASSURED|CONFIRMED", (StatusSeenReply | StatusAssured | StatusConfirmed).String())
	require.Equal(t, "0", Status(0).String())
	require.Equal(t, "HW_OFFLOAD|0x10000", (StatusHWOffload | 1<<16).String())
	s, err := ParseStatus("assured,seen_reply")
	require.NoError(t, err)
	require.Equal(t, StatusAssured|StatusSeenReply, s)
	s, err = ParseStatus("0x4")
	require.NoError(t, err)
	require.Equal(t, StatusAssured, s)
	_, err = ParseStatus("bogus")
	require.ErrorContains(t, err, `unknown status "bogus"`)
	p, err := ParseProto("udp")
	require.NoError(t, err)
	require.Equal(t, ProtoUDP, p)
	p, err = ParseProto("132")
	require.NoError(t, err)
	require.Equal(t, ProtoSCTP, p)
	_, err = ParseProto("nope")
	require.Error(t, err)
	require.Equal(t, "SYN_SENT2", TCPState(9).String())
	require.Equal(t, "TCP_STATE_42", TCPState(42).String())
	require.Equal(t, "ESTABLISHED", SCTPState(4).String())
	require.Equal(t, "OPEN", DCCPState(4).String())
	require.Equal(t, "PERMANENT,INACTIVE,USERSPACE,0x8", ExpectFlags(15).String())
}

func TestDecodeErrors(t *testing.T) {
	var f Flow
	require.ErrorContains(t, f.Unmarshal([]byte{2}), "no nfgenmsg")
	// CTA_STATUS of 2 bytes.
	bad := []byte{2, 0, 0, 0, 6, 0, 3, 0, 1, 2, 0, 0}
	require.ErrorContains(t, f.Unmarshal(bad), "be32 length 2, want 4")
	// A truncated attribute.
	require.Error(t, f.Unmarshal([]byte{2, 0, 0, 0, 8, 0, 3, 0, 1}))
	// A tuple address of the wrong size.
	var e core.AttrEncoder
	e.Raw([]byte{2, 0, 0, 0})
	n := e.NestStart(ctaTupleOrig)
	ip := e.NestStart(ctaTupleIP)
	e.Binary(ctaIPv4Src, []byte{1, 2, 3})
	e.NestEnd(ip)
	e.NestEnd(n)
	require.ErrorContains(t, f.Unmarshal(e.Bytes()), "address length 3")
	var x Expect
	require.Error(t, x.Unmarshal(bad[:2]))
}
