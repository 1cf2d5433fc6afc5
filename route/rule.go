package route

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Rule is a policy routing rule (RTM_NEWRULE, struct fib_rule_hdr and
// FRA_*): which packets (selectors) go to which table (action).
type Rule struct {
	// Family is FamilyInet or FamilyInet6.
	Family Family
	// Priority orders the rules (FRA_PRIORITY); 0 in a new rule lets the
	// kernel pick one (the kernel does not send priority 0 either).
	Priority uint32
	// Table is the routing table (FRA_TABLE, also above 255).
	Table uint32
	// Action says what the rule does; FR_ACT_TO_TBL when zero in a new
	// rule with a table.
	Action RuleAction
	// Invert negates the selectors (FIB_RULE_INVERT, ip's "not").
	Invert bool
	// Flags are the other FIB_RULE_* header flags (read only:
	// permanent, unresolved, iif/oif detached).
	Flags uint32
	// Src and Dst select by source and destination prefix.
	Src, Dst netip.Prefix
	// TOS selects by type of service.
	TOS uint8
	// Fwmark and Fwmask select by firewall mark (FRA_FWMARK, FRA_FWMASK).
	Fwmark, Fwmask uint32
	// IIF and OIF select by incoming and outgoing link name.
	IIF, OIF string
	// Goto is the priority of the rule to jump to with RuleGoto
	// (FRA_GOTO).
	Goto uint32
	// Flow is the realm (FRA_FLOW).
	Flow uint32
	// L3mdev looks the table up from the L3 master device (FRA_L3MDEV).
	L3mdev bool
	// UIDRange selects by socket owner (FRA_UID_RANGE).
	UIDRange *RuleRange
	// IPProto selects by IP protocol (FRA_IP_PROTO).
	IPProto uint8
	// SportRange and DportRange select by port (FRA_SPORT_RANGE,
	// FRA_DPORT_RANGE).
	SportRange, DportRange *RuleRange
	// SuppressPrefixLen refuses routing decisions with a prefix this
	// long or shorter (FRA_SUPPRESS_PREFIXLEN); nil for none.
	SuppressPrefixLen *uint32
	// SuppressIfgroup refuses routing decisions through links of this
	// group (FRA_SUPPRESS_IFGROUP); nil for none.
	SuppressIfgroup *uint32
	// TunID selects by tunnel ID (FRA_TUN_ID), 0 for none.
	TunID uint64
	// Protocol says who made the rule (FRA_PROTOCOL).
	Protocol Protocol

	// spare keeps storage across decodes into a reused value.
	spare ruleSpare
}

// ruleSpare is the storage a reused Rule keeps: the last interface names
// seen and the optional values' memory.
type ruleSpare struct {
	iif, oif           string
	uid, sport, dport  *RuleRange
	prefixLen, ifgroup *uint32
}

// RuleRange is a range of UIDs (struct fib_rule_uid_range) or ports
// (struct fib_rule_port_range), ends included.
type RuleRange struct {
	Start, End uint32
}

// String prints "start-end", or one number when both are equal.
func (r RuleRange) String() string {
	if r.Start == r.End {
		return strconv.FormatUint(uint64(r.Start), 10)
	}
	return strconv.FormatUint(uint64(r.Start), 10) + "-" + strconv.FormatUint(uint64(r.End), 10)
}

// ParseRuleRange reads "N" or "N-M".
func ParseRuleRange(s string) (RuleRange, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	x, err1 := strconv.ParseUint(a, 0, 32)
	y, err2 := strconv.ParseUint(b, 0, 32)
	if err1 != nil || err2 != nil || y < x {
		return RuleRange{}, fmt.Errorf("route: invalid range %q", s)
	}
	return RuleRange{Start: uint32(x), End: uint32(y)}, nil
}

// RuleAction is what a rule does (FR_ACT_*).
type RuleAction uint8

// The rule actions.
const (
	RuleUnspec      RuleAction = unix.FR_ACT_UNSPEC
	RuleToTable     RuleAction = unix.FR_ACT_TO_TBL
	RuleGoto        RuleAction = unix.FR_ACT_GOTO
	RuleNop         RuleAction = unix.FR_ACT_NOP
	RuleBlackhole   RuleAction = unix.FR_ACT_BLACKHOLE
	RuleUnreachable RuleAction = unix.FR_ACT_UNREACHABLE
	RuleProhibit    RuleAction = unix.FR_ACT_PROHIBIT
)

var ruleActionNames = map[RuleAction]string{
	RuleUnspec: "unspec", RuleToTable: "to_tbl", RuleGoto: "goto", RuleNop: "nop",
	RuleBlackhole: "blackhole", RuleUnreachable: "unreachable", RuleProhibit: "prohibit",
}

// String names the action as ip(8) does ("to_tbl", "goto", "nop",
// "blackhole", "unreachable", "prohibit").
func (a RuleAction) String() string {
	if s, ok := ruleActionNames[a]; ok {
		return s
	}
	return strconv.Itoa(int(a))
}

// MarshalText makes JSON show the name.
func (a RuleAction) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// ParseRuleAction reads an action name ("table"/"lookup" also mean
// to_tbl, "type" names as ip takes them) or a number.
func ParseRuleAction(s string) (RuleAction, error) {
	switch strings.ToLower(s) {
	case "table", "lookup":
		return RuleToTable, nil
	}
	return parseName(ruleActionNames, s, "rule action")
}

// Equal reports whether r and o are the same rule.
func (r *Rule) Equal(o *Rule) bool { return len(r.Diff(o)) == 0 }

func ruleRangeEq(a, b *RuleRange) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func ruleU32Eq(a, b *uint32) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// Diff names the fields that differ between r and o.
func (r *Rule) Diff(o *Rule) []string {
	var d roDiffer
	d.add("Family", r.Family != o.Family)
	d.add("Priority", r.Priority != o.Priority)
	d.add("Table", r.Table != o.Table)
	d.add("Action", r.Action != o.Action)
	d.add("Invert", r.Invert != o.Invert)
	d.add("Flags", r.Flags != o.Flags)
	d.add("Src", r.Src != o.Src)
	d.add("Dst", r.Dst != o.Dst)
	d.add("TOS", r.TOS != o.TOS)
	d.add("Fwmark", r.Fwmark != o.Fwmark)
	d.add("Fwmask", r.Fwmask != o.Fwmask)
	d.add("IIF", r.IIF != o.IIF)
	d.add("OIF", r.OIF != o.OIF)
	d.add("Goto", r.Goto != o.Goto)
	d.add("Flow", r.Flow != o.Flow)
	d.add("L3mdev", r.L3mdev != o.L3mdev)
	d.add("UIDRange", !ruleRangeEq(r.UIDRange, o.UIDRange))
	d.add("IPProto", r.IPProto != o.IPProto)
	d.add("SportRange", !ruleRangeEq(r.SportRange, o.SportRange))
	d.add("DportRange", !ruleRangeEq(r.DportRange, o.DportRange))
	d.add("SuppressPrefixLen", !ruleU32Eq(r.SuppressPrefixLen, o.SuppressPrefixLen))
	d.add("SuppressIfgroup", !ruleU32Eq(r.SuppressIfgroup, o.SuppressIfgroup))
	d.add("TunID", r.TunID != o.TunID)
	d.add("Protocol", r.Protocol != o.Protocol)
	return d
}

// ruleIPProtoNames are the protocol names ip(8) prints for ipproto.
var ruleIPProtoNames = map[uint8]string{
	unix.IPPROTO_ICMP: "icmp", unix.IPPROTO_TCP: "tcp", unix.IPPROTO_UDP: "udp",
	unix.IPPROTO_ICMPV6: "ipv6-icmp", unix.IPPROTO_SCTP: "sctp", unix.IPPROTO_GRE: "gre",
	unix.IPPROTO_ESP: "esp", unix.IPPROTO_AH: "ah", unix.IPPROTO_UDPLITE: "udplite",
	unix.IPPROTO_DCCP: "dccp",
}

// RuleIPProtoName names an IP protocol as ip(8) prints it ("tcp", "udp",
// ...) or gives its number.
func RuleIPProtoName(p uint8) string {
	if s, ok := ruleIPProtoNames[p]; ok {
		return s
	}
	return strconv.Itoa(int(p))
}

// ParseRuleIPProto reads an IP protocol name or number.
func ParseRuleIPProto(s string) (uint8, error) {
	for v, n := range ruleIPProtoNames {
		if strings.EqualFold(n, s) {
			return v, nil
		}
	}
	v, err := strconv.ParseUint(s, 0, 8)
	if err != nil {
		return 0, fmt.Errorf("route: invalid IP protocol %q", s)
	}
	return uint8(v), nil
}

// rulePrefixText is how ip(8) shows a selector prefix: "all" when unset,
// the address alone for a host prefix.
func rulePrefixText(p netip.Prefix) string {
	if !p.IsValid() || p.Bits() == 0 {
		return "all"
	}
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}

// String prints r on one line like `ip rule`:
// "1000: from 192.0.2.0/24 lookup 100".
func (r *Rule) String() string {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(uint64(r.Priority), 10) + ":")
	if r.Invert {
		b.WriteString(" not")
	}
	b.WriteString(" from " + rulePrefixText(r.Src))
	if r.Dst.IsValid() && r.Dst.Bits() > 0 {
		b.WriteString(" to " + rulePrefixText(r.Dst))
	}
	if r.TOS != 0 {
		b.WriteString(" tos 0x" + strconv.FormatUint(uint64(r.TOS), 16))
	}
	if r.Fwmark != 0 || r.Fwmask != 0 {
		b.WriteString(" fwmark 0x" + strconv.FormatUint(uint64(r.Fwmark), 16))
		if r.Fwmask != 0xffffffff {
			b.WriteString("/0x" + strconv.FormatUint(uint64(r.Fwmask), 16))
		}
	}
	if r.IIF != "" {
		b.WriteString(" iif " + r.IIF)
		if r.Flags&unix.FIB_RULE_IIF_DETACHED != 0 {
			b.WriteString(" [detached]")
		}
	}
	if r.OIF != "" {
		b.WriteString(" oif " + r.OIF)
		if r.Flags&unix.FIB_RULE_OIF_DETACHED != 0 {
			b.WriteString(" [detached]")
		}
	}
	if r.L3mdev {
		b.WriteString(" lookup [l3mdev-table]")
	}
	if r.UIDRange != nil {
		b.WriteString(" uidrange " + strconv.FormatUint(uint64(r.UIDRange.Start), 10) + "-" + strconv.FormatUint(uint64(r.UIDRange.End), 10))
	}
	if r.IPProto != 0 {
		b.WriteString(" ipproto " + RuleIPProtoName(r.IPProto))
	}
	if r.SportRange != nil {
		b.WriteString(" sport " + r.SportRange.String())
	}
	if r.DportRange != nil {
		b.WriteString(" dport " + r.DportRange.String())
	}
	if r.TunID != 0 {
		b.WriteString(" tun_id " + strconv.FormatUint(r.TunID, 10))
	}
	switch r.Action {
	case RuleToTable, RuleUnspec:
		if r.Table != 0 && !r.L3mdev {
			b.WriteString(" lookup " + TableName(r.Table))
		}
		if r.SuppressPrefixLen != nil {
			b.WriteString(" suppress_prefixlength " + strconv.FormatUint(uint64(*r.SuppressPrefixLen), 10))
		}
		if r.SuppressIfgroup != nil {
			b.WriteString(" suppress_ifgroup " + strconv.FormatUint(uint64(*r.SuppressIfgroup), 10))
		}
	case RuleGoto:
		b.WriteString(" goto " + strconv.FormatUint(uint64(r.Goto), 10))
		if r.Flags&unix.FIB_RULE_UNRESOLVED != 0 {
			b.WriteString(" [unresolved]")
		}
	case RuleNop:
		b.WriteString(" nop")
	default:
		b.WriteString(" " + r.Action.String())
	}
	if r.Flow != 0 {
		b.WriteString(" realms " + strconv.FormatUint(uint64(r.Flow), 10))
	}
	if r.Protocol != 0 {
		b.WriteString(" proto " + r.Protocol.String())
	}
	return b.String()
}

// ruleJSON is the JSON form, with the names of `ip -j rule`.
type ruleJSON struct {
	Family            Family          `json:"family"`
	Priority          uint32          `json:"priority"`
	Not               json.RawMessage `json:"not,omitempty"`
	Src               string          `json:"src"`
	SrcLen            int             `json:"srclen,omitempty"`
	Dst               string          `json:"dst,omitempty"`
	DstLen            int             `json:"dstlen,omitempty"`
	TOS               string          `json:"tos,omitempty"`
	Fwmark            string          `json:"fwmark,omitempty"`
	Fwmask            string          `json:"fwmask,omitempty"`
	IIF               string          `json:"iif,omitempty"`
	OIF               string          `json:"oif,omitempty"`
	L3mdev            json.RawMessage `json:"l3mdev,omitempty"`
	UIDStart          *uint32         `json:"uid_start,omitempty"`
	UIDEnd            *uint32         `json:"uid_end,omitempty"`
	IPProto           string          `json:"ipproto,omitempty"`
	Sport             *uint32         `json:"sport,omitempty"`
	SportStart        *uint32         `json:"sport_start,omitempty"`
	SportEnd          *uint32         `json:"sport_end,omitempty"`
	Dport             *uint32         `json:"dport,omitempty"`
	DportStart        *uint32         `json:"dport_start,omitempty"`
	DportEnd          *uint32         `json:"dport_end,omitempty"`
	TunID             uint64          `json:"tun_id,omitempty"`
	Table             string          `json:"table,omitempty"`
	SuppressPrefixLen *uint32         `json:"suppress_prefixlen,omitempty"`
	SuppressIfgroup   string          `json:"suppress_ifgroup,omitempty"`
	Goto              *uint32         `json:"goto,omitempty"`
	Nop               json.RawMessage `json:"nop,omitempty"`
	Action            string          `json:"action,omitempty"`
	Flow              uint32          `json:"flow,omitempty"`
	Protocol          *Protocol       `json:"protocol,omitempty"`
}

// ruleJSONLen is the prefix length ip(8) shows: none (0) for a host.
func ruleJSONLen(p netip.Prefix) int {
	if p.Bits() == p.Addr().BitLen() {
		return 0
	}
	return p.Bits()
}

// MarshalJSON prints the rule with the field names of `ip -j rule`
// (priority, not, src/srclen, dst/dstlen, fwmark/fwmask as hex strings,
// iif, oif, uid_start/uid_end, ipproto, ports as sport or
// sport_start/sport_end, table as a name, goto, action, ...).
func (r *Rule) MarshalJSON() ([]byte, error) {
	j := ruleJSON{Family: r.Family, Priority: r.Priority, Src: rulePrefixText(r.Src),
		IIF: r.IIF, OIF: r.OIF, TunID: r.TunID, Flow: r.Flow,
		SuppressPrefixLen: r.SuppressPrefixLen}
	if r.SuppressIfgroup != nil {
		j.SuppressIfgroup = strconv.FormatUint(uint64(*r.SuppressIfgroup), 10)
	}
	null := json.RawMessage("null")
	if r.Invert {
		j.Not = null
	}
	if j.Src != "all" {
		j.Src, j.SrcLen = r.Src.Addr().String(), ruleJSONLen(r.Src)
	}
	if r.Dst.IsValid() && r.Dst.Bits() > 0 {
		j.Dst, j.DstLen = r.Dst.Addr().String(), ruleJSONLen(r.Dst)
	}
	if r.TOS != 0 {
		j.TOS = "0x" + strconv.FormatUint(uint64(r.TOS), 16)
	}
	if r.Fwmark != 0 || r.Fwmask != 0 {
		j.Fwmark = "0x" + strconv.FormatUint(uint64(r.Fwmark), 16)
		if r.Fwmask != 0xffffffff {
			j.Fwmask = "0x" + strconv.FormatUint(uint64(r.Fwmask), 16)
		}
	}
	if r.L3mdev {
		j.L3mdev = null
	}
	if r.UIDRange != nil {
		j.UIDStart, j.UIDEnd = &r.UIDRange.Start, &r.UIDRange.End
	}
	if r.IPProto != 0 {
		j.IPProto = RuleIPProtoName(r.IPProto)
	}
	if r.SportRange != nil {
		if r.SportRange.Start == r.SportRange.End {
			j.Sport = &r.SportRange.Start
		} else {
			j.SportStart, j.SportEnd = &r.SportRange.Start, &r.SportRange.End
		}
	}
	if r.DportRange != nil {
		if r.DportRange.Start == r.DportRange.End {
			j.Dport = &r.DportRange.Start
		} else {
			j.DportStart, j.DportEnd = &r.DportRange.Start, &r.DportRange.End
		}
	}
	switch r.Action {
	case RuleToTable, RuleUnspec:
		if r.Table != 0 && !r.L3mdev {
			j.Table = TableName(r.Table)
		}
	case RuleGoto:
		g := r.Goto
		j.Goto = &g
	case RuleNop:
		j.Nop = null
	default:
		j.Action = r.Action.String()
	}
	if r.Protocol != 0 {
		p := r.Protocol
		j.Protocol = &p
	}
	return json.Marshal(&j)
}
