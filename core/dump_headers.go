package core

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// Family headers the Formatter knows: their sizes and how to print them.

// familyHeader returns the size and name of the fixed header of messages of
// type t, or -1 when unknown.
func (p *dumper) familyHeader(t MessageType) (int, string) {
	builtin, name := p.builtinHeader(t)
	if p.f != nil && p.f.HeaderLen != nil {
		if n := p.f.HeaderLen(t); n >= 0 {
			if n != builtin {
				name = "family header"
			}
			return n, name
		}
	}
	return builtin, name
}

func (p *dumper) builtinHeader(t MessageType) (int, string) {
	switch p.protocol() {
	case unix.NETLINK_ROUTE:
		return rtmHeader(t)
	case unix.NETLINK_GENERIC:
		return unix.GENL_HDRLEN, "genlmsghdr"
	case unix.NETLINK_NETFILTER:
		return 4, "nfgenmsg"
	}
	return -1, ""
}

// rtmHeader gives the fixed header of an rtnetlink message type
// (linux/rtnetlink.h and the headers it points to).
func rtmHeader(t MessageType) (int, string) {
	switch {
	case t >= unix.RTM_NEWLINK && t <= unix.RTM_SETLINK,
		t >= unix.RTM_NEWLINKPROP && t <= unix.RTM_GETLINKPROP:
		return unix.SizeofIfInfomsg, "ifinfomsg"
	case t >= unix.RTM_NEWADDR && t <= unix.RTM_GETADDR,
		t >= 56 && t <= 58, // RTM_NEWMULTICAST..RTM_GETMULTICAST
		t >= 60 && t <= 62: // RTM_NEWANYCAST..RTM_GETANYCAST
		return unix.SizeofIfAddrmsg, "ifaddrmsg"
	case t >= unix.RTM_NEWROUTE && t <= unix.RTM_GETROUTE:
		return unix.SizeofRtMsg, "rtmsg"
	case t >= unix.RTM_NEWNEIGH && t <= unix.RTM_GETNEIGH:
		return 12, "ndmsg"
	case t >= unix.RTM_NEWRULE && t <= unix.RTM_GETRULE:
		return 12, "fib_rule_hdr"
	case t >= unix.RTM_NEWQDISC && t <= unix.RTM_GETTFILTER,
		t >= unix.RTM_NEWCHAIN && t <= unix.RTM_GETCHAIN:
		return 20, "tcmsg"
	case t >= unix.RTM_NEWACTION && t <= unix.RTM_GETACTION:
		return 4, "tcamsg"
	case t == unix.RTM_NEWPREFIX:
		return 12, "prefixmsg"
	case t >= unix.RTM_NEWNEIGHTBL && t <= unix.RTM_SETNEIGHTBL:
		return 4, "ndtmsg"
	case t == unix.RTM_NEWNDUSEROPT:
		return 16, "nduseroptmsg"
	case t >= unix.RTM_NEWADDRLABEL && t <= unix.RTM_GETADDRLABEL:
		return 12, "ifaddrlblmsg"
	case t >= unix.RTM_GETDCB && t <= unix.RTM_SETDCB:
		return 4, "dcbmsg"
	case t >= unix.RTM_NEWNETCONF && t <= unix.RTM_GETNETCONF:
		return 4, "netconfmsg"
	case t >= unix.RTM_NEWMDB && t <= unix.RTM_GETMDB:
		return 8, "br_port_msg"
	case t >= unix.RTM_NEWNSID && t <= unix.RTM_GETNSID,
		t == unix.RTM_NEWCACHEREPORT:
		return 4, "rtgenmsg"
	case t >= unix.RTM_NEWSTATS && t <= unix.RTM_SETSTATS:
		return 12, "if_stats_msg"
	case t >= unix.RTM_NEWNEXTHOP && t <= unix.RTM_GETNEXTHOP,
		t >= unix.RTM_NEWNEXTHOPBUCKET && t <= unix.RTM_GETNEXTHOPBUCKET:
		return 8, "nhmsg"
	case t >= unix.RTM_NEWVLAN && t <= unix.RTM_GETVLAN:
		return 8, "br_vlan_msg"
	case t >= unix.RTM_NEWTUNNEL && t <= unix.RTM_GETTUNNEL:
		return 8, "tunnel_msg"
	}
	return -1, ""
}

// rtmGroups are the rtnetlink objects whose types run NEW, DEL, GET (and
// SET for links) from base.
var rtmGroups = [...]struct {
	base MessageType
	obj  string
	n    MessageType
}{
	{unix.RTM_NEWLINK, "LINK", 4}, {unix.RTM_NEWADDR, "ADDR", 3}, {unix.RTM_NEWROUTE, "ROUTE", 3},
	{unix.RTM_NEWNEIGH, "NEIGH", 3}, {unix.RTM_NEWRULE, "RULE", 3}, {unix.RTM_NEWQDISC, "QDISC", 3},
	{unix.RTM_NEWTCLASS, "TCLASS", 3}, {unix.RTM_NEWTFILTER, "TFILTER", 3}, {unix.RTM_NEWACTION, "ACTION", 3},
	{56, "MULTICAST", 3}, {60, "ANYCAST", 3}, // RTM_NEWMULTICAST, RTM_NEWANYCAST (Linux 6.13+)
	{unix.RTM_NEWADDRLABEL, "ADDRLABEL", 3}, {unix.RTM_NEWNETCONF, "NETCONF", 3}, {unix.RTM_NEWMDB, "MDB", 3},
	{unix.RTM_NEWNSID, "NSID", 3}, {unix.RTM_NEWCHAIN, "CHAIN", 3}, {unix.RTM_NEWNEXTHOP, "NEXTHOP", 3},
	{unix.RTM_NEWLINKPROP, "LINKPROP", 3}, {unix.RTM_NEWVLAN, "VLAN", 3},
	{unix.RTM_NEWNEXTHOPBUCKET, "NEXTHOPBUCKET", 3}, {unix.RTM_NEWTUNNEL, "TUNNEL", 3},
}

// rtmName names the rtnetlink message types that exist.
func rtmName(t MessageType) string {
	switch t {
	case unix.RTM_NEWPREFIX:
		return "RTM_NEWPREFIX"
	case unix.RTM_NEWNEIGHTBL:
		return "RTM_NEWNEIGHTBL"
	case unix.RTM_GETNEIGHTBL:
		return "RTM_GETNEIGHTBL"
	case unix.RTM_SETNEIGHTBL:
		return "RTM_SETNEIGHTBL"
	case unix.RTM_NEWNDUSEROPT:
		return "RTM_NEWNDUSEROPT"
	case unix.RTM_GETDCB:
		return "RTM_GETDCB"
	case unix.RTM_SETDCB:
		return "RTM_SETDCB"
	case unix.RTM_NEWSTATS:
		return "RTM_NEWSTATS"
	case unix.RTM_GETSTATS:
		return "RTM_GETSTATS"
	case unix.RTM_SETSTATS:
		return "RTM_SETSTATS"
	case unix.RTM_NEWCACHEREPORT:
		return "RTM_NEWCACHEREPORT"
	}
	verbs := [...]string{"NEW", "DEL", "GET", "SET"}
	for _, g := range rtmGroups {
		if t >= g.base && t < g.base+g.n {
			return "RTM_" + verbs[t-g.base] + g.obj
		}
	}
	return ""
}

var familyNames = map[uint8]string{
	unix.AF_UNSPEC: "unspec", unix.AF_INET: "inet", unix.AF_INET6: "inet6",
	unix.AF_BRIDGE: "bridge", unix.AF_PACKET: "packet", unix.AF_MPLS: "mpls",
	unix.AF_UNIX: "unix", unix.AF_DECnet: "decnet", unix.AF_IPX: "ipx",
	128: "ipmr", 129: "ip6mr",
}

func familyName(f uint8) string {
	if n, ok := familyNames[f]; ok {
		return n
	}
	return strconv.Itoa(int(f))
}

// describeFamilyHeader decodes the fields of the fixed headers it knows;
// b has exactly the header's size.
func describeFamilyHeader(name string, b []byte) string {
	u16 := func(i int) uint16 { return binary.NativeEndian.Uint16(b[i:]) }
	u32 := func(i int) uint32 { return binary.NativeEndian.Uint32(b[i:]) }
	i32 := func(i int) int32 { return int32(u32(i)) }
	switch name {
	case "ifinfomsg":
		return fmt.Sprintf("family=%s type=%d index=%d flags=%#x change=%#x",
			familyName(b[0]), u16(2), i32(4), u32(8), u32(12))
	case "ifaddrmsg":
		return fmt.Sprintf("family=%s prefixlen=%d flags=%#x scope=%d index=%d",
			familyName(b[0]), b[1], b[2], b[3], u32(4))
	case "rtmsg":
		return fmt.Sprintf("family=%s dst_len=%d src_len=%d tos=%d table=%d protocol=%d scope=%d type=%d flags=%#x",
			familyName(b[0]), b[1], b[2], b[3], b[4], b[5], b[6], b[7], u32(8))
	case "ndmsg":
		return fmt.Sprintf("family=%s index=%d state=%#x flags=%#x type=%d",
			familyName(b[0]), i32(4), u16(8), b[10], b[11])
	case "fib_rule_hdr":
		return fmt.Sprintf("family=%s dst_len=%d src_len=%d tos=%d table=%d action=%d flags=%#x",
			familyName(b[0]), b[1], b[2], b[3], b[4], b[7], u32(8))
	case "tcmsg":
		return fmt.Sprintf("family=%s index=%d handle=%x:%x parent=%x:%x info=%#x",
			familyName(b[0]), i32(4), u32(8)>>16, u32(8)&0xffff, u32(12)>>16, u32(12)&0xffff, u32(16))
	case "nhmsg":
		return fmt.Sprintf("family=%s scope=%d protocol=%d flags=%#x", familyName(b[0]), b[1], b[2], u32(4))
	case "br_port_msg", "br_vlan_msg", "tunnel_msg":
		return fmt.Sprintf("family=%s index=%d", familyName(b[0]), u32(4))
	case "if_stats_msg":
		return fmt.Sprintf("family=%s index=%d filter_mask=%#x", familyName(b[0]), u32(4), u32(8))
	case "prefixmsg":
		return fmt.Sprintf("family=%s index=%d type=%d len=%d flags=%#x", familyName(b[0]), i32(4), b[8], b[9], b[10])
	case "ifaddrlblmsg":
		return fmt.Sprintf("family=%s prefixlen=%d flags=%#x index=%d", familyName(b[0]), b[2], b[3], u32(4))
	case "nduseroptmsg":
		return fmt.Sprintf("family=%s opts_len=%d index=%d icmp_type=%d icmp_code=%d", familyName(b[0]), u16(2), i32(4), b[8], b[9])
	case "dcbmsg":
		return fmt.Sprintf("family=%s cmd=%d", familyName(b[0]), b[1])
	case "tcamsg", "ndtmsg", "netconfmsg", "rtgenmsg":
		return "family=" + familyName(b[0])
	case "genlmsghdr":
		return fmt.Sprintf("cmd=%d version=%d", b[0], b[1])
	case "nfgenmsg":
		return fmt.Sprintf("family=%s version=%d res_id=%d", familyName(b[0]), b[1], binary.BigEndian.Uint16(b[2:]))
	}
	return ""
}
