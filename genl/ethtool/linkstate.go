package ethtool

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

var jsonMarshal = json.Marshal

// LinkExtState explains why a link is down (enum ethtool_link_ext_state).
type LinkExtState uint8

var linkExtStateNames = []string{
	"Autoneg", "Link training failure", "Logical mismatch", "Bad signal integrity",
	"No cable", "Cable issue", "EEPROM issue", "Calibration failure",
	"Power budget exceeded", "Overheat", "Module",
}

// String names the state as ethtool(8) does ("No cable").
func (s LinkExtState) String() string {
	if int(s) < len(linkExtStateNames) {
		return linkExtStateNames[s]
	}
	return fmt.Sprintf("state %d", uint8(s))
}

// MarshalText makes JSON show the name.
func (s LinkExtState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LinkState is what ETHTOOL_MSG_LINKSTATE_GET says of a device: whether
// its link is up, the signal quality (SQI) where the PHY measures it, and
// why the link is down where the driver says.
type LinkState struct {
	// Dev is the device.
	Dev Device `json:"dev"`
	// Link is whether the link is up ("Link detected"); HasLink whether
	// the driver said.
	Link    bool `json:"link"`
	HasLink bool `json:"-"`
	// SQI is the signal quality index, out of SQIMax, when HasSQI.
	SQI    uint32 `json:"sqi,omitempty"`
	SQIMax uint32 `json:"sqi_max,omitempty"`
	HasSQI bool   `json:"-"`
	// ExtState and ExtSubstate say why the link is down, when HasExtState.
	// ExtSubstate's meaning depends on ExtState (ETHTOOL_LINK_EXT_SUBSTATE_*).
	ExtState    LinkExtState `json:"ext_state,omitempty"`
	ExtSubstate uint8        `json:"ext_substate,omitempty"`
	HasExtState bool         `json:"-"`
	// ExtDownCount counts the times the link went down, when the driver
	// counts them (0 otherwise).
	ExtDownCount uint32 `json:"ext_down_cnt,omitempty"`
}

// Unmarshal decodes a LINKSTATE message payload: genlmsghdr, then
// attributes.
func (l *LinkState) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return l.unmarshalAttrs(a)
}

func (l *LinkState) unmarshalAttrs(data []byte) error {
	*l = LinkState{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.ETHTOOL_A_LINKSTATE_HEADER:
			s.Fail(l.Dev.unmarshalHeader(s.Bytes()))
		case unix.ETHTOOL_A_LINKSTATE_LINK:
			l.Link, l.HasLink = s.Uint8() != 0, true
		case unix.ETHTOOL_A_LINKSTATE_SQI:
			l.SQI, l.HasSQI = s.Uint32(), true
		case unix.ETHTOOL_A_LINKSTATE_SQI_MAX:
			l.SQIMax = s.Uint32()
		case unix.ETHTOOL_A_LINKSTATE_EXT_STATE:
			l.ExtState, l.HasExtState = LinkExtState(s.Uint8()), true
		case unix.ETHTOOL_A_LINKSTATE_EXT_SUBSTATE:
			l.ExtSubstate = s.Uint8()
		case unix.ETHTOOL_A_LINKSTATE_EXT_DOWN_CNT:
			l.ExtDownCount = s.Uint32()
		}
	}
	return s.Err()
}

// Marshal appends a LINKSTATE_GET request for l.Dev: the link state is
// read-only, so a request is all there is to encode.
func (l *LinkState) Marshal(b []byte) ([]byte, error) {
	b = genlHeader(b, unix.ETHTOOL_MSG_LINKSTATE_GET)
	var e core.AttrEncoder
	e.Raw(b)
	if err := appendHeader(&e, unix.ETHTOOL_A_LINKSTATE_HEADER, l.Dev, 0); err != nil {
		return b, err
	}
	return e.Bytes(), nil
}

// Equal reports whether l and o are the same.
func (l *LinkState) Equal(o *LinkState) bool { return *l == *o }

// Diff names the fields that differ.
func (l *LinkState) Diff(o *LinkState) []string {
	var d diffs
	d.add("dev", l.Dev != o.Dev)
	d.add("link", l.Link != o.Link || l.HasLink != o.HasLink)
	d.add("sqi", l.SQI != o.SQI || l.HasSQI != o.HasSQI)
	d.add("sqi_max", l.SQIMax != o.SQIMax)
	d.add("ext_state", l.ExtState != o.ExtState || l.HasExtState != o.HasExtState)
	d.add("ext_substate", l.ExtSubstate != o.ExtSubstate)
	d.add("ext_down_cnt", l.ExtDownCount != o.ExtDownCount)
	return d
}

// LinkString is "yes", "no" or "unknown", as ethtool(8)'s "Link detected".
func (l *LinkState) LinkString() string {
	switch {
	case !l.HasLink:
		return "unknown"
	case l.Link:
		return "yes"
	}
	return "no"
}

// String prints one line: "veth0 link yes".
func (l *LinkState) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s link %s", l.Dev, l.LinkString())
	if l.HasSQI {
		fmt.Fprintf(&s, " sqi %d/%d", l.SQI, l.SQIMax)
	}
	if l.HasExtState {
		fmt.Fprintf(&s, " ext-state %q substate %d", l.ExtState.String(), l.ExtSubstate)
	}
	if l.ExtDownCount != 0 {
		fmt.Fprintf(&s, " down-count %d", l.ExtDownCount)
	}
	return s.String()
}
