package netdev

import (
	"fmt"
	"strings"
	"time"

	"github.com/nlkit/nlkit/core"
)

// NAPI is what napi-get says of one NAPI instance (a device's polling
// context, usually one per interrupt): its interrupt, its thread when
// threaded, and its interrupt-deferral settings.
type NAPI struct {
	// ID is the NAPI ID (what SO_INCOMING_NAPI_ID reports).
	ID uint32 `json:"id"`
	// Ifindex is the device.
	Ifindex uint32 `json:"ifindex"`
	// IRQ is the interrupt, when HasIRQ.
	IRQ    uint32 `json:"irq,omitempty"`
	HasIRQ bool   `json:"-"`
	// PID is the polling thread, when threaded (0 otherwise).
	PID uint32 `json:"pid,omitempty"`
	// DeferHardIRQs is how many empty polls pass before the hardware
	// interrupt is enabled again.
	DeferHardIRQs uint32 `json:"defer-hard-irqs"`
	// GROFlushTimeout and IRQSuspendTimeout are the NAPI watchdog and
	// interrupt suspension timeouts (the kernel counts nanoseconds).
	GROFlushTimeout   time.Duration `json:"gro-flush-timeout"`
	IRQSuspendTimeout time.Duration `json:"irq-suspend-timeout"`
	// Threaded is whether the instance polls in a thread of its own,
	// when HasThreaded (kernels before 6.17 do not say).
	Threaded    bool `json:"threaded"`
	HasThreaded bool `json:"-"`
}

// Unmarshal decodes a napi-get reply payload: genlmsghdr, then
// attributes.
func (n *NAPI) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return n.unmarshalAttrs(a)
}

// durationNS converts a count of nanoseconds, saturating.
func durationNS(v uint64) time.Duration {
	if v > uint64(1<<63-1) {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(v)
}

func (n *NAPI) unmarshalAttrs(data []byte) error {
	*n = NAPI{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case attrNAPIIfindex:
			n.Ifindex = s.Uint32()
		case attrNAPIID:
			n.ID = s.Uint32()
		case attrNAPIIRQ:
			n.IRQ, n.HasIRQ = s.Uint32(), true
		case attrNAPIPID:
			n.PID = s.Uint32()
		case attrNAPIDeferHardIRQs:
			n.DeferHardIRQs = s.Uint32()
		case attrNAPIGROFlushTimeout:
			n.GROFlushTimeout = durationNS(s.Uint())
		case attrNAPIIRQSuspendTimeout:
			n.IRQSuspendTimeout = durationNS(s.Uint())
		case attrNAPIThreaded:
			n.Threaded, n.HasThreaded = s.Uint32() != 0, true
		}
	}
	return s.Err()
}

// Marshal appends a napi-set request for n.ID carrying its settings:
// defer-hard-irqs, gro-flush-timeout and irq-suspend-timeout, and
// threaded when HasThreaded. Negative durations are sent as 0.
func (n *NAPI) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw(genlHeader(b, CmdNAPISet))
	n.encodeSet(&e)
	return e.Bytes(), nil
}

func (n *NAPI) encodeSet(e *core.AttrEncoder) {
	e.Uint32(attrNAPIID, n.ID)
	e.Uint32(attrNAPIDeferHardIRQs, n.DeferHardIRQs)
	e.Uint(attrNAPIGROFlushTimeout, uint64(max(n.GROFlushTimeout, 0)))
	e.Uint(attrNAPIIRQSuspendTimeout, uint64(max(n.IRQSuspendTimeout, 0)))
	if n.HasThreaded {
		var v uint32
		if n.Threaded {
			v = 1
		}
		e.Uint32(attrNAPIThreaded, v)
	}
}

// Equal reports whether n and o are the same.
func (n *NAPI) Equal(o *NAPI) bool { return *n == *o }

// Diff names the fields that differ.
func (n *NAPI) Diff(o *NAPI) []string {
	var d diffs
	d.add("id", n.ID != o.ID)
	d.add("ifindex", n.Ifindex != o.Ifindex)
	d.add("irq", n.IRQ != o.IRQ || n.HasIRQ != o.HasIRQ)
	d.add("pid", n.PID != o.PID)
	d.add("defer-hard-irqs", n.DeferHardIRQs != o.DeferHardIRQs)
	d.add("gro-flush-timeout", n.GROFlushTimeout != o.GROFlushTimeout)
	d.add("irq-suspend-timeout", n.IRQSuspendTimeout != o.IRQSuspendTimeout)
	d.add("threaded", n.Threaded != o.Threaded || n.HasThreaded != o.HasThreaded)
	return d
}

// String prints one line: "napi 8193 ifindex 2 irq 45 defer-hard-irqs 0
// gro-flush-timeout 0s".
func (n *NAPI) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "napi %d ifindex %d", n.ID, n.Ifindex)
	if n.HasIRQ {
		fmt.Fprintf(&s, " irq %d", n.IRQ)
	}
	if n.PID != 0 {
		fmt.Fprintf(&s, " pid %d", n.PID)
	}
	fmt.Fprintf(&s, " defer-hard-irqs %d gro-flush-timeout %s", n.DeferHardIRQs, n.GROFlushTimeout)
	if n.IRQSuspendTimeout != 0 {
		fmt.Fprintf(&s, " irq-suspend-timeout %s", n.IRQSuspendTimeout)
	}
	if n.HasThreaded && n.Threaded {
		s.WriteString(" threaded")
	}
	return s.String()
}
