package ethtool

import (
	"context"
	"encoding/json"
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// vethClient makes a namespace with a veth pair veth0/veth1 of 4 queues
// each, both up, and a Client in it.
func vethClient(t *testing.T) (*core.NetNS, *Client) {
	t.Helper()
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "ip", "link", "add", "veth0", "numtxqueues", "4", "numrxqueues", "4",
		"type", "veth", "peer", "veth1", "numtxqueues", "4", "numrxqueues", "4")
	nstest.Cmd(t, ns, "ip", "link", "set", "veth0", "up")
	nstest.Cmd(t, ns, "ip", "link", "set", "veth1", "up")
	c, err := Dial(&core.Config{NetNS: ns})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return ns, c
}

// ethtoolFeature is one feature in `ethtool --json -k`.
type ethtoolFeature struct {
	Active    bool  `json:"active"`
	Fixed     *bool `json:"fixed"`
	Requested *bool `json:"requested"`
}

// ethtoolFeatures runs `ethtool --json -k dev` in ns.
func ethtoolFeatures(t *testing.T, ns *core.NetNS, dev string) map[string]ethtoolFeature {
	t.Helper()
	out := nstest.Cmd(t, ns, "ethtool", "--json", "-k", dev)
	var raw []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(out), &raw), out)
	require.Len(t, raw, 1)
	feats := map[string]ethtoolFeature{}
	for k, v := range raw[0] {
		if k == "ifname" {
			continue
		}
		var f ethtoolFeature
		require.NoError(t, json.Unmarshal(v, &f), k)
		feats[k] = f
	}
	return feats
}

// compareFeatures checks that every feature nlkit and ethtool both name
// (directly, or through a one-feature alias such as
// generic-receive-offload for rx-gro) is active and fixed alike in both.
func compareFeatures(t *testing.T, ours *Features, theirs map[string]ethtoolFeature) int {
	t.Helper()
	alias := map[string]string{}
	for a, m := range featureAliases {
		if len(m) == 1 {
			alias[m[0]] = a
		}
	}
	compared := 0
	for _, f := range ours.List() {
		e, ok := theirs[f.Name]
		if !ok {
			e, ok = theirs[alias[f.Name]]
		}
		if !ok || e.Fixed == nil {
			continue
		}
		require.Equal(t, e.Active, f.Active, "%s active", f.Name)
		require.Equal(t, *e.Fixed, f.Fixed, "%s fixed", f.Name)
		compared++
	}
	return compared
}

func TestFeaturesMatchEthtool(t *testing.T) {
	t.Parallel()
	ns, c := vethClient(t)
	ctx := context.Background()
	f, err := c.Features(ctx, "veth0")
	require.NoError(t, err)
	require.Equal(t, "veth0", f.Dev.Name)
	n := compareFeatures(t, f, ethtoolFeatures(t, ns, "veth0"))
	require.Greater(t, n, 50, "most features compared")
}

// TestSetFeaturesSeenByEthtool turns features on and off with nlkit, by
// kernel name and by ethtool's names, and reads them back with ethtool -k.
func TestSetFeaturesSeenByEthtool(t *testing.T) {
	t.Parallel()
	ns, c := vethClient(t)
	ctx := context.Background()
	before := ethtoolFeatures(t, ns, "veth0")
	require.False(t, before["generic-receive-offload"].Active)
	require.False(t, before["tx-nocache-copy"].Active)
	require.True(t, before["tx-checksum-ip-generic"].Active)

	ch, err := c.SetFeatures(ctx, "veth0", map[string]bool{"gro": true, "tx-nocache-copy": true, "rx-gro-list": true})
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"rx-gro": true, "tx-nocache-copy": true, "rx-gro-list": true}, ch.Changed())
	after := ethtoolFeatures(t, ns, "veth0")
	require.True(t, after["generic-receive-offload"].Active)
	require.True(t, after["tx-nocache-copy"].Active)
	require.True(t, after["rx-gro-list"].Active)

	// "tx" is a group: its changeable members go off, the fixed ones
	// (tx-checksum-ipv4) stay as they are. Turning checksums off takes
	// the offloads that need them down too.
	ch, err = c.SetFeatures(ctx, "veth0", map[string]bool{"tx": false})
	require.NoError(t, err)
	require.Equal(t, false, ch.Changed()["tx-checksum-ip-generic"])
	after = ethtoolFeatures(t, ns, "veth0")
	require.False(t, after["tx-checksum-ip-generic"].Active)
	require.False(t, after["tx-checksum-sctp"].Active)

	f, err := c.Features(ctx, "veth0")
	require.NoError(t, err)
	require.Greater(t, compareFeatures(t, f, after), 50)

	// With checksums off the kernel drops TSO whatever is asked: the
	// change comes back with a FeatureError naming what was not applied.
	ch, err = c.SetFeatures(ctx, "veth0", map[string]bool{"tx-tcp-segmentation": true})
	var fe *FeatureError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, []FeatureProblem{{Name: "tx-tcp-segmentation", Value: true}}, fe.NotApplied)
	require.EqualError(t, err, `ethtool set features veth0: the kernel did not apply "tx-tcp-segmentation" (requested on)`)
	require.NotNil(t, ch)
	require.False(t, ethtoolFeatures(t, ns, "veth0")["tx-tcp-segmentation"].Active)

	// Setting what is already set changes nothing and is no error.
	ch, err = c.SetFeatures(ctx, "veth0", map[string]bool{"gro": true})
	require.NoError(t, err)
	require.Empty(t, ch.Changed())
}

// TestEthtoolChangesSeenByNlkit changes features with ethtool -K and
// reads them with nlkit.
func TestEthtoolChangesSeenByNlkit(t *testing.T) {
	t.Parallel()
	ns, c := vethClient(t)
	ctx := context.Background()
	nstest.Cmd(t, ns, "ethtool", "-K", "veth0", "gro", "on", "tx-nocache-copy", "on", "sg", "off")
	f, err := c.Features(ctx, "veth0")
	require.NoError(t, err)
	for name, want := range map[string]bool{"rx-gro": true, "tx-nocache-copy": true, "tx-scatter-gather": false} {
		got, ok := f.Get(name)
		require.True(t, ok, name)
		require.Equal(t, want, got.Active, name)
		require.Equal(t, want, got.Requested, name)
	}
	require.Greater(t, compareFeatures(t, f, ethtoolFeatures(t, ns, "veth0")), 50)
}

// TestSetFixedFeature: a fixed feature is refused before anything is
// sent, with an error that names it; the kernel itself accepts such a
// request silently and only its reply says the bit was not applied.
func TestSetFixedFeature(t *testing.T) {
	t.Parallel()
	ns, c := vethClient(t)
	ctx := context.Background()
	before, err := c.Features(ctx, "veth0")
	require.NoError(t, err)

	_, err = c.SetFeatures(ctx, "veth0", map[string]bool{"loopback": true, "gro": true})
	var fe *FeatureError
	require.ErrorAs(t, err, &fe)
	require.EqualError(t, err, `ethtool set features veth0: feature "loopback" is fixed off on this device, cannot turn it on`)
	_, err = c.SetFeatures(ctx, "veth0", map[string]bool{"no-such-feature": true})
	require.EqualError(t, err, `ethtool set features veth0: unknown feature "no-such-feature"`)
	after, err := c.Features(ctx, "veth0")
	require.NoError(t, err)
	require.True(t, before.Equal(after), "nothing changed: %v", before.Diff(after))
	require.False(t, ethtoolFeatures(t, ns, "veth0")["generic-receive-offload"].Active)

	// What the kernel does with it: no error, nothing changes, and the
	// reply's WANTED bit set names the bit it did not apply.
	req := NewBitset(before.HW.Size, true)
	lo, ok := before.HW.Index("loopback")
	require.True(t, ok)
	req.Set(lo, true)
	var e core.AttrEncoder
	require.NoError(t, featuresEncodeSet(&e, Device{Name: "veth0"}, FlagCompactBitsets, req))
	ms, err := c.Conn().Execute(ctx, FamilyName, unix.ETHTOOL_MSG_FEATURES_SET, 0, e.Bytes())
	require.NoError(t, err)
	require.Len(t, ms, 1)
	var ch FeatureChange
	require.NoError(t, ch.unmarshalAttrs(ms[0].Data))
	ch.Wanted.Names, ch.Active.Names = before.HW.Names, before.HW.Names
	require.Equal(t, map[string]bool{"loopback": true}, ch.NotApplied())
	require.Empty(t, ch.Changed())
}

func TestUnknownDevice(t *testing.T) {
	t.Parallel()
	_, c := vethClient(t)
	_, err := c.Channels(context.Background(), "nosuch0")
	require.ErrorIs(t, err, unix.ENODEV)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, "ethtool channels nosuch0: no such device: no device matches name")
}

// ethtoolTable parses `ethtool -l` / `ethtool -g` output: the values of
// the "Pre-set maximums" and "Current hardware settings" sections.
func ethtoolTable(out string) (max, cur map[string]string) {
	max, cur = map[string]string{}, map[string]string{}
	sect := max
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "Pre-set maximums"):
			sect = max
		case strings.HasPrefix(line, "Current hardware settings"):
			sect = cur
		default:
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(v) != "" {
				sect[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	return max, cur
}

func channelsText(v, max uint32) string {
	if max == 0 {
		return "n/a"
	}
	return strconv.FormatUint(uint64(v), 10)
}

func checkChannels(t *testing.T, ns *core.NetNS, ch *Channels) {
	t.Helper()
	max, cur := ethtoolTable(nstest.Cmd(t, ns, "ethtool", "-l", "veth0"))
	require.Equal(t, map[string]string{
		"RX": channelsText(ch.RXMax, ch.RXMax), "TX": channelsText(ch.TXMax, ch.TXMax),
		"Other": channelsText(ch.OtherMax, ch.OtherMax), "Combined": channelsText(ch.CombinedMax, ch.CombinedMax),
	}, max)
	require.Equal(t, map[string]string{
		"RX": channelsText(ch.RX, ch.RXMax), "TX": channelsText(ch.TX, ch.TXMax),
		"Other": channelsText(ch.Other, ch.OtherMax), "Combined": channelsText(ch.Combined, ch.CombinedMax),
	}, cur)
}

func TestChannelsMatchEthtool(t *testing.T) {
	t.Parallel()
	ns, c := vethClient(t)
	ctx := context.Background()
	ch, err := c.Channels(ctx, "veth0")
	require.NoError(t, err)
	require.EqualValues(t, 4, ch.RXMax)
	checkChannels(t, ns, ch)

	ch.RX = 2
	require.NoError(t, c.SetChannels(ctx, "veth0", ch))
	checkChannels(t, ns, ch)

	nstest.Cmd(t, ns, "ethtool", "-L", "veth0", "tx", "3")
	got, err := c.Channels(ctx, "veth0")
	require.NoError(t, err)
	require.EqualValues(t, 3, got.TX)
	require.EqualValues(t, 2, got.RX)
	checkChannels(t, ns, got)
	require.Equal(t, []string{"tx"}, ch.Diff(got))

	// Past the maximum: the kernel's own words, and nothing changes.
	bad := *got
	bad.RX = 9
	err = c.SetChannels(ctx, "veth0", &bad)
	require.ErrorIs(t, err, unix.EINVAL)
	require.ErrorContains(t, err, "ethtool set channels veth0: invalid argument: requested channel count exceeds maximum")
	again, err := c.Channels(ctx, "veth0")
	require.NoError(t, err)
	require.True(t, got.Equal(again))
}

// TestRingsMatchEthtool: veth has no rings; nlkit and ethtool -g both
// meet EOPNOTSUPP.
func TestRingsMatchEthtool(t *testing.T) {
	t.Parallel()
	ns, c := vethClient(t)
	_, err := c.Rings(context.Background(), "veth0")
	require.ErrorIs(t, err, unix.EOPNOTSUPP)
	require.ErrorContains(t, err, "ethtool rings veth0: operation not supported")
	out, err2 := nstest.CmdErr(ns, "ethtool", "-g", "veth0")
	require.Error(t, err2)
	require.Contains(t, out, "Operation not supported")
	err = c.SetRings(context.Background(), "veth0", &Rings{RX: 256, TX: 256})
	require.ErrorIs(t, err, unix.EOPNOTSUPP)
}

// ethtoolSettings parses `ethtool DEV`: "Key: value" lines.
func ethtoolSettings(t *testing.T, ns *core.NetNS, dev string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(nstest.Cmd(t, ns, "ethtool", dev), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

func TestLinkMatchesEthtool(t *testing.T) {
	t.Parallel()
	ns, c := vethClient(t)
	ctx := context.Background()
	li, err := c.LinkInfo(ctx, "veth0")
	require.NoError(t, err)
	lm, err := c.LinkModes(ctx, "veth0")
	require.NoError(t, err)
	ls, err := c.LinkState(ctx, "veth0")
	require.NoError(t, err)

	e := ethtoolSettings(t, ns, "veth0")
	require.Equal(t, e["Speed"], lm.SpeedString())
	require.Equal(t, e["Duplex"], lm.Duplex.String())
	require.Equal(t, e["Auto-negotiation"], onOff(lm.Autoneg))
	require.Equal(t, e["Port"], li.Port.String())
	require.Equal(t, e["PHYAD"], strconv.Itoa(int(li.PHYAddr)))
	require.Equal(t, e["Transceiver"], li.Transceiver.String())
	require.Equal(t, e["MDI-X"], li.TPMDIX.String())
	require.Equal(t, e["Link detected"], ls.LinkString())
	require.Equal(t, "yes", ls.LinkString())
	require.Equal(t, "Not reported", e["Supported link modes"])
	require.Empty(t, lm.Supported())

	// The peer down, the link is down for both.
	nstest.Cmd(t, ns, "ip", "link", "set", "veth1", "down")
	ls, err = c.LinkState(ctx, "veth0")
	require.NoError(t, err)
	require.Equal(t, "no", ls.LinkString())
	require.Equal(t, "no", ethtoolSettings(t, ns, "veth0")["Link detected"])
}

// TestMonitor sees the notifications of changes made by ethtool(8).
func TestMonitor(t *testing.T) {
	t.Parallel()
	ns, c := vethClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := make(chan *Event, 16)
	go func() {
		defer close(events)
		for ev, err := range c.Monitor(ctx) {
			if err != nil {
				return
			}
			events <- ev
		}
	}()
	// The subscription joins its group on the goroutine: change things
	// until the first event shows it has.
	var got []*Event
	deadline := time.After(5 * time.Second)
	on := true
	for len(got) == 0 {
		nstest.Cmd(t, ns, "ethtool", "-K", "veth0", "gro", onOff(on))
		on = !on
		select {
		case ev := <-events:
			got = append(got, ev)
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("no ethtool notification")
		}
	}
	ev := got[0]
	require.Equal(t, "features", ev.Kind)
	require.Equal(t, "veth0", ev.Dev.Name)
	_, ok := ev.Features.Get("rx-gro")
	require.True(t, ok, "features in events are named")
	require.Greater(t, len(ev.Features.List()), 50)

	nstest.Cmd(t, ns, "ethtool", "-L", "veth0", "rx", "1")
	for {
		select {
		case ev := <-events:
			if ev.Kind != "channels" {
				continue
			}
			require.EqualValues(t, 1, ev.Channels.RX)
			require.Equal(t, "veth0", ev.Dev.Name)
			return
		case <-deadline:
			t.Fatal("no channels notification")
		}
	}
}

// TestErrorNamesAttribute: the attribute the kernel's extended ACK points
// at is named.
func TestErrorNamesAttribute(t *testing.T) {
	t.Parallel()
	_, c := vethClient(t)
	ctx := context.Background()
	ch, err := c.Channels(ctx, "veth0")
	require.NoError(t, err)
	ch.TX = 99
	err = c.SetChannels(ctx, "veth0", ch)
	require.EqualError(t, err, "ethtool set channels veth0: invalid argument: requested channel count exceeds maximum "+
		"(at offset 44: ETHTOOL_A_CHANNELS_TX_COUNT)")
	_, err = c.LinkState(ctx, "nosuch0")
	require.EqualError(t, err, "ethtool linkstate nosuch0: no such device: no device matches name "+
		"(at offset 24: ETHTOOL_A_LINKSTATE_HEADER > ETHTOOL_A_HEADER_DEV_NAME)")
}

func TestAttrPath(t *testing.T) {
	var e core.AttrEncoder
	require.NoError(t, appendHeader(&e, 1, Device{Name: "eth0"}, FlagCompactBitsets))
	b := NewBitset(8, true)
	b.Set(1, true)
	require.NoError(t, b.AppendCompact(&e, unix.ETHTOOL_A_FEATURES_WANTED))
	attrs := e.Bytes()
	require.Equal(t, "ETHTOOL_A_FEATURES_HEADER", ethtoolAttrPath(unix.ETHTOOL_MSG_FEATURES_SET, attrs, 0))
	require.Equal(t, "ETHTOOL_A_FEATURES_HEADER > ETHTOOL_A_HEADER_DEV_NAME", ethtoolAttrPath(unix.ETHTOOL_MSG_FEATURES_SET, attrs, 4))
	require.Equal(t, "ETHTOOL_A_FEATURES_HEADER > ETHTOOL_A_HEADER_FLAGS", ethtoolAttrPath(unix.ETHTOOL_MSG_FEATURES_SET, attrs, 16))
	require.Equal(t, "ETHTOOL_A_FEATURES_WANTED", ethtoolAttrPath(unix.ETHTOOL_MSG_FEATURES_SET, attrs, 24))
	require.Equal(t, "ETHTOOL_A_FEATURES_WANTED > ETHTOOL_A_BITSET_SIZE", ethtoolAttrPath(unix.ETHTOOL_MSG_FEATURES_SET, attrs, 28))
	require.Equal(t, "attribute 1", ethtoolAttrPath(200, attrs, 0))
	require.Empty(t, ethtoolAttrPath(unix.ETHTOOL_MSG_FEATURES_SET, attrs, 2), "not at an attribute's start")
	require.Empty(t, ethtoolAttrPath(unix.ETHTOOL_MSG_FEATURES_SET, attrs, 999))
	require.Empty(t, ethtoolAttrPath(unix.ETHTOOL_MSG_FEATURES_SET, []byte{1, 0, 1}, 0))
}
