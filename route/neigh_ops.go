package route

import (
	"context"
	"errors"
	"iter"
	"net/netip"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// NeighFilter selects neighbour entries. The kernel applies Ifindex and
// Master itself (NDA_IFINDEX and NDA_MASTER in a strict dump request);
// the zero filter lists every ARP and NDP entry.
type NeighFilter struct {
	// Family is FamilyInet, FamilyInet6, FamilyBridge (the FDB) or
	// FamilyUnspec (ARP and NDP together).
	Family Family
	// Ifindex keeps the entries on one link (for the FDB: one bridge
	// port or device).
	Ifindex int32
	// Master keeps the entries of the links enslaved to this master (for
	// the FDB: one bridge).
	Master int32
	// Proxy lists the proxy entries (NTF_PROXY) instead of the cache.
	Proxy bool
}

// neighDumpRequest builds the RTM_GETNEIGH dump for f.
func neighDumpRequest(f *NeighFilter) core.Message {
	var nf NeighFilter
	if f != nil {
		nf = *f
	}
	var e core.AttrEncoder
	var h [neighHeaderLen]byte
	h[0] = byte(nf.Family)
	if nf.Proxy {
		h[10] = unix.NTF_PROXY
	}
	e.Raw(h[:])
	if nf.Ifindex != 0 {
		e.Uint32(unix.NDA_IFINDEX, uint32(nf.Ifindex))
	}
	if nf.Master != 0 {
		e.Uint32(unix.NDA_MASTER, uint32(nf.Master))
	}
	return request(unix.RTM_GETNEIGH, 0, e.Bytes())
}

// neighKeep is the filter applied again in user space, for kernels that
// ignore part of it.
func neighKeep(f *NeighFilter) func(*Neigh) bool {
	if f == nil || (f.Ifindex == 0 && f.Master == 0) {
		return nil
	}
	return func(n *Neigh) bool {
		if f.Ifindex != 0 && n.Ifindex != f.Ifindex {
			return false
		}
		if f.Master != 0 && n.Master != 0 && n.Master != f.Master {
			return false
		}
		return true
	}
}

// NeighIter lists neighbour entries one at a time, decoded into one reused
// value that is valid only inside the loop body (copy it, LLAddr
// included, to keep it). f may be nil.
func (c *Conn) NeighIter(ctx context.Context, f *NeighFilter) iter.Seq2[*Neigh, error] {
	return roIter[Neigh](ctx, c, neighDumpRequest(f), unix.RTM_NEWNEIGH, "neigh list", neighKeep(f))
}

// Neighs lists neighbour entries (ARP, NDP, proxy or FDB, as f says; f
// may be nil).
func (c *Conn) Neighs(ctx context.Context, f *NeighFilter) ([]Neigh, error) {
	return roList[Neigh](ctx, c, neighDumpRequest(f), unix.RTM_NEWNEIGH, "neigh list", neighKeep(f))
}

// neighOp names an operation on n for errors: "neigh add 192.0.2.9 dev 3".
func neighOp(verb string, n *Neigh) string {
	s := "neigh " + verb
	if n.IsFDB() {
		s = "fdb " + verb + " " + n.LLAddr.String()
	} else if n.Dst.IsValid() {
		s += " " + n.Dst.String()
	}
	if n.Ifindex != 0 {
		s += " dev " + strconv.Itoa(int(n.Ifindex))
	}
	return s
}

var errNeighNoLink = errors.New("route: a neighbour entry needs a link (Ifindex)")

// neighRequest checks n, fills in the family from Dst, and encodes it.
func neighRequest(typ uint16, flags core.HeaderFlags, n *Neigh) (core.Message, error) {
	if n.Ifindex == 0 {
		return core.Message{}, errNeighNoLink
	}
	m := *n
	if m.Family == FamilyUnspec && m.Dst.IsValid() {
		m.Family = neighFamilyOf(m.Dst)
	}
	if m.Family == FamilyUnspec {
		return core.Message{}, errors.New("route: a neighbour entry needs a destination or a family")
	}
	if typ == unix.RTM_NEWNEIGH && m.State == 0 {
		m.State = NeighPermanent
	}
	data, err := m.Marshal(nil)
	if err != nil {
		return core.Message{}, err
	}
	return request(typ, flags, data), nil
}

func (c *Conn) neighDo(ctx context.Context, verb string, typ uint16, flags core.HeaderFlags, n *Neigh) error {
	op := neighOp(verb, n)
	req, err := neighRequest(typ, flags, n)
	if err != nil {
		return core.WithOp(err, op)
	}
	return roExec(ctx, c, req, op)
}

// NeighAdd creates a neighbour entry (like `ip neigh add`); it fails with
// EEXIST (fs.ErrExist) if there is one for the same address and link. A
// zero State means NUD_PERMANENT; a zero Family is taken from Dst.
func (c *Conn) NeighAdd(ctx context.Context, n *Neigh) error {
	return c.neighDo(ctx, "add", unix.RTM_NEWNEIGH, core.FlagCreate|core.FlagExcl, n)
}

// NeighReplace creates a neighbour entry or replaces the one there (like
// `ip neigh replace`).
func (c *Conn) NeighReplace(ctx context.Context, n *Neigh) error {
	return c.neighDo(ctx, "replace", unix.RTM_NEWNEIGH, core.FlagCreate|core.FlagReplace, n)
}

// NeighDel deletes the neighbour entry for n.Dst on n.Ifindex (a proxy
// entry with NeighFlagProxy); a missing one is ENOENT (fs.ErrNotExist).
func (c *Conn) NeighDel(ctx context.Context, n *Neigh) error {
	return c.neighDo(ctx, "del", unix.RTM_DELNEIGH, 0, n)
}

// NeighProxyAdd adds a proxy entry (`ip neigh add proxy ADDR dev LINK`):
// the kernel answers ARP or NDP requests for addr on link ifindex.
func (c *Conn) NeighProxyAdd(ctx context.Context, ifindex int32, addr netip.Addr) error {
	n := Neigh{Ifindex: ifindex, Dst: addr, Flags: NeighFlagProxy}
	return c.neighDo(ctx, "add proxy", unix.RTM_NEWNEIGH, core.FlagCreate|core.FlagExcl, &n)
}

// NeighProxyDel deletes a proxy entry.
func (c *Conn) NeighProxyDel(ctx context.Context, ifindex int32, addr netip.Addr) error {
	n := Neigh{Ifindex: ifindex, Dst: addr, Flags: NeighFlagProxy}
	return c.neighDo(ctx, "del proxy", unix.RTM_DELNEIGH, 0, &n)
}

// fdbPrepare fills in an FDB entry's defaults: family bridge, the
// bridge's table (NTF_MASTER) unless NTF_SELF or NTF_MASTER is set, and
// a static entry (NUD_NOARP) unless a state is given, as `bridge fdb add`
// does.
func fdbPrepare(n *Neigh) *Neigh {
	m := *n
	m.Family = FamilyBridge
	if m.Flags&(NeighFlagSelf|NeighFlagMaster) == 0 {
		m.Flags |= NeighFlagMaster
	}
	if m.State == 0 {
		m.State = NeighNoARP
	}
	return &m
}

// FDBAdd adds a bridge forwarding entry (`bridge fdb add MAC dev PORT
// master static`): n.LLAddr on the bridge port n.Ifindex. See fdbPrepare
// for the defaults.
func (c *Conn) FDBAdd(ctx context.Context, n *Neigh) error {
	return c.neighDo(ctx, "add", unix.RTM_NEWNEIGH, core.FlagCreate|core.FlagExcl, fdbPrepare(n))
}

// FDBReplace adds a bridge forwarding entry or replaces the one there.
func (c *Conn) FDBReplace(ctx context.Context, n *Neigh) error {
	return c.neighDo(ctx, "replace", unix.RTM_NEWNEIGH, core.FlagCreate|core.FlagReplace, fdbPrepare(n))
}

// FDBAppend adds another entry for the same MAC (VXLAN remotes: `bridge
// fdb append`).
func (c *Conn) FDBAppend(ctx context.Context, n *Neigh) error {
	return c.neighDo(ctx, "append", unix.RTM_NEWNEIGH, core.FlagCreate|core.FlagAppend, fdbPrepare(n))
}

// FDBDel deletes a bridge forwarding entry (n.LLAddr, n.VLAN on port
// n.Ifindex).
func (c *Conn) FDBDel(ctx context.Context, n *Neigh) error {
	m := fdbPrepare(n)
	m.State = n.State
	return c.neighDo(ctx, "del", unix.RTM_DELNEIGH, 0, m)
}
