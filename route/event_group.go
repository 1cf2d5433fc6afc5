package route

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Group is an rtnetlink multicast group (RTNLGRP_*): a socket that joins
// it receives the kernel's notifications of that kind of change.
type Group uint32

// The rtnetlink groups of linux/rtnetlink.h.
const (
	GroupLink        Group = unix.RTNLGRP_LINK
	GroupNotify      Group = unix.RTNLGRP_NOTIFY
	GroupNeigh       Group = unix.RTNLGRP_NEIGH
	GroupTC          Group = unix.RTNLGRP_TC
	GroupIPv4Addr    Group = unix.RTNLGRP_IPV4_IFADDR
	GroupIPv4MRoute  Group = unix.RTNLGRP_IPV4_MROUTE
	GroupIPv4Route   Group = unix.RTNLGRP_IPV4_ROUTE
	GroupIPv4Rule    Group = unix.RTNLGRP_IPV4_RULE
	GroupIPv6Addr    Group = unix.RTNLGRP_IPV6_IFADDR
	GroupIPv6MRoute  Group = unix.RTNLGRP_IPV6_MROUTE
	GroupIPv6Route   Group = unix.RTNLGRP_IPV6_ROUTE
	GroupIPv6IfInfo  Group = unix.RTNLGRP_IPV6_IFINFO
	GroupIPv6Prefix  Group = unix.RTNLGRP_IPV6_PREFIX
	GroupIPv6Rule    Group = unix.RTNLGRP_IPV6_RULE
	GroupNDUserOpt   Group = unix.RTNLGRP_ND_USEROPT
	GroupIPv4Netconf Group = unix.RTNLGRP_IPV4_NETCONF
	GroupIPv6Netconf Group = unix.RTNLGRP_IPV6_NETCONF
	GroupMDB         Group = unix.RTNLGRP_MDB
	GroupMPLSRoute   Group = unix.RTNLGRP_MPLS_ROUTE
	GroupNSID        Group = unix.RTNLGRP_NSID
	GroupMPLSNetconf Group = unix.RTNLGRP_MPLS_NETCONF
	GroupNexthop     Group = unix.RTNLGRP_NEXTHOP
	GroupBridgeVLAN  Group = unix.RTNLGRP_BRVLAN
	GroupStats       Group = unix.RTNLGRP_STATS
	GroupTunnel      Group = unix.RTNLGRP_TUNNEL
)

var groupNames = map[Group]string{
	GroupLink: "link", GroupNotify: "notify", GroupNeigh: "neigh", GroupTC: "tc",
	GroupIPv4Addr: "ipv4-addr", GroupIPv4MRoute: "ipv4-mroute", GroupIPv4Route: "ipv4-route",
	GroupIPv4Rule: "ipv4-rule", GroupIPv6Addr: "ipv6-addr", GroupIPv6MRoute: "ipv6-mroute",
	GroupIPv6Route: "ipv6-route", GroupIPv6IfInfo: "ipv6-ifinfo", GroupIPv6Prefix: "ipv6-prefix",
	GroupIPv6Rule: "ipv6-rule", GroupNDUserOpt: "nd-useropt", GroupIPv4Netconf: "ipv4-netconf",
	GroupIPv6Netconf: "ipv6-netconf", GroupMDB: "mdb", GroupMPLSRoute: "mpls-route", GroupNSID: "nsid",
	GroupMPLSNetconf: "mpls-netconf", GroupNexthop: "nexthop", GroupBridgeVLAN: "brvlan",
	GroupStats: "stats", GroupTunnel: "tunnel",
}

// String names the group ("link", "ipv4-addr", "ipv6-route", ...), or
// prints its number.
func (g Group) String() string {
	if n, ok := groupNames[g]; ok {
		return n
	}
	return strconv.FormatUint(uint64(g), 10)
}

// groupSets are the names ParseGroups reads for several groups at once,
// as `ip monitor` takes them.
var groupSets = map[string][]Group{
	"addr":    {GroupIPv4Addr, GroupIPv6Addr},
	"address": {GroupIPv4Addr, GroupIPv6Addr},
	"route":   {GroupIPv4Route, GroupIPv6Route},
	"rule":    {GroupIPv4Rule, GroupIPv6Rule},
	"netconf": {GroupIPv4Netconf, GroupIPv6Netconf},
	"mroute":  {GroupIPv4MRoute, GroupIPv6MRoute},
	"prefix":  {GroupIPv6Prefix},
	"neigh":   {GroupNeigh},
	"nexthop": {GroupNexthop},
	"nsid":    {GroupNSID},
	"link":    {GroupLink},
}

// DefaultGroups returns the groups ParseGroups("all") names and a
// watcher without groups joins: links, addresses, routes, neighbours,
// rules, nexthops, netconf and namespace IDs, IPv4 and IPv6.
func DefaultGroups() []Group {
	return []Group{
		GroupLink, GroupIPv4Addr, GroupIPv6Addr, GroupIPv4Route, GroupIPv6Route, GroupNeigh,
		GroupIPv4Rule, GroupIPv6Rule, GroupNexthop, GroupIPv4Netconf, GroupIPv6Netconf, GroupNSID,
	}
}

// ParseGroups reads a group name: one of Group's names ("ipv4-route"), a
// name for both families as `ip monitor` takes it ("link", "addr",
// "route", "neigh", "rule", "nexthop", "netconf", "nsid", "prefix",
// "mroute"), "all" for DefaultGroups, or a number.
func ParseGroups(name string) ([]Group, error) {
	n := strings.ToLower(name)
	if n == "all" {
		return DefaultGroups(), nil
	}
	if gs, ok := groupSets[n]; ok {
		return append([]Group(nil), gs...), nil
	}
	for g, gn := range groupNames {
		if gn == n {
			return []Group{g}, nil
		}
	}
	v, err := strconv.ParseUint(name, 0, 32)
	if err != nil || v == 0 {
		return nil, fmt.Errorf("route: unknown group %q", name)
	}
	return []Group{Group(v)}, nil
}
