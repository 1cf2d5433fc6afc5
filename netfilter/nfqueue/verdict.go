package nfqueue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/nlkit/nlkit/netfilter/internal/nfsock"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
	"golang.org/x/sys/unix"
)

// Verdict is what happens to a queued packet (NF_* in the low 16 bits;
// for a queue verdict, the target queue number in the high 16).
type Verdict uint32

// Verdicts.
const (
	// Drop drops the packet (NF_DROP).
	Drop Verdict = 0
	// Accept lets the packet go on: the hook's next function, not the next rule of the queueing chain (NF_ACCEPT).
	Accept Verdict = 1
	// Repeat runs the hook again from its first rule (NF_REPEAT): mind
	// rules that would queue it again, a mark can tell them apart.
	Repeat Verdict = 4
	// Stop accepts the packet and skips the rest of the hook's
	// functions (NF_STOP, deprecated by the kernel but still honoured).
	Stop    Verdict = 5
	nfQueue Verdict = 3
)

// QueueTo returns the verdict that hands the packet to queue num
// (NF_QUEUE with the queue number).
func QueueTo(num uint16) Verdict { return Verdict(uint32(num)<<16) | nfQueue }

// String names the verdict.
func (v Verdict) String() string {
	switch v & 0xffff {
	case Drop:
		return "drop"
	case Accept:
		return "accept"
	case nfQueue:
		return fmt.Sprintf("queue %d", uint32(v)>>16)
	case Repeat:
		return "repeat"
	case Stop:
		return "stop"
	}
	return fmt.Sprintf("verdict(%d)", uint32(v))
}

// Decision is a verdict with what it changes. The zero value (beyond ID
// and Verdict) changes nothing.
type Decision struct {
	// ID is the packet's ID (Packet.ID); in a batch verdict, the highest
	// ID the verdict applies to.
	ID      uint32
	Verdict Verdict
	// Mark sets the packet mark (skb->mark) when SetMark.
	Mark    uint32
	SetMark bool
	// ConnMark sets the conntrack entry's mark (CTA_MARK in NFQA_CT)
	// when SetConnMark. The packet must have a conntrack entry.
	ConnMark    uint32
	SetConnMark bool
	// Label sets conntrack labels (CTA_LABELS, a bit field of up to 128
	// bits, 16 bytes); LabelMask, when set, limits the change to its bits
	// (CTA_LABELS_MASK, same length as Label).
	Label, LabelMask []byte
	// Payload, when not nil, replaces the packet (from its network
	// header on). The kernel fixes up nothing: checksums are the
	// caller's.
	Payload []byte
}

// appendVerdict appends one verdict message for queue to b. batch makes
// it NFQNL_MSG_VERDICT_BATCH (only mark and verdict apply).
func appendVerdict(b []byte, queue uint16, d *Decision, batch bool) ([]byte, error) {
	if len(d.Label) > 16 || (d.LabelMask != nil && len(d.LabelMask) != len(d.Label)) {
		return b, fmt.Errorf("nfqueue: label of %d bytes with a mask of %d: a label holds up to 16 bytes and its mask as many", len(d.Label), len(d.LabelMask))
	}
	if batch && (d.SetConnMark || d.Label != nil || d.Payload != nil) {
		return b, errors.New("nfqueue: a batch verdict sets only the verdict and the mark")
	}
	msg := uint8(msgVerdict)
	if batch {
		msg = msgVerdictBatch
	}
	start := len(b)
	var hdr [core.HeaderLen]byte
	binary.NativeEndian.PutUint16(hdr[4:], uint16(netfilter.MessageType(netfilter.SubsysQueue, msg)))
	binary.NativeEndian.PutUint16(hdr[6:], uint16(core.FlagRequest))
	binary.NativeEndian.PutUint32(hdr[8:], d.ID) // the sequence number names the packet in an error
	b = append(b, hdr[:]...)
	b = netfilter.AppendHeader(b, netfilter.Header{Family: unix.AF_UNSPEC, Version: netfilter.Version, ResID: queue})
	b = appendAttrHdr(b, attrVerdictHdr, 8)
	b = binary.BigEndian.AppendUint32(b, uint32(d.Verdict))
	b = binary.BigEndian.AppendUint32(b, d.ID)
	if d.SetMark {
		b = appendAttrHdr(b, attrMark, 4)
		b = binary.BigEndian.AppendUint32(b, d.Mark)
	}
	if d.SetConnMark || d.Label != nil {
		n := 0
		if d.SetConnMark {
			n += 8
		}
		if d.Label != nil {
			n += 4 + (len(d.Label)+3)&^3
			if d.LabelMask != nil {
				n += 4 + (len(d.LabelMask)+3)&^3
			}
		}
		b = appendAttrHdr(b, attrCT|attrNested, n)
		if d.SetConnMark {
			b = appendAttrHdr(b, ctaMark, 4)
			b = binary.BigEndian.AppendUint32(b, d.ConnMark)
		}
		if d.Label != nil {
			b = appendAttrHdr(b, ctaLabels, len(d.Label))
			b = appendPadded(b, d.Label)
			if d.LabelMask != nil {
				b = appendAttrHdr(b, ctaLabelsMask, len(d.LabelMask))
				b = appendPadded(b, d.LabelMask)
			}
		}
	}
	if d.Payload != nil {
		if len(d.Payload) > 0xffff-4 {
			return b[:start], fmt.Errorf("nfqueue: payload of %d bytes does not fit an attribute", len(d.Payload))
		}
		b = appendAttrHdr(b, attrPayload, len(d.Payload))
		b = appendPadded(b, d.Payload)
	}
	binary.NativeEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b, nil
}

func appendAttrHdr(b []byte, typ uint16, n int) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(4+n))
	return binary.NativeEndian.AppendUint16(b, typ)
}

func appendPadded(b, v []byte) []byte {
	b = append(b, v...)
	for n := len(v); n&3 != 0; n++ {
		b = append(b, 0)
	}
	return b
}

// Verdicts collects verdicts and sends them in one write (one sendmsg for
// many verdicts). Each goroutine uses its own Verdicts; it never waits for
// the goroutine reading packets, nor for other Verdicts. The zero value
// is not usable: get one from Queue.NewVerdicts.
type Verdicts struct {
	q   *Queue
	buf []byte
	n   int
}

// NewVerdicts returns an empty set of verdicts for q.
func (q *Queue) NewVerdicts() *Verdicts {
	return &Verdicts{q: q, buf: make([]byte, 0, 64<<10)}
}

// Add adds a verdict for packet id.
func (v *Verdicts) Add(id uint32, verdict Verdict) {
	d := Decision{ID: id, Verdict: verdict}
	v.buf, _ = appendVerdict(v.buf, v.q.num, &d, false)
	v.n++
}

// AddDecision adds d. Bad input (a label of more than 16 bytes, a payload
// of more than 64 KiB) is refused and nothing is added.
func (v *Verdicts) AddDecision(d *Decision) error {
	var err error
	if v.buf, err = appendVerdict(v.buf, v.q.num, d, false); err != nil {
		return err
	}
	v.n++
	return nil
}

// AddBatch adds a batch verdict: verdict (and the mark, when setMark) for
// every packet still queued whose ID is at most id
// (NFQNL_MSG_VERDICT_BATCH). IDs grow in queue order, so after deciding
// packets in order, one batch verdict settles them all.
func (v *Verdicts) AddBatch(id uint32, verdict Verdict, mark uint32, setMark bool) {
	d := Decision{ID: id, Verdict: verdict, Mark: mark, SetMark: setMark}
	v.buf, _ = appendVerdict(v.buf, v.q.num, &d, true)
	v.n++
}

// Len is the number of verdicts waiting to be sent.
func (v *Verdicts) Len() int { return v.n }

// Flush sends the verdicts collected in one write and empties v. The
// kernel answers only failed verdicts; their errors reach the Packets
// loop (see Queue.Packets).
func (v *Verdicts) Flush() error {
	if v.n == 0 {
		return nil
	}
	err := sendChunked(v.q.sock, v.buf)
	v.buf, v.n = v.buf[:0], 0
	if err != nil {
		return core.WithOp(err, fmt.Sprintf("nfqueue %d verdicts", v.q.num))
	}
	return nil
}

// maxWrite bounds one datagram of verdicts: well under the default socket
// send buffer, which caps what one sendmsg may carry.
const maxWrite = 64 << 10

// sendChunked sends b, a run of whole messages, in datagrams of at most
// maxWrite bytes (one message larger than that goes alone).
func sendChunked(s *nfsock.Socket, b []byte) error {
	for len(b) > maxWrite {
		end := 0
		for end < len(b) {
			l := core.Align(int(binary.NativeEndian.Uint32(b[end:])))
			if end > 0 && end+l > maxWrite {
				break
			}
			end += l
		}
		if end > len(b) {
			end = len(b)
		}
		if err := s.Send(b[:end]); err != nil {
			return err
		}
		b = b[end:]
	}
	return s.Send(b)
}
