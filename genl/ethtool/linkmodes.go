package ethtool

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// SpeedUnknown is the speed of a link whose speed is not known
// (SPEED_UNKNOWN).
const SpeedUnknown = 0xffffffff

// Duplex is a link's duplex (DUPLEX_* in linux/ethtool.h).
type Duplex uint8

// Duplex values.
const (
	DuplexHalf    Duplex = 0x00
	DuplexFull    Duplex = 0x01
	DuplexUnknown Duplex = 0xff
)

// String is "Half", "Full" or "Unknown!", as ethtool(8) prints it.
func (d Duplex) String() string {
	switch d {
	case DuplexHalf:
		return "Half"
	case DuplexFull:
		return "Full"
	}
	return "Unknown!"
}

// MarshalText makes JSON show the name.
func (d Duplex) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// LinkModes is what ETHTOOL_MSG_LINKMODES_GET says of a device: speed,
// duplex, autonegotiation, lanes, and the link modes it supports,
// advertises, and hears its peer advertise.
type LinkModes struct {
	// Dev is the device.
	Dev Device `json:"dev"`
	// Autoneg is whether autonegotiation is on.
	Autoneg bool `json:"autoneg"`
	// Speed is in Mb/s, SpeedUnknown when not known.
	Speed uint32 `json:"speed"`
	// Duplex is the duplex.
	Duplex Duplex `json:"duplex"`
	// Lanes is the number of lanes, 0 when not reported.
	Lanes uint32 `json:"lanes,omitempty"`
	// MasterSlaveCfg and MasterSlaveState are the MASTER_SLAVE_CFG_* and
	// MASTER_SLAVE_STATE_* values (0: unsupported).
	MasterSlaveCfg   uint8 `json:"master_slave_cfg,omitempty"`
	MasterSlaveState uint8 `json:"master_slave_state,omitempty"`
	// RateMatching is the RATE_MATCH_* value.
	RateMatching uint8 `json:"rate_matching,omitempty"`
	// Ours holds the device's link modes: Mask the supported ones, Value
	// the advertised ones (names from string set ETH_SS_LINK_MODES).
	Ours Bitset `json:"-"`
	// Peer holds the modes the link partner advertises (no mask).
	Peer Bitset `json:"-"`
}

// Supported names the link modes the device supports.
func (m *LinkModes) Supported() []string {
	if m.Ours.Mask == nil {
		return m.Ours.SetNames()
	}
	return m.Ours.MaskNames()
}

// Advertised names the link modes the device advertises.
func (m *LinkModes) Advertised() []string { return m.Ours.SetNames() }

// PeerAdvertised names the link modes the link partner advertises.
func (m *LinkModes) PeerAdvertised() []string { return m.Peer.SetNames() }

// Unmarshal decodes a LINKMODES message payload: genlmsghdr, then
// attributes.
func (m *LinkModes) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return m.unmarshalAttrs(a)
}

func (m *LinkModes) unmarshalAttrs(data []byte) error {
	ours, peer := m.Ours, m.Peer
	*m = LinkModes{Speed: SpeedUnknown, Duplex: DuplexUnknown, Ours: ours, Peer: peer}
	m.Ours.Reset()
	m.Peer.Reset()
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.ETHTOOL_A_LINKMODES_HEADER:
			s.Fail(m.Dev.unmarshalHeader(s.Bytes()))
		case unix.ETHTOOL_A_LINKMODES_AUTONEG:
			m.Autoneg = s.Uint8() != 0
		case unix.ETHTOOL_A_LINKMODES_OURS:
			s.Fail(m.Ours.Unmarshal(s.Bytes()))
		case unix.ETHTOOL_A_LINKMODES_PEER:
			s.Fail(m.Peer.Unmarshal(s.Bytes()))
		case unix.ETHTOOL_A_LINKMODES_SPEED:
			m.Speed = s.Uint32()
		case unix.ETHTOOL_A_LINKMODES_DUPLEX:
			m.Duplex = Duplex(s.Uint8())
		case unix.ETHTOOL_A_LINKMODES_MASTER_SLAVE_CFG:
			m.MasterSlaveCfg = s.Uint8()
		case unix.ETHTOOL_A_LINKMODES_MASTER_SLAVE_STATE:
			m.MasterSlaveState = s.Uint8()
		case unix.ETHTOOL_A_LINKMODES_LANES:
			m.Lanes = s.Uint32()
		case unix.ETHTOOL_A_LINKMODES_RATE_MATCHING:
			m.RateMatching = s.Uint8()
		}
	}
	return s.Err()
}

// Marshal appends a LINKMODES_SET request for m.Dev: autonegotiation,
// and either the advertised modes (with autonegotiation on, when Ours has
// bits) or the speed and duplex (with it off), as ethtool -s sends them.
func (m *LinkModes) Marshal(b []byte) ([]byte, error) {
	b = genlHeader(b, unix.ETHTOOL_MSG_LINKMODES_SET)
	var e core.AttrEncoder
	e.Raw(b)
	if err := appendHeader(&e, unix.ETHTOOL_A_LINKMODES_HEADER, m.Dev, 0); err != nil {
		return b, err
	}
	var an uint8
	if m.Autoneg {
		an = 1
	}
	e.Uint8(unix.ETHTOOL_A_LINKMODES_AUTONEG, an)
	if m.Autoneg && m.Ours.Size > 0 {
		if err := m.Ours.AppendCompact(&e, unix.ETHTOOL_A_LINKMODES_OURS); err != nil {
			return b, err
		}
	}
	if !m.Autoneg {
		if m.Speed != SpeedUnknown && m.Speed != 0 {
			e.Uint32(unix.ETHTOOL_A_LINKMODES_SPEED, m.Speed)
		}
		if m.Duplex != DuplexUnknown {
			e.Uint8(unix.ETHTOOL_A_LINKMODES_DUPLEX, uint8(m.Duplex))
		}
	}
	if m.Lanes != 0 {
		e.Uint32(unix.ETHTOOL_A_LINKMODES_LANES, m.Lanes)
	}
	return e.Bytes(), nil
}

// Equal reports whether m and o are the same.
func (m *LinkModes) Equal(o *LinkModes) bool { return len(m.Diff(o)) == 0 }

// Diff names the fields that differ.
func (m *LinkModes) Diff(o *LinkModes) []string {
	var d diffs
	d.add("dev", m.Dev != o.Dev)
	d.add("autoneg", m.Autoneg != o.Autoneg)
	d.add("speed", m.Speed != o.Speed)
	d.add("duplex", m.Duplex != o.Duplex)
	d.add("lanes", m.Lanes != o.Lanes)
	d.add("master_slave_cfg", m.MasterSlaveCfg != o.MasterSlaveCfg)
	d.add("master_slave_state", m.MasterSlaveState != o.MasterSlaveState)
	d.add("rate_matching", m.RateMatching != o.RateMatching)
	d.add("supported", !slices.Equal(m.Supported(), o.Supported()))
	d.add("advertised", !slices.Equal(m.Advertised(), o.Advertised()))
	d.add("peer_advertised", !slices.Equal(m.PeerAdvertised(), o.PeerAdvertised()))
	return d
}

// SpeedString prints the speed as ethtool(8) does: "10000Mb/s" or
// "Unknown!".
func (m *LinkModes) SpeedString() string {
	if m.Speed == SpeedUnknown || m.Speed == 0 {
		return "Unknown!"
	}
	return itoa(uint64(m.Speed)) + "Mb/s"
}

// String prints one line: "veth0 speed 10000Mb/s duplex Full autoneg off".
func (m *LinkModes) String() string {
	var s strings.Builder
	an := "off"
	if m.Autoneg {
		an = "on"
	}
	fmt.Fprintf(&s, "%s speed %s duplex %s autoneg %s", m.Dev, m.SpeedString(), m.Duplex, an)
	if m.Lanes != 0 {
		fmt.Fprintf(&s, " lanes %d", m.Lanes)
	}
	if sup := m.Supported(); len(sup) > 0 {
		s.WriteString(" supported " + strings.Join(sup, ","))
	}
	if adv := m.Advertised(); len(adv) > 0 {
		s.WriteString(" advertised " + strings.Join(adv, ","))
	}
	if peer := m.PeerAdvertised(); len(peer) > 0 {
		s.WriteString(" peer " + strings.Join(peer, ","))
	}
	return s.String()
}

// MarshalJSON adds the link modes by name to the fields.
func (m *LinkModes) MarshalJSON() ([]byte, error) {
	type plain LinkModes
	return jsonMarshal(struct {
		*plain
		Speed          any      `json:"speed"`
		Supported      []string `json:"supported_link_modes"`
		Advertised     []string `json:"advertised_link_modes"`
		PeerAdvertised []string `json:"link_partner_advertised_link_modes"`
	}{(*plain)(m), speedJSON(m.Speed), nonNil(m.Supported()), nonNil(m.Advertised()), nonNil(m.PeerAdvertised())})
}

func speedJSON(v uint32) any {
	if v == SpeedUnknown {
		return nil
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
