package route

import (
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestDecodeEventCaptured(t *testing.T) {
	ms := readHexMessages(t, "addr_events.hex")
	require.NotEmpty(t, ms)
	kinds := map[string]int{}
	for _, m := range ms {
		ev, err := DecodeEvent(m)
		require.NoError(t, err, "%v", m.Header)
		kinds[ev.Kind()]++
		require.Contains(t, []EventType{EventNew, EventDel}, ev.Type)
		if eventObjectFor(m.Header.Type) != nil {
			require.NotNil(t, ev.Object)
			require.Nil(t, ev.Raw)
		} else {
			require.Equal(t, m.Data, ev.Raw)
		}
		line := ev.String()
		require.True(t, strings.HasPrefix(line, "["+ev.Kind()+"] "), line)
		require.Equal(t, ev.Type == EventDel, strings.Contains(line, "] Deleted "), line)
		b, err := json.Marshal(&ev)
		require.NoError(t, err)
		var j map[string]any
		require.NoError(t, json.Unmarshal(b, &j))
		require.Equal(t, ev.Type.String(), j["event"])
		require.Equal(t, ev.Kind(), j["kind"])
	}
	for _, k := range []string{"LINK", "ADDR", "ROUTE", "NEIGH", "RULE", "NEXTHOP", "NETCONF", "NSID"} {
		require.Positive(t, kinds[k], "no %s event in the capture", k)
	}
}

func TestDecodeEventAddr(t *testing.T) {
	a := Addr{Family: FamilyInet, Index: 3, Prefix: netip.MustParsePrefix("192.0.2.1/24"), Label: "v0", Flags: AddrPermanent}
	b, err := a.Marshal(nil)
	require.NoError(t, err)
	m := core.Message{Header: core.Header{Type: unix.RTM_DELADDR}, Data: b, From: core.Sender{Group: unix.RTNLGRP_IPV4_IFADDR}}
	ev, err := DecodeEvent(m)
	require.NoError(t, err)
	require.Equal(t, EventDel, ev.Type)
	require.Equal(t, GroupIPv4Addr, ev.Group)
	require.Equal(t, "ADDR", ev.Kind())
	require.Equal(t, "[ADDR] Deleted 3: inet 192.0.2.1/24 scope global v0", ev.String())
	b[8] = 0xff // the object is a copy: the buffer may be reused
	require.True(t, a.Equal(ev.Object.(*Addr)))
	js, err := json.Marshal(&ev)
	require.NoError(t, err)
	require.JSONEq(t, `{"event":"del","kind":"ADDR","msg_type":21,"group":"ipv4-addr",
		"object":{"ifindex":3,"family":"inet","local":"192.0.2.1","prefixlen":24,"scope":"global","label":"v0"}}`, string(js))

	// A message that does not decode comes with its bytes and an error.
	ev, err = DecodeEvent(core.Message{Header: core.Header{Type: unix.RTM_NEWADDR}, Data: []byte{2, 24}})
	require.ErrorContains(t, err, "ADDR event")
	require.Nil(t, ev.Object)
	require.Equal(t, []byte{2, 24}, ev.Raw)
	require.Equal(t, EventNew, ev.Type)

	// A type this package does not decode: raw.
	ev, err = DecodeEvent(core.Message{Header: core.Header{Type: unix.RTM_NEWPREFIX}, Data: []byte{1, 2, 3, 4}})
	require.NoError(t, err)
	require.Equal(t, "[PREFIX] message type 52 01020304", ev.String())
	require.Equal(t, "999", (&Event{MsgType: 999}).Kind())
}

func TestGroups(t *testing.T) {
	for name, want := range map[string][]Group{
		"link":         {GroupLink},
		"addr":         {GroupIPv4Addr, GroupIPv6Addr},
		"route":        {GroupIPv4Route, GroupIPv6Route},
		"rule":         {GroupIPv4Rule, GroupIPv6Rule},
		"netconf":      {GroupIPv4Netconf, GroupIPv6Netconf},
		"ipv6-route":   {GroupIPv6Route},
		"nexthop":      {GroupNexthop},
		"NSID":         {GroupNSID},
		"33":           {GroupBridgeVLAN},
		"ipv4-netconf": {GroupIPv4Netconf},
	} {
		got, err := ParseGroups(name)
		require.NoError(t, err, name)
		require.Equal(t, want, got, name)
	}
	all, err := ParseGroups("all")
	require.NoError(t, err)
	require.Equal(t, DefaultGroups(), all)
	for _, bad := range []string{"bogus", "0", ""} {
		_, err := ParseGroups(bad)
		require.Error(t, err, bad)
	}
	for g, n := range groupNames {
		got, err := ParseGroups(n)
		require.NoError(t, err)
		if len(got) == 1 {
			require.Equal(t, g, got[0])
		}
		require.Equal(t, n, g.String())
	}
	require.Equal(t, "99", Group(99).String())
}

// FuzzDecodeEvent: no message of any type makes the dispatcher or a
// decoder panic. The first two bytes pick the message type.
func FuzzDecodeEvent(f *testing.F) {
	for _, name := range []string{"addr_events.hex", "addr_dump.hex"} {
		for _, m := range readHexMessages(f, name) {
			f.Add(append(binary.NativeEndian.AppendUint16(nil, uint16(m.Header.Type)), m.Data...))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 2 {
			return
		}
		typ := core.MessageType(binary.NativeEndian.Uint16(b))
		data := b[2:]
		// The decoder alone, without DecodeEvent's recover: a panic here
		// is a decoder bug.
		if obj := eventObjectFor(typ); obj != nil {
			_ = obj.Unmarshal(data)
		}
		ev, err := DecodeEvent(core.Message{Header: core.Header{Type: typ}, Data: data})
		if err != nil && ev.Raw == nil && len(data) > 0 {
			t.Fatalf("a failed decode lost the payload")
		}
		_ = ev.String()
		if _, err := json.Marshal(&ev); err != nil {
			t.Fatalf("json: %v", err)
		}
	})
}
