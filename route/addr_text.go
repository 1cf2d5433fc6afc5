package route

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// addrFlagNames are the flag names ip(8) prints, in its order. Permanent
// is absent: ip prints "dynamic" for an address without it.
var addrFlagNames = [...]struct {
	f    AddrFlags
	name string
}{
	{AddrSecondary, "secondary"},
	{AddrNoDAD, "nodad"},
	{AddrOptimistic, "optimistic"},
	{AddrDADFailed, "dadfailed"},
	{AddrHomeAddress, "home"},
	{AddrDeprecated, "deprecated"},
	{AddrTentative, "tentative"},
	{AddrPermanent, "permanent"},
	{AddrManageTempAddr, "mngtmpaddr"},
	{AddrNoPrefixRoute, "noprefixroute"},
	{AddrMCAutoJoin, "autojoin"},
	{AddrStablePrivacy, "stable-privacy"},
}

// String names the flags as ip(8) does, separated by spaces ("nodad
// noprefixroute"); unnamed bits print as hex. IFA_F_SECONDARY prints as
// "secondary" (on IPv6 addresses ip calls it "temporary").
func (f AddrFlags) String() string {
	var parts []string
	for _, n := range addrFlagNames {
		if f&n.f != 0 {
			parts = append(parts, n.name)
			f &^= n.f
		}
	}
	if f != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(f)))
	}
	return strings.Join(parts, " ")
}

// ParseAddrFlag reads one flag name as ip(8) spells it ("nodad",
// "noprefixroute", "home", "mngtmpaddr", "autojoin", "temporary", ...).
func ParseAddrFlag(s string) (AddrFlags, error) {
	switch strings.ToLower(s) {
	case "temporary":
		return AddrSecondary, nil
	case "homeaddress":
		return AddrHomeAddress, nil
	case "managetempaddr":
		return AddrManageTempAddr, nil
	case "mcautojoin":
		return AddrMCAutoJoin, nil
	}
	for _, n := range addrFlagNames {
		if strings.EqualFold(n.name, s) {
			return n.f, nil
		}
	}
	return 0, fmt.Errorf("route: unknown address flag %q", s)
}

// AddrProtocolName names an address protocol (IFA_PROTO) as ip(8) does:
// "kernel_lo", "kernel_ra", "kernel_ll", or the number.
func AddrProtocolName(p Protocol) string {
	switch p {
	case AddrProtoUnspec:
		return "unspec"
	case AddrProtoKernelLo:
		return "kernel_lo"
	case AddrProtoKernelRA:
		return "kernel_ra"
	case AddrProtoKernelLL:
		return "kernel_ll"
	}
	return strconv.Itoa(int(p))
}

// ParseAddrProtocol reads an address protocol name or number.
func ParseAddrProtocol(s string) (Protocol, error) {
	for p := AddrProtoUnspec; p <= AddrProtoKernelLL; p++ {
		if AddrProtocolName(p) == s {
			return p, nil
		}
	}
	v, err := strconv.ParseUint(s, 0, 8)
	if err != nil {
		return 0, fmt.Errorf("route: invalid address protocol %q", s)
	}
	return Protocol(v), nil
}

// addrLifetimeText prints a lifetime as ip(8) does: "forever" or "100sec".
func addrLifetimeText(d time.Duration) string {
	if d == Forever {
		return "forever"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "sec"
}

// String prints the address on one line, as `ip -o addr` does but with
// the interface index alone before the colon:
//
//	3: inet 192.0.2.1/24 brd 192.0.2.255 scope global v0:1 valid_lft forever preferred_lft forever
//	3: inet6 2001:db8::1/64 scope global nodad dynamic noprefixroute valid_lft 100sec preferred_lft 50sec
func (a *Addr) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(a.Index)))
	b.WriteString(": ")
	b.WriteString(a.Family.String())
	b.WriteByte(' ')
	switch {
	case !a.Prefix.IsValid():
		b.WriteString("(none)")
	case a.Peer.IsValid():
		fmt.Fprintf(&b, "%s peer %s/%d", a.Prefix.Addr(), a.Peer, a.Prefix.Bits())
	default:
		b.WriteString(a.Prefix.String())
	}
	if a.Broadcast.IsValid() {
		b.WriteString(" brd " + a.Broadcast.String())
	}
	if a.Anycast.IsValid() {
		b.WriteString(" any " + a.Anycast.String())
	}
	if a.Priority != 0 {
		b.WriteString(" metric " + strconv.FormatUint(uint64(a.Priority), 10))
	}
	if a.Protocol != 0 {
		b.WriteString(" proto " + AddrProtocolName(a.Protocol))
	}
	b.WriteString(" scope " + a.Scope.String())
	for _, n := range addrFlagNames {
		switch {
		case n.f == AddrPermanent:
			if a.Flags&AddrPermanent == 0 {
				b.WriteString(" dynamic")
			}
		case a.Flags&n.f != 0:
			name := n.name
			if n.f == AddrSecondary && a.Family == FamilyInet6 {
				name = "temporary"
			}
			b.WriteString(" " + name)
		}
	}
	if rest := a.Flags &^ addrKnownFlags; rest != 0 {
		fmt.Fprintf(&b, " flags %#x", uint32(rest))
	}
	if a.Label != "" {
		b.WriteString(" " + a.Label)
	}
	if a.ValidLifetime != 0 || a.PreferredLifetime != 0 {
		b.WriteString(" valid_lft " + addrLifetimeText(a.ValidLifetime))
		b.WriteString(" preferred_lft " + addrLifetimeText(a.PreferredLifetime))
	}
	return b.String()
}

// addrKnownFlags are the flags with names.
const addrKnownFlags = AddrSecondary | AddrNoDAD | AddrOptimistic | AddrDADFailed | AddrHomeAddress |
	AddrDeprecated | AddrTentative | AddrPermanent | AddrManageTempAddr | AddrNoPrefixRoute |
	AddrMCAutoJoin | AddrStablePrivacy

// Equal reports whether a and o hold the same values, timestamps included.
func (a *Addr) Equal(o *Addr) bool { return len(a.Diff(o)) == 0 }

// Diff names the fields of a and o that differ ("Prefix", "Flags", ...),
// in declaration order; none when they are equal.
func (a *Addr) Diff(o *Addr) []string {
	var d []string
	add := func(differs bool, name string) {
		if differs {
			d = append(d, name)
		}
	}
	add(a.Family != o.Family, "Family")
	add(a.Index != o.Index, "Index")
	add(a.Prefix != o.Prefix, "Prefix")
	add(a.Peer != o.Peer, "Peer")
	add(a.Broadcast != o.Broadcast, "Broadcast")
	add(a.Anycast != o.Anycast, "Anycast")
	add(a.Multicast != o.Multicast, "Multicast")
	add(a.Label != o.Label, "Label")
	add(a.Scope != o.Scope, "Scope")
	add(a.Flags != o.Flags, "Flags")
	add(a.ValidLifetime != o.ValidLifetime, "ValidLifetime")
	add(a.PreferredLifetime != o.PreferredLifetime, "PreferredLifetime")
	add(a.Created != o.Created, "Created")
	add(a.Updated != o.Updated, "Updated")
	add(a.Protocol != o.Protocol, "Protocol")
	add(a.Priority != o.Priority, "Priority")
	return d
}

// addrJSON is the JSON form: the names of `ip -j addr` (one addr_info
// element, plus the ifindex), the flags as booleans.
type addrJSON struct {
	Index         int32      `json:"ifindex"`
	Family        Family     `json:"family"`
	Local         netip.Addr `json:"local"`
	Address       netip.Addr `json:"address,omitzero"`
	PrefixLen     int        `json:"prefixlen"`
	Broadcast     netip.Addr `json:"broadcast,omitzero"`
	Anycast       netip.Addr `json:"anycast,omitzero"`
	Multicast     netip.Addr `json:"multicast,omitzero"`
	Protocol      string     `json:"protocol,omitempty"`
	Scope         Scope      `json:"scope"`
	Secondary     bool       `json:"secondary,omitempty"`
	Temporary     bool       `json:"temporary,omitempty"`
	NoDAD         bool       `json:"nodad,omitempty"`
	Optimistic    bool       `json:"optimistic,omitempty"`
	DADFailed     bool       `json:"dadfailed,omitempty"`
	Home          bool       `json:"home,omitempty"`
	Deprecated    bool       `json:"deprecated,omitempty"`
	Tentative     bool       `json:"tentative,omitempty"`
	Dynamic       bool       `json:"dynamic,omitempty"`
	MngTmpAddr    bool       `json:"mngtmpaddr,omitempty"`
	NoPrefixRoute bool       `json:"noprefixroute,omitempty"`
	AutoJoin      bool       `json:"autojoin,omitempty"`
	StablePrivacy bool       `json:"stable-privacy,omitempty"`
	OtherFlags    uint32     `json:"other_flags,omitempty"`
	Label         string     `json:"label,omitempty"`
	Metric        uint32     `json:"metric,omitempty"`
	ValidLife     *uint64    `json:"valid_life_time,omitempty"`
	PreferredLife *uint64    `json:"preferred_life_time,omitempty"`
	CreatedCentis uint64     `json:"created_cs,omitempty"`
	UpdatedCentis uint64     `json:"updated_cs,omitempty"`
}

// addrJSONLifetime is a lifetime in seconds, as ip -j prints it
// (4294967295 for forever).
func addrJSONLifetime(d time.Duration) *uint64 {
	v := uint64(addrLifetimeSeconds(d))
	return &v
}

// MarshalJSON prints the address with the field names of `ip -j addr`:
// family, local, address (the peer), prefixlen, broadcast, scope, the
// flags as booleans (dynamic when not permanent), label, metric,
// valid_life_time and preferred_life_time (seconds; 4294967295 is
// forever), plus ifindex and the cacheinfo timestamps (created_cs,
// updated_cs, in hundredths of a second since boot).
func (a *Addr) MarshalJSON() ([]byte, error) {
	j := addrJSON{
		Index: a.Index, Family: a.Family, Local: a.Prefix.Addr(), Address: a.Peer,
		PrefixLen: a.Prefix.Bits(), Broadcast: a.Broadcast, Anycast: a.Anycast, Multicast: a.Multicast,
		Scope: a.Scope, Label: a.Label, Metric: a.Priority,
		CreatedCentis: uint64(a.Created / (10 * time.Millisecond)),
		UpdatedCentis: uint64(a.Updated / (10 * time.Millisecond)),
	}
	if !a.Prefix.IsValid() {
		j.PrefixLen = 0
	}
	if a.Protocol != 0 {
		j.Protocol = AddrProtocolName(a.Protocol)
	}
	f := a.Flags
	if a.Family == FamilyInet6 {
		j.Temporary = f&AddrSecondary != 0
	} else {
		j.Secondary = f&AddrSecondary != 0
	}
	j.NoDAD = f&AddrNoDAD != 0
	j.Optimistic = f&AddrOptimistic != 0
	j.DADFailed = f&AddrDADFailed != 0
	j.Home = f&AddrHomeAddress != 0
	j.Deprecated = f&AddrDeprecated != 0
	j.Tentative = f&AddrTentative != 0
	j.Dynamic = f&AddrPermanent == 0
	j.MngTmpAddr = f&AddrManageTempAddr != 0
	j.NoPrefixRoute = f&AddrNoPrefixRoute != 0
	j.AutoJoin = f&AddrMCAutoJoin != 0
	j.StablePrivacy = f&AddrStablePrivacy != 0
	j.OtherFlags = uint32(f &^ addrKnownFlags)
	if a.ValidLifetime != 0 || a.PreferredLifetime != 0 {
		j.ValidLife = addrJSONLifetime(a.ValidLifetime)
		j.PreferredLife = addrJSONLifetime(a.PreferredLifetime)
	}
	return json.Marshal(&j)
}

// UnmarshalJSON reads what MarshalJSON prints (and an `ip -j addr`
// addr_info element, which lacks the ifindex).
func (a *Addr) UnmarshalJSON(b []byte) error {
	var j addrJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	n := Addr{
		Family: j.Family, Index: j.Index, Peer: j.Address, Broadcast: j.Broadcast,
		Anycast: j.Anycast, Multicast: j.Multicast, Label: j.Label, Scope: j.Scope, Priority: j.Metric,
		Created: time.Duration(j.CreatedCentis) * 10 * time.Millisecond,
		Updated: time.Duration(j.UpdatedCentis) * 10 * time.Millisecond,
	}
	if j.Local.IsValid() {
		if j.PrefixLen < 0 || j.PrefixLen > j.Local.BitLen() {
			return fmt.Errorf("route: address %s with prefix length %d", j.Local, j.PrefixLen)
		}
		n.Prefix = netip.PrefixFrom(j.Local, j.PrefixLen)
	}
	if j.Protocol != "" {
		p, err := ParseAddrProtocol(j.Protocol)
		if err != nil {
			return err
		}
		n.Protocol = p
	}
	for _, fl := range []struct {
		set bool
		f   AddrFlags
	}{
		{j.Secondary || j.Temporary, AddrSecondary}, {j.NoDAD, AddrNoDAD}, {j.Optimistic, AddrOptimistic},
		{j.DADFailed, AddrDADFailed}, {j.Home, AddrHomeAddress}, {j.Deprecated, AddrDeprecated},
		{j.Tentative, AddrTentative}, {!j.Dynamic, AddrPermanent}, {j.MngTmpAddr, AddrManageTempAddr},
		{j.NoPrefixRoute, AddrNoPrefixRoute}, {j.AutoJoin, AddrMCAutoJoin}, {j.StablePrivacy, AddrStablePrivacy},
	} {
		if fl.set {
			n.Flags |= fl.f
		}
	}
	n.Flags |= AddrFlags(j.OtherFlags)
	if j.ValidLife != nil {
		n.ValidLifetime = addrJSONDuration(*j.ValidLife)
	}
	if j.PreferredLife != nil {
		n.PreferredLifetime = addrJSONDuration(*j.PreferredLife)
	}
	*a = n
	return nil
}

// addrJSONDuration reads a lifetime in seconds.
func addrJSONDuration(v uint64) time.Duration {
	if v >= addrForever {
		return Forever
	}
	return time.Duration(v) * time.Second
}
