package route

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Addr is an interface address (RTM_NEWADDR, struct ifaddrmsg and the
// IFA_* attributes), IPv4 or IPv6.
//
// Prefix is the local address with its prefix length (IFA_LOCAL, or
// IFA_ADDRESS when the kernel sends no IFA_LOCAL, as it does for most IPv6
// addresses). Peer is the other end of a point-to-point address
// (IFA_ADDRESS when it differs from IFA_LOCAL; `ip addr add A peer P`).
type Addr struct {
	Family Family
	// Index is the interface index (ifa_index).
	Index int32
	// Prefix is the local address and its prefix length.
	Prefix netip.Prefix
	// Peer is the point-to-point peer address, when set.
	Peer netip.Addr
	// Broadcast (IFA_BROADCAST, IPv4) and Anycast (IFA_ANYCAST) addresses.
	Broadcast netip.Addr
	Anycast   netip.Addr
	// Multicast is IFA_MULTICAST, present in multicast address dumps.
	Multicast netip.Addr
	// Label is the IPv4 address label (IFA_LABEL, "eth0:1"); the kernel
	// reports the link name when none was set.
	Label string
	Scope Scope
	// Flags are the IFA_F_* flags: the 32-bit IFA_FLAGS attribute when
	// present, else the 8-bit ifa_flags field.
	Flags AddrFlags
	// ValidLifetime and PreferredLifetime come from IFA_CACHEINFO:
	// Forever for a permanent address. Zero in both means "not given": a
	// new address then lives forever. See Marshal.
	ValidLifetime     time.Duration
	PreferredLifetime time.Duration
	// Created and Updated are the IFA_CACHEINFO timestamps: time since
	// boot (kernel jiffies in hundredths of a second).
	Created, Updated time.Duration
	// Protocol is IFA_PROTO, who made the address (ip's "proto"):
	// kernel_lo, kernel_ra, kernel_ll or a user value; see AddrProtocolName.
	Protocol Protocol
	// Priority is IFA_RT_PRIORITY, the metric of the prefix route the
	// kernel adds with the address (ip's "metric").
	Priority uint32
}

// Forever is the lifetime of an address that does not expire (the
// kernel's 0xffffffff seconds).
const Forever time.Duration = math.MaxInt64

// addrForever is INFINITY_LIFE_TIME in struct ifa_cacheinfo.
const addrForever = 0xffffffff

// AddrFlags are the IFA_F_* address flags.
type AddrFlags uint32

// The address flags of linux/if_addr.h.
const (
	AddrSecondary      AddrFlags = unix.IFA_F_SECONDARY // IPv4 secondary; IPv6 temporary
	AddrNoDAD          AddrFlags = unix.IFA_F_NODAD
	AddrOptimistic     AddrFlags = unix.IFA_F_OPTIMISTIC
	AddrDADFailed      AddrFlags = unix.IFA_F_DADFAILED
	AddrHomeAddress    AddrFlags = unix.IFA_F_HOMEADDRESS
	AddrDeprecated     AddrFlags = unix.IFA_F_DEPRECATED
	AddrTentative      AddrFlags = unix.IFA_F_TENTATIVE
	AddrPermanent      AddrFlags = unix.IFA_F_PERMANENT
	AddrManageTempAddr AddrFlags = unix.IFA_F_MANAGETEMPADDR
	AddrNoPrefixRoute  AddrFlags = unix.IFA_F_NOPREFIXROUTE
	AddrMCAutoJoin     AddrFlags = unix.IFA_F_MCAUTOJOIN
	AddrStablePrivacy  AddrFlags = unix.IFA_F_STABLE_PRIVACY
)

// The IFA_PROTO values of linux/if_addr.h: who made an address.
const (
	AddrProtoUnspec   Protocol = 0
	AddrProtoKernelLo Protocol = 1 // loopback
	AddrProtoKernelRA Protocol = 2 // from a router advertisement
	AddrProtoKernelLL Protocol = 3 // link-local, made by the kernel
)

// addrAttrProto is IFA_PROTO (linux/if_addr.h, Linux 6.3), which
// x/sys/unix does not name yet.
const addrAttrProto = 11

// addrHeaderLen is sizeof(struct ifaddrmsg).
const addrHeaderLen = unix.SizeofIfAddrmsg

// Unmarshal decodes an address message's payload (struct ifaddrmsg and
// its attributes). Unknown attributes are ignored. It resets a first, so a
// reused Addr keeps nothing of the last message.
func (a *Addr) Unmarshal(data []byte) error {
	label := a.Label // reused when the next message has the same label: no allocation
	*a = Addr{}
	if len(data) < addrHeaderLen {
		return fmt.Errorf("route: address message too short (%d bytes, want %d)", len(data), addrHeaderLen)
	}
	a.Family = Family(data[0])
	prefixLen := int(data[1])
	a.Flags = AddrFlags(data[2])
	a.Scope = Scope(data[3])
	a.Index = int32(binary.NativeEndian.Uint32(data[4:8]))
	var local, address netip.Addr
	s := core.ScanAttrs(data[core.Align(addrHeaderLen):])
	for s.Next() {
		switch s.Type() {
		case unix.IFA_ADDRESS:
			address = s.Addr()
		case unix.IFA_LOCAL:
			local = s.Addr()
		case unix.IFA_LABEL:
			if b := s.Attr().StringBytes(); string(b) == label {
				a.Label = label
			} else {
				a.Label = string(b)
			}
		case unix.IFA_BROADCAST:
			a.Broadcast = s.Addr()
		case unix.IFA_ANYCAST:
			a.Anycast = s.Addr()
		case unix.IFA_MULTICAST:
			a.Multicast = s.Addr()
		case unix.IFA_FLAGS:
			a.Flags = AddrFlags(s.Uint32())
		case unix.IFA_CACHEINFO:
			b := s.Bytes()
			if len(b) < unix.SizeofIfaCacheinfo {
				s.Fail(&core.AttrError{Type: unix.IFA_CACHEINFO, Kind: "ifa_cacheinfo", Len: len(b), Want: unix.SizeofIfaCacheinfo})
				break
			}
			a.PreferredLifetime = addrLifetime(binary.NativeEndian.Uint32(b[0:]))
			a.ValidLifetime = addrLifetime(binary.NativeEndian.Uint32(b[4:]))
			a.Created = time.Duration(binary.NativeEndian.Uint32(b[8:])) * 10 * time.Millisecond
			a.Updated = time.Duration(binary.NativeEndian.Uint32(b[12:])) * 10 * time.Millisecond
		case unix.IFA_RT_PRIORITY:
			a.Priority = s.Uint32()
		case addrAttrProto:
			a.Protocol = Protocol(s.Uint8())
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("route: address: %w", err)
	}
	switch {
	case local.IsValid():
		if address.IsValid() && address != local {
			a.Peer = address
		}
	case address.IsValid():
		local = address
	default:
		return nil // no address (a malformed or foreign message): nothing more to read
	}
	if prefixLen > local.BitLen() {
		return fmt.Errorf("route: address %s with prefix length %d", local, prefixLen)
	}
	a.Prefix = netip.PrefixFrom(local, prefixLen)
	return nil
}

// addrLifetime reads a cacheinfo lifetime in seconds.
func addrLifetime(v uint32) time.Duration {
	if v == addrForever {
		return Forever
	}
	return time.Duration(v) * time.Second
}

// addrLifetimeSeconds writes a lifetime in seconds, rounded up, Forever
// (or anything past the kernel's range) as infinity.
func addrLifetimeSeconds(d time.Duration) uint32 {
	if d == Forever || d >= addrForever*time.Second {
		return addrForever
	}
	return uint32((d + time.Second - 1) / time.Second)
}

// errAddrNoPrefix is Marshal's complaint about an Addr without an address.
var errAddrNoPrefix = errors.New("route: address has no valid prefix")

// Marshal appends the address as a RTM_NEWADDR or RTM_DELADDR request
// carries it: struct ifaddrmsg, IFA_LOCAL (the Prefix's address),
// IFA_ADDRESS (the Peer, or the local address again), and the broadcast,
// anycast, label, flags, lifetimes, priority and protocol that are set.
//
// Family is taken from the Prefix when zero. Lifetimes are sent (as
// IFA_CACHEINFO) when either is set: a zero ValidLifetime is then refused,
// and a PreferredLifetime above the ValidLifetime too; 0 for
// PreferredLifetime makes the address deprecated at once. Flags above the
// low 8 bits go in IFA_FLAGS.
func (a *Addr) Marshal(b []byte) ([]byte, error) {
	if !a.Prefix.IsValid() {
		return b, errAddrNoPrefix
	}
	local := a.Prefix.Addr()
	fam := a.Family
	if fam == FamilyUnspec {
		fam = addrFamily(local)
	}
	if fam != addrFamily(local) {
		return b, fmt.Errorf("route: address %s is not of family %s", local, fam)
	}
	for _, o := range []struct {
		what string
		v    netip.Addr
	}{{"peer", a.Peer}, {"broadcast", a.Broadcast}, {"anycast", a.Anycast}, {"multicast", a.Multicast}} {
		if o.v.IsValid() && addrFamily(o.v) != fam {
			return b, fmt.Errorf("route: %s address %s is not of family %s", o.what, o.v, fam)
		}
	}
	if a.ValidLifetime != 0 || a.PreferredLifetime != 0 {
		if a.ValidLifetime <= 0 {
			return b, errors.New("route: address valid lifetime must be positive when lifetimes are given")
		}
		if a.PreferredLifetime < 0 || a.PreferredLifetime > a.ValidLifetime {
			return b, errors.New("route: address preferred lifetime must lie between 0 and the valid lifetime")
		}
	}
	if len(a.Label) >= unix.IFNAMSIZ {
		return b, fmt.Errorf("route: address label %q longer than %d bytes", a.Label, unix.IFNAMSIZ-1)
	}
	b = append(b, byte(fam), byte(a.Prefix.Bits()), byte(a.Flags), byte(a.Scope))
	b = binary.NativeEndian.AppendUint32(b, uint32(a.Index))
	b = addrAppendIP(b, unix.IFA_LOCAL, local)
	if a.Peer.IsValid() {
		b = addrAppendIP(b, unix.IFA_ADDRESS, a.Peer)
	} else {
		b = addrAppendIP(b, unix.IFA_ADDRESS, local)
	}
	if a.Broadcast.IsValid() {
		b = addrAppendIP(b, unix.IFA_BROADCAST, a.Broadcast)
	}
	if a.Anycast.IsValid() {
		b = addrAppendIP(b, unix.IFA_ANYCAST, a.Anycast)
	}
	if a.Multicast.IsValid() {
		b = addrAppendIP(b, unix.IFA_MULTICAST, a.Multicast)
	}
	if a.Label != "" {
		b = addrAppendAttr(b, unix.IFA_LABEL, append([]byte(a.Label), 0)...)
	}
	if a.Flags > 0xff {
		b = addrAppendAttr(b, unix.IFA_FLAGS, binary.NativeEndian.AppendUint32(nil, uint32(a.Flags))...)
	}
	if a.ValidLifetime != 0 || a.PreferredLifetime != 0 {
		var ci [unix.SizeofIfaCacheinfo]byte
		binary.NativeEndian.PutUint32(ci[0:], addrLifetimeSeconds(a.PreferredLifetime))
		binary.NativeEndian.PutUint32(ci[4:], addrLifetimeSeconds(a.ValidLifetime))
		b = addrAppendAttr(b, unix.IFA_CACHEINFO, ci[:]...)
	}
	if a.Priority != 0 {
		var v [4]byte
		binary.NativeEndian.PutUint32(v[:], a.Priority)
		b = addrAppendAttr(b, unix.IFA_RT_PRIORITY, v[:]...)
	}
	if a.Protocol != 0 {
		b = addrAppendAttr(b, addrAttrProto, byte(a.Protocol))
	}
	return b, nil
}

// addrAppendAttr appends one attribute (header, payload, padding) to b.
func addrAppendAttr(b []byte, typ uint16, payload ...byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(core.AttrHeaderLen+len(payload)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// addrAppendIP appends an address attribute: 4 bytes for IPv4, 16 for
// IPv6.
func addrAppendIP(b []byte, typ uint16, ip netip.Addr) []byte {
	if ip.Is4() {
		v := ip.As4()
		return addrAppendAttr(b, typ, v[:]...)
	}
	v := ip.As16()
	return addrAppendAttr(b, typ, v[:]...)
}

// addrFamily is the family of ip.
func addrFamily(ip netip.Addr) Family {
	if ip.Is4() {
		return FamilyInet
	}
	return FamilyInet6
}
