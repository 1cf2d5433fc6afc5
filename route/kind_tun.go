package route

import (
	"encoding/json"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// TunInfo is what the kernel reports about a tun or tap device
// (IFLA_INFO_KIND "tun", IFLA_TUN_*). The kernel does not create tun
// devices through rtnetlink (it answers EOPNOTSUPP): use TunCreate.
type TunInfo struct {
	// Owner and Group are the user and group allowed to attach, when
	// HasOwner and HasGroup.
	Owner    uint32
	HasOwner bool
	Group    uint32
	HasGroup bool
	// Tap is true for a tap (Ethernet) device, false for tun (IP).
	Tap bool
	// PI, VnetHdr, Persist and MultiQueue are the device flags (IFF_NO_PI
	// unset, IFF_VNET_HDR, persistent, IFF_MULTI_QUEUE).
	PI         bool
	VnetHdr    bool
	Persist    bool
	MultiQueue bool
	// NumQueues and NumDisabledQueues count the attached queues.
	NumQueues         uint32
	NumDisabledQueues uint32
}

// Kind returns "tun" (for tap devices too, as the kernel reports them).
func (*TunInfo) Kind() string { return "tun" }

// EncodeInfo writes the IFLA_TUN_* attributes; the kernel refuses to
// create tun devices this way, but the codec is symmetric.
func (t *TunInfo) EncodeInfo(e *core.AttrEncoder) error {
	if t.HasOwner {
		e.Uint32(unix.IFLA_TUN_OWNER, t.Owner)
	}
	if t.HasGroup {
		e.Uint32(unix.IFLA_TUN_GROUP, t.Group)
	}
	typ := uint8(unix.IFF_TUN)
	if t.Tap {
		typ = unix.IFF_TAP
	}
	e.Uint8(unix.IFLA_TUN_TYPE, typ)
	b := func(v bool) uint8 {
		if v {
			return 1
		}
		return 0
	}
	e.Uint8(unix.IFLA_TUN_PI, b(t.PI))
	e.Uint8(unix.IFLA_TUN_VNET_HDR, b(t.VnetHdr))
	e.Uint8(unix.IFLA_TUN_PERSIST, b(t.Persist))
	e.Uint8(unix.IFLA_TUN_MULTI_QUEUE, b(t.MultiQueue))
	if t.NumQueues != 0 {
		e.Uint32(unix.IFLA_TUN_NUM_QUEUES, t.NumQueues)
	}
	if t.NumDisabledQueues != 0 {
		e.Uint32(unix.IFLA_TUN_NUM_DISABLED_QUEUES, t.NumDisabledQueues)
	}
	return nil
}

// DecodeInfo reads IFLA_TUN_* attributes.
func (t *TunInfo) DecodeInfo(data []byte) error {
	*t = TunInfo{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_TUN_OWNER:
			t.Owner, t.HasOwner = s.Uint32(), true
		case unix.IFLA_TUN_GROUP:
			t.Group, t.HasGroup = s.Uint32(), true
		case unix.IFLA_TUN_TYPE:
			t.Tap = s.Uint8() == unix.IFF_TAP
		case unix.IFLA_TUN_PI:
			t.PI = s.Uint8() != 0
		case unix.IFLA_TUN_VNET_HDR:
			t.VnetHdr = s.Uint8() != 0
		case unix.IFLA_TUN_PERSIST:
			t.Persist = s.Uint8() != 0
		case unix.IFLA_TUN_MULTI_QUEUE:
			t.MultiQueue = s.Uint8() != 0
		case unix.IFLA_TUN_NUM_QUEUES:
			t.NumQueues = s.Uint32()
		case unix.IFLA_TUN_NUM_DISABLED_QUEUES:
			t.NumDisabledQueues = s.Uint32()
		}
	}
	return s.Err()
}

// MarshalJSON prints the data with `ip -j -d` names.
func (t *TunInfo) MarshalJSON() ([]byte, error) {
	typ := "tun"
	if t.Tap {
		typ = "tap"
	}
	j := kindJSON{"type": typ, "pi": t.PI, "vnet_hdr": t.VnetHdr, "multi_queue": t.MultiQueue, "persist": t.Persist}
	if t.HasOwner {
		j["user"] = t.Owner
	}
	if t.HasGroup {
		j["group"] = t.Group
	}
	if t.MultiQueue {
		j["numqueues"] = t.NumQueues
		j["numdisabled"] = t.NumDisabledQueues
	}
	return json.Marshal(j)
}
