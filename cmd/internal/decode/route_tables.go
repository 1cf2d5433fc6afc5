package decode

import "golang.org/x/sys/unix"

// Attribute types of NETLINK_ROUTE newer than the golang.org/x/sys/unix
// release this module uses; values from the kernel's uapi headers.
const (
	ifaProto = 11 // IFA_PROTO (linux/if_addr.h)

	iflaMaxPacingOffloadHorizon = 66 // IFLA_MAX_PACING_OFFLOAD_HORIZON (linux/if_link.h)
	iflaNetnsImmutable          = 67 // IFLA_NETNS_IMMUTABLE
	iflaHeadroom                = 68 // IFLA_HEADROOM
	iflaTailroom                = 69 // IFLA_TAILROOM
	vethInfoPeer                = 1  // VETH_INFO_PEER (linux/veth.h)
	rtaNHID                     = 30 // RTA_NH_ID (linux/rtnetlink.h)
	rtaFlowLabel                = 31 // RTA_FLOWLABEL (linux/rtnetlink.h)
)

// linkAttrs names IFLA_* (RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK).
var linkAttrs = table{
	unix.IFLA_ADDRESS:             {"IFLA_ADDRESS", kindHW, nil},
	unix.IFLA_BROADCAST:           {"IFLA_BROADCAST", kindHW, nil},
	unix.IFLA_IFNAME:              {"IFLA_IFNAME", kindString, nil},
	unix.IFLA_MTU:                 {"IFLA_MTU", kindU32, nil},
	unix.IFLA_LINK:                {"IFLA_LINK", kindU32, nil},
	unix.IFLA_QDISC:               {"IFLA_QDISC", kindString, nil},
	unix.IFLA_STATS:               {"IFLA_STATS", kindU32Array, nil},
	unix.IFLA_COST:                {"IFLA_COST", kindBinary, nil},
	unix.IFLA_PRIORITY:            {"IFLA_PRIORITY", kindBinary, nil},
	unix.IFLA_MASTER:              {"IFLA_MASTER", kindU32, nil},
	unix.IFLA_WIRELESS:            {"IFLA_WIRELESS", kindBinary, nil},
	unix.IFLA_PROTINFO:            {"IFLA_PROTINFO", kindNested, nil},
	unix.IFLA_TXQLEN:              {"IFLA_TXQLEN", kindU32, nil},
	unix.IFLA_MAP:                 {"IFLA_MAP", kindBinary, nil},
	unix.IFLA_WEIGHT:              {"IFLA_WEIGHT", kindU32, nil},
	unix.IFLA_OPERSTATE:           {"IFLA_OPERSTATE", kindU8, nil},
	unix.IFLA_LINKMODE:            {"IFLA_LINKMODE", kindU8, nil},
	unix.IFLA_LINKINFO:            {"IFLA_LINKINFO", kindNested, linkInfoAttrs},
	unix.IFLA_NET_NS_PID:          {"IFLA_NET_NS_PID", kindU32, nil},
	unix.IFLA_IFALIAS:             {"IFLA_IFALIAS", kindString, nil},
	unix.IFLA_NUM_VF:              {"IFLA_NUM_VF", kindU32, nil},
	unix.IFLA_VFINFO_LIST:         {"IFLA_VFINFO_LIST", kindNested, nil},
	unix.IFLA_STATS64:             {"IFLA_STATS64", kindU64Array, nil},
	unix.IFLA_VF_PORTS:            {"IFLA_VF_PORTS", kindNested, nil},
	unix.IFLA_PORT_SELF:           {"IFLA_PORT_SELF", kindNested, nil},
	unix.IFLA_AF_SPEC:             {"IFLA_AF_SPEC", kindNested, afSpecAttrs},
	unix.IFLA_GROUP:               {"IFLA_GROUP", kindU32, nil},
	unix.IFLA_NET_NS_FD:           {"IFLA_NET_NS_FD", kindU32, nil},
	unix.IFLA_EXT_MASK:            {"IFLA_EXT_MASK", kindU32, nil},
	unix.IFLA_PROMISCUITY:         {"IFLA_PROMISCUITY", kindU32, nil},
	unix.IFLA_NUM_TX_QUEUES:       {"IFLA_NUM_TX_QUEUES", kindU32, nil},
	unix.IFLA_NUM_RX_QUEUES:       {"IFLA_NUM_RX_QUEUES", kindU32, nil},
	unix.IFLA_CARRIER:             {"IFLA_CARRIER", kindU8, nil},
	unix.IFLA_PHYS_PORT_ID:        {"IFLA_PHYS_PORT_ID", kindBinary, nil},
	unix.IFLA_CARRIER_CHANGES:     {"IFLA_CARRIER_CHANGES", kindU32, nil},
	unix.IFLA_PHYS_SWITCH_ID:      {"IFLA_PHYS_SWITCH_ID", kindBinary, nil},
	unix.IFLA_LINK_NETNSID:        {"IFLA_LINK_NETNSID", kindS32, nil},
	unix.IFLA_PHYS_PORT_NAME:      {"IFLA_PHYS_PORT_NAME", kindString, nil},
	unix.IFLA_PROTO_DOWN:          {"IFLA_PROTO_DOWN", kindU8, nil},
	unix.IFLA_GSO_MAX_SEGS:        {"IFLA_GSO_MAX_SEGS", kindU32, nil},
	unix.IFLA_GSO_MAX_SIZE:        {"IFLA_GSO_MAX_SIZE", kindU32, nil},
	unix.IFLA_PAD:                 {"IFLA_PAD", kindBinary, nil},
	unix.IFLA_XDP:                 {"IFLA_XDP", kindNested, xdpAttrs},
	unix.IFLA_EVENT:               {"IFLA_EVENT", kindU32, nil},
	unix.IFLA_NEW_NETNSID:         {"IFLA_NEW_NETNSID", kindS32, nil},
	unix.IFLA_TARGET_NETNSID:      {"IFLA_TARGET_NETNSID", kindS32, nil},
	unix.IFLA_CARRIER_UP_COUNT:    {"IFLA_CARRIER_UP_COUNT", kindU32, nil},
	unix.IFLA_CARRIER_DOWN_COUNT:  {"IFLA_CARRIER_DOWN_COUNT", kindU32, nil},
	unix.IFLA_NEW_IFINDEX:         {"IFLA_NEW_IFINDEX", kindS32, nil},
	unix.IFLA_MIN_MTU:             {"IFLA_MIN_MTU", kindU32, nil},
	unix.IFLA_MAX_MTU:             {"IFLA_MAX_MTU", kindU32, nil},
	unix.IFLA_PROP_LIST:           {"IFLA_PROP_LIST", kindNested, propListAttrs},
	unix.IFLA_ALT_IFNAME:          {"IFLA_ALT_IFNAME", kindString, nil},
	unix.IFLA_PERM_ADDRESS:        {"IFLA_PERM_ADDRESS", kindHW, nil},
	unix.IFLA_PROTO_DOWN_REASON:   {"IFLA_PROTO_DOWN_REASON", kindNested, protoDownReasonAttrs},
	unix.IFLA_PARENT_DEV_NAME:     {"IFLA_PARENT_DEV_NAME", kindString, nil},
	unix.IFLA_PARENT_DEV_BUS_NAME: {"IFLA_PARENT_DEV_BUS_NAME", kindString, nil},
	unix.IFLA_GRO_MAX_SIZE:        {"IFLA_GRO_MAX_SIZE", kindU32, nil},
	unix.IFLA_TSO_MAX_SIZE:        {"IFLA_TSO_MAX_SIZE", kindU32, nil},
	unix.IFLA_TSO_MAX_SEGS:        {"IFLA_TSO_MAX_SEGS", kindU32, nil},
	unix.IFLA_ALLMULTI:            {"IFLA_ALLMULTI", kindU32, nil},
	unix.IFLA_DEVLINK_PORT:        {"IFLA_DEVLINK_PORT", kindNested, nil},
	unix.IFLA_GSO_IPV4_MAX_SIZE:   {"IFLA_GSO_IPV4_MAX_SIZE", kindU32, nil},
	unix.IFLA_GRO_IPV4_MAX_SIZE:   {"IFLA_GRO_IPV4_MAX_SIZE", kindU32, nil},
	unix.IFLA_DPLL_PIN:            {"IFLA_DPLL_PIN", kindNested, nil},
	iflaMaxPacingOffloadHorizon:   {"IFLA_MAX_PACING_OFFLOAD_HORIZON", kindUint, nil},
	iflaNetnsImmutable:            {"IFLA_NETNS_IMMUTABLE", kindU8, nil},
	iflaHeadroom:                  {"IFLA_HEADROOM", kindU16, nil},
	iflaTailroom:                  {"IFLA_TAILROOM", kindU16, nil},
}

// linkInfoAttrs names IFLA_INFO_* (inside IFLA_LINKINFO). IFLA_INFO_DATA
// and IFLA_INFO_SLAVE_DATA hold the kind's own attributes, which the kind
// (IFLA_INFO_KIND) names: see kindDataAttrs.
var linkInfoAttrs = table{
	unix.IFLA_INFO_KIND:       {"IFLA_INFO_KIND", kindString, nil},
	unix.IFLA_INFO_DATA:       {"IFLA_INFO_DATA", kindLinkData, nil},
	unix.IFLA_INFO_XSTATS:     {"IFLA_INFO_XSTATS", kindBinary, nil},
	unix.IFLA_INFO_SLAVE_KIND: {"IFLA_INFO_SLAVE_KIND", kindString, nil},
	unix.IFLA_INFO_SLAVE_DATA: {"IFLA_INFO_SLAVE_DATA", kindLinkData, nil},
}

// vethDataAttrs names a veth's IFLA_INFO_DATA (requests only: the peer,
// an ifinfomsg followed by IFLA_* attributes).
var vethDataAttrs = table{
	vethInfoPeer: {"VETH_INFO_PEER", kindLinkMsg, nil},
}

// kindDataAttrs names the attributes of IFLA_INFO_DATA (or
// IFLA_INFO_SLAVE_DATA) by the link kind that IFLA_INFO_KIND (or
// IFLA_INFO_SLAVE_KIND) gives; nil when there are no names for it.
func kindDataAttrs(linkKind string) table {
	switch linkKind {
	case "veth":
		return vethDataAttrs
	}
	return nil
}

// afSpecAttrs names the address families inside IFLA_AF_SPEC.
var afSpecAttrs = table{
	unix.AF_INET:   {"AF_INET", kindNested, inetAttrs},
	unix.AF_INET6:  {"AF_INET6", kindNested, inet6Attrs},
	unix.AF_BRIDGE: {"AF_BRIDGE", kindNested, nil},
	unix.AF_MPLS:   {"AF_MPLS", kindNested, nil},
}

// inetAttrs names IFLA_INET_* (IFLA_AF_SPEC > AF_INET).
var inetAttrs = table{
	unix.IFLA_INET_CONF: {"IFLA_INET_CONF", kindU32Array, nil},
}

// inet6Attrs names IFLA_INET6_* (IFLA_AF_SPEC > AF_INET6).
var inet6Attrs = table{
	unix.IFLA_INET6_FLAGS:         {"IFLA_INET6_FLAGS", kindU32, nil},
	unix.IFLA_INET6_CONF:          {"IFLA_INET6_CONF", kindU32Array, nil},
	unix.IFLA_INET6_STATS:         {"IFLA_INET6_STATS", kindU64Array, nil},
	unix.IFLA_INET6_MCAST:         {"IFLA_INET6_MCAST", kindBinary, nil},
	unix.IFLA_INET6_CACHEINFO:     {"IFLA_INET6_CACHEINFO", kindU32Array, nil},
	unix.IFLA_INET6_ICMP6STATS:    {"IFLA_INET6_ICMP6STATS", kindU64Array, nil},
	unix.IFLA_INET6_TOKEN:         {"IFLA_INET6_TOKEN", kindAddr, nil},
	unix.IFLA_INET6_ADDR_GEN_MODE: {"IFLA_INET6_ADDR_GEN_MODE", kindU8, nil},
	unix.IFLA_INET6_RA_MTU:        {"IFLA_INET6_RA_MTU", kindU32, nil},
}

// xdpAttrs names IFLA_XDP_* (inside IFLA_XDP).
var xdpAttrs = table{
	unix.IFLA_XDP_FD:          {"IFLA_XDP_FD", kindS32, nil},
	unix.IFLA_XDP_ATTACHED:    {"IFLA_XDP_ATTACHED", kindU8, nil},
	unix.IFLA_XDP_FLAGS:       {"IFLA_XDP_FLAGS", kindU32, nil},
	unix.IFLA_XDP_PROG_ID:     {"IFLA_XDP_PROG_ID", kindU32, nil},
	unix.IFLA_XDP_DRV_PROG_ID: {"IFLA_XDP_DRV_PROG_ID", kindU32, nil},
	unix.IFLA_XDP_SKB_PROG_ID: {"IFLA_XDP_SKB_PROG_ID", kindU32, nil},
	unix.IFLA_XDP_HW_PROG_ID:  {"IFLA_XDP_HW_PROG_ID", kindU32, nil},
	unix.IFLA_XDP_EXPECTED_FD: {"IFLA_XDP_EXPECTED_FD", kindS32, nil},
}

// propListAttrs names the properties inside IFLA_PROP_LIST.
var propListAttrs = table{
	unix.IFLA_ALT_IFNAME: {"IFLA_ALT_IFNAME", kindString, nil},
}

// protoDownReasonAttrs names IFLA_PROTO_DOWN_REASON_*.
var protoDownReasonAttrs = table{
	unix.IFLA_PROTO_DOWN_REASON_MASK:  {"IFLA_PROTO_DOWN_REASON_MASK", kindU32, nil},
	unix.IFLA_PROTO_DOWN_REASON_VALUE: {"IFLA_PROTO_DOWN_REASON_VALUE", kindU32, nil},
}

// addrAttrs names IFA_* (RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR).
var addrAttrs = table{
	unix.IFA_ADDRESS:        {"IFA_ADDRESS", kindAddr, nil},
	unix.IFA_LOCAL:          {"IFA_LOCAL", kindAddr, nil},
	unix.IFA_LABEL:          {"IFA_LABEL", kindString, nil},
	unix.IFA_BROADCAST:      {"IFA_BROADCAST", kindAddr, nil},
	unix.IFA_ANYCAST:        {"IFA_ANYCAST", kindAddr, nil},
	unix.IFA_CACHEINFO:      {"IFA_CACHEINFO", kindU32Array, nil},
	unix.IFA_MULTICAST:      {"IFA_MULTICAST", kindAddr, nil},
	unix.IFA_FLAGS:          {"IFA_FLAGS", kindU32, nil},
	unix.IFA_RT_PRIORITY:    {"IFA_RT_PRIORITY", kindU32, nil},
	unix.IFA_TARGET_NETNSID: {"IFA_TARGET_NETNSID", kindS32, nil},
	ifaProto:                {"IFA_PROTO", kindU8, nil},
}

// routeAttrs names RTA_* (RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE).
var routeAttrs = table{
	unix.RTA_DST:           {"RTA_DST", kindAddr, nil},
	unix.RTA_SRC:           {"RTA_SRC", kindAddr, nil},
	unix.RTA_IIF:           {"RTA_IIF", kindU32, nil},
	unix.RTA_OIF:           {"RTA_OIF", kindU32, nil},
	unix.RTA_GATEWAY:       {"RTA_GATEWAY", kindAddr, nil},
	unix.RTA_PRIORITY:      {"RTA_PRIORITY", kindU32, nil},
	unix.RTA_PREFSRC:       {"RTA_PREFSRC", kindAddr, nil},
	unix.RTA_METRICS:       {"RTA_METRICS", kindNested, metricAttrs},
	unix.RTA_MULTIPATH:     {"RTA_MULTIPATH", kindBinary, nil},
	unix.RTA_FLOW:          {"RTA_FLOW", kindU32, nil},
	unix.RTA_CACHEINFO:     {"RTA_CACHEINFO", kindU32Array, nil},
	unix.RTA_TABLE:         {"RTA_TABLE", kindU32, nil},
	unix.RTA_MARK:          {"RTA_MARK", kindU32, nil},
	unix.RTA_MFC_STATS:     {"RTA_MFC_STATS", kindU64Array, nil},
	unix.RTA_VIA:           {"RTA_VIA", kindBinary, nil},
	unix.RTA_NEWDST:        {"RTA_NEWDST", kindBinary, nil},
	unix.RTA_PREF:          {"RTA_PREF", kindU8, nil},
	unix.RTA_ENCAP_TYPE:    {"RTA_ENCAP_TYPE", kindU16, nil},
	unix.RTA_ENCAP:         {"RTA_ENCAP", kindNested, nil},
	unix.RTA_EXPIRES:       {"RTA_EXPIRES", kindU64, nil},
	unix.RTA_PAD:           {"RTA_PAD", kindBinary, nil},
	unix.RTA_UID:           {"RTA_UID", kindU32, nil},
	unix.RTA_TTL_PROPAGATE: {"RTA_TTL_PROPAGATE", kindU8, nil},
	unix.RTA_IP_PROTO:      {"RTA_IP_PROTO", kindU8, nil},
	unix.RTA_SPORT:         {"RTA_SPORT", kindBE16, nil},
	unix.RTA_DPORT:         {"RTA_DPORT", kindBE16, nil},
	rtaNHID:                {"RTA_NH_ID", kindU32, nil},
	rtaFlowLabel:           {"RTA_FLOWLABEL", kindBinary, nil},
}

// metricAttrs names RTAX_* (inside RTA_METRICS).
var metricAttrs = table{
	unix.RTAX_LOCK:               {"RTAX_LOCK", kindU32, nil},
	unix.RTAX_MTU:                {"RTAX_MTU", kindU32, nil},
	unix.RTAX_WINDOW:             {"RTAX_WINDOW", kindU32, nil},
	unix.RTAX_RTT:                {"RTAX_RTT", kindU32, nil},
	unix.RTAX_RTTVAR:             {"RTAX_RTTVAR", kindU32, nil},
	unix.RTAX_SSTHRESH:           {"RTAX_SSTHRESH", kindU32, nil},
	unix.RTAX_CWND:               {"RTAX_CWND", kindU32, nil},
	unix.RTAX_ADVMSS:             {"RTAX_ADVMSS", kindU32, nil},
	unix.RTAX_REORDERING:         {"RTAX_REORDERING", kindU32, nil},
	unix.RTAX_HOPLIMIT:           {"RTAX_HOPLIMIT", kindU32, nil},
	unix.RTAX_INITCWND:           {"RTAX_INITCWND", kindU32, nil},
	unix.RTAX_FEATURES:           {"RTAX_FEATURES", kindU32, nil},
	unix.RTAX_RTO_MIN:            {"RTAX_RTO_MIN", kindU32, nil},
	unix.RTAX_INITRWND:           {"RTAX_INITRWND", kindU32, nil},
	unix.RTAX_QUICKACK:           {"RTAX_QUICKACK", kindU32, nil},
	unix.RTAX_CC_ALGO:            {"RTAX_CC_ALGO", kindString, nil},
	unix.RTAX_FASTOPEN_NO_COOKIE: {"RTAX_FASTOPEN_NO_COOKIE", kindU32, nil},
}

// routeTypes names the NETLINK_ROUTE message types, indexed by value.
var routeTypes = [...]string{
	unix.RTM_NEWLINK:          "RTM_NEWLINK",
	unix.RTM_DELLINK:          "RTM_DELLINK",
	unix.RTM_GETLINK:          "RTM_GETLINK",
	unix.RTM_SETLINK:          "RTM_SETLINK",
	unix.RTM_NEWADDR:          "RTM_NEWADDR",
	unix.RTM_DELADDR:          "RTM_DELADDR",
	unix.RTM_GETADDR:          "RTM_GETADDR",
	unix.RTM_NEWROUTE:         "RTM_NEWROUTE",
	unix.RTM_DELROUTE:         "RTM_DELROUTE",
	unix.RTM_GETROUTE:         "RTM_GETROUTE",
	unix.RTM_NEWNEIGH:         "RTM_NEWNEIGH",
	unix.RTM_DELNEIGH:         "RTM_DELNEIGH",
	unix.RTM_GETNEIGH:         "RTM_GETNEIGH",
	unix.RTM_NEWRULE:          "RTM_NEWRULE",
	unix.RTM_DELRULE:          "RTM_DELRULE",
	unix.RTM_GETRULE:          "RTM_GETRULE",
	unix.RTM_NEWQDISC:         "RTM_NEWQDISC",
	unix.RTM_DELQDISC:         "RTM_DELQDISC",
	unix.RTM_GETQDISC:         "RTM_GETQDISC",
	unix.RTM_NEWTCLASS:        "RTM_NEWTCLASS",
	unix.RTM_DELTCLASS:        "RTM_DELTCLASS",
	unix.RTM_GETTCLASS:        "RTM_GETTCLASS",
	unix.RTM_NEWTFILTER:       "RTM_NEWTFILTER",
	unix.RTM_DELTFILTER:       "RTM_DELTFILTER",
	unix.RTM_GETTFILTER:       "RTM_GETTFILTER",
	unix.RTM_NEWACTION:        "RTM_NEWACTION",
	unix.RTM_DELACTION:        "RTM_DELACTION",
	unix.RTM_GETACTION:        "RTM_GETACTION",
	unix.RTM_NEWPREFIX:        "RTM_NEWPREFIX",
	unix.RTM_GETMULTICAST:     "RTM_GETMULTICAST",
	unix.RTM_GETANYCAST:       "RTM_GETANYCAST",
	unix.RTM_NEWNEIGHTBL:      "RTM_NEWNEIGHTBL",
	unix.RTM_GETNEIGHTBL:      "RTM_GETNEIGHTBL",
	unix.RTM_SETNEIGHTBL:      "RTM_SETNEIGHTBL",
	unix.RTM_NEWNDUSEROPT:     "RTM_NEWNDUSEROPT",
	unix.RTM_NEWADDRLABEL:     "RTM_NEWADDRLABEL",
	unix.RTM_DELADDRLABEL:     "RTM_DELADDRLABEL",
	unix.RTM_GETADDRLABEL:     "RTM_GETADDRLABEL",
	unix.RTM_GETDCB:           "RTM_GETDCB",
	unix.RTM_SETDCB:           "RTM_SETDCB",
	unix.RTM_NEWNETCONF:       "RTM_NEWNETCONF",
	unix.RTM_DELNETCONF:       "RTM_DELNETCONF",
	unix.RTM_GETNETCONF:       "RTM_GETNETCONF",
	unix.RTM_NEWMDB:           "RTM_NEWMDB",
	unix.RTM_DELMDB:           "RTM_DELMDB",
	unix.RTM_GETMDB:           "RTM_GETMDB",
	unix.RTM_NEWNSID:          "RTM_NEWNSID",
	unix.RTM_DELNSID:          "RTM_DELNSID",
	unix.RTM_GETNSID:          "RTM_GETNSID",
	unix.RTM_NEWSTATS:         "RTM_NEWSTATS",
	unix.RTM_GETSTATS:         "RTM_GETSTATS",
	unix.RTM_SETSTATS:         "RTM_SETSTATS",
	unix.RTM_NEWCACHEREPORT:   "RTM_NEWCACHEREPORT",
	unix.RTM_NEWCHAIN:         "RTM_NEWCHAIN",
	unix.RTM_DELCHAIN:         "RTM_DELCHAIN",
	unix.RTM_GETCHAIN:         "RTM_GETCHAIN",
	unix.RTM_NEWNEXTHOP:       "RTM_NEWNEXTHOP",
	unix.RTM_DELNEXTHOP:       "RTM_DELNEXTHOP",
	unix.RTM_GETNEXTHOP:       "RTM_GETNEXTHOP",
	unix.RTM_NEWLINKPROP:      "RTM_NEWLINKPROP",
	unix.RTM_DELLINKPROP:      "RTM_DELLINKPROP",
	unix.RTM_GETLINKPROP:      "RTM_GETLINKPROP",
	unix.RTM_NEWVLAN:          "RTM_NEWVLAN",
	unix.RTM_DELVLAN:          "RTM_DELVLAN",
	unix.RTM_GETVLAN:          "RTM_GETVLAN",
	unix.RTM_NEWNEXTHOPBUCKET: "RTM_NEWNEXTHOPBUCKET",
	unix.RTM_DELNEXTHOPBUCKET: "RTM_DELNEXTHOPBUCKET",
	unix.RTM_GETNEXTHOPBUCKET: "RTM_GETNEXTHOPBUCKET",
	unix.RTM_NEWTUNNEL:        "RTM_NEWTUNNEL",
	unix.RTM_DELTUNNEL:        "RTM_DELTUNNEL",
	unix.RTM_GETTUNNEL:        "RTM_GETTUNNEL",
}
