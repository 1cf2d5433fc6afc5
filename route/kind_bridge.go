package route

import (
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// BridgeInfo is the data of a bridge (IFLA_BR_*). Optional fields are
// pointers: nil is "not sent" in a request and "not reported" in a reply.
// Times travel as clock ticks (hundredths of a second) and are rounded to
// them. The read-only facts (bridge and root IDs, root port, path cost,
// topology change) are filled in from the kernel and never sent.
type BridgeInfo struct {
	ForwardDelay *time.Duration
	HelloTime    *time.Duration
	MaxAge       *time.Duration
	AgeingTime   *time.Duration
	// STPState is 0 (off), 1 (kernel STP) or 2 (user-space STP).
	STPState *uint32
	Priority *uint16
	// VlanFiltering turns on VLAN filtering; VlanProtocol is 0x8100
	// (802.1Q) or 0x88a8 (802.1ad); DefaultPVID is the default port VLAN.
	VlanFiltering *bool
	VlanProtocol  *uint16
	DefaultPVID   *uint16
	// GroupFwdMask selects link-local groups to forward; GroupAddr is the
	// STP group address.
	GroupFwdMask *uint16
	GroupAddr    net.HardwareAddr
	// Multicast snooping and its knobs.
	McastSnooping        *bool
	McastRouter          *uint8
	McastQueryUseIfaddr  *bool
	McastQuerier         *bool
	McastHashElasticity  *uint32
	McastHashMax         *uint32
	McastLastMemberCnt   *uint32
	McastStartupQueryCnt *uint32
	McastLastMemberIntvl *time.Duration
	McastMembershipIntvl *time.Duration
	McastQuerierIntvl    *time.Duration
	McastQueryIntvl      *time.Duration
	McastQueryRespIntvl  *time.Duration
	McastStartupQryIntvl *time.Duration
	McastStatsEnabled    *bool
	McastIGMPVersion     *uint8
	McastMLDVersion      *uint8
	// Netfilter hooks on bridged traffic.
	NfCallIptables  *bool
	NfCallIp6tables *bool
	NfCallArptables *bool
	// VLAN statistics.
	VlanStatsEnabled *bool
	VlanStatsPerPort *bool

	// Read only.
	BridgeID               string
	RootID                 string
	RootPort               uint16
	RootPathCost           uint32
	TopologyChange         bool
	TopologyChangeDetected bool
}

// Kind returns "bridge".
func (*BridgeInfo) Kind() string { return "bridge" }

// kindTicks converts a clock_t value (hundredths of a second).
func kindTicks(v uint64) *time.Duration { d := time.Duration(v) * 10 * time.Millisecond; return &d }

func kindPutTicks32(e *core.AttrEncoder, t uint16, d *time.Duration) {
	if d != nil {
		e.Uint32(t, uint32(*d/(10*time.Millisecond)))
	}
}

func kindPutTicks64(e *core.AttrEncoder, t uint16, d *time.Duration) {
	if d != nil {
		e.Uint64(t, uint64(*d/(10*time.Millisecond)))
	}
}

// EncodeInfo writes the settable IFLA_BR_* attributes that are set.
func (b *BridgeInfo) EncodeInfo(e *core.AttrEncoder) error {
	kindPutTicks32(e, unix.IFLA_BR_FORWARD_DELAY, b.ForwardDelay)
	kindPutTicks32(e, unix.IFLA_BR_HELLO_TIME, b.HelloTime)
	kindPutTicks32(e, unix.IFLA_BR_MAX_AGE, b.MaxAge)
	kindPutTicks32(e, unix.IFLA_BR_AGEING_TIME, b.AgeingTime)
	kindPutU32(e, unix.IFLA_BR_STP_STATE, b.STPState)
	kindPutU16(e, unix.IFLA_BR_PRIORITY, b.Priority)
	kindPutBool(e, unix.IFLA_BR_VLAN_FILTERING, b.VlanFiltering)
	if b.VlanProtocol != nil {
		kindPutBE16(e, unix.IFLA_BR_VLAN_PROTOCOL, *b.VlanProtocol)
	}
	kindPutU16(e, unix.IFLA_BR_VLAN_DEFAULT_PVID, b.DefaultPVID)
	kindPutU16(e, unix.IFLA_BR_GROUP_FWD_MASK, b.GroupFwdMask)
	if len(b.GroupAddr) > 0 {
		e.HardwareAddr(unix.IFLA_BR_GROUP_ADDR, b.GroupAddr)
	}
	kindPutBool(e, unix.IFLA_BR_MCAST_SNOOPING, b.McastSnooping)
	kindPutU8(e, unix.IFLA_BR_MCAST_ROUTER, b.McastRouter)
	kindPutBool(e, unix.IFLA_BR_MCAST_QUERY_USE_IFADDR, b.McastQueryUseIfaddr)
	kindPutBool(e, unix.IFLA_BR_MCAST_QUERIER, b.McastQuerier)
	kindPutU32(e, unix.IFLA_BR_MCAST_HASH_ELASTICITY, b.McastHashElasticity)
	kindPutU32(e, unix.IFLA_BR_MCAST_HASH_MAX, b.McastHashMax)
	kindPutU32(e, unix.IFLA_BR_MCAST_LAST_MEMBER_CNT, b.McastLastMemberCnt)
	kindPutU32(e, unix.IFLA_BR_MCAST_STARTUP_QUERY_CNT, b.McastStartupQueryCnt)
	kindPutTicks64(e, unix.IFLA_BR_MCAST_LAST_MEMBER_INTVL, b.McastLastMemberIntvl)
	kindPutTicks64(e, unix.IFLA_BR_MCAST_MEMBERSHIP_INTVL, b.McastMembershipIntvl)
	kindPutTicks64(e, unix.IFLA_BR_MCAST_QUERIER_INTVL, b.McastQuerierIntvl)
	kindPutTicks64(e, unix.IFLA_BR_MCAST_QUERY_INTVL, b.McastQueryIntvl)
	kindPutTicks64(e, unix.IFLA_BR_MCAST_QUERY_RESPONSE_INTVL, b.McastQueryRespIntvl)
	kindPutTicks64(e, unix.IFLA_BR_MCAST_STARTUP_QUERY_INTVL, b.McastStartupQryIntvl)
	kindPutBool(e, unix.IFLA_BR_MCAST_STATS_ENABLED, b.McastStatsEnabled)
	kindPutU8(e, unix.IFLA_BR_MCAST_IGMP_VERSION, b.McastIGMPVersion)
	kindPutU8(e, unix.IFLA_BR_MCAST_MLD_VERSION, b.McastMLDVersion)
	kindPutBool(e, unix.IFLA_BR_NF_CALL_IPTABLES, b.NfCallIptables)
	kindPutBool(e, unix.IFLA_BR_NF_CALL_IP6TABLES, b.NfCallIp6tables)
	kindPutBool(e, unix.IFLA_BR_NF_CALL_ARPTABLES, b.NfCallArptables)
	kindPutBool(e, unix.IFLA_BR_VLAN_STATS_ENABLED, b.VlanStatsEnabled)
	kindPutBool(e, unix.IFLA_BR_VLAN_STATS_PER_PORT, b.VlanStatsPerPort)
	return nil
}

// kindBridgeID prints struct ifla_bridge_id as ip(8) does
// ("8000.0:0:0:0:0:0").
func kindBridgeID(d []byte) string {
	if len(d) != 8 {
		return ""
	}
	return fmt.Sprintf("%02x%02x.%x:%x:%x:%x:%x:%x", d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7])
}

// DecodeInfo reads IFLA_BR_* attributes.
func (b *BridgeInfo) DecodeInfo(data []byte) error {
	*b = BridgeInfo{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_BR_FORWARD_DELAY:
			b.ForwardDelay = kindTicks(uint64(s.Uint32()))
		case unix.IFLA_BR_HELLO_TIME:
			b.HelloTime = kindTicks(uint64(s.Uint32()))
		case unix.IFLA_BR_MAX_AGE:
			b.MaxAge = kindTicks(uint64(s.Uint32()))
		case unix.IFLA_BR_AGEING_TIME:
			b.AgeingTime = kindTicks(uint64(s.Uint32()))
		case unix.IFLA_BR_STP_STATE:
			b.STPState = kindU32(&s)
		case unix.IFLA_BR_PRIORITY:
			b.Priority = kindU16(&s)
		case unix.IFLA_BR_VLAN_FILTERING:
			b.VlanFiltering = kindBool(&s)
		case unix.IFLA_BR_VLAN_PROTOCOL:
			b.VlanProtocol = Ptr(kindBE16(&s))
		case unix.IFLA_BR_VLAN_DEFAULT_PVID:
			b.DefaultPVID = kindU16(&s)
		case unix.IFLA_BR_GROUP_FWD_MASK:
			b.GroupFwdMask = kindU16(&s)
		case unix.IFLA_BR_GROUP_ADDR:
			b.GroupAddr = s.HardwareAddr()
		case unix.IFLA_BR_MCAST_SNOOPING:
			b.McastSnooping = kindBool(&s)
		case unix.IFLA_BR_MCAST_ROUTER:
			b.McastRouter = kindU8(&s)
		case unix.IFLA_BR_MCAST_QUERY_USE_IFADDR:
			b.McastQueryUseIfaddr = kindBool(&s)
		case unix.IFLA_BR_MCAST_QUERIER:
			b.McastQuerier = kindBool(&s)
		case unix.IFLA_BR_MCAST_HASH_ELASTICITY:
			b.McastHashElasticity = kindU32(&s)
		case unix.IFLA_BR_MCAST_HASH_MAX:
			b.McastHashMax = kindU32(&s)
		case unix.IFLA_BR_MCAST_LAST_MEMBER_CNT:
			b.McastLastMemberCnt = kindU32(&s)
		case unix.IFLA_BR_MCAST_STARTUP_QUERY_CNT:
			b.McastStartupQueryCnt = kindU32(&s)
		case unix.IFLA_BR_MCAST_LAST_MEMBER_INTVL:
			b.McastLastMemberIntvl = kindTicks(s.Uint64())
		case unix.IFLA_BR_MCAST_MEMBERSHIP_INTVL:
			b.McastMembershipIntvl = kindTicks(s.Uint64())
		case unix.IFLA_BR_MCAST_QUERIER_INTVL:
			b.McastQuerierIntvl = kindTicks(s.Uint64())
		case unix.IFLA_BR_MCAST_QUERY_INTVL:
			b.McastQueryIntvl = kindTicks(s.Uint64())
		case unix.IFLA_BR_MCAST_QUERY_RESPONSE_INTVL:
			b.McastQueryRespIntvl = kindTicks(s.Uint64())
		case unix.IFLA_BR_MCAST_STARTUP_QUERY_INTVL:
			b.McastStartupQryIntvl = kindTicks(s.Uint64())
		case unix.IFLA_BR_MCAST_STATS_ENABLED:
			b.McastStatsEnabled = kindBool(&s)
		case unix.IFLA_BR_MCAST_IGMP_VERSION:
			b.McastIGMPVersion = kindU8(&s)
		case unix.IFLA_BR_MCAST_MLD_VERSION:
			b.McastMLDVersion = kindU8(&s)
		case unix.IFLA_BR_NF_CALL_IPTABLES:
			b.NfCallIptables = kindBool(&s)
		case unix.IFLA_BR_NF_CALL_IP6TABLES:
			b.NfCallIp6tables = kindBool(&s)
		case unix.IFLA_BR_NF_CALL_ARPTABLES:
			b.NfCallArptables = kindBool(&s)
		case unix.IFLA_BR_VLAN_STATS_ENABLED:
			b.VlanStatsEnabled = kindBool(&s)
		case unix.IFLA_BR_VLAN_STATS_PER_PORT:
			b.VlanStatsPerPort = kindBool(&s)
		case unix.IFLA_BR_BRIDGE_ID:
			b.BridgeID = kindBridgeID(s.Bytes())
		case unix.IFLA_BR_ROOT_ID:
			b.RootID = kindBridgeID(s.Bytes())
		case unix.IFLA_BR_ROOT_PORT:
			b.RootPort = s.Uint16()
		case unix.IFLA_BR_ROOT_PATH_COST:
			b.RootPathCost = s.Uint32()
		case unix.IFLA_BR_TOPOLOGY_CHANGE:
			b.TopologyChange = s.Uint8() != 0
		case unix.IFLA_BR_TOPOLOGY_CHANGE_DETECTED:
			b.TopologyChangeDetected = s.Uint8() != 0
		}
	}
	return s.Err()
}

// kindJSON collects the fields of a kind's JSON form, leaving out unset
// ones.
type kindJSON map[string]any

func (m kindJSON) ticks(k string, d *time.Duration) {
	if d != nil {
		m[k] = int64(*d / (10 * time.Millisecond))
	}
}

func (m kindJSON) opt(k string, v any) {
	switch p := v.(type) {
	case *uint8:
		if p != nil {
			m[k] = *p
		}
	case *uint16:
		if p != nil {
			m[k] = *p
		}
	case *uint32:
		if p != nil {
			m[k] = *p
		}
	case *uint64:
		if p != nil {
			m[k] = *p
		}
	case *bool:
		if p != nil {
			if *p {
				m[k] = 1
			} else {
				m[k] = 0
			}
		}
	}
}

// MarshalJSON prints the options with `ip -j -d` names and units (times
// in hundredths of a second).
func (b *BridgeInfo) MarshalJSON() ([]byte, error) {
	m := kindJSON{}
	m.ticks("forward_delay", b.ForwardDelay)
	m.ticks("hello_time", b.HelloTime)
	m.ticks("max_age", b.MaxAge)
	m.ticks("ageing_time", b.AgeingTime)
	m.opt("stp_state", b.STPState)
	m.opt("priority", b.Priority)
	m.opt("vlan_filtering", b.VlanFiltering)
	if b.VlanProtocol != nil {
		m["vlan_protocol"] = kindEtherTypeName(*b.VlanProtocol)
	}
	m.opt("vlan_default_pvid", b.DefaultPVID)
	if b.BridgeID != "" {
		m["bridge_id"] = b.BridgeID
	}
	if b.RootID != "" {
		m["root_id"] = b.RootID
	}
	m["root_port"] = b.RootPort
	m["root_path_cost"] = b.RootPathCost
	if b.GroupFwdMask != nil {
		m["group_fwd_mask"] = fmt.Sprintf("%#x", *b.GroupFwdMask)
	}
	if len(b.GroupAddr) > 0 {
		m["group_addr"] = b.GroupAddr.String()
	}
	m.opt("mcast_snooping", b.McastSnooping)
	m.opt("mcast_router", b.McastRouter)
	m.opt("mcast_query_use_ifaddr", b.McastQueryUseIfaddr)
	m.opt("mcast_querier", b.McastQuerier)
	m.opt("mcast_hash_elasticity", b.McastHashElasticity)
	m.opt("mcast_hash_max", b.McastHashMax)
	m.opt("mcast_last_member_cnt", b.McastLastMemberCnt)
	m.opt("mcast_startup_query_cnt", b.McastStartupQueryCnt)
	m.ticks("mcast_last_member_intvl", b.McastLastMemberIntvl)
	m.ticks("mcast_membership_intvl", b.McastMembershipIntvl)
	m.ticks("mcast_querier_intvl", b.McastQuerierIntvl)
	m.ticks("mcast_query_intvl", b.McastQueryIntvl)
	m.ticks("mcast_query_response_intvl", b.McastQueryRespIntvl)
	m.ticks("mcast_startup_query_intvl", b.McastStartupQryIntvl)
	m.opt("mcast_stats_enabled", b.McastStatsEnabled)
	m.opt("mcast_igmp_version", b.McastIGMPVersion)
	m.opt("mcast_mld_version", b.McastMLDVersion)
	m.opt("nf_call_iptables", b.NfCallIptables)
	m.opt("nf_call_ip6tables", b.NfCallIp6tables)
	m.opt("nf_call_arptables", b.NfCallArptables)
	m.opt("vlan_stats_enabled", b.VlanStatsEnabled)
	m.opt("vlan_stats_per_port", b.VlanStatsPerPort)
	return json.Marshal(m)
}

// kindEtherTypeName names a VLAN protocol as ip(8) does.
func kindEtherTypeName(p uint16) string {
	switch p {
	case 0x8100:
		return "802.1Q"
	case 0x88a8:
		return "802.1ad"
	}
	return fmt.Sprintf("%#04x", p)
}

// BridgePortInfo is a bridge port's data about its bridge
// (IFLA_INFO_SLAVE_KIND "bridge", IFLA_BRPORT_*). Optional fields are
// pointers, nil meaning not sent or not reported.
type BridgePortInfo struct {
	// State is the STP port state (BR_STATE_*: 0 disabled, 1 listening,
	// 2 learning, 3 forwarding, 4 blocking).
	State    *uint8
	Priority *uint16
	Cost     *uint32
	// The port flags.
	Mode            *bool // hairpin mode
	Guard           *bool // BPDU guard
	Protect         *bool // root block
	FastLeave       *bool
	Learning        *bool
	UnicastFlood    *bool
	Proxyarp        *bool
	ProxyarpWifi    *bool
	McastFlood      *bool
	BcastFlood      *bool
	McastToUcast    *bool
	NeighSuppress   *bool
	Isolated        *bool
	Locked          *bool
	MulticastRouter *uint8
	GroupFwdMask    *uint16
	VlanTunnel      *bool
	// Read only.
	PortID           uint16
	PortNo           uint16
	DesignatedRoot   string
	DesignatedBridge string
}

// Kind returns "bridge", the slave kind of a bridge port.
func (*BridgePortInfo) Kind() string { return "bridge" }

// EncodeInfo writes the settable IFLA_BRPORT_* attributes that are set.
func (p *BridgePortInfo) EncodeInfo(e *core.AttrEncoder) error {
	kindPutU8(e, unix.IFLA_BRPORT_STATE, p.State)
	kindPutU16(e, unix.IFLA_BRPORT_PRIORITY, p.Priority)
	kindPutU32(e, unix.IFLA_BRPORT_COST, p.Cost)
	kindPutBool(e, unix.IFLA_BRPORT_MODE, p.Mode)
	kindPutBool(e, unix.IFLA_BRPORT_GUARD, p.Guard)
	kindPutBool(e, unix.IFLA_BRPORT_PROTECT, p.Protect)
	kindPutBool(e, unix.IFLA_BRPORT_FAST_LEAVE, p.FastLeave)
	kindPutBool(e, unix.IFLA_BRPORT_LEARNING, p.Learning)
	kindPutBool(e, unix.IFLA_BRPORT_UNICAST_FLOOD, p.UnicastFlood)
	kindPutBool(e, unix.IFLA_BRPORT_PROXYARP, p.Proxyarp)
	kindPutBool(e, unix.IFLA_BRPORT_PROXYARP_WIFI, p.ProxyarpWifi)
	kindPutBool(e, unix.IFLA_BRPORT_MCAST_FLOOD, p.McastFlood)
	kindPutBool(e, unix.IFLA_BRPORT_BCAST_FLOOD, p.BcastFlood)
	kindPutBool(e, unix.IFLA_BRPORT_MCAST_TO_UCAST, p.McastToUcast)
	kindPutBool(e, unix.IFLA_BRPORT_NEIGH_SUPPRESS, p.NeighSuppress)
	kindPutBool(e, unix.IFLA_BRPORT_ISOLATED, p.Isolated)
	kindPutBool(e, unix.IFLA_BRPORT_LOCKED, p.Locked)
	kindPutU8(e, unix.IFLA_BRPORT_MULTICAST_ROUTER, p.MulticastRouter)
	kindPutU16(e, unix.IFLA_BRPORT_GROUP_FWD_MASK, p.GroupFwdMask)
	kindPutBool(e, unix.IFLA_BRPORT_VLAN_TUNNEL, p.VlanTunnel)
	return nil
}

// DecodeInfo reads IFLA_BRPORT_* attributes.
func (p *BridgePortInfo) DecodeInfo(data []byte) error {
	*p = BridgePortInfo{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_BRPORT_STATE:
			p.State = kindU8(&s)
		case unix.IFLA_BRPORT_PRIORITY:
			p.Priority = kindU16(&s)
		case unix.IFLA_BRPORT_COST:
			p.Cost = kindU32(&s)
		case unix.IFLA_BRPORT_MODE:
			p.Mode = kindBool(&s)
		case unix.IFLA_BRPORT_GUARD:
			p.Guard = kindBool(&s)
		case unix.IFLA_BRPORT_PROTECT:
			p.Protect = kindBool(&s)
		case unix.IFLA_BRPORT_FAST_LEAVE:
			p.FastLeave = kindBool(&s)
		case unix.IFLA_BRPORT_LEARNING:
			p.Learning = kindBool(&s)
		case unix.IFLA_BRPORT_UNICAST_FLOOD:
			p.UnicastFlood = kindBool(&s)
		case unix.IFLA_BRPORT_PROXYARP:
			p.Proxyarp = kindBool(&s)
		case unix.IFLA_BRPORT_PROXYARP_WIFI:
			p.ProxyarpWifi = kindBool(&s)
		case unix.IFLA_BRPORT_MCAST_FLOOD:
			p.McastFlood = kindBool(&s)
		case unix.IFLA_BRPORT_BCAST_FLOOD:
			p.BcastFlood = kindBool(&s)
		case unix.IFLA_BRPORT_MCAST_TO_UCAST:
			p.McastToUcast = kindBool(&s)
		case unix.IFLA_BRPORT_NEIGH_SUPPRESS:
			p.NeighSuppress = kindBool(&s)
		case unix.IFLA_BRPORT_ISOLATED:
			p.Isolated = kindBool(&s)
		case unix.IFLA_BRPORT_LOCKED:
			p.Locked = kindBool(&s)
		case unix.IFLA_BRPORT_MULTICAST_ROUTER:
			p.MulticastRouter = kindU8(&s)
		case unix.IFLA_BRPORT_GROUP_FWD_MASK:
			p.GroupFwdMask = kindU16(&s)
		case unix.IFLA_BRPORT_VLAN_TUNNEL:
			p.VlanTunnel = kindBool(&s)
		case unix.IFLA_BRPORT_ID:
			p.PortID = s.Uint16()
		case unix.IFLA_BRPORT_NO:
			p.PortNo = s.Uint16()
		case unix.IFLA_BRPORT_ROOT_ID:
			p.DesignatedRoot = kindBridgeID(s.Bytes())
		case unix.IFLA_BRPORT_BRIDGE_ID:
			p.DesignatedBridge = kindBridgeID(s.Bytes())
		}
	}
	return s.Err()
}

// kindBrportStates names the STP port states as ip(8) does.
var kindBrportStates = [...]string{"disabled", "listening", "learning", "forwarding", "blocking"}

// MarshalJSON prints the port's data with `ip -j -d` names.
func (p *BridgePortInfo) MarshalJSON() ([]byte, error) {
	m := kindJSON{}
	if p.State != nil {
		if int(*p.State) < len(kindBrportStates) {
			m["state"] = kindBrportStates[*p.State]
		} else {
			m["state"] = *p.State
		}
	}
	m.opt("priority", p.Priority)
	m.opt("cost", p.Cost)
	for k, v := range map[string]*bool{
		"hairpin": p.Mode, "guard": p.Guard, "root_block": p.Protect, "fastleave": p.FastLeave,
		"learning": p.Learning, "flood": p.UnicastFlood, "proxy_arp": p.Proxyarp,
		"proxy_arp_wifi": p.ProxyarpWifi, "mcast_flood": p.McastFlood, "bcast_flood": p.BcastFlood,
		"mcast_to_unicast": p.McastToUcast, "neigh_suppress": p.NeighSuppress,
		"isolated": p.Isolated, "locked": p.Locked, "vlan_tunnel": p.VlanTunnel,
	} {
		if v != nil {
			m[k] = *v
		}
	}
	m.opt("multicast_router", p.MulticastRouter)
	m["port_id"] = fmt.Sprintf("%#x", p.PortID)
	m["port_no"] = fmt.Sprintf("%#x", p.PortNo)
	if p.DesignatedRoot != "" {
		m["designated_root"] = p.DesignatedRoot
	}
	if p.DesignatedBridge != "" {
		m["designated_bridge"] = p.DesignatedBridge
	}
	return json.Marshal(m)
}
