package netdev

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/core"
)

// qstatsNames are the counters' names, from NETDEV_A_QSTATS_RX_PACKETS
// (attribute 8) on.
var qstatsNames = []string{
	"rx-packets", "rx-bytes", "tx-packets", "tx-bytes", "rx-alloc-fail",
	"rx-hw-drops", "rx-hw-drop-overruns", "rx-csum-complete", "rx-csum-unnecessary",
	"rx-csum-none", "rx-csum-bad", "rx-hw-gro-packets", "rx-hw-gro-bytes",
	"rx-hw-gro-wire-packets", "rx-hw-gro-wire-bytes", "rx-hw-drop-ratelimits",
	"tx-hw-drops", "tx-hw-drop-errors", "tx-csum-none", "tx-needs-csum",
	"tx-hw-gso-packets", "tx-hw-gso-bytes", "tx-hw-gso-wire-packets",
	"tx-hw-gso-wire-bytes", "tx-hw-drop-ratelimits", "tx-stop", "tx-wake",
}

// QstatsCounters is how many counter slots a Qstats holds: the kernel's
// counters and room for those later kernels add.
const QstatsCounters = 56

// Qstats is what qstats-get says of a device, or of one of its queues:
// counters beyond rtnl_link_stats64 that drivers with queue statistics
// keep (packets, bytes, checksum and GRO/GSO offload counts, drops,
// queue stops). Only the counters the driver keeps are present.
type Qstats struct {
	// Ifindex is the device.
	Ifindex uint32
	// QueueType and QueueID name the queue when HasQueue (per-queue
	// scope); otherwise the counters are the device's.
	QueueType QueueType
	QueueID   uint32
	HasQueue  bool
	// Values holds the counters by attribute type minus 8 (the first
	// counter's type); Present has bit i set when Values[i] was sent.
	Values  [QstatsCounters]uint64
	Present uint64
}

// QstatsCounter is one counter of a Qstats.
type QstatsCounter struct {
	Name  string
	Value uint64
}

// CounterName names counter slot i ("rx-packets"), or "counter N" for
// one this package does not know.
func CounterName(i int) string {
	if i >= 0 && i < len(qstatsNames) {
		return qstatsNames[i]
	}
	return "counter " + strconv.Itoa(i+attrQstatsFirst)
}

// Counters lists the counters present, in attribute order.
func (q *Qstats) Counters() []QstatsCounter {
	var out []QstatsCounter
	for i := range q.Values {
		if q.Present&(1<<i) != 0 {
			out = append(out, QstatsCounter{CounterName(i), q.Values[i]})
		}
	}
	return out
}

// Get returns a counter by name, and whether it is present.
func (q *Qstats) Get(name string) (uint64, bool) {
	for i, n := range qstatsNames {
		if n == name {
			return q.Values[i], q.Present&(1<<i) != 0
		}
	}
	return 0, false
}

// Unmarshal decodes a qstats-get reply payload: genlmsghdr, then
// attributes.
func (q *Qstats) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return q.unmarshalAttrs(a)
}

func (q *Qstats) unmarshalAttrs(data []byte) error {
	*q = Qstats{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch t := int(s.Type()); {
		case t == attrQstatsIfindex:
			q.Ifindex = s.Uint32()
		case t == attrQstatsQueueType:
			q.QueueType, q.HasQueue = QueueType(s.Uint32()), true
		case t == attrQstatsQueueID:
			q.QueueID, q.HasQueue = s.Uint32(), true
		case t >= attrQstatsFirst && t < attrQstatsFirst+QstatsCounters:
			i := t - attrQstatsFirst
			q.Values[i] = s.Uint()
			q.Present |= 1 << i
		}
	}
	return s.Err()
}

// Marshal appends a qstats-get request for q.Ifindex, per queue when
// HasQueue. qstats-get is a dump: send it with the dump flag.
func (q *Qstats) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw(genlHeader(b, CmdQstatsGet))
	qstatsRequest(&e, q.Ifindex, q.HasQueue)
	return e.Bytes(), nil
}

func qstatsRequest(e *core.AttrEncoder, ifindex uint32, perQueue bool) {
	if ifindex != 0 {
		e.Uint32(attrQstatsIfindex, ifindex)
	}
	if perQueue {
		e.Uint(attrQstatsScope, QstatsScopeQueue)
	}
}

// Equal reports whether q and o are the same.
func (q *Qstats) Equal(o *Qstats) bool { return *q == *o }

// Diff names the fields that differ: the identity fields and the
// counters by name.
func (q *Qstats) Diff(o *Qstats) []string {
	var d diffs
	d.add("ifindex", q.Ifindex != o.Ifindex)
	d.add("queue-type", q.QueueType != o.QueueType || q.HasQueue != o.HasQueue)
	d.add("queue-id", q.QueueID != o.QueueID)
	for i := range q.Values {
		bit := uint64(1) << i
		d.add(CounterName(i), q.Present&bit != o.Present&bit || q.Values[i] != o.Values[i])
	}
	return d
}

// String prints one line: "ifindex 2 rx-0 rx-packets 10 rx-bytes 840".
func (q *Qstats) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "ifindex %d", q.Ifindex)
	if q.HasQueue {
		fmt.Fprintf(&s, " %s-%d", q.QueueType, q.QueueID)
	}
	for _, c := range q.Counters() {
		fmt.Fprintf(&s, " %s %d", c.Name, c.Value)
	}
	return s.String()
}

// MarshalJSON prints the identity and the counters present by name, as
// the kernel's spec names them.
func (q *Qstats) MarshalJSON() ([]byte, error) {
	m := map[string]any{"ifindex": q.Ifindex}
	if q.HasQueue {
		m["queue-type"] = q.QueueType
		m["queue-id"] = q.QueueID
	}
	for _, c := range q.Counters() {
		m[c.Name] = c.Value
	}
	return json.Marshal(m)
}
