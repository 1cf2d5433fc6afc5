package route

import (
	"encoding/json"
	"io/fs"
	"net/netip"
	"testing"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// ruleJSONWithoutFamily is r's JSON less the family, which ip(8) shows
// only through -4/-6.
func ruleJSONWithoutFamily(t *testing.T, r *Rule) map[string]any {
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	delete(m, "family")
	if m["protocol"] == "kernel" {
		delete(m, "protocol") // ip(8) shows it only with -d
	}
	return m
}

func TestRuleReadsWhatIPMade(t *testing.T) {
	t.Parallel()
	ns, c := roTestNS(t)
	ctx := roTestCtx(t)
	for _, args := range [][]string{
		{"rule", "add", "from", "192.0.2.0/24", "table", "1000", "priority", "1000"},
		{"rule", "add", "not", "fwmark", "0x10/0xff", "iif", "veth0", "ipproto", "tcp", "sport", "1000-2000", "dport", "80", "uidrange", "100-200", "table", "100", "prio", "5"},
		{"rule", "add", "prio", "6", "goto", "1000"},
		{"rule", "add", "prio", "7", "table", "main", "suppress_prefixlength", "0"},
		{"rule", "add", "prio", "8", "blackhole"},
		{"rule", "add", "prio", "9", "to", "198.51.100.7", "oif", "veth0", "tos", "0x10", "prohibit"},
		{"rule", "add", "prio", "10", "fwmark", "7", "unreachable"},
		{"rule", "add", "prio", "11", "from", "all", "lookup", "main", "suppress_ifgroup", "5"},
		{"rule", "add", "prio", "12", "nop"},
		{"-6", "rule", "add", "from", "2001:db8::/64", "table", "300", "prio", "20"},
	} {
		nstest.Cmd(t, ns, "ip", args...)
	}
	for _, fam := range []struct {
		f    Family
		flag string
	}{{FamilyInet, "-4"}, {FamilyInet6, "-6"}} {
		var want []map[string]any
		roTestJSON(t, ns, &want, "ip", fam.flag, "-j", "rule", "show")
		got, err := c.Rules(ctx, fam.f)
		require.NoError(t, err)
		require.Len(t, got, len(want))
		for i := range got {
			require.Equal(t, fam.f, got[i].Family)
			require.Equal(t, want[i], ruleJSONWithoutFamily(t, &got[i]), "rule %d: %s", i, got[i].String())
		}
	}

	all, err := c.Rules(ctx, FamilyUnspec)
	require.NoError(t, err)
	var n int
	for r, err := range c.RuleIter(ctx, FamilyUnspec) {
		require.NoError(t, err)
		require.True(t, r.Equal(&all[n]), "%v", r.Diff(&all[n]))
		n++
	}
	require.Equal(t, len(all), n)

	byPrio := map[uint32]string{}
	for i := range all {
		if all[i].Family == FamilyInet {
			byPrio[all[i].Priority] = all[i].String()
		}
	}
	require.Equal(t, "5: not from all fwmark 0x10/0xff iif veth0 uidrange 100-200 ipproto tcp sport 1000-2000 dport 80 lookup 100", byPrio[5])
	require.Equal(t, "6: from all goto 1000", byPrio[6])
	require.Equal(t, "7: from all lookup main suppress_prefixlength 0", byPrio[7])
	require.Equal(t, "8: from all blackhole", byPrio[8])
	require.Equal(t, "9: from all to 198.51.100.7 tos 0x10 oif veth0 prohibit", byPrio[9])
	require.Equal(t, "1000: from 192.0.2.0/24 lookup 1000", byPrio[1000])
}

func TestRuleWriteIPReads(t *testing.T) {
	t.Parallel()
	ns, c := roTestNS(t)
	ctx := roTestCtx(t)
	zero := uint32(0)
	rules := []Rule{
		{Src: netip.MustParsePrefix("192.0.2.0/24"), Table: 100, Priority: 1000},
		{Family: FamilyInet, Priority: 1001, Invert: true, Fwmark: 0x10, Fwmask: 0xff, IIF: "veth0",
			IPProto: unix.IPPROTO_UDP, SportRange: &RuleRange{1000, 2000}, DportRange: &RuleRange{53, 53},
			UIDRange: &RuleRange{100, 200}, Table: 4000},
		{Family: FamilyInet, Priority: 1002, Goto: 1003},
		{Family: FamilyInet, Priority: 1003, Table: TableMain, SuppressPrefixLen: &zero},
		{Family: FamilyInet, Priority: 1004, Action: RuleBlackhole, Dst: netip.MustParsePrefix("198.51.100.0/24"), TOS: 0x10},
		{Family: FamilyInet, Priority: 1005, Action: RuleNop, Protocol: ProtocolStatic, OIF: "veth0"},
		{Dst: netip.MustParsePrefix("2001:db8:1::/48"), Table: 6000, Priority: 1006},
	}
	for i := range rules {
		require.NoError(t, c.RuleAdd(ctx, &rules[i]), rules[i].String())
	}
	for _, fam := range []struct {
		f    Family
		flag string
	}{{FamilyInet, "-4"}, {FamilyInet6, "-6"}} {
		var want []map[string]any
		roTestJSON(t, ns, &want, "ip", fam.flag, "-j", "rule", "show")
		got, err := c.Rules(ctx, fam.f)
		require.NoError(t, err)
		require.Len(t, got, len(want))
		for i := range got {
			require.Equal(t, want[i], ruleJSONWithoutFamily(t, &got[i]), "rule %d: %s", i, got[i].String())
		}
	}
	var ip []map[string]any
	roTestJSON(t, ns, &ip, "ip", "-j", "rule", "show", "priority", "1001")
	require.Len(t, ip, 1)
	require.Equal(t, "4000", ip[0]["table"])
	require.Equal(t, "udp", ip[0]["ipproto"])
	require.Contains(t, ip[0], "not")

	// Read back equals what was written, with the kernel's defaults.
	got, err := c.Rules(ctx, FamilyInet)
	require.NoError(t, err)
	for i := range got {
		if got[i].Priority == 1001 {
			w := rules[1]
			w.Action = RuleToTable
			require.True(t, w.Equal(&got[i]), "%v", w.Diff(&got[i]))
		}
	}

	err = c.RuleAdd(ctx, &rules[0])
	require.ErrorIs(t, err, fs.ErrExist)
	require.Contains(t, err.Error(), "rule add priority 1000 from 192.0.2.0/24 table 100")

	for i := range rules {
		require.NoError(t, c.RuleDel(ctx, &rules[i]))
	}
	out := nstest.Cmd(t, ns, "ip", "rule", "show")
	require.NotContains(t, out, "1000:")
	err = c.RuleDel(ctx, &rules[0])
	require.ErrorIs(t, err, fs.ErrNotExist)

	// The kernel refuses a goto with no target, with its own words.
	err = c.RuleAdd(ctx, &Rule{Family: FamilyInet, Priority: 5, Action: RuleGoto})
	require.ErrorIs(t, err, unix.EINVAL)
	require.Contains(t, err.Error(), "rule add priority 5")
	// No family at all: refused before anything is sent.
	require.ErrorIs(t, c.RuleAdd(ctx, &Rule{Table: 5}), errRuleNoFamily)
}
