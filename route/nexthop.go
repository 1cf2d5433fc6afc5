package route

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Nexthop is a nexthop object (RTM_NEWNEXTHOP, struct nhmsg and NHA_*):
// a gateway and/or device, a blackhole, or a group of other nexthops
// with weights, that routes refer to by ID.
type Nexthop struct {
	// ID identifies the nexthop (NHA_ID); 0 in a new one lets the kernel
	// pick.
	ID uint32
	// Family is FamilyInet or FamilyInet6 for a single nexthop,
	// FamilyUnspec for a group.
	Family Family
	// Scope is the nexthop's scope, set by the kernel.
	Scope Scope
	// Protocol says who made the nexthop.
	Protocol Protocol
	// Flags are the RTNH_F_* flags (onlink, dead, linkdown, ...).
	Flags NexthopFlags
	// Ifindex is the device (NHA_OIF).
	Ifindex int32
	// Gateway is the next router (NHA_GATEWAY).
	Gateway netip.Addr
	// Blackhole drops the packets (NHA_BLACKHOLE).
	Blackhole bool
	// FDB marks a nexthop for the bridge FDB (NHA_FDB; VXLAN remotes).
	FDB bool
	// Group lists the members of a group (NHA_GROUP).
	Group []NexthopGroupMember
	// GroupType is the kind of group (NHA_GROUP_TYPE).
	GroupType NexthopGroupType
	// Resilient holds a resilient group's parameters (NHA_RES_GROUP).
	Resilient *NexthopResilient
	// EncapType and Encap are the lightweight tunnel encapsulation
	// (NHA_ENCAP_TYPE, LWTUNNEL_ENCAP_*) and its raw nested attributes
	// (NHA_ENCAP), kept as they came.
	EncapType uint16
	Encap     []byte

	// resSpare keeps Resilient's storage across decodes of messages
	// without one, so a reused value stops allocating.
	resSpare *NexthopResilient
}

// NexthopGroupMember is one member of a group (struct nexthop_grp).
type NexthopGroupMember struct {
	ID uint32
	// Weight is the member's weight, 1 to 65536; 0 in a new group means 1.
	Weight uint32
}

// NexthopResilient is a resilient group's configuration and state
// (NHA_RES_GROUP_*).
type NexthopResilient struct {
	// Buckets is the number of hash buckets.
	Buckets uint16
	// IdleTimer is how long a bucket must be idle to be migrated.
	IdleTimer time.Duration
	// UnbalancedTimer is how long the group may stay unbalanced before
	// buckets are migrated regardless; 0 for never.
	UnbalancedTimer time.Duration
	// UnbalancedTime is how long the group has been unbalanced (read
	// only).
	UnbalancedTime time.Duration
}

// NexthopGroupType is a group's kind (NEXTHOP_GRP_TYPE_*).
type NexthopGroupType uint16

// The group types.
const (
	NexthopGroupMultipath NexthopGroupType = 0
	NexthopGroupResilient NexthopGroupType = 1
)

// String names the type as ip(8) does ("mpath", "resilient").
func (t NexthopGroupType) String() string {
	switch t {
	case NexthopGroupMultipath:
		return "mpath"
	case NexthopGroupResilient:
		return "resilient"
	}
	return strconv.Itoa(int(t))
}

// NexthopFlags are the RTNH_F_* flags.
type NexthopFlags uint32

// The nexthop flags.
const (
	NexthopDead       NexthopFlags = unix.RTNH_F_DEAD
	NexthopPervasive  NexthopFlags = unix.RTNH_F_PERVASIVE
	NexthopOnlink     NexthopFlags = unix.RTNH_F_ONLINK
	NexthopOffload    NexthopFlags = unix.RTNH_F_OFFLOAD
	NexthopLinkdown   NexthopFlags = unix.RTNH_F_LINKDOWN
	NexthopUnresolved NexthopFlags = unix.RTNH_F_UNRESOLVED
	NexthopTrap       NexthopFlags = unix.RTNH_F_TRAP
)

var nexthopFlagNames = [...]struct {
	f    NexthopFlags
	name string
}{
	{NexthopDead, "dead"}, {NexthopPervasive, "pervasive"}, {NexthopOnlink, "onlink"},
	{NexthopOffload, "offload"}, {NexthopLinkdown, "linkdown"}, {NexthopUnresolved, "unresolved"},
	{NexthopTrap, "trap"},
}

// Names lists the flags as ip(8) names them.
func (f NexthopFlags) Names() []string {
	out := []string{}
	rest := f
	for _, n := range nexthopFlagNames {
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
func (f NexthopFlags) String() string { return strings.Join(f.Names(), ",") }

// IsGroup reports whether nh is a group.
func (nh *Nexthop) IsGroup() bool { return len(nh.Group) > 0 }

// Equal reports whether nh and o are the same nexthop. A resilient
// group's UnbalancedTime, which moves on its own, is not compared.
func (nh *Nexthop) Equal(o *Nexthop) bool { return len(nh.Diff(o)) == 0 }

// Diff names the fields that differ between nh and o.
func (nh *Nexthop) Diff(o *Nexthop) []string {
	var d roDiffer
	d.add("ID", nh.ID != o.ID)
	d.add("Family", nh.Family != o.Family)
	d.add("Scope", nh.Scope != o.Scope)
	d.add("Protocol", nh.Protocol != o.Protocol)
	d.add("Flags", nh.Flags != o.Flags)
	d.add("Ifindex", nh.Ifindex != o.Ifindex)
	d.add("Gateway", nh.Gateway != o.Gateway)
	d.add("Blackhole", nh.Blackhole != o.Blackhole)
	d.add("FDB", nh.FDB != o.FDB)
	d.add("Group", !nexthopGroupEq(nh.Group, o.Group))
	d.add("GroupType", nh.GroupType != o.GroupType)
	d.add("Resilient", !nexthopResEq(nh.Resilient, o.Resilient))
	d.add("EncapType", nh.EncapType != o.EncapType)
	d.add("Encap", !bytes.Equal(nh.Encap, o.Encap))
	return d
}

func nexthopWeight(w uint32) uint32 {
	if w == 0 {
		return 1
	}
	return w
}

func nexthopGroupEq(a, b []NexthopGroupMember) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || nexthopWeight(a[i].Weight) != nexthopWeight(b[i].Weight) {
			return false
		}
	}
	return true
}

func nexthopResEq(a, b *NexthopResilient) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Buckets == b.Buckets && a.IdleTimer == b.IdleTimer && a.UnbalancedTimer == b.UnbalancedTimer
}

// groupText is "10/12,3" as ip(8) takes and shows a group.
func (nh *Nexthop) groupText() string {
	var b strings.Builder
	for i, m := range nh.Group {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(strconv.FormatUint(uint64(m.ID), 10))
		if w := nexthopWeight(m.Weight); w != 1 {
			b.WriteString("," + strconv.FormatUint(uint64(w), 10))
		}
	}
	return b.String()
}

// String prints nh on one line like `ip nexthop`, links as ifN.
func (nh *Nexthop) String() string { return nh.Format(nil) }

// Format is String with link names from names (nil: ifN).
func (nh *Nexthop) Format(names func(int32) string) string {
	var b strings.Builder
	b.WriteString("id " + strconv.FormatUint(uint64(nh.ID), 10))
	if nh.IsGroup() {
		b.WriteString(" group " + nh.groupText())
		if nh.GroupType != NexthopGroupMultipath {
			b.WriteString(" type " + nh.GroupType.String())
		}
		if r := nh.Resilient; r != nil {
			b.WriteString(" buckets " + strconv.Itoa(int(r.Buckets)) +
				" idle_timer " + strconv.FormatInt(int64(r.IdleTimer/time.Second), 10) +
				" unbalanced_timer " + strconv.FormatInt(int64(r.UnbalancedTimer/time.Second), 10) +
				" unbalanced_time " + strconv.FormatInt(int64(r.UnbalancedTime/time.Second), 10))
		}
	}
	if nh.EncapType != 0 {
		b.WriteString(" encap " + strconv.Itoa(int(nh.EncapType)))
	}
	if nh.Gateway.IsValid() {
		b.WriteString(" via " + nh.Gateway.String())
	}
	if nh.Ifindex != 0 {
		b.WriteString(" dev " + roLinkName(names, nh.Ifindex))
	}
	if nh.Blackhole {
		b.WriteString(" blackhole")
	}
	if nh.Scope != ScopeUniverse {
		b.WriteString(" scope " + nh.Scope.String())
	}
	if nh.Protocol != 0 {
		b.WriteString(" proto " + nh.Protocol.String())
	}
	for _, f := range nh.Flags.Names() {
		b.WriteString(" " + f)
	}
	if nh.FDB {
		b.WriteString(" fdb")
	}
	return b.String()
}

type nexthopJSONMember struct {
	ID     uint32 `json:"id"`
	Weight uint32 `json:"weight,omitempty"`
}

type nexthopJSONRes struct {
	Buckets         uint16 `json:"buckets"`
	IdleTimer       int64  `json:"idle_timer"`
	UnbalancedTimer int64  `json:"unbalanced_timer"`
	UnbalancedTime  int64  `json:"unbalanced_time"`
}

// nexthopJSON is the JSON form, with the names of `ip -j nexthop`.
type nexthopJSON struct {
	ID        uint32              `json:"id"`
	Family    Family              `json:"family"`
	Group     []nexthopJSONMember `json:"group,omitempty"`
	Type      string              `json:"type,omitempty"`
	Res       *nexthopJSONRes     `json:"resilient_args,omitempty"`
	EncapType uint16              `json:"encap_type,omitempty"`
	Gateway   string              `json:"gateway,omitempty"`
	Ifindex   int32               `json:"ifindex,omitempty"`
	Blackhole json.RawMessage     `json:"blackhole,omitempty"`
	Scope     *Scope              `json:"scope,omitempty"`
	Protocol  *Protocol           `json:"protocol,omitempty"`
	Flags     []string            `json:"flags"`
	FDB       json.RawMessage     `json:"fdb,omitempty"`
}

// MarshalJSON prints nh with the field names of `ip -j nexthop` (id,
// group with id and weight, type, resilient_args, gateway, blackhole and
// fdb as null, scope, protocol, flags); the device is "ifindex".
func (nh *Nexthop) MarshalJSON() ([]byte, error) {
	j := nexthopJSON{ID: nh.ID, Family: nh.Family, EncapType: nh.EncapType, Ifindex: nh.Ifindex, Flags: nh.Flags.Names()}
	null := json.RawMessage("null")
	for _, m := range nh.Group {
		jm := nexthopJSONMember{ID: m.ID}
		if w := nexthopWeight(m.Weight); w != 1 {
			jm.Weight = w
		}
		j.Group = append(j.Group, jm)
	}
	if nh.IsGroup() && nh.GroupType != NexthopGroupMultipath {
		j.Type = nh.GroupType.String()
	}
	if r := nh.Resilient; r != nil {
		j.Res = &nexthopJSONRes{Buckets: r.Buckets, IdleTimer: int64(r.IdleTimer / time.Second),
			UnbalancedTimer: int64(r.UnbalancedTimer / time.Second), UnbalancedTime: int64(r.UnbalancedTime / time.Second)}
	}
	if nh.Gateway.IsValid() {
		j.Gateway = nh.Gateway.String()
	}
	if nh.Blackhole {
		j.Blackhole = null
	}
	if nh.FDB {
		j.FDB = null
	}
	if nh.Scope != ScopeUniverse {
		s := nh.Scope
		j.Scope = &s
	}
	if nh.Protocol != 0 {
		p := nh.Protocol
		j.Protocol = &p
	}
	return json.Marshal(&j)
}
