package route

import (
	"net/netip"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// BondInfo is the data of a bonding master (IFLA_BOND_*), the main
// options. Optional fields are pointers (nil: not sent, not reported).
type BondInfo struct {
	// Mode is BOND_MODE_*: 0 balance-rr, 1 active-backup, 2 balance-xor,
	// 3 broadcast, 4 802.3ad, 5 balance-tlb, 6 balance-alb.
	Mode            *uint8
	ActiveSlave     *uint32
	MIIMon          *uint32
	UpDelay         *uint32
	DownDelay       *uint32
	UseCarrier      *bool
	ARPInterval     *uint32
	ARPIPTargets    []netip.Addr
	ARPValidate     *uint32
	ARPAllTargets   *uint32
	Primary         *uint32
	PrimaryReselect *uint8
	FailOverMAC     *uint8
	XmitHashPolicy  *uint8
	ResendIGMP      *uint32
	NumPeerNotif    *uint8
	AllSlavesActive *bool
	MinLinks        *uint32
	LPInterval      *uint32
	PacketsPerSlave *uint32
	ADLACPRate      *uint8
	ADSelect        *uint8
	TLBDynamicLB    *bool
}

// Kind returns "bond".
func (*BondInfo) Kind() string { return "bond" }

// EncodeInfo writes the IFLA_BOND_* attributes that are set.
func (b *BondInfo) EncodeInfo(e *core.AttrEncoder) error {
	kindPutU8(e, unix.IFLA_BOND_MODE, b.Mode)
	kindPutU32(e, unix.IFLA_BOND_ACTIVE_SLAVE, b.ActiveSlave)
	kindPutU32(e, unix.IFLA_BOND_MIIMON, b.MIIMon)
	kindPutU32(e, unix.IFLA_BOND_UPDELAY, b.UpDelay)
	kindPutU32(e, unix.IFLA_BOND_DOWNDELAY, b.DownDelay)
	kindPutBool(e, unix.IFLA_BOND_USE_CARRIER, b.UseCarrier)
	kindPutU32(e, unix.IFLA_BOND_ARP_INTERVAL, b.ARPInterval)
	if len(b.ARPIPTargets) > 0 {
		n := e.NestStart(unix.IFLA_BOND_ARP_IP_TARGET)
		for i, a := range b.ARPIPTargets {
			e.Addr(uint16(i), a)
		}
		if err := e.NestEnd(n); err != nil {
			return err
		}
	}
	kindPutU32(e, unix.IFLA_BOND_ARP_VALIDATE, b.ARPValidate)
	kindPutU32(e, unix.IFLA_BOND_ARP_ALL_TARGETS, b.ARPAllTargets)
	kindPutU32(e, unix.IFLA_BOND_PRIMARY, b.Primary)
	kindPutU8(e, unix.IFLA_BOND_PRIMARY_RESELECT, b.PrimaryReselect)
	kindPutU8(e, unix.IFLA_BOND_FAIL_OVER_MAC, b.FailOverMAC)
	kindPutU8(e, unix.IFLA_BOND_XMIT_HASH_POLICY, b.XmitHashPolicy)
	kindPutU32(e, unix.IFLA_BOND_RESEND_IGMP, b.ResendIGMP)
	kindPutU8(e, unix.IFLA_BOND_NUM_PEER_NOTIF, b.NumPeerNotif)
	kindPutBool(e, unix.IFLA_BOND_ALL_SLAVES_ACTIVE, b.AllSlavesActive)
	kindPutU32(e, unix.IFLA_BOND_MIN_LINKS, b.MinLinks)
	kindPutU32(e, unix.IFLA_BOND_LP_INTERVAL, b.LPInterval)
	kindPutU32(e, unix.IFLA_BOND_PACKETS_PER_SLAVE, b.PacketsPerSlave)
	kindPutU8(e, unix.IFLA_BOND_AD_LACP_RATE, b.ADLACPRate)
	kindPutU8(e, unix.IFLA_BOND_AD_SELECT, b.ADSelect)
	kindPutBool(e, unix.IFLA_BOND_TLB_DYNAMIC_LB, b.TLBDynamicLB)
	return nil
}

// DecodeInfo reads IFLA_BOND_* attributes.
func (b *BondInfo) DecodeInfo(data []byte) error {
	*b = BondInfo{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_BOND_MODE:
			b.Mode = kindU8(&s)
		case unix.IFLA_BOND_ACTIVE_SLAVE:
			b.ActiveSlave = kindU32(&s)
		case unix.IFLA_BOND_MIIMON:
			b.MIIMon = kindU32(&s)
		case unix.IFLA_BOND_UPDELAY:
			b.UpDelay = kindU32(&s)
		case unix.IFLA_BOND_DOWNDELAY:
			b.DownDelay = kindU32(&s)
		case unix.IFLA_BOND_USE_CARRIER:
			b.UseCarrier = kindBool(&s)
		case unix.IFLA_BOND_ARP_INTERVAL:
			b.ARPInterval = kindU32(&s)
		case unix.IFLA_BOND_ARP_IP_TARGET:
			n := s.Nested()
			for n.Next() {
				b.ARPIPTargets = append(b.ARPIPTargets, n.Addr())
			}
			s.Fail(n.Err())
		case unix.IFLA_BOND_ARP_VALIDATE:
			b.ARPValidate = kindU32(&s)
		case unix.IFLA_BOND_ARP_ALL_TARGETS:
			b.ARPAllTargets = kindU32(&s)
		case unix.IFLA_BOND_PRIMARY:
			b.Primary = kindU32(&s)
		case unix.IFLA_BOND_PRIMARY_RESELECT:
			b.PrimaryReselect = kindU8(&s)
		case unix.IFLA_BOND_FAIL_OVER_MAC:
			b.FailOverMAC = kindU8(&s)
		case unix.IFLA_BOND_XMIT_HASH_POLICY:
			b.XmitHashPolicy = kindU8(&s)
		case unix.IFLA_BOND_RESEND_IGMP:
			b.ResendIGMP = kindU32(&s)
		case unix.IFLA_BOND_NUM_PEER_NOTIF:
			b.NumPeerNotif = kindU8(&s)
		case unix.IFLA_BOND_ALL_SLAVES_ACTIVE:
			b.AllSlavesActive = kindBool(&s)
		case unix.IFLA_BOND_MIN_LINKS:
			b.MinLinks = kindU32(&s)
		case unix.IFLA_BOND_LP_INTERVAL:
			b.LPInterval = kindU32(&s)
		case unix.IFLA_BOND_PACKETS_PER_SLAVE:
			b.PacketsPerSlave = kindU32(&s)
		case unix.IFLA_BOND_AD_LACP_RATE:
			b.ADLACPRate = kindU8(&s)
		case unix.IFLA_BOND_AD_SELECT:
			b.ADSelect = kindU8(&s)
		case unix.IFLA_BOND_TLB_DYNAMIC_LB:
			b.TLBDynamicLB = kindBool(&s)
		}
	}
	return s.Err()
}
