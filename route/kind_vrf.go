package route

import (
	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// VrfInfo is the data of a VRF device (IFLA_VRF_TABLE).
type VrfInfo struct {
	// Table is the routing table the VRF uses.
	Table uint32 `json:"table"`
}

// Kind returns "vrf".
func (*VrfInfo) Kind() string { return "vrf" }

// EncodeInfo writes IFLA_VRF_TABLE.
func (v *VrfInfo) EncodeInfo(e *core.AttrEncoder) error {
	e.Uint32(unix.IFLA_VRF_TABLE, v.Table)
	return nil
}

// DecodeInfo reads IFLA_VRF_TABLE.
func (v *VrfInfo) DecodeInfo(data []byte) error {
	*v = VrfInfo{}
	s := core.ScanAttrs(data)
	for s.Next() {
		if s.Type() == unix.IFLA_VRF_TABLE {
			v.Table = s.Uint32()
		}
	}
	return s.Err()
}

// MacsecInfo is the data of a MACsec link (IFLA_MACSEC_*). Optional
// fields are pointers (nil: not sent, not reported).
type MacsecInfo struct {
	// SCI is the secure channel identifier, as the kernel's u64 holds it
	// (the wire bytes of the big-endian sci_t, read in host order).
	SCI *uint64 `json:"sci,omitempty"`
	// Port makes the SCI from the device address and this port (sent
	// big-endian).
	Port          uint16  `json:"port,omitempty"`
	ICVLen        *uint8  `json:"icv_len,omitempty"`
	CipherSuite   *uint64 `json:"cipher_suite,omitempty"`
	Window        *uint32 `json:"window,omitempty"`
	EncodingSA    *uint8  `json:"encoding_sa,omitempty"`
	Encrypt       *bool   `json:"encrypt,omitempty"`
	Protect       *bool   `json:"protect,omitempty"`
	IncSCI        *bool   `json:"inc_sci,omitempty"`
	ES            *bool   `json:"es,omitempty"`
	SCB           *bool   `json:"scb,omitempty"`
	ReplayProtect *bool   `json:"replay_protect,omitempty"`
	// Validation is MACSEC_VALIDATE_*: 0 disabled, 1 check, 2 strict.
	Validation *uint8 `json:"validation,omitempty"`
	Offload    *uint8 `json:"offload,omitempty"`
}

// Kind returns "macsec".
func (*MacsecInfo) Kind() string { return "macsec" }

// EncodeInfo writes the IFLA_MACSEC_* attributes that are set.
func (m *MacsecInfo) EncodeInfo(e *core.AttrEncoder) error {
	kindPutU64(e, unix.IFLA_MACSEC_SCI, m.SCI)
	if m.Port != 0 {
		kindPutBE16(e, unix.IFLA_MACSEC_PORT, m.Port)
	}
	kindPutU8(e, unix.IFLA_MACSEC_ICV_LEN, m.ICVLen)
	kindPutU64(e, unix.IFLA_MACSEC_CIPHER_SUITE, m.CipherSuite)
	kindPutU32(e, unix.IFLA_MACSEC_WINDOW, m.Window)
	kindPutU8(e, unix.IFLA_MACSEC_ENCODING_SA, m.EncodingSA)
	kindPutBool(e, unix.IFLA_MACSEC_ENCRYPT, m.Encrypt)
	kindPutBool(e, unix.IFLA_MACSEC_PROTECT, m.Protect)
	kindPutBool(e, unix.IFLA_MACSEC_INC_SCI, m.IncSCI)
	kindPutBool(e, unix.IFLA_MACSEC_ES, m.ES)
	kindPutBool(e, unix.IFLA_MACSEC_SCB, m.SCB)
	kindPutBool(e, unix.IFLA_MACSEC_REPLAY_PROTECT, m.ReplayProtect)
	kindPutU8(e, unix.IFLA_MACSEC_VALIDATION, m.Validation)
	kindPutU8(e, unix.IFLA_MACSEC_OFFLOAD, m.Offload)
	return nil
}

// DecodeInfo reads IFLA_MACSEC_* attributes.
func (m *MacsecInfo) DecodeInfo(data []byte) error {
	*m = MacsecInfo{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_MACSEC_SCI:
			m.SCI = kindU64(&s)
		case unix.IFLA_MACSEC_PORT:
			m.Port = kindBE16(&s)
		case unix.IFLA_MACSEC_ICV_LEN:
			m.ICVLen = kindU8(&s)
		case unix.IFLA_MACSEC_CIPHER_SUITE:
			m.CipherSuite = kindU64(&s)
		case unix.IFLA_MACSEC_WINDOW:
			m.Window = kindU32(&s)
		case unix.IFLA_MACSEC_ENCODING_SA:
			m.EncodingSA = kindU8(&s)
		case unix.IFLA_MACSEC_ENCRYPT:
			m.Encrypt = kindBool(&s)
		case unix.IFLA_MACSEC_PROTECT:
			m.Protect = kindBool(&s)
		case unix.IFLA_MACSEC_INC_SCI:
			m.IncSCI = kindBool(&s)
		case unix.IFLA_MACSEC_ES:
			m.ES = kindBool(&s)
		case unix.IFLA_MACSEC_SCB:
			m.SCB = kindBool(&s)
		case unix.IFLA_MACSEC_REPLAY_PROTECT:
			m.ReplayProtect = kindBool(&s)
		case unix.IFLA_MACSEC_VALIDATION:
			m.Validation = kindU8(&s)
		case unix.IFLA_MACSEC_OFFLOAD:
			m.Offload = kindU8(&s)
		}
	}
	return s.Err()
}
