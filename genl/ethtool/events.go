package ethtool

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// Notification commands (ETHTOOL_MSG_*_NTF) the kernel sends to the
// "monitor" group; an Event's Command is one of them.
const (
	NotifyLinkInfo  = unix.ETHTOOL_MSG_LINKINFO_NTF
	NotifyLinkModes = unix.ETHTOOL_MSG_LINKMODES_NTF
	NotifyFeatures  = unix.ETHTOOL_MSG_FEATURES_NTF
	NotifyRings     = unix.ETHTOOL_MSG_RINGS_NTF
	NotifyChannels  = unix.ETHTOOL_MSG_CHANNELS_NTF
)

var notifyNames = map[uint8]string{
	unix.ETHTOOL_MSG_LINKINFO_NTF:   "linkinfo",
	unix.ETHTOOL_MSG_LINKMODES_NTF:  "linkmodes",
	unix.ETHTOOL_MSG_DEBUG_NTF:      "debug",
	unix.ETHTOOL_MSG_WOL_NTF:        "wol",
	unix.ETHTOOL_MSG_FEATURES_NTF:   "features",
	unix.ETHTOOL_MSG_PRIVFLAGS_NTF:  "privflags",
	unix.ETHTOOL_MSG_RINGS_NTF:      "rings",
	unix.ETHTOOL_MSG_CHANNELS_NTF:   "channels",
	unix.ETHTOOL_MSG_COALESCE_NTF:   "coalesce",
	unix.ETHTOOL_MSG_PAUSE_NTF:      "pause",
	unix.ETHTOOL_MSG_EEE_NTF:        "eee",
	unix.ETHTOOL_MSG_CABLE_TEST_NTF: "cable-test",
	unix.ETHTOOL_MSG_FEC_NTF:        "fec",
	unix.ETHTOOL_MSG_MODULE_NTF:     "module",
	unix.ETHTOOL_MSG_PLCA_NTF:       "plca",
	unix.ETHTOOL_MSG_MM_NTF:         "mm",
	unix.ETHTOOL_MSG_PHY_NTF:        "phy",
}

// NotifyName names a notification command ("features"), or "ntf N".
func NotifyName(cmd uint8) string {
	if n, ok := notifyNames[cmd]; ok {
		return n
	}
	return "ntf " + strconv.Itoa(int(cmd))
}

// Event is one ethtool notification: which setting of which device
// changed, and the new settings, decoded for the kinds this package knows
// (the others keep their attributes in Raw).
type Event struct {
	// Command is the ETHTOOL_MSG_*_NTF command.
	Command uint8 `json:"-"`
	// Kind is its name ("features", "channels", ...).
	Kind string `json:"kind"`
	// Dev is the device.
	Dev Device `json:"dev"`
	// One of these is set, by Command.
	LinkInfo  *LinkInfo  `json:"linkinfo,omitempty"`
	LinkModes *LinkModes `json:"linkmodes,omitempty"`
	Features  *Features  `json:"features,omitempty"`
	Rings     *Rings     `json:"rings,omitempty"`
	Channels  *Channels  `json:"channels,omitempty"`
	// Raw holds the attributes of the kinds not decoded, copied.
	Raw []byte `json:"raw,omitempty"`
}

// Unmarshal decodes a notification's payload: genlmsghdr, then
// attributes.
func (ev *Event) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return ev.unmarshalAttrs(data[0], a)
}

func (ev *Event) unmarshalAttrs(cmd uint8, attrs []byte) error {
	*ev = Event{Command: cmd, Kind: NotifyName(cmd)}
	var err error
	switch cmd {
	case NotifyLinkInfo:
		ev.LinkInfo = new(LinkInfo)
		err = ev.LinkInfo.unmarshalAttrs(attrs)
		ev.Dev = ev.LinkInfo.Dev
	case NotifyLinkModes:
		ev.LinkModes = new(LinkModes)
		err = ev.LinkModes.unmarshalAttrs(attrs)
		ev.Dev = ev.LinkModes.Dev
	case NotifyFeatures:
		ev.Features = new(Features)
		err = ev.Features.unmarshalAttrs(attrs)
		ev.Dev = ev.Features.Dev
	case NotifyRings:
		ev.Rings = new(Rings)
		err = ev.Rings.unmarshalAttrs(attrs)
		ev.Dev = ev.Rings.Dev
	case NotifyChannels:
		ev.Channels = new(Channels)
		err = ev.Channels.unmarshalAttrs(attrs)
		ev.Dev = ev.Channels.Dev
	default:
		ev.Raw = append([]byte(nil), attrs...)
		// Every notification starts with its header nest (type 1).
		var h LinkState
		if e := h.unmarshalAttrs(attrs); e == nil {
			ev.Dev = h.Dev
		}
	}
	return err
}

// String prints one line: the kind, then the new settings ("channels
// veth0 rx 2/4 tx 4/4 other n/a combined n/a").
func (ev *Event) String() string {
	s := ev.Kind
	switch {
	case ev.LinkInfo != nil:
		s += " " + ev.LinkInfo.String()
	case ev.LinkModes != nil:
		s += " " + ev.LinkModes.String()
	case ev.Features != nil:
		s += " " + ev.Features.String()
	case ev.Rings != nil:
		s += " " + ev.Rings.String()
	case ev.Channels != nil:
		s += " " + ev.Channels.String()
	default:
		s += " " + ev.Dev.String() + " (" + strconv.Itoa(len(ev.Raw)) + " bytes of attributes)"
	}
	return s
}
