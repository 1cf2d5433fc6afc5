package route

import (
	"encoding/json"
	"net"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// MacvlanMode is a macvlan or macvtap mode (MACVLAN_MODE_*).
type MacvlanMode uint32

// The macvlan modes.
const (
	MacvlanPrivate  MacvlanMode = 1
	MacvlanVEPA     MacvlanMode = 2
	MacvlanBridge   MacvlanMode = 4
	MacvlanPassthru MacvlanMode = 8
	MacvlanSource   MacvlanMode = 16
)

var macvlanModeNames = map[MacvlanMode]string{
	MacvlanPrivate: "private", MacvlanVEPA: "vepa", MacvlanBridge: "bridge",
	MacvlanPassthru: "passthru", MacvlanSource: "source",
}

// String names the mode as ip(8) does.
func (m MacvlanMode) String() string {
	if n, ok := macvlanModeNames[m]; ok {
		return n
	}
	return "unknown"
}

// ParseMacvlanMode reads a mode name.
func ParseMacvlanMode(s string) (MacvlanMode, bool) {
	for m, n := range macvlanModeNames {
		if n == s {
			return m, true
		}
	}
	return 0, false
}

// The macvlan flags (MACVLAN_FLAG_*).
const (
	MacvlanFlagNoPromisc uint16 = 1
	MacvlanFlagNoDst     uint16 = 2
)

// MacvlanInfo is the data of a macvlan or macvtap link (IFLA_MACVLAN_*).
// The parent device is Link.ParentIndex.
type MacvlanInfo struct {
	// Tap makes the kind "macvtap" instead of "macvlan".
	Tap bool
	// Mode is the mode; 0 leaves the kernel's default (vepa).
	Mode MacvlanMode
	// Flags are MACVLAN_FLAG_* bits, sent when HasFlags.
	Flags    uint16
	HasFlags bool
	// MACAddrMode and MACAddrs drive source mode's address list
	// (MACVLAN_MACADDR_ADD, DEL, FLUSH, SET); MACAddrCount is reported.
	MACAddrMode  uint32
	MACAddrs     []net.HardwareAddr
	MACAddrCount uint32
	// BcQueueLen is the broadcast queue length asked for; BcQueueLenUsed
	// the one in use (read only).
	BcQueueLen     uint32
	BcQueueLenUsed uint32
	// BcCutoff is IFLA_MACVLAN_BC_CUTOFF, when set.
	BcCutoff *int32
}

// Kind returns "macvlan" or "macvtap".
func (m *MacvlanInfo) Kind() string {
	if m.Tap {
		return "macvtap"
	}
	return "macvlan"
}

// EncodeInfo writes the IFLA_MACVLAN_* attributes that are set.
func (m *MacvlanInfo) EncodeInfo(e *core.AttrEncoder) error {
	if m.Mode != 0 {
		e.Uint32(unix.IFLA_MACVLAN_MODE, uint32(m.Mode))
	}
	if m.HasFlags {
		e.Uint16(unix.IFLA_MACVLAN_FLAGS, m.Flags)
	}
	if m.MACAddrMode != 0 {
		e.Uint32(unix.IFLA_MACVLAN_MACADDR_MODE, m.MACAddrMode)
	}
	if len(m.MACAddrs) > 0 {
		n := e.NestStart(unix.IFLA_MACVLAN_MACADDR_DATA)
		for _, a := range m.MACAddrs {
			e.HardwareAddr(unix.IFLA_MACVLAN_MACADDR, a)
		}
		if err := e.NestEnd(n); err != nil {
			return err
		}
	}
	if m.BcQueueLen != 0 {
		e.Uint32(unix.IFLA_MACVLAN_BC_QUEUE_LEN, m.BcQueueLen)
	}
	if m.BcCutoff != nil {
		e.Int32(unix.IFLA_MACVLAN_BC_CUTOFF, *m.BcCutoff)
	}
	return nil
}

// DecodeInfo reads IFLA_MACVLAN_* attributes (Tap is kept).
func (m *MacvlanInfo) DecodeInfo(data []byte) error {
	*m = MacvlanInfo{Tap: m.Tap}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_MACVLAN_MODE:
			m.Mode = MacvlanMode(s.Uint32())
		case unix.IFLA_MACVLAN_FLAGS:
			m.Flags, m.HasFlags = s.Uint16(), true
		case unix.IFLA_MACVLAN_MACADDR_MODE:
			m.MACAddrMode = s.Uint32()
		case unix.IFLA_MACVLAN_MACADDR_DATA:
			n := s.Nested()
			for n.Next() {
				if n.Type() == unix.IFLA_MACVLAN_MACADDR {
					m.MACAddrs = append(m.MACAddrs, n.HardwareAddr())
				}
			}
			s.Fail(n.Err())
		case unix.IFLA_MACVLAN_MACADDR_COUNT:
			m.MACAddrCount = s.Uint32()
		case unix.IFLA_MACVLAN_BC_QUEUE_LEN:
			m.BcQueueLen = s.Uint32()
		case unix.IFLA_MACVLAN_BC_QUEUE_LEN_USED:
			m.BcQueueLenUsed = s.Uint32()
		case unix.IFLA_MACVLAN_BC_CUTOFF:
			m.BcCutoff = Ptr(s.Int32())
		}
	}
	return s.Err()
}

// MarshalJSON prints the data with `ip -j -d` names.
func (m *MacvlanInfo) MarshalJSON() ([]byte, error) {
	j := kindJSON{}
	if m.Mode != 0 {
		j["mode"] = m.Mode.String()
	}
	if m.HasFlags {
		j["flags"] = m.Flags
	}
	if m.MACAddrCount != 0 {
		j["macaddr_count"] = m.MACAddrCount
	}
	j["bcqueuelen"] = m.BcQueueLen
	j["usedbcqueuelen"] = m.BcQueueLenUsed
	if m.BcCutoff != nil {
		j["bc_cutoff"] = *m.BcCutoff
	}
	return json.Marshal(j)
}
