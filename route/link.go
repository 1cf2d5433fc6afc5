package route

import (
	"math/bits"
	"net"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Link is a network interface as RTM_NEWLINK carries it: the ifinfomsg
// header, the IFLA_* attributes, and the kind-specific data of
// IFLA_LINKINFO.
//
// Fields the kernel did not send stay zero; the Has* fields tell a zero
// value from a missing one where both mean something. JSON field names
// follow `ip -j -d link show`; master and link (the parent) are interface
// indexes here, where ip prints names.
type Link struct {
	// Family is ifi_family: AF_UNSPEC for ordinary links, AF_BRIDGE for
	// bridge port messages.
	Family Family `json:"-"`
	// Type is the ARPHRD_* hardware type (ifi_type).
	Type HardwareType `json:"link_type"`
	// Index is the interface index (ifi_index); 0 in a request lets the
	// kernel choose.
	Index int32 `json:"ifindex"`
	// Flags are the IFF_* flags (ifi_flags).
	Flags LinkFlags `json:"flags"`
	// Change is the mask of Flags a request changes (ifi_change). It is
	// not part of a link's state: Equal and Diff ignore it.
	Change LinkFlags `json:"-"`

	// Name is IFLA_IFNAME.
	Name string `json:"ifname"`
	// MTU, MinMTU and MaxMTU are IFLA_MTU, IFLA_MIN_MTU, IFLA_MAX_MTU.
	MTU    uint32 `json:"mtu"`
	MinMTU uint32 `json:"min_mtu"`
	MaxMTU uint32 `json:"max_mtu"`
	// Qdisc is IFLA_QDISC, the root queueing discipline's kind.
	Qdisc string `json:"qdisc,omitempty"`
	// OperState is IFLA_OPERSTATE (RFC 2863).
	OperState OperState `json:"operstate"`
	// LinkMode is IFLA_LINKMODE.
	LinkMode LinkMode `json:"linkmode"`
	// Group is IFLA_GROUP.
	Group uint32 `json:"group"`
	// TxQLen is IFLA_TXQLEN.
	TxQLen uint32 `json:"txqlen"`
	// Address and Broadcast are IFLA_ADDRESS and IFLA_BROADCAST.
	Address   net.HardwareAddr `json:"address,omitempty"`
	Broadcast net.HardwareAddr `json:"broadcast,omitempty"`
	// PermAddress is IFLA_PERM_ADDRESS, the address the hardware came
	// with (read only).
	PermAddress net.HardwareAddr `json:"permaddr,omitempty"`
	// Master is IFLA_MASTER, the index of the bridge, bond or VRF the link
	// is enslaved to; 0 for none.
	Master uint32 `json:"master,omitempty"`
	// ParentIndex is IFLA_LINK: the lower device (a veth's peer, a
	// macvlan's or vxlan's parent), possibly in the namespace LinkNetNSID
	// names.
	ParentIndex int32 `json:"link,omitempty"`
	// LinkNetNSID is IFLA_LINK_NETNSID, the namespace ID of the peer or
	// parent, when HasLinkNetNSID.
	LinkNetNSID    int32 `json:"link_netnsid,omitempty"`
	HasLinkNetNSID bool  `json:"-"`
	// Alias is IFLA_IFALIAS.
	Alias string `json:"ifalias,omitempty"`
	// AltNames are the IFLA_ALT_IFNAME names inside IFLA_PROP_LIST.
	AltNames []string `json:"altnames,omitempty"`
	// Carrier is IFLA_CARRIER; CarrierChanges, CarrierUpCount and
	// CarrierDownCount count its transitions.
	Carrier          bool   `json:"carrier"`
	CarrierChanges   uint32 `json:"carrier_changes"`
	CarrierUpCount   uint32 `json:"carrier_up_count"`
	CarrierDownCount uint32 `json:"carrier_down_count"`
	// Promiscuity and AllMulti count promiscuous and all-multicast users.
	Promiscuity uint32 `json:"promiscuity"`
	AllMulti    uint32 `json:"allmulti"`
	// The GSO, GRO and TSO limits (IFLA_GSO_MAX_SIZE, ...).
	GSOMaxSize     uint32 `json:"gso_max_size"`
	GSOMaxSegs     uint32 `json:"gso_max_segs"`
	GSOIPv4MaxSize uint32 `json:"gso_ipv4_max_size,omitempty"`
	GROMaxSize     uint32 `json:"gro_max_size"`
	GROIPv4MaxSize uint32 `json:"gro_ipv4_max_size,omitempty"`
	TSOMaxSize     uint32 `json:"tso_max_size"`
	TSOMaxSegs     uint32 `json:"tso_max_segs"`
	// NumTxQueues and NumRxQueues are IFLA_NUM_TX_QUEUES and
	// IFLA_NUM_RX_QUEUES.
	NumTxQueues uint32 `json:"num_tx_queues"`
	NumRxQueues uint32 `json:"num_rx_queues"`
	// ProtoDown is IFLA_PROTO_DOWN; ProtoDownReason the reason bits.
	ProtoDown       bool   `json:"proto_down,omitempty"`
	ProtoDownReason uint32 `json:"proto_down_reason,omitempty"`
	// ParentDevName and ParentDevBus name the device behind the link
	// (IFLA_PARENT_DEV_NAME, IFLA_PARENT_DEV_BUS_NAME).
	ParentDevName string `json:"parentdev,omitempty"`
	ParentDevBus  string `json:"parentbus,omitempty"`

	// Stats are the 64-bit counters of IFLA_STATS64; nil when the kernel
	// did not send them.
	Stats *LinkStats `json:"-"`
	// XDP is what IFLA_XDP reports about an attached XDP program; nil
	// when none is attached (or the kernel did not say).
	XDP *LinkXDP `json:"-"`
	// Inet and Inet6 are the per-family data of IFLA_AF_SPEC; nil when
	// the kernel sent none for the family. Inet6 in a request carries the
	// address generation mode and token to set.
	Inet  *LinkInet  `json:"-"`
	Inet6 *LinkInet6 `json:"-"`

	// NumVF is IFLA_NUM_VF; VFs is IFLA_VFINFO_LIST, which the kernel
	// sends only when asked (LinkFilter.VF).
	NumVF uint32   `json:"num_vf,omitempty"`
	VFs   []LinkVF `json:"vfinfo_list,omitempty"`

	// Info is the kind and its IFLA_INFO_DATA (a *VethInfo, *BridgeInfo,
	// ..., or *RawLinkInfo for a kind no registry knows); nil for a link
	// without IFLA_LINKINFO.
	Info LinkInfo `json:"-"`
	// SlaveInfo is IFLA_INFO_SLAVE_KIND and IFLA_INFO_SLAVE_DATA: the
	// port's data for its master (a *BridgePortInfo, ...).
	SlaveInfo LinkInfo `json:"-"`

	// NetNSFD and NetNSPID move the link to another namespace in a
	// request (IFLA_NET_NS_FD, IFLA_NET_NS_PID); set one, with its Has
	// field. The kernel never reports them.
	NetNSFD     int32 `json:"-"`
	HasNetNSFD  bool  `json:"-"`
	NetNSPID    int32 `json:"-"`
	HasNetNSPID bool  `json:"-"`
	// HasMaster says a request carries IFLA_MASTER even when Master is 0
	// (0 releases the link from its master: nomaster).
	HasMaster bool `json:"-"`

	// decoded remembers the Info values the last decode made, and with
	// which registry, so the next decode into l may reuse them (nil: none,
	// as for the values of a list).
	decoded *linkDecoded
}

// linkDecoded is what a decode made: reused by the next one only when
// the Info fields still hold them and the registry is the same.
type linkDecoded struct {
	info, slave LinkInfo
	kinds       *Kinds
}

// Kind is the link kind (IFLA_INFO_KIND: "veth", "bridge", ...), or "".
func (l *Link) Kind() string {
	if l.Info == nil {
		return ""
	}
	return l.Info.Kind()
}

// LinkFlags are the IFF_* interface flags. The low bits match net.Flags'
// meaning but not its values: use Net for a net.Flags.
type LinkFlags uint32

// The interface flags (IFF_*).
const (
	LinkUp         LinkFlags = unix.IFF_UP
	LinkBroadcast  LinkFlags = unix.IFF_BROADCAST
	LinkDebug      LinkFlags = unix.IFF_DEBUG
	LinkLoopback   LinkFlags = unix.IFF_LOOPBACK
	LinkPointToPt  LinkFlags = unix.IFF_POINTOPOINT
	LinkNoTrailers LinkFlags = unix.IFF_NOTRAILERS
	LinkRunning    LinkFlags = unix.IFF_RUNNING
	LinkNoARP      LinkFlags = unix.IFF_NOARP
	LinkPromisc    LinkFlags = unix.IFF_PROMISC
	LinkAllMulti   LinkFlags = unix.IFF_ALLMULTI
	LinkMasterFlag LinkFlags = unix.IFF_MASTER
	LinkSlave      LinkFlags = unix.IFF_SLAVE
	LinkMulticast  LinkFlags = unix.IFF_MULTICAST
	LinkPortSel    LinkFlags = unix.IFF_PORTSEL
	LinkAutoMedia  LinkFlags = unix.IFF_AUTOMEDIA
	LinkDynamic    LinkFlags = unix.IFF_DYNAMIC
	LinkLowerUp    LinkFlags = unix.IFF_LOWER_UP
	LinkDormant    LinkFlags = unix.IFF_DORMANT
	LinkEcho       LinkFlags = unix.IFF_ECHO
	linkFlagsKnown           = 1<<19 - 1
)

// linkFlagNames are the flag names in bit order.
var linkFlagNames = [...]string{
	"UP", "BROADCAST", "DEBUG", "LOOPBACK", "POINTOPOINT", "NOTRAILERS",
	"RUNNING", "NOARP", "PROMISC", "ALLMULTI", "MASTER", "SLAVE",
	"MULTICAST", "PORTSEL", "AUTOMEDIA", "DYNAMIC", "LOWER_UP", "DORMANT",
	"ECHO",
}

// linkFlagOrder is the order ip(8) prints the flags in (not bit order),
// with RUNNING, which ip leaves out, last.
var linkFlagOrder = [...]LinkFlags{
	LinkLoopback, LinkBroadcast, LinkPointToPt, LinkMulticast, LinkNoARP,
	LinkAllMulti, LinkPromisc, LinkNoTrailers, LinkDebug, LinkDynamic,
	LinkAutoMedia, LinkPortSel, LinkMasterFlag, LinkSlave, LinkUp,
	LinkLowerUp, LinkDormant, LinkEcho, LinkRunning,
}

// Names lists the set flags by name, in ip(8)'s order ("BROADCAST",
// "MULTICAST", "UP", "LOWER_UP"). ip prints RUNNING only as LOWER_UP's
// companion; here every set bit is named, RUNNING last.
func (f LinkFlags) Names() []string {
	var out []string
	for _, b := range linkFlagOrder {
		if f&b != 0 {
			out = append(out, linkFlagNames[bits.TrailingZeros32(uint32(b))])
		}
	}
	if rest := f &^ linkFlagsKnown; rest != 0 {
		out = append(out, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return out
}

// String prints the flags as ip(8) does: "BROADCAST,MULTICAST,UP,LOWER_UP"
// (without the angle brackets).
func (f LinkFlags) String() string { return strings.Join(f.Names(), ",") }

// MarshalJSON prints the names as a list, like `ip -j`.
func (f LinkFlags) MarshalJSON() ([]byte, error) {
	b := []byte{'['}
	for i, n := range f.Names() {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, n)
	}
	return append(b, ']'), nil
}

// ParseLinkFlag reads one flag name ("up", "PROMISC", ...).
func ParseLinkFlag(s string) (LinkFlags, bool) {
	for i, n := range linkFlagNames {
		if strings.EqualFold(n, s) {
			return 1 << i, true
		}
	}
	return 0, false
}

// Net converts the flags to the standard library's net.Flags.
func (f LinkFlags) Net() net.Flags {
	var n net.Flags
	if f&LinkUp != 0 {
		n |= net.FlagUp
	}
	if f&LinkBroadcast != 0 {
		n |= net.FlagBroadcast
	}
	if f&LinkLoopback != 0 {
		n |= net.FlagLoopback
	}
	if f&LinkPointToPt != 0 {
		n |= net.FlagPointToPoint
	}
	if f&LinkMulticast != 0 {
		n |= net.FlagMulticast
	}
	if f&LinkRunning != 0 {
		n |= net.FlagRunning
	}
	return n
}

// OperState is the RFC 2863 operational state (IF_OPER_*).
type OperState uint8

// The operational states.
const (
	OperUnknown        OperState = 0
	OperNotPresent     OperState = 1
	OperDown           OperState = 2
	OperLowerLayerDown OperState = 3
	OperTesting        OperState = 4
	OperDormant        OperState = 5
	OperUp             OperState = 6
)

var operStateNames = [...]string{"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"}

// String names the state as ip(8) does ("UP", "DOWN", "UNKNOWN", ...).
func (s OperState) String() string {
	if int(s) < len(operStateNames) {
		return operStateNames[s]
	}
	return strconv.Itoa(int(s))
}

// MarshalText makes JSON show the name.
func (s OperState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LinkMode is IFLA_LINKMODE: 0 default, 1 dormant.
type LinkMode uint8

// String names the mode as ip(8) does.
func (m LinkMode) String() string {
	switch m {
	case 0:
		return "DEFAULT"
	case 1:
		return "DORMANT"
	}
	return strconv.Itoa(int(m))
}

// MarshalText makes JSON show the name.
func (m LinkMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }
