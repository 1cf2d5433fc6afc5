package netdev

import (
	"fmt"
	"strings"

	"github.com/nlkit/nlkit/core"
)

// Queue is what queue-get says of one receive or transmit queue of a
// device: the NAPI instance that services it, and the memory provider
// or AF_XDP socket bound to it, if any.
type Queue struct {
	// ID is the queue's index among the device's queues of its Type.
	ID uint32 `json:"id"`
	// Ifindex is the device.
	Ifindex uint32 `json:"ifindex"`
	// Type is rx or tx.
	Type QueueType `json:"type"`
	// NAPIID is the NAPI instance servicing the queue (0: none).
	NAPIID uint32 `json:"napi-id,omitempty"`
	// DMABuf is the ID of the dmabuf bound to the queue (devmem TCP).
	DMABuf uint32 `json:"dmabuf,omitempty"`
	// IOURing is whether an io_uring memory provider is bound to it.
	IOURing bool `json:"io-uring,omitempty"`
	// XSK is whether an AF_XDP socket is bound to it.
	XSK bool `json:"xsk,omitempty"`
}

// Unmarshal decodes a queue-get reply payload: genlmsghdr, then
// attributes.
func (q *Queue) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return q.unmarshalAttrs(a)
}

func (q *Queue) unmarshalAttrs(data []byte) error {
	*q = Queue{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case attrQueueID:
			q.ID = s.Uint32()
		case attrQueueIfindex:
			q.Ifindex = s.Uint32()
		case attrQueueType:
			q.Type = QueueType(s.Uint32())
		case attrQueueNAPIID:
			q.NAPIID = s.Uint32()
		case attrQueueDMABuf:
			q.DMABuf = s.Uint32()
		case attrQueueIOURing:
			q.IOURing = true
		case attrQueueXSK:
			q.XSK = true
		}
	}
	return s.Err()
}

// Marshal appends a queue-get request for this one queue (ifindex, type
// and ID): queues are read-only.
func (q *Queue) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw(genlHeader(b, CmdQueueGet))
	queueRequest(&e, q.Ifindex, q.Type, q.ID)
	return e.Bytes(), nil
}

func queueRequest(e *core.AttrEncoder, ifindex uint32, typ QueueType, id uint32) {
	e.Uint32(attrQueueIfindex, ifindex)
	e.Uint32(attrQueueType, uint32(typ))
	e.Uint32(attrQueueID, id)
}

// Equal reports whether q and o are the same.
func (q *Queue) Equal(o *Queue) bool { return *q == *o }

// Diff names the fields that differ.
func (q *Queue) Diff(o *Queue) []string {
	var d diffs
	d.add("id", q.ID != o.ID)
	d.add("ifindex", q.Ifindex != o.Ifindex)
	d.add("type", q.Type != o.Type)
	d.add("napi-id", q.NAPIID != o.NAPIID)
	d.add("dmabuf", q.DMABuf != o.DMABuf)
	d.add("io-uring", q.IOURing != o.IOURing)
	d.add("xsk", q.XSK != o.XSK)
	return d
}

// String prints one line: "ifindex 2 rx-0 napi 8193".
func (q *Queue) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "ifindex %d %s-%d", q.Ifindex, q.Type, q.ID)
	if q.NAPIID != 0 {
		fmt.Fprintf(&s, " napi %d", q.NAPIID)
	}
	if q.DMABuf != 0 {
		fmt.Fprintf(&s, " dmabuf %d", q.DMABuf)
	}
	if q.IOURing {
		s.WriteString(" io-uring")
	}
	if q.XSK {
		s.WriteString(" xsk")
	}
	return s.String()
}
