package netdev

import "strconv"

var eventNames = map[uint8]string{
	CmdDevAddNtf:         "dev-add",
	CmdDevDelNtf:         "dev-del",
	CmdDevChangeNtf:      "dev-change",
	CmdPagePoolAddNtf:    "page-pool-add",
	CmdPagePoolDelNtf:    "page-pool-del",
	CmdPagePoolChangeNtf: "page-pool-change",
}

// EventName names a notification command ("dev-add"), or "ntf N".
func EventName(cmd uint8) string {
	if n, ok := eventNames[cmd]; ok {
		return n
	}
	return "ntf " + strconv.Itoa(int(cmd))
}

// Event is one netdev notification: a device (on the "mgmt" group) or a
// page pool (on "page-pool") added, removed or changed.
type Event struct {
	// Command is the NETDEV_CMD_*_NTF command.
	Command uint8 `json:"-"`
	// Kind names it ("dev-add", "page-pool-del", ...).
	Kind string `json:"kind"`
	// Device is set for the dev-* notifications.
	Device *Device `json:"device,omitempty"`
	// PagePool is set for the page-pool-* notifications.
	PagePool *PagePool `json:"page-pool,omitempty"`
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
	*ev = Event{Command: cmd, Kind: EventName(cmd)}
	switch cmd {
	case CmdDevAddNtf, CmdDevDelNtf, CmdDevChangeNtf:
		ev.Device = new(Device)
		return ev.Device.unmarshalAttrs(attrs)
	case CmdPagePoolAddNtf, CmdPagePoolDelNtf, CmdPagePoolChangeNtf:
		ev.PagePool = new(PagePool)
		return ev.PagePool.unmarshalAttrs(attrs)
	}
	return nil
}

// String prints one line: the kind, then the object.
func (ev *Event) String() string {
	switch {
	case ev.Device != nil:
		return ev.Kind + " " + ev.Device.String()
	case ev.PagePool != nil:
		return ev.Kind + " " + ev.PagePool.String()
	}
	return ev.Kind
}
