package netdev

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
)

// testdata reads testdata/name.hex: a message payload the kernel sent
// (genlmsghdr and attributes), captured by TestCaptureTestdata.
func testdata(t testing.TB, name string) []byte {
	t.Helper()
	s, err := os.ReadFile(filepath.Join("testdata", name+".hex"))
	require.NoError(t, err)
	b, err := hex.DecodeString(strings.TrimSpace(string(s)))
	require.NoError(t, err)
	return b
}

// pagePoolReply and qstatsReply encode replies as a driver with page
// pools and queue statistics would have them sent (veth has neither).
func pagePoolReply() []byte {
	var e core.AttrEncoder
	e.Raw(genlHeader(nil, CmdPagePoolGet))
	e.Uint(attrPagePoolID, 7)
	e.Uint32(attrPagePoolIfindex, 2)
	e.Uint32(attrPagePoolNAPIID, 8193)
	e.Uint(attrPagePoolInflight, 64)
	e.Uint(attrPagePoolInflightMem, 262144)
	return e.Bytes()
}

func pagePoolStatsReply() []byte {
	var e core.AttrEncoder
	e.Raw(genlHeader(nil, CmdPagePoolStatsGet))
	pagePoolStatsRequest(&e, 7, 2)
	e.Uint(attrPPStatsAllocFast, 1000)
	e.Uint(attrPPStatsAllocSlow, 10)
	e.Uint(attrPPStatsRecycleRing, 990)
	return e.Bytes()
}

func qstatsReply() []byte {
	var e core.AttrEncoder
	e.Raw(genlHeader(nil, CmdQstatsGet))
	e.Uint32(attrQstatsIfindex, 2)
	e.Uint32(attrQstatsQueueType, uint32(QueueRX))
	e.Uint32(attrQstatsQueueID, 1)
	e.Uint(attrQstatsFirst, 10)    // rx-packets
	e.Uint(attrQstatsFirst+1, 840) // rx-bytes
	e.Uint(attrQstatsFirst+4, 0)   // rx-alloc-fail
	e.Uint(attrQstatsFirst+40, 3)  // a counter this package does not know
	return e.Bytes()
}

func TestDecodeCapturedDevice(t *testing.T) {
	var d Device
	require.NoError(t, d.Unmarshal(testdata(t, "dev")))
	require.NotZero(t, d.Ifindex)
	// Captured with GRO off on the peer: veth takes redirected frames
	// (ndo-xmit) only when its peer has GRO or XDP.
	require.Equal(t, []string{"basic", "redirect", "rx-sg"}, d.XDPFeatures.List())
	require.Equal(t, XDPRXTimestamp|XDPRXHash|XDPRXVLANTag, d.XDPRXMetadata)
	require.Zero(t, d.XSKFeatures)
	require.Contains(t, d.String(), "xdp-features basic,redirect,rx-sg xdp-rx-metadata timestamp,hash,vlan-tag xsk-features none")
	b, err := json.Marshal(&d)
	require.NoError(t, err)
	require.Contains(t, string(b), `"xdp-features":["basic","redirect","rx-sg"]`)
	require.Contains(t, string(b), `"xsk-features":[]`)

	var ev Event
	require.NoError(t, ev.Unmarshal(testdata(t, "dev_add_ntf")))
	require.Equal(t, "dev-add", ev.Kind)
	require.NotZero(t, ev.Device.Ifindex)
	require.Equal(t, "dev-add "+ev.Device.String(), ev.String())
}

func TestDecodeCapturedQueueAndNAPI(t *testing.T) {
	var q Queue
	require.NoError(t, q.Unmarshal(testdata(t, "queue")))
	require.Equal(t, QueueRX, q.Type)
	require.EqualValues(t, 1, q.ID)

	var n NAPI
	require.NoError(t, n.Unmarshal(testdata(t, "napi")))
	require.NotZero(t, n.ID)
	require.NotZero(t, n.Ifindex)
	require.Equal(t, time.Millisecond, n.GROFlushTimeout)
	require.True(t, n.HasThreaded)
	require.False(t, n.Threaded)
	require.False(t, n.HasIRQ, "veth has no interrupts")

	// Marshal is the napi-set request: it decodes back to the settings.
	b, err := n.Marshal(nil)
	require.NoError(t, err)
	var back NAPI
	require.NoError(t, back.Unmarshal(b))
	require.Equal(t, NAPI{ID: n.ID, DeferHardIRQs: n.DeferHardIRQs, GROFlushTimeout: n.GROFlushTimeout,
		IRQSuspendTimeout: n.IRQSuspendTimeout, HasThreaded: true}, back)
}

func TestDecodePagePoolsAndQstats(t *testing.T) {
	var p PagePool
	require.NoError(t, p.Unmarshal(pagePoolReply()))
	require.Equal(t, PagePool{ID: 7, Ifindex: 2, NAPIID: 8193, Inflight: 64, InflightMem: 262144}, p)
	require.Equal(t, "page-pool 7 ifindex 2 napi 8193 inflight 64 (262144 bytes)", p.String())

	var ps PagePoolStats
	require.NoError(t, ps.Unmarshal(pagePoolStatsReply()))
	require.Equal(t, PagePoolStats{ID: 7, Ifindex: 2, AllocFast: 1000, AllocSlow: 10, RecycleRing: 990}, ps)

	var q Qstats
	require.NoError(t, q.Unmarshal(qstatsReply()))
	require.True(t, q.HasQueue)
	require.Equal(t, []QstatsCounter{{"rx-packets", 10}, {"rx-bytes", 840}, {"rx-alloc-fail", 0}, {"counter 48", 3}}, q.Counters())
	v, ok := q.Get("rx-bytes")
	require.True(t, ok)
	require.EqualValues(t, 840, v)
	_, ok = q.Get("tx-bytes")
	require.False(t, ok, "not sent")
	require.Equal(t, "ifindex 2 rx-1 rx-packets 10 rx-bytes 840 rx-alloc-fail 0 counter 48 3", q.String())
	b, err := json.Marshal(&q)
	require.NoError(t, err)
	require.JSONEq(t, `{"ifindex":2,"queue-type":"rx","queue-id":1,"rx-packets":10,"rx-bytes":840,"rx-alloc-fail":0,"counter 48":3}`, string(b))
	var q2 Qstats
	require.NoError(t, q2.Unmarshal(qstatsReply()))
	q2.Values[1]++
	require.Equal(t, []string{"rx-bytes"}, q.Diff(&q2))
}

func TestDecodeBadInput(t *testing.T) {
	for _, b := range [][]byte{nil, {1, 1}, {1, 1, 0, 0, 8, 0, 1, 0, 1}, {1, 1, 0, 0, 7, 0, 1, 0, 1, 2, 3, 0}} {
		require.Error(t, new(Device).Unmarshal(b), "%x", b)
		require.Error(t, new(Queue).Unmarshal(b), "%x", b)
		require.Error(t, new(NAPI).Unmarshal(b), "%x", b)
		require.Error(t, new(PagePool).Unmarshal(b), "%x", b)
		require.Error(t, new(Qstats).Unmarshal(b), "%x", b)
	}
}
