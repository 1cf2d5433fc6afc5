package decode

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestTableNamesMatchConstants reads the table source and checks that
// every entry keyed by a unix constant carries that constant's name, so a
// name cannot drift from the value it stands for.
func TestTableNamesMatchConstants(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "route_tables.go", nil, 0)
	require.NoError(t, err)
	checked := 0
	ast.Inspect(f, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok {
			return true
		}
		sel, ok := kv.Key.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		pkg, ok := sel.X.(*ast.Ident)
		if !ok || pkg.Name != "unix" {
			return true
		}
		var lit *ast.BasicLit
		switch v := kv.Value.(type) {
		case *ast.BasicLit: // routeTypes: unix.RTM_X: "RTM_X"
			lit = v
		case *ast.CompositeLit: // tables: unix.IFLA_X: {"IFLA_X", kind, sub}
			require.NotEmpty(t, v.Elts, "%s", fset.Position(kv.Pos()))
			lit, _ = v.Elts[0].(*ast.BasicLit)
		}
		require.NotNil(t, lit, "%s: entry without a string name", fset.Position(kv.Pos()))
		name, err := strconv.Unquote(lit.Value)
		require.NoError(t, err)
		require.Equal(t, sel.Sel.Name, name, "%s", fset.Position(kv.Pos()))
		checked++
		return true
	})
	require.Greater(t, checked, 200, "the parser found too few entries")
}

// TestTablesNamePrefixes checks each table holds one family of names.
func TestTablesNamePrefixes(t *testing.T) {
	for prefix, tbl := range map[string]table{
		"IFLA_": linkAttrs, "IFLA_INFO_": linkInfoAttrs, "IFLA_INET_": inetAttrs,
		"IFLA_INET6_": inet6Attrs, "IFLA_XDP_": xdpAttrs, "IFA_": addrAttrs,
		"RTA_": routeAttrs, "RTAX_": metricAttrs, "AF_": afSpecAttrs,
	} {
		n := 0
		for typ, s := range tbl {
			if s.name == "" {
				continue
			}
			n++
			require.True(t, strings.HasPrefix(s.name, prefix), "%s (%d) in the %s table", s.name, typ, prefix)
			if s.kind == kindNested || s.kind == kindLinkData {
				continue
			}
			require.Nil(t, s.sub, "%s: only nested attributes have a sub-table", s.name)
		}
		require.NotZero(t, n, prefix)
	}
	for typ, name := range routeTypes {
		if name != "" {
			require.True(t, strings.HasPrefix(name, "RTM_"), "%d: %s", typ, name)
		}
	}
}

func TestAttrName(t *testing.T) {
	route := unix.NETLINK_ROUTE
	for _, tc := range []struct {
		typ  core.MessageType
		path []uint16
		want string
	}{
		{unix.RTM_NEWLINK, []uint16{unix.IFLA_IFNAME}, "IFLA_IFNAME"},
		{unix.RTM_GETLINK, []uint16{unix.IFLA_MTU}, "IFLA_MTU"},
		{unix.RTM_NEWLINK, []uint16{unix.IFLA_LINKINFO}, "IFLA_LINKINFO"},
		{unix.RTM_NEWLINK, []uint16{unix.IFLA_LINKINFO, unix.IFLA_INFO_KIND}, "IFLA_INFO_KIND"},
		{unix.RTM_NEWLINK, []uint16{unix.IFLA_LINKINFO, unix.IFLA_INFO_SLAVE_DATA}, "IFLA_INFO_SLAVE_DATA"},
		{unix.RTM_NEWLINK, []uint16{unix.IFLA_AF_SPEC, unix.AF_INET6, unix.IFLA_INET6_ADDR_GEN_MODE}, "IFLA_INET6_ADDR_GEN_MODE"},
		{unix.RTM_NEWLINK, []uint16{unix.IFLA_AF_SPEC, unix.AF_INET, unix.IFLA_INET_CONF}, "IFLA_INET_CONF"},
		{unix.RTM_NEWLINK, []uint16{unix.IFLA_XDP, unix.IFLA_XDP_ATTACHED}, "IFLA_XDP_ATTACHED"},
		{unix.RTM_NEWLINK, []uint16{unix.IFLA_PROP_LIST, unix.IFLA_ALT_IFNAME}, "IFLA_ALT_IFNAME"},
		{unix.RTM_NEWADDR, []uint16{unix.IFA_LOCAL}, "IFA_LOCAL"},
		{unix.RTM_DELADDR, []uint16{ifaProto}, "IFA_PROTO"},
		{unix.RTM_NEWROUTE, []uint16{unix.RTA_GATEWAY}, "RTA_GATEWAY"},
		{unix.RTM_NEWROUTE, []uint16{unix.RTA_METRICS, unix.RTAX_MTU}, "RTAX_MTU"},
		// The same number means different things in different messages.
		{unix.RTM_NEWADDR, []uint16{1}, "IFA_ADDRESS"},
		{unix.RTM_NEWLINK, []uint16{1}, "IFLA_ADDRESS"},
		{unix.RTM_NEWROUTE, []uint16{1}, "RTA_DST"},
		// Unknown: "" so the formatter prints the number.
		{unix.RTM_NEWLINK, []uint16{unix.IFLA_LINKINFO, unix.IFLA_INFO_DATA, 1}, ""},
		{unix.RTM_NEWLINK, []uint16{unix.IFLA_IFNAME, 1}, ""},
		{unix.RTM_NEWLINK, []uint16{9999}, ""},
		{unix.RTM_NEWLINK, []uint16{0}, ""},
		{unix.RTM_NEWLINK, nil, ""},
		{unix.RTM_NEWNEIGH, []uint16{1}, ""},
		{core.TypeError, []uint16{1}, ""},
	} {
		require.Equal(t, tc.want, AttrName(route, tc.typ, tc.path), "%v %v", tc.typ, tc.path)
	}
	require.Empty(t, AttrName(unix.NETLINK_GENERIC, unix.RTM_NEWLINK, []uint16{unix.IFLA_IFNAME}))
}

func TestMessageTypeName(t *testing.T) {
	route := unix.NETLINK_ROUTE
	require.Equal(t, "RTM_NEWLINK", MessageTypeName(route, unix.RTM_NEWLINK))
	require.Equal(t, "RTM_SETLINK", MessageTypeName(route, unix.RTM_SETLINK))
	require.Equal(t, "RTM_GETROUTE", MessageTypeName(route, unix.RTM_GETROUTE))
	require.Equal(t, "RTM_NEWNEXTHOP", MessageTypeName(route, unix.RTM_NEWNEXTHOP))
	require.Equal(t, "NLMSG_ERROR", MessageTypeName(route, core.TypeError))
	require.Equal(t, "NLMSG_DONE", MessageTypeName(unix.NETLINK_GENERIC, core.TypeDone))
	require.Equal(t, "16", MessageTypeName(unix.NETLINK_GENERIC, 16))
	require.Equal(t, "4000", MessageTypeName(route, 4000))
}

func TestHeaderLen(t *testing.T) {
	route := unix.NETLINK_ROUTE
	require.Equal(t, 16, HeaderLen(route, unix.RTM_NEWLINK))
	require.Equal(t, 8, HeaderLen(route, unix.RTM_GETADDR))
	require.Equal(t, 12, HeaderLen(route, unix.RTM_DELROUTE))
	require.Equal(t, -1, HeaderLen(route, unix.RTM_NEWNEIGH))
	require.Equal(t, -1, HeaderLen(route, core.TypeDone))
	require.Equal(t, -1, HeaderLen(unix.NETLINK_GENERIC, unix.RTM_NEWLINK))
}

// TestFormatterNamesAttributes checks the hook reaches core's dump.
func TestFormatterNamesAttributes(t *testing.T) {
	var e core.AttrEncoder
	e.Raw(make([]byte, unix.SizeofIfInfomsg))
	e.String(unix.IFLA_IFNAME, "veth0")
	n := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	require.NoError(t, e.NestEnd(n))
	m := core.Message{Header: core.Header{Type: unix.RTM_NEWLINK}, Data: e.Bytes()}
	var b strings.Builder
	require.NoError(t, Formatter(unix.NETLINK_ROUTE).Format(&b, m))
	out := b.String()
	require.Contains(t, out, "IFLA_IFNAME")
	require.Contains(t, out, "IFLA_LINKINFO")
	require.Contains(t, out, "IFLA_INFO_KIND")
	require.Contains(t, out, `"veth0"`)
}
