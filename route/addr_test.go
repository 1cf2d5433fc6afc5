package route

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestAddrDecodeCapture decodes the kernel's own messages.
func TestAddrDecodeCapture(t *testing.T) {
	ms := readHexMessages(t, "addr_dump.hex")
	var got []string
	for _, m := range ms {
		require.Equal(t, core.MessageType(unix.RTM_NEWADDR), m.Header.Type)
		var a Addr
		require.NoError(t, a.Unmarshal(m.Data))
		got = append(got, a.String())

		// Marshal and back keeps every fact but the timestamps.
		b, err := a.Marshal(nil)
		require.NoError(t, err)
		var back Addr
		require.NoError(t, back.Unmarshal(b))
		require.Equal(t, []string{"Created", "Updated"}, a.Diff(&back))
		back.Created, back.Updated = a.Created, a.Updated
		require.True(t, a.Equal(&back))

		// JSON and back keeps everything.
		j, err := json.Marshal(&a)
		require.NoError(t, err)
		var fromJSON Addr
		require.NoError(t, json.Unmarshal(j, &fromJSON))
		require.Empty(t, a.Diff(&fromJSON), "%s", j)
	}
	require.Equal(t, []string{
		"1: inet 127.0.0.1/8 scope host lo valid_lft forever preferred_lft forever",
		"3: inet 192.0.2.1/24 brd 192.0.2.255 scope global v0:1 valid_lft forever preferred_lft forever",
		"3: inet 198.51.100.5 peer 198.51.100.9/32 metric 7 scope global v0 valid_lft forever preferred_lft forever",
		"1: inet6 ::1/128 proto kernel_lo scope host valid_lft forever preferred_lft forever",
		"3: inet6 2001:db8::1/64 scope global nodad dynamic noprefixroute valid_lft 100sec preferred_lft 50sec",
	}, got)
}

func TestAddrJSONNames(t *testing.T) {
	a := Addr{
		Family: FamilyInet6, Index: 3, Prefix: netip.MustParsePrefix("2001:db8::1/64"),
		Flags: AddrNoDAD | AddrNoPrefixRoute | AddrSecondary, ValidLifetime: 100 * time.Second, PreferredLifetime: 50 * time.Second,
	}
	b, err := json.Marshal(&a)
	require.NoError(t, err)
	require.JSONEq(t, `{"ifindex":3,"family":"inet6","local":"2001:db8::1","prefixlen":64,"scope":"global",
		"temporary":true,"nodad":true,"dynamic":true,"noprefixroute":true,
		"valid_life_time":100,"preferred_life_time":50}`, string(b))

	// An `ip -j addr` element reads as the address it describes.
	var fromIP Addr
	require.NoError(t, json.Unmarshal([]byte(`{"family":"inet","local":"192.0.2.5","address":"192.0.2.9",
		"prefixlen":32,"scope":"global","label":"v0","valid_life_time":4294967295,"preferred_life_time":4294967295}`), &fromIP))
	require.Equal(t, Addr{Family: FamilyInet, Prefix: netip.MustParsePrefix("192.0.2.5/32"), Peer: netip.MustParseAddr("192.0.2.9"),
		Label: "v0", Flags: AddrPermanent, ValidLifetime: Forever, PreferredLifetime: Forever}, fromIP)
	require.Error(t, json.Unmarshal([]byte(`{"family":"inet","local":"192.0.2.5","prefixlen":40}`), &fromIP))
}

func TestAddrFlags(t *testing.T) {
	require.Equal(t, "nodad noprefixroute 0x1000", (AddrNoDAD | AddrNoPrefixRoute | 0x1000).String())
	for _, n := range addrFlagNames {
		f, err := ParseAddrFlag(n.name)
		require.NoError(t, err)
		require.Equal(t, n.f, f)
	}
	f, err := ParseAddrFlag("temporary")
	require.NoError(t, err)
	require.Equal(t, AddrSecondary, f)
	_, err = ParseAddrFlag("bogus")
	require.Error(t, err)
	for _, s := range []string{"kernel_lo", "kernel_ra", "kernel_ll", "99"} {
		p, err := ParseAddrProtocol(s)
		require.NoError(t, err)
		require.Equal(t, s, AddrProtocolName(p))
	}
}

// TestAddrFlagsAttrWins: the 32-bit IFA_FLAGS attribute beats the header
// byte, and Marshal sends the high bits in it.
func TestAddrFlagsAttrWins(t *testing.T) {
	a := Addr{Prefix: netip.MustParsePrefix("2001:db8::1/64"), Flags: AddrNoDAD | AddrManageTempAddr}
	b, err := a.Marshal(nil)
	require.NoError(t, err)
	require.Equal(t, byte(AddrNoDAD), b[2], "the low byte in the header")
	var back Addr
	require.NoError(t, back.Unmarshal(b))
	require.Equal(t, a.Flags, back.Flags)
	require.Equal(t, FamilyInet6, back.Family)
	b[2] = byte(AddrTentative)
	require.NoError(t, back.Unmarshal(b))
	require.Equal(t, a.Flags, back.Flags, "IFA_FLAGS, not the header")
}

func TestAddrMarshalAppends(t *testing.T) {
	a := Addr{Index: 2, Prefix: netip.MustParsePrefix("192.0.2.1/24"), Label: "x"}
	b, err := a.Marshal([]byte{1, 2, 3, 4})
	require.NoError(t, err)
	require.Equal(t, []byte{1, 2, 3, 4}, b[:4])
	var back Addr
	require.NoError(t, back.Unmarshal(b[4:]))
	require.Equal(t, "2: inet 192.0.2.1/24 scope global dynamic x", back.String())
}

func TestAddrUnmarshalErrors(t *testing.T) {
	var a Addr
	require.ErrorContains(t, a.Unmarshal([]byte{2, 24, 0}), "too short")
	// IFA_LOCAL of 5 bytes.
	bad := append([]byte{2, 24, 0, 0, 1, 0, 0, 0}, 9, 0, 2, 0, 1, 2, 3, 4, 5, 0, 0, 0)
	require.Error(t, a.Unmarshal(bad))
	// Prefix length 40 on an IPv4 address.
	bad = append([]byte{2, 40, 0, 0, 1, 0, 0, 0}, 8, 0, 2, 0, 192, 0, 2, 1)
	require.ErrorContains(t, a.Unmarshal(bad), "prefix length 40")
	// A short cacheinfo.
	bad = append([]byte{2, 24, 0, 0, 1, 0, 0, 0}, 8, 0, 6, 0, 1, 2, 3, 4)
	require.Error(t, a.Unmarshal(bad))
}

func TestAddrDiff(t *testing.T) {
	a := Addr{Index: 1, Prefix: netip.MustParsePrefix("192.0.2.1/24")}
	b := a
	require.True(t, a.Equal(&b))
	b.Label, b.Flags = "x", AddrNoDAD
	require.Equal(t, []string{"Label", "Flags"}, a.Diff(&b))
	require.False(t, a.Equal(&b))
}

// FuzzAddrUnmarshal: any payload decodes or fails cleanly, and what
// decodes and encodes decodes again to the same address.
func FuzzAddrUnmarshal(f *testing.F) {
	for _, m := range readHexMessages(f, "addr_dump.hex") {
		f.Add(m.Data)
	}
	for _, a := range []Addr{
		{Index: 2, Prefix: netip.MustParsePrefix("192.0.2.1/24"), Broadcast: netip.MustParseAddr("192.0.2.255"), Label: "v0:1"},
		{Index: 2, Prefix: netip.MustParsePrefix("2001:db8::1/64"), Flags: AddrNoDAD | AddrNoPrefixRoute,
			ValidLifetime: time.Minute, PreferredLifetime: time.Second, Priority: 5, Protocol: 9},
	} {
		b, err := a.Marshal(nil)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Addr
		if a.Unmarshal(data) != nil {
			return
		}
		_ = a.String()
		if _, err := json.Marshal(&a); err != nil {
			t.Fatal(err)
		}
		b, err := a.Marshal(nil)
		if err != nil {
			return
		}
		var back Addr
		if err := back.Unmarshal(b); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if a.Family == FamilyUnspec {
			a.Family = back.Family
		}
		back.Created, back.Updated = a.Created, a.Updated
		if d := a.Diff(&back); len(d) > 0 {
			t.Fatalf("round trip changed %v: %+v vs %+v", d, a, back)
		}
	})
}

// TestAddrUnmarshalAllocs: decoding into a reused Addr allocates nothing
// when the label does not change (the iterator's case).
func TestAddrUnmarshalAllocs(t *testing.T) {
	ms := readHexMessages(t, "addr_dump.hex")
	var a Addr
	m := ms[1].Data // 192.0.2.1/24 label v0:1
	require.NoError(t, a.Unmarshal(m))
	allocs := testing.AllocsPerRun(100, func() {
		if err := a.Unmarshal(m); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
	require.Equal(t, "v0:1", a.Label)
}
