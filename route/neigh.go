package route

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Neigh is a neighbour entry (RTM_NEWNEIGH, struct ndmsg and NDA_*): an
// ARP or NDP cache entry, a proxy entry (FlagProxy), or, with family
// FamilyBridge, a bridge forwarding database (FDB) entry.
type Neigh struct {
	// Family is FamilyInet, FamilyInet6 or FamilyBridge (FDB).
	Family Family
	// Ifindex is the link the entry is on (for FDB entries, the bridge
	// port or the device itself with NeighFlagSelf).
	Ifindex int32
	// State is the NUD state (NUD_*).
	State NeighState
	// Flags are the NTF_* flags, with the extended flags (NDA_FLAGS_EXT)
	// above bit 8.
	Flags NeighFlags
	// Type is the ndm_type (a route type, RTN_*): the kernel fills it in.
	Type uint8
	// Dst is the neighbour's protocol address (NDA_DST); on an FDB entry
	// of a VXLAN device, the remote.
	Dst netip.Addr
	// LLAddr is the link-layer address (NDA_LLADDR); the MAC of an FDB
	// entry.
	LLAddr net.HardwareAddr
	// Probes is the number of probes sent (NDA_PROBES), read only.
	Probes uint32
	// Cache holds the entry's times (NDA_CACHEINFO), read only.
	Cache NeighCacheInfo
	// VLAN is the bridge VLAN of an FDB entry (NDA_VLAN), 0 for none.
	VLAN uint16
	// VNI is the VXLAN VNI of an FDB entry (NDA_VNI), 0 for none.
	VNI uint32
	// SrcVNI is the source VNI of an FDB entry on a collect-metadata VXLAN
	// device (NDA_SRC_VNI).
	SrcVNI uint32
	// Port is the VXLAN UDP port of an FDB entry (NDA_PORT), 0 for none.
	Port uint16
	// Via is the ifindex to reach a VXLAN remote through (NDA_IFINDEX).
	Via int32
	// Master is the master device (NDA_MASTER): the bridge of an FDB
	// entry.
	Master int32
	// LinkNetNSID is the namespace ID of a VXLAN device's link
	// (NDA_LINK_NETNSID) when HasLinkNetNSID.
	LinkNetNSID    int32
	HasLinkNetNSID bool
	// Protocol says who made the entry (NDA_PROTOCOL).
	Protocol Protocol
	// NexthopID is a nexthop (group) an FDB entry points to (NDA_NH_ID).
	NexthopID uint32
}

// NeighCacheInfo is struct nda_cacheinfo: how long ago the entry was last
// confirmed, used and updated, and its reference count.
type NeighCacheInfo struct {
	Confirmed, Used, Updated time.Duration
	RefCount                 uint32
}

// NeighState is a neighbour's NUD state, a bit set (NUD_*).
type NeighState uint16

// The NUD states.
const (
	NeighIncomplete NeighState = unix.NUD_INCOMPLETE
	NeighReachable  NeighState = unix.NUD_REACHABLE
	NeighStale      NeighState = unix.NUD_STALE
	NeighDelay      NeighState = unix.NUD_DELAY
	NeighProbe      NeighState = unix.NUD_PROBE
	NeighFailed     NeighState = unix.NUD_FAILED
	NeighNoARP      NeighState = unix.NUD_NOARP
	NeighPermanent  NeighState = unix.NUD_PERMANENT
	NeighNone       NeighState = unix.NUD_NONE
)

var neighStateNames = [...]struct {
	s    NeighState
	name string
}{
	{NeighIncomplete, "INCOMPLETE"}, {NeighReachable, "REACHABLE"}, {NeighStale, "STALE"},
	{NeighDelay, "DELAY"}, {NeighProbe, "PROBE"}, {NeighFailed, "FAILED"},
	{NeighNoARP, "NOARP"}, {NeighPermanent, "PERMANENT"},
}

// Names lists the state bits as ip(8) names them ("REACHABLE", "STALE",
// "PERMANENT", ...); NUD_NONE is "NONE".
func (s NeighState) Names() []string {
	if s == NeighNone {
		return []string{"NONE"}
	}
	var out []string
	rest := s
	for _, n := range neighStateNames {
		if s&n.s != 0 {
			out = append(out, n.name)
			rest &^= n.s
		}
	}
	if rest != 0 {
		out = append(out, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return out
}

// String joins the names with commas.
func (s NeighState) String() string { return strings.Join(s.Names(), ",") }

// ParseNeighState reads a state name as ip(8) takes it after "nud"
// ("permanent", "noarp", "reachable", "stale", "none", ...), case
// insensitive, or a number.
func ParseNeighState(s string) (NeighState, error) {
	if strings.EqualFold(s, "none") {
		return NeighNone, nil
	}
	for _, n := range neighStateNames {
		if strings.EqualFold(n.name, s) {
			return n.s, nil
		}
	}
	v, err := strconv.ParseUint(s, 0, 16)
	if err != nil {
		return 0, fmt.Errorf("route: invalid neighbour state %q", s)
	}
	return NeighState(v), nil
}

// fdbStateName names an FDB entry's state as bridge(8) does.
func (s NeighState) fdbStateName() string {
	switch {
	case s&NeighPermanent != 0:
		return "permanent"
	case s&NeighNoARP != 0:
		return "static"
	case s&NeighStale != 0:
		return "stale"
	}
	return ""
}

// NeighFlags are the NTF_* flags of ndm_flags (bits 0-7) and the extended
// flags of NDA_FLAGS_EXT (shifted up by 8).
type NeighFlags uint32

// The neighbour flags.
const (
	NeighFlagUse         NeighFlags = unix.NTF_USE
	NeighFlagSelf        NeighFlags = unix.NTF_SELF
	NeighFlagMaster      NeighFlags = unix.NTF_MASTER
	NeighFlagProxy       NeighFlags = unix.NTF_PROXY
	NeighFlagExtLearned  NeighFlags = unix.NTF_EXT_LEARNED
	NeighFlagOffloaded   NeighFlags = unix.NTF_OFFLOADED
	NeighFlagSticky      NeighFlags = 0x40 // NTF_STICKY
	NeighFlagRouter      NeighFlags = unix.NTF_ROUTER
	NeighFlagManaged     NeighFlags = 1 << 8  // NTF_EXT_MANAGED
	NeighFlagLocked      NeighFlags = 1 << 9  // NTF_EXT_LOCKED
	NeighFlagExtValidate NeighFlags = 1 << 10 // NTF_EXT_EXT_VALIDATED
)

var neighFlagNames = [...]struct {
	f    NeighFlags
	name string
}{
	{NeighFlagUse, "use"}, {NeighFlagSelf, "self"}, {NeighFlagMaster, "master"},
	{NeighFlagProxy, "proxy"}, {NeighFlagExtLearned, "extern_learn"},
	{NeighFlagOffloaded, "offload"}, {NeighFlagSticky, "sticky"}, {NeighFlagRouter, "router"},
	{NeighFlagManaged, "managed"}, {NeighFlagLocked, "locked"}, {NeighFlagExtValidate, "extern_valid"},
}

// Names lists the flags as ip(8) and bridge(8) name them ("router",
// "proxy", "self", "master", "extern_learn", ...).
func (f NeighFlags) Names() []string {
	out := []string{}
	rest := f
	for _, n := range neighFlagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
			rest &^= n.f
		}
	}
	if rest != 0 {
		out = append(out, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return out
}

// String joins the names with commas.
func (f NeighFlags) String() string { return strings.Join(f.Names(), ",") }

// ParseNeighFlag reads one flag name ("router", "proxy", "self",
// "master", "extern_learn", "sticky", "managed", ...).
func ParseNeighFlag(s string) (NeighFlags, error) {
	for _, n := range neighFlagNames {
		if strings.EqualFold(n.name, s) {
			return n.f, nil
		}
	}
	return 0, fmt.Errorf("route: invalid neighbour flag %q", s)
}

// Equal reports whether n and o describe the same entry with the same
// settings. The cache times and probe count, which change on their own,
// are not compared.
func (n *Neigh) Equal(o *Neigh) bool { return len(n.Diff(o)) == 0 }

// Diff names the fields that differ between n and o (Go field names),
// leaving out Cache and Probes like Equal.
func (n *Neigh) Diff(o *Neigh) []string {
	var d roDiffer
	d.add("Family", n.Family != o.Family)
	d.add("Ifindex", n.Ifindex != o.Ifindex)
	d.add("State", n.State != o.State)
	d.add("Flags", n.Flags != o.Flags)
	d.add("Type", n.Type != o.Type)
	d.add("Dst", n.Dst != o.Dst)
	d.add("LLAddr", string(n.LLAddr) != string(o.LLAddr))
	d.add("VLAN", n.VLAN != o.VLAN)
	d.add("VNI", n.VNI != o.VNI)
	d.add("SrcVNI", n.SrcVNI != o.SrcVNI)
	d.add("Port", n.Port != o.Port)
	d.add("Via", n.Via != o.Via)
	d.add("Master", n.Master != o.Master)
	d.add("LinkNetNSID", n.HasLinkNetNSID != o.HasLinkNetNSID || n.LinkNetNSID != o.LinkNetNSID)
	d.add("Protocol", n.Protocol != o.Protocol)
	d.add("NexthopID", n.NexthopID != o.NexthopID)
	return d
}

// IsFDB reports whether n is a bridge FDB entry.
func (n *Neigh) IsFDB() bool { return n.Family == FamilyBridge }

// roLinkName names link index i through names, or "ifN" like ip(8) when
// names is nil or does not know it.
func roLinkName(names func(int32) string, i int32) string {
	if names != nil {
		if s := names(i); s != "" {
			return s
		}
	}
	return "if" + strconv.Itoa(int(i))
}

// String prints n on one line, like `ip neigh` (or `bridge fdb` for an FDB
// entry), with links as ifN.
func (n *Neigh) String() string { return n.Format(nil) }

// Format is String with link names from names (nil: ifN).
func (n *Neigh) Format(names func(int32) string) string {
	var b strings.Builder
	if n.IsFDB() {
		b.WriteString(n.LLAddr.String())
		if n.Ifindex != 0 {
			b.WriteString(" dev " + roLinkName(names, n.Ifindex))
		}
		if n.Dst.IsValid() {
			b.WriteString(" dst " + n.Dst.String())
		}
		if n.VLAN != 0 {
			b.WriteString(" vlan " + strconv.Itoa(int(n.VLAN)))
		}
		if n.Port != 0 {
			b.WriteString(" port " + strconv.Itoa(int(n.Port)))
		}
		if n.VNI != 0 {
			b.WriteString(" vni " + strconv.FormatUint(uint64(n.VNI), 10))
		}
		if n.SrcVNI != 0 {
			b.WriteString(" src_vni " + strconv.FormatUint(uint64(n.SrcVNI), 10))
		}
		if n.Via != 0 {
			b.WriteString(" via " + roLinkName(names, n.Via))
		}
		if n.NexthopID != 0 {
			b.WriteString(" nhid " + strconv.FormatUint(uint64(n.NexthopID), 10))
		}
		for _, f := range n.fdbFlags() {
			b.WriteString(" " + f)
		}
		if n.Master != 0 {
			b.WriteString(" master " + roLinkName(names, n.Master))
		}
		if s := n.State.fdbStateName(); s != "" {
			b.WriteString(" " + s)
		}
		if n.Protocol != 0 {
			b.WriteString(" proto " + n.Protocol.String())
		}
		return b.String()
	}
	if n.Dst.IsValid() {
		b.WriteString(n.Dst.String())
	} else {
		b.WriteString("none")
	}
	if n.Ifindex != 0 {
		b.WriteString(" dev " + roLinkName(names, n.Ifindex))
	}
	if len(n.LLAddr) > 0 {
		b.WriteString(" lladdr " + n.LLAddr.String())
	}
	for _, f := range n.Flags.Names() {
		b.WriteString(" " + f)
	}
	if n.Protocol != 0 {
		b.WriteString(" proto " + n.Protocol.String())
	}
	if n.Flags&NeighFlagProxy == 0 {
		b.WriteString(" " + strings.Join(n.State.Names(), " "))
	}
	return b.String()
}

// fdbFlags names an FDB entry's flags as bridge(8) does: NTF_MASTER is
// implied by the master device.
func (n *Neigh) fdbFlags() []string {
	f := n.Flags
	if n.Master != 0 {
		f &^= NeighFlagMaster
	}
	return f.Names()
}

// neighJSON is the JSON form: ip -j neigh names for inet entries, bridge
// -j fdb names (mac, ifindex, flags, master, state) for FDB entries.
type neighJSON struct {
	Family    Family    `json:"family"`
	Dst       string    `json:"dst,omitempty"`
	Mac       string    `json:"mac,omitempty"`
	Ifindex   int32     `json:"ifindex,omitempty"`
	LLAddr    string    `json:"lladdr,omitempty"`
	VLAN      uint16    `json:"vlan,omitempty"`
	Port      uint16    `json:"port,omitempty"`
	VNI       uint32    `json:"vni,omitempty"`
	SrcVNI    uint32    `json:"src_vni,omitempty"`
	Via       int32     `json:"via,omitempty"`
	NexthopID uint32    `json:"nhid,omitempty"`
	Master    int32     `json:"master,omitempty"`
	Used      *int64    `json:"used,omitempty"`
	Confirmed *int64    `json:"confirmed,omitempty"`
	Updated   *int64    `json:"updated,omitempty"`
	Probes    *uint32   `json:"probes,omitempty"`
	Flags     []string  `json:"flags"`
	State     any       `json:"state,omitempty"`
	Protocol  *Protocol `json:"protocol,omitempty"`
	NetNSID   *int32    `json:"link_netnsid,omitempty"`
	Type      uint8     `json:"type,omitempty"`
}

// MarshalJSON prints the entry with the field names of `ip -j neigh`
// (dst, lladdr, state as a list, used/confirmed/updated in seconds,
// probes) or, for FDB entries, of `bridge -j fdb` (mac, flags, master,
// state as a word). Links are ifindexes.
func (n *Neigh) MarshalJSON() ([]byte, error) {
	j := neighJSON{Family: n.Family, Ifindex: n.Ifindex, VLAN: n.VLAN, Port: n.Port, VNI: n.VNI,
		SrcVNI: n.SrcVNI, Via: n.Via, NexthopID: n.NexthopID, Master: n.Master, Flags: n.Flags.Names(), Type: n.Type}
	if n.Dst.IsValid() {
		j.Dst = n.Dst.String()
	}
	if n.IsFDB() {
		j.Mac = n.LLAddr.String()
		j.Flags = n.fdbFlags()
		j.State = n.State.fdbStateName()
	} else {
		if len(n.LLAddr) > 0 {
			j.LLAddr = n.LLAddr.String()
		}
		if n.Flags&NeighFlagProxy == 0 {
			j.State = n.State.Names()
		}
	}
	if n.Cache != (NeighCacheInfo{}) {
		u, c, up := int64(n.Cache.Used/time.Second), int64(n.Cache.Confirmed/time.Second), int64(n.Cache.Updated/time.Second)
		j.Used, j.Confirmed, j.Updated = &u, &c, &up
		p := n.Probes
		j.Probes = &p
	}
	if n.Protocol != 0 {
		p := n.Protocol
		j.Protocol = &p
	}
	if n.HasLinkNetNSID {
		v := n.LinkNetNSID
		j.NetNSID = &v
	}
	return json.Marshal(&j)
}
