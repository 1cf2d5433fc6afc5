package route

import (
	"context"
	"iter"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// NexthopFilter selects nexthops in a strict RTM_GETNEXTHOP dump. The
// kernel applies Family, Ifindex, Master and GroupsOnly itself; it takes
// NHA_FDB but (6.18 too) does not filter by it, so FDB is applied here as
// well. The zero filter lists them all.
type NexthopFilter struct {
	// Family keeps the nexthops of one family (groups are FamilyUnspec).
	Family Family
	// Ifindex keeps the nexthops through one device (NHA_OIF).
	Ifindex int32
	// Master keeps the nexthops through links of one master (NHA_MASTER).
	Master int32
	// GroupsOnly keeps the groups (NHA_GROUPS).
	GroupsOnly bool
	// FDB keeps the FDB nexthops (NHA_FDB).
	FDB bool
}

// nexthopDumpRequest builds the RTM_GETNEXTHOP dump for f.
func nexthopDumpRequest(f *NexthopFilter) core.Message {
	var nf NexthopFilter
	if f != nil {
		nf = *f
	}
	var h [nexthopHeaderLen]byte
	h[0] = byte(nf.Family)
	var e core.AttrEncoder
	e.Raw(h[:])
	if nf.Ifindex != 0 {
		e.Uint32(unix.NHA_OIF, uint32(nf.Ifindex))
	}
	if nf.Master != 0 {
		e.Uint32(unix.NHA_MASTER, uint32(nf.Master))
	}
	if nf.GroupsOnly {
		e.Flag(unix.NHA_GROUPS)
	}
	if nf.FDB {
		e.Flag(nhaFDB)
	}
	return request(unix.RTM_GETNEXTHOP, 0, e.Bytes())
}

// nexthopKeep applies the filters the kernel leaves out.
func nexthopKeep(f *NexthopFilter) func(*Nexthop) bool {
	if f == nil || !f.FDB {
		return nil
	}
	return func(nh *Nexthop) bool { return nh.FDB }
}

// NexthopIter lists nexthops one at a time, decoded into one reused value
// valid only inside the loop body. f may be nil.
func (c *Conn) NexthopIter(ctx context.Context, f *NexthopFilter) iter.Seq2[*Nexthop, error] {
	return roIter[Nexthop](ctx, c, nexthopDumpRequest(f), unix.RTM_NEWNEXTHOP, "nexthop list", nexthopKeep(f))
}

// Nexthops lists nexthops (f may be nil).
func (c *Conn) Nexthops(ctx context.Context, f *NexthopFilter) ([]Nexthop, error) {
	return roList[Nexthop](ctx, c, nexthopDumpRequest(f), unix.RTM_NEWNEXTHOP, "nexthop list", nexthopKeep(f))
}

// nexthopIDRequest is a get or delete request naming one nexthop.
func nexthopIDRequest(typ uint16, id uint32) core.Message {
	var e core.AttrEncoder
	e.Raw(make([]byte, nexthopHeaderLen))
	e.Uint32(unix.NHA_ID, id)
	return request(typ, 0, e.Bytes())
}

func nexthopOp(verb string, id uint32) string {
	return "nexthop " + verb + " id " + strconv.FormatUint(uint64(id), 10)
}

// Nexthop gets the nexthop with id (`ip nexthop get id N`); a missing one
// is ENOENT (fs.ErrNotExist).
func (c *Conn) Nexthop(ctx context.Context, id uint32) (*Nexthop, error) {
	var nh Nexthop
	err := roGet[Nexthop](ctx, c, nexthopIDRequest(unix.RTM_GETNEXTHOP, id), unix.RTM_NEWNEXTHOP, nexthopOp("get", id), &nh)
	if err != nil {
		return nil, err
	}
	return &nh, nil
}

// NexthopDel deletes the nexthop with id; a missing one is ENOENT
// (fs.ErrNotExist). Deleting a nexthop removes it from the groups and
// routes that use it.
func (c *Conn) NexthopDel(ctx context.Context, id uint32) error {
	return roExec(ctx, c, nexthopIDRequest(unix.RTM_DELNEXTHOP, id), nexthopOp("del", id))
}

// nexthopPrepare fills in the family the kernel insists on: none for a
// group, the gateway's, or IPv4.
func nexthopPrepare(nh *Nexthop) *Nexthop {
	m := *nh
	switch {
	case m.IsGroup():
		m.Family = FamilyUnspec
	case m.Family != FamilyUnspec:
	case m.Gateway.IsValid():
		m.Family = neighFamilyOf(m.Gateway)
	default:
		m.Family = FamilyInet
	}
	return &m
}

func (c *Conn) nexthopNew(ctx context.Context, verb string, flags core.HeaderFlags, nh *Nexthop) error {
	op := nexthopOp(verb, nh.ID)
	data, err := nexthopPrepare(nh).Marshal(nil)
	if err != nil {
		return core.WithOp(err, op)
	}
	return roExec(ctx, c, request(unix.RTM_NEWNEXTHOP, flags, data), op)
}

// NexthopAdd creates a nexthop (`ip nexthop add`); one with the same ID
// is EEXIST (fs.ErrExist). The family is filled in as the kernel wants it
// (unspec for a group, else the gateway's or IPv4).
func (c *Conn) NexthopAdd(ctx context.Context, nh *Nexthop) error {
	return c.nexthopNew(ctx, "add", core.FlagCreate|core.FlagExcl, nh)
}

// NexthopReplace creates a nexthop or replaces the one with the same ID
// (`ip nexthop replace`); routes using it follow.
func (c *Conn) NexthopReplace(ctx context.Context, nh *Nexthop) error {
	return c.nexthopNew(ctx, "replace", core.FlagCreate|core.FlagReplace, nh)
}
