package route

import (
	"context"
	"errors"
	"iter"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// NSIDNotAssigned is the ID the kernel reports for a namespace that has
// none in the asking namespace (NETNSA_NSID_NOT_ASSIGNED).
const NSIDNotAssigned int32 = unix.NETNSA_NSID_NOT_ASSIGNED

// nsidHeaderLen is struct rtgenmsg (one byte) padded to 4.
const nsidHeaderLen = 4

// NSID is a namespace ID (RTM_NEWNSID, struct rtgenmsg and NETNSA_*): the
// number by which the socket's namespace knows a peer namespace (the
// link-netnsid of a veth whose peer is there, for instance).
type NSID struct {
	// ID is the namespace ID (NETNSA_NSID), NSIDNotAssigned for none.
	ID int32
	// PID names the peer namespace by a process in it (NETNSA_PID), in
	// requests.
	PID uint32
	// FD names the peer namespace by an open file (NETNSA_FD), in
	// requests when PID is 0.
	FD int
	// CurrentNSID is the ID of the socket's own namespace as seen from the
	// target namespace of a dump (NETNSA_CURRENT_NSID), when HasCurrent.
	CurrentNSID int32
	HasCurrent  bool
}

// Unmarshal decodes an RTM_NEWNSID payload into n.
func (n *NSID) Unmarshal(data []byte) error {
	if len(data) < 1 {
		return roShort("rtgenmsg", len(data), 1)
	}
	*n = NSID{ID: NSIDNotAssigned}
	if len(data) < nsidHeaderLen {
		return nil
	}
	s := core.ScanAttrs(data[nsidHeaderLen:])
	for s.Next() {
		switch s.Type() {
		case unix.NETNSA_NSID:
			n.ID = s.Int32()
		case unix.NETNSA_PID:
			n.PID = s.Uint32()
		case unix.NETNSA_FD:
			n.FD = int(s.Uint32())
		case unix.NETNSA_CURRENT_NSID:
			n.CurrentNSID, n.HasCurrent = s.Int32(), true
		}
	}
	return s.Err()
}

// Marshal appends n as an RTM_NEWNSID request payload to b: the ID
// (NSIDNotAssigned asks the kernel to pick one) and the namespace by PID,
// or by FD when PID is 0.
func (n *NSID) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw([]byte{unix.AF_UNSPEC, 0, 0, 0})
	e.Int32(unix.NETNSA_NSID, n.ID)
	n.marshalTarget(&e)
	return append(b, e.Bytes()...), nil
}

func (n *NSID) marshalTarget(e *core.AttrEncoder) {
	if n.PID != 0 {
		e.Uint32(unix.NETNSA_PID, n.PID)
	} else {
		e.Uint32(unix.NETNSA_FD, uint32(n.FD))
	}
}

// Equal reports whether n and o are the same.
func (n *NSID) Equal(o *NSID) bool { return *n == *o }

// Diff names the fields that differ.
func (n *NSID) Diff(o *NSID) []string {
	var d roDiffer
	d.add("ID", n.ID != o.ID)
	d.add("PID", n.PID != o.PID)
	d.add("FD", n.FD != o.FD)
	d.add("CurrentNSID", n.HasCurrent != o.HasCurrent || n.CurrentNSID != o.CurrentNSID)
	return d
}

// String prints "nsid 5" like `ip netns list-id`.
func (n *NSID) String() string {
	s := "nsid " + strconv.Itoa(int(n.ID))
	if n.ID == NSIDNotAssigned {
		s = "nsid not assigned"
	}
	if n.HasCurrent {
		s += " current-nsid " + strconv.Itoa(int(n.CurrentNSID))
	}
	return s
}

// MarshalJSON prints {"nsid":5} like `ip -j netns list-id`.
func (n *NSID) MarshalJSON() ([]byte, error) {
	b := append([]byte(`{"nsid":`), strconv.Itoa(int(n.ID))...)
	if n.HasCurrent {
		b = append(b, `,"current-nsid":`...)
		b = strconv.AppendInt(b, int64(n.CurrentNSID), 10)
	}
	return append(b, '}'), nil
}

// nsidDumpRequest asks for every ID the socket's namespace has assigned.
func nsidDumpRequest() core.Message {
	return request(unix.RTM_GETNSID, 0, []byte{unix.AF_UNSPEC, 0, 0, 0})
}

// NSIDIter lists the IDs the socket's namespace has given to peers (`ip
// netns list-id`), into one reused value.
func (c *Conn) NSIDIter(ctx context.Context) iter.Seq2[*NSID, error] {
	return roIter[NSID](ctx, c, nsidDumpRequest(), unix.RTM_NEWNSID, "nsid list", nil)
}

// NSIDs lists the IDs the socket's namespace has given to peers.
func (c *Conn) NSIDs(ctx context.Context) ([]NSID, error) {
	return roList[NSID](ctx, c, nsidDumpRequest(), unix.RTM_NEWNSID, "nsid list", nil)
}

func nsidTargetOp(verb string, n *NSID) string {
	if n.PID != 0 {
		return "nsid " + verb + " pid " + strconv.FormatUint(uint64(n.PID), 10)
	}
	return "nsid " + verb + " fd " + strconv.Itoa(n.FD)
}

// NSIDGet returns the ID the socket's namespace knows the namespace of
// target (by target.PID, or target.FD) by: NSIDNotAssigned when it has
// none. The ID field of target is not used.
func (c *Conn) NSIDGet(ctx context.Context, target *NSID) (int32, error) {
	var e core.AttrEncoder
	e.Raw([]byte{unix.AF_UNSPEC, 0, 0, 0})
	target.marshalTarget(&e)
	var got NSID
	err := roGet[NSID](ctx, c, request(unix.RTM_GETNSID, 0, e.Bytes()), unix.RTM_NEWNSID, nsidTargetOp("get", target), &got)
	if err != nil {
		return 0, err
	}
	return got.ID, nil
}

// NSIDByFD returns the ID of the namespace open as fd (a *core.NetNS's
// FD, for instance).
func (c *Conn) NSIDByFD(ctx context.Context, fd int) (int32, error) {
	return c.NSIDGet(ctx, &NSID{FD: fd})
}

// NSIDByPID returns the ID of the namespace of process pid.
func (c *Conn) NSIDByPID(ctx context.Context, pid int) (int32, error) {
	return c.NSIDGet(ctx, &NSID{PID: uint32(pid)})
}

var errNSIDNegative = errors.New("route: a namespace ID to assign must be 0 or more (or NSIDNotAssigned to let the kernel pick)")

// NSIDSet assigns n.ID (NSIDNotAssigned: the kernel picks) to the
// namespace of n.PID or n.FD (`ip netns set NAME ID`). A namespace that
// already has an ID, or an ID in use, is EEXIST (fs.ErrExist).
func (c *Conn) NSIDSet(ctx context.Context, n *NSID) error {
	op := nsidTargetOp("set", n) + " id " + strconv.Itoa(int(n.ID))
	if n.ID < NSIDNotAssigned {
		return core.WithOp(errNSIDNegative, op)
	}
	data, err := n.Marshal(nil)
	if err != nil {
		return core.WithOp(err, op)
	}
	return roExec(ctx, c, request(unix.RTM_NEWNSID, 0, data), op)
}
