package ethtool

import (
	"fmt"
	"strings"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Port is the physical connector type (PORT_* in linux/ethtool.h).
type Port uint8

// Ports.
const (
	PortTP    Port = 0x00
	PortAUI   Port = 0x01
	PortMII   Port = 0x02
	PortFibre Port = 0x03
	PortBNC   Port = 0x04
	PortDA    Port = 0x05
	PortNone  Port = 0xef
	PortOther Port = 0xff
)

var portNames = map[Port]string{
	PortTP: "Twisted Pair", PortAUI: "AUI", PortMII: "MII", PortFibre: "FIBRE",
	PortBNC: "BNC", PortDA: "Direct Attach Copper", PortNone: "None", PortOther: "Other",
}

// String names the port as ethtool(8) does ("Twisted Pair").
func (p Port) String() string {
	if s, ok := portNames[p]; ok {
		return s
	}
	return fmt.Sprintf("Unknown! (%d)", uint8(p))
}

// MarshalText makes JSON show the name.
func (p Port) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Transceiver says where the PHY is (XCVR_* in linux/ethtool.h).
type Transceiver uint8

// Transceivers.
const (
	TransceiverInternal Transceiver = 0x00
	TransceiverExternal Transceiver = 0x01
)

// String is "internal", "external" or "Unknown!".
func (t Transceiver) String() string {
	switch t {
	case TransceiverInternal:
		return "internal"
	case TransceiverExternal:
		return "external"
	}
	return "Unknown!"
}

// MarshalText makes JSON show the name.
func (t Transceiver) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// MDIX is a twisted-pair MDI/MDI-X status or control (ETH_TP_MDI*).
type MDIX uint8

// MDI-X values: Invalid is "unknown" as a status and "unsupported" as a
// control; Auto is a control only.
const (
	MDIXInvalid MDIX = 0x00
	MDIXOff     MDIX = 0x01 // MDI
	MDIXOn      MDIX = 0x02 // MDI-X
	MDIXAuto    MDIX = 0x03
)

// String is "Unknown", "off", "on" or "auto", as ethtool(8) prints MDI-X.
func (m MDIX) String() string {
	switch m {
	case MDIXInvalid:
		return "Unknown"
	case MDIXOff:
		return "off"
	case MDIXOn:
		return "on"
	case MDIXAuto:
		return "auto"
	}
	return fmt.Sprintf("Unknown (%d)", uint8(m))
}

// MarshalText makes JSON show the name.
func (m MDIX) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// LinkInfo is what ETHTOOL_MSG_LINKINFO_GET says of a device: its port,
// PHY address, MDI-X state and transceiver.
type LinkInfo struct {
	// Dev is the device.
	Dev Device `json:"dev"`
	// Port is the connector.
	Port Port `json:"port"`
	// PHYAddr is the MDIO address of the PHY.
	PHYAddr uint8 `json:"phyad"`
	// TPMDIX is the MDI-X status, TPMDIXCtrl its control.
	TPMDIX     MDIX `json:"mdix"`
	TPMDIXCtrl MDIX `json:"mdix_ctrl"`
	// Transceiver says where the PHY is.
	Transceiver Transceiver `json:"transceiver"`
}

// Unmarshal decodes a LINKINFO message payload: genlmsghdr, then
// attributes.
func (l *LinkInfo) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return l.unmarshalAttrs(a)
}

func (l *LinkInfo) unmarshalAttrs(data []byte) error {
	*l = LinkInfo{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.ETHTOOL_A_LINKINFO_HEADER:
			s.Fail(l.Dev.unmarshalHeader(s.Bytes()))
		case unix.ETHTOOL_A_LINKINFO_PORT:
			l.Port = Port(s.Uint8())
		case unix.ETHTOOL_A_LINKINFO_PHYADDR:
			l.PHYAddr = s.Uint8()
		case unix.ETHTOOL_A_LINKINFO_TP_MDIX:
			l.TPMDIX = MDIX(s.Uint8())
		case unix.ETHTOOL_A_LINKINFO_TP_MDIX_CTRL:
			l.TPMDIXCtrl = MDIX(s.Uint8())
		case unix.ETHTOOL_A_LINKINFO_TRANSCEIVER:
			l.Transceiver = Transceiver(s.Uint8())
		}
	}
	return s.Err()
}

// Marshal appends a LINKINFO_SET request for l.Dev setting the port, the
// PHY address and the MDI-X control: what ethtool -s port/phyad/mdix
// sends. Most devices accept only some of them.
func (l *LinkInfo) Marshal(b []byte) ([]byte, error) {
	b = genlHeader(b, unix.ETHTOOL_MSG_LINKINFO_SET)
	var e core.AttrEncoder
	e.Raw(b)
	if err := appendHeader(&e, unix.ETHTOOL_A_LINKINFO_HEADER, l.Dev, 0); err != nil {
		return b, err
	}
	e.Uint8(unix.ETHTOOL_A_LINKINFO_PORT, uint8(l.Port))
	e.Uint8(unix.ETHTOOL_A_LINKINFO_PHYADDR, l.PHYAddr)
	e.Uint8(unix.ETHTOOL_A_LINKINFO_TP_MDIX_CTRL, uint8(l.TPMDIXCtrl))
	return e.Bytes(), nil
}

// Equal reports whether l and o are the same.
func (l *LinkInfo) Equal(o *LinkInfo) bool { return *l == *o }

// Diff names the fields that differ.
func (l *LinkInfo) Diff(o *LinkInfo) []string {
	var d diffs
	d.add("dev", l.Dev != o.Dev)
	d.add("port", l.Port != o.Port)
	d.add("phyad", l.PHYAddr != o.PHYAddr)
	d.add("mdix", l.TPMDIX != o.TPMDIX)
	d.add("mdix_ctrl", l.TPMDIXCtrl != o.TPMDIXCtrl)
	d.add("transceiver", l.Transceiver != o.Transceiver)
	return d
}

// String prints one line: "veth0 port Twisted Pair phyad 0 transceiver
// internal mdix Unknown".
func (l *LinkInfo) String() string {
	var s strings.Builder
	s.WriteString(l.Dev.String())
	fmt.Fprintf(&s, " port %s phyad %d transceiver %s mdix %s", l.Port, l.PHYAddr, l.Transceiver, l.TPMDIX)
	if l.TPMDIXCtrl == MDIXAuto {
		s.WriteString(" (auto)")
	}
	return s.String()
}
