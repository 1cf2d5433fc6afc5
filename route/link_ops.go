package route

import (
	"context"
	"encoding/binary"
	"errors"
	"iter"
	"net"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// The IFLA_EXT_MASK bits (RTEXT_FILTER_*, linux/rtnetlink.h).
const (
	linkExtFilterVF        = 1 << 0
	linkExtFilterSkipStats = 1 << 3
)

// linkDumpRetries is how many times a list restarts a dump the kernel
// interrupted (NLM_F_DUMP_INTR) before giving up.
const linkDumpRetries = 3

// LinkFilter selects the links a list returns and how they are read. The
// zero value (or nil) lists every link, without VF data, with statistics,
// decoding the built-in kinds.
//
// Kind and Master are applied by the kernel (it filters dumps by them when
// strict checking is on, which Dial turns on).
//
// The kernel leaves out of a dump, silently, any link whose RTM_NEWLINK
// does not fit in 32 KiB (a device with many VFs when VF is set, for
// instance); LinkByIndex and LinkByName still return it.
type LinkFilter struct {
	// Kind keeps only links of this IFLA_INFO_KIND ("veth", "bridge", ...).
	Kind string
	// Master keeps only the ports of the link with this index.
	Master uint32
	// VF asks for the SR-IOV VF data (IFLA_EXT_MASK RTEXT_FILTER_VF); it
	// makes messages of devices with VFs much larger and slower to build.
	VF bool
	// SkipStats asks the kernel to leave out the per-VF and IPv6
	// statistics (RTEXT_FILTER_SKIP_STATS), making messages smaller;
	// IFLA_STATS64 is still sent.
	SkipStats bool
	// Kinds decodes IFLA_INFO_DATA; nil means the built-in kinds.
	Kinds *Kinds
}

func (f *LinkFilter) extMask() uint32 {
	var m uint32
	if f == nil {
		return 0
	}
	if f.VF {
		m |= linkExtFilterVF
	}
	if f.SkipStats {
		m |= linkExtFilterSkipStats
	}
	return m
}

func (f *LinkFilter) kinds() *Kinds {
	if f == nil {
		return nil
	}
	return f.Kinds
}

// linkDumpRequest builds the RTM_GETLINK dump request for f.
func linkDumpRequest(f *LinkFilter) core.Message {
	var e core.AttrEncoder
	h := linkHeader(FamilyUnspec, 0, 0, 0, 0)
	e.Raw(h[:])
	if m := f.extMask(); m != 0 {
		e.Uint32(unix.IFLA_EXT_MASK, m)
	}
	if f != nil && f.Master != 0 {
		e.Uint32(unix.IFLA_MASTER, f.Master)
	}
	if f != nil && f.Kind != "" {
		n := e.NestStart(unix.IFLA_LINKINFO)
		e.String(unix.IFLA_INFO_KIND, f.Kind)
		_ = e.NestEnd(n)
	}
	return request(unix.RTM_GETLINK, core.FlagDump, e.Bytes())
}

// LinkIter streams the links f selects, decoding each into one reused
// Link: the value (and its slices, pointers and Info) is valid only inside
// the loop body; copy what you keep. Its strings (Name, Alias, ...) are
// the exception: they stay valid. An interrupted dump ends with
// core.ErrDumpInterrupted after its links (Links retries instead). Do not
// call c from inside the loop.
func (c *Conn) LinkIter(ctx context.Context, f *LinkFilter) iter.Seq2[*Link, error] {
	return func(yield func(*Link, error) bool) {
		// One Link, and one arena for the strings that change from link to
		// link: no allocation per link once the arena's chunks are big.
		var st struct {
			l, old Link
			m      linkMem
		}
		k := f.kinds()
		for m, err := range c.c.Dump(ctx, linkDumpRequest(f)) {
			if err != nil {
				yield(nil, core.WithOp(err, "link list"))
				return
			}
			if m.Header.Type != unix.RTM_NEWLINK {
				continue
			}
			if len(m.Data) < unix.SizeofIfInfomsg {
				yield(nil, core.WithOp(&core.ParseError{What: "ifinfomsg", Len: len(m.Data), Want: unix.SizeofIfInfomsg}, "link list"))
				return
			}
			st.old = st.l
			if err := st.l.decode(m.Data, k, &st.old, &st.m); err != nil {
				yield(nil, core.WithOp(err, "link list"))
				return
			}
			if !yield(&st.l, nil) {
				return
			}
		}
	}
}

// Links returns the links f selects. A dump the kernel interrupts because
// links changed meanwhile is retried a few times.
//
// The values share memory made for the whole dump: their strings and
// addresses sit in one arena, and their Stats, Inet, Inet6 and (veth)
// Info values in slabs, so a list costs a few allocations, not several
// per link. Keeping any one Link keeps a part of that memory alive.
func (c *Conn) Links(ctx context.Context, f *LinkFilter) ([]Link, error) {
	req := linkDumpRequest(f)
	k := f.kinds()
	var ll linkList
	for attempt := 0; ; attempt++ {
		ll.reset()
		var derr error
		for m, err := range c.c.Dump(ctx, req) {
			if err != nil {
				derr = err
				break
			}
			if m.Header.Type != unix.RTM_NEWLINK {
				continue
			}
			if len(m.Data) < unix.SizeofIfInfomsg {
				return nil, core.WithOp(&core.ParseError{What: "ifinfomsg", Len: len(m.Data), Want: unix.SizeofIfInfomsg}, "link list")
			}
			if err := ll.next().decode(m.Data, k, &ll.mem.zero, &ll.mem); err != nil {
				return nil, core.WithOp(err, "link list")
			}
		}
		if errors.Is(derr, core.ErrDumpInterrupted) && attempt < linkDumpRetries {
			continue
		}
		if derr != nil {
			return ll.links(), core.WithOp(derr, "link list")
		}
		return ll.links(), nil
	}
}

// linkGet asks for one link with RTM_GETLINK (one request, not a dump).
func (c *Conn) linkGet(ctx context.Context, op string, index int32, name string, f *LinkFilter) (*Link, error) {
	var e core.AttrEncoder
	h := linkHeader(FamilyUnspec, 0, index, 0, 0)
	e.Raw(h[:])
	if name != "" {
		if len(name) < unix.IFNAMSIZ {
			e.String(unix.IFLA_IFNAME, name)
		} else {
			e.String(unix.IFLA_ALT_IFNAME, name)
		}
	}
	if m := f.extMask(); m != 0 {
		e.Uint32(unix.IFLA_EXT_MASK, m)
	}
	var l *Link
	err := c.c.ExecuteFunc(ctx, request(unix.RTM_GETLINK, 0, e.Bytes()), func(m core.Message) error {
		if m.Header.Type != unix.RTM_NEWLINK || l != nil {
			return nil
		}
		l = &Link{}
		return l.UnmarshalKinds(m.Data, f.kinds())
	})
	if err != nil {
		return nil, core.WithOp(err, op)
	}
	if l == nil {
		return nil, &core.OpError{Op: op, Err: errors.New("no RTM_NEWLINK in the answer")}
	}
	return l, nil
}

// LinkByIndex returns the link with interface index index. A missing link
// is an error matching fs.ErrNotExist (ENODEV).
func (c *Conn) LinkByIndex(ctx context.Context, index int32) (*Link, error) {
	return c.linkGet(ctx, "link show index "+strconv.Itoa(int(index)), index, "", nil)
}

// LinkByName returns the link named name (its name or one of its
// alternative names, which may be longer than 15 bytes: those go in
// IFLA_ALT_IFNAME). A missing link matches fs.ErrNotExist.
func (c *Conn) LinkByName(ctx context.Context, name string) (*Link, error) {
	return c.linkGet(ctx, "link show "+name, 0, name, nil)
}

// LinkGet is LinkByIndex (index not 0) or LinkByName with the options of
// f: VF data, statistics, the kinds registry.
func (c *Conn) LinkGet(ctx context.Context, index int32, name string, f *LinkFilter) (*Link, error) {
	op := "link show " + name
	if name == "" {
		op = "link show index " + strconv.Itoa(int(index))
	}
	return c.linkGet(ctx, op, index, name, f)
}

// linkWho names l for an error: its name, or its index.
func linkWho(l *Link) string {
	if l.Name != "" {
		return l.Name
	}
	return "index " + strconv.Itoa(int(l.Index))
}

// linkExec sends an RTM_NEWLINK/RTM_DELLINK for l and waits for the ACK.
func (c *Conn) linkExec(ctx context.Context, typ uint16, flags core.HeaderFlags, op string, l *Link) error {
	var e core.AttrEncoder
	if err := l.encode(&e); err != nil {
		return &core.OpError{Op: op, Err: err}
	}
	_, err := c.c.Execute(ctx, request(typ, flags, e.Bytes()))
	return core.WithOp(err, op)
}

// LinkAdd creates the link l describes (RTM_NEWLINK with NLM_F_CREATE and
// NLM_F_EXCL): at least Name and Info (the kind), plus any settable field
// (MTU, Address, Master, ParentIndex, Flags with Change, ...). A link of
// that name already existing is an error matching fs.ErrExist; a kind the
// kernel does not have fails with EOPNOTSUPP and the kernel's "Unknown
// device type".
func (c *Conn) LinkAdd(ctx context.Context, l *Link) error {
	return c.linkExec(ctx, unix.RTM_NEWLINK, core.FlagCreate|core.FlagExcl, "link add "+linkWho(l), l)
}

// LinkChange changes the existing link l.Index (or, when 0, l.Name) to
// the settable fields of l that are not zero, as rtnl_link_change does:
// Flags under the mask Change, MTU, Name (with Index set: renames),
// Address, Master (HasMaster with 0: nomaster), Alias, TxQLen, Group,
// the namespace (NetNSFD or NetNSPID), and kind data.
func (c *Conn) LinkChange(ctx context.Context, l *Link) error {
	return c.linkExec(ctx, unix.RTM_NEWLINK, 0, "link set "+linkWho(l), l)
}

// LinkDel deletes the link l.Index (or, when 0, l.Name). Deleting one end
// of a veth deletes both.
func (c *Conn) LinkDel(ctx context.Context, l *Link) error {
	var e core.AttrEncoder
	h := linkHeader(FamilyUnspec, 0, l.Index, 0, 0)
	e.Raw(h[:])
	if l.Index == 0 && l.Name != "" {
		e.String(unix.IFLA_IFNAME, l.Name)
	}
	_, err := c.c.Execute(ctx, request(unix.RTM_DELLINK, 0, e.Bytes()))
	return core.WithOp(err, "link del "+linkWho(l))
}

// linkSet sends a minimal change of link index: flags under change, and
// the attributes put appends.
func (c *Conn) linkSet(ctx context.Context, op string, index int32, flags, change LinkFlags, put func(e *core.AttrEncoder)) error {
	var e core.AttrEncoder
	h := linkHeader(FamilyUnspec, 0, index, flags, change)
	e.Raw(h[:])
	if put != nil {
		put(&e)
	}
	_, err := c.c.Execute(ctx, request(unix.RTM_NEWLINK, 0, e.Bytes()))
	return core.WithOp(err, "link set index "+strconv.Itoa(int(index))+" "+op)
}

// LinkSetUp brings link index up (IFF_UP).
func (c *Conn) LinkSetUp(ctx context.Context, index int32) error {
	return c.linkSet(ctx, "up", index, LinkUp, LinkUp, nil)
}

// LinkSetDown takes link index down.
func (c *Conn) LinkSetDown(ctx context.Context, index int32) error {
	return c.linkSet(ctx, "down", index, 0, LinkUp, nil)
}

// LinkSetFlags sets the flags of link index under mask (promisc, arp, ...).
func (c *Conn) LinkSetFlags(ctx context.Context, index int32, flags, mask LinkFlags) error {
	return c.linkSet(ctx, "flags "+mask.String(), index, flags, mask, nil)
}

// LinkSetMTU sets the MTU of link index.
func (c *Conn) LinkSetMTU(ctx context.Context, index int32, mtu uint32) error {
	return c.linkSet(ctx, "mtu "+strconv.FormatUint(uint64(mtu), 10), index, 0, 0, func(e *core.AttrEncoder) {
		e.Uint32(unix.IFLA_MTU, mtu)
	})
}

// LinkSetName renames link index (the link must be down).
func (c *Conn) LinkSetName(ctx context.Context, index int32, name string) error {
	return c.linkSet(ctx, "name "+name, index, 0, 0, func(e *core.AttrEncoder) {
		e.String(unix.IFLA_IFNAME, name)
	})
}

// LinkSetAddress sets the link-layer address of link index.
func (c *Conn) LinkSetAddress(ctx context.Context, index int32, addr net.HardwareAddr) error {
	return c.linkSet(ctx, "address "+addr.String(), index, 0, 0, func(e *core.AttrEncoder) {
		e.HardwareAddr(unix.IFLA_ADDRESS, addr)
	})
}

// LinkSetMaster enslaves link index to master (a bridge, bond, VRF); 0
// releases it (nomaster).
func (c *Conn) LinkSetMaster(ctx context.Context, index int32, master uint32) error {
	op := "master " + strconv.FormatUint(uint64(master), 10)
	if master == 0 {
		op = "nomaster"
	}
	return c.linkSet(ctx, op, index, 0, 0, func(e *core.AttrEncoder) {
		e.Uint32(unix.IFLA_MASTER, master)
	})
}

// LinkSetAlias sets the alias of link index; "" removes it.
func (c *Conn) LinkSetAlias(ctx context.Context, index int32, alias string) error {
	return c.linkSet(ctx, "alias", index, 0, 0, func(e *core.AttrEncoder) {
		if alias == "" {
			e.Binary(unix.IFLA_IFALIAS, nil)
			return
		}
		e.String(unix.IFLA_IFALIAS, alias)
	})
}

// LinkSetTxQLen sets the transmit queue length of link index.
func (c *Conn) LinkSetTxQLen(ctx context.Context, index int32, qlen uint32) error {
	return c.linkSet(ctx, "txqueuelen "+strconv.FormatUint(uint64(qlen), 10), index, 0, 0, func(e *core.AttrEncoder) {
		e.Uint32(unix.IFLA_TXQLEN, qlen)
	})
}

// LinkSetGroup puts link index in group (0 is "default").
func (c *Conn) LinkSetGroup(ctx context.Context, index int32, group uint32) error {
	return c.linkSet(ctx, "group "+strconv.FormatUint(uint64(group), 10), index, 0, 0, func(e *core.AttrEncoder) {
		e.Uint32(unix.IFLA_GROUP, group)
	})
}

// LinkSetNetNS moves link index into the namespace ns (IFLA_NET_NS_FD).
// The link keeps its name there unless it clashes (then the kernel
// refuses).
func (c *Conn) LinkSetNetNS(ctx context.Context, index int32, ns *core.NetNS) error {
	return c.LinkSetNetNSFD(ctx, index, ns.FD())
}

// LinkSetNetNSFD moves link index into the namespace open as fd.
func (c *Conn) LinkSetNetNSFD(ctx context.Context, index int32, fd int) error {
	return c.linkSet(ctx, "netns fd "+strconv.Itoa(fd), index, 0, 0, func(e *core.AttrEncoder) {
		e.Uint32(unix.IFLA_NET_NS_FD, uint32(fd))
	})
}

// LinkSetNetNSPID moves link index into the namespace of process pid.
func (c *Conn) LinkSetNetNSPID(ctx context.Context, index int32, pid int) error {
	return c.linkSet(ctx, "netns pid "+strconv.Itoa(pid), index, 0, 0, func(e *core.AttrEncoder) {
		e.Uint32(unix.IFLA_NET_NS_PID, uint32(pid))
	})
}

// LinkStats returns the 64-bit counters of link index, through
// RTM_GETSTATS with only IFLA_STATS_LINK_64 asked for (lighter than a
// whole RTM_GETLINK).
func (c *Conn) LinkStats(ctx context.Context, index int32) (*LinkStats, error) {
	op := "link stats index " + strconv.Itoa(int(index))
	// struct if_stats_msg: family, pad1, pad2, ifindex, filter_mask.
	var h [12]byte
	binary.NativeEndian.PutUint32(h[4:], uint32(index))
	binary.NativeEndian.PutUint32(h[8:], 1<<(unix.IFLA_STATS_LINK_64-1))
	var st *LinkStats
	err := c.c.ExecuteFunc(ctx, request(unix.RTM_GETSTATS, 0, h[:]), func(m core.Message) error {
		if m.Header.Type != unix.RTM_NEWSTATS || len(m.Data) < len(h) || st != nil {
			return nil
		}
		s := core.ScanAttrs(m.Data[len(h):])
		for s.Next() {
			if s.Type() == unix.IFLA_STATS_LINK_64 {
				st = &LinkStats{}
				if err := st.unmarshal(s.Bytes()); err != nil {
					return err
				}
			}
		}
		return s.Err()
	})
	if err != nil {
		return nil, core.WithOp(err, op)
	}
	if st == nil {
		return nil, &core.OpError{Op: op, Err: errors.New("no IFLA_STATS_LINK_64 in the answer")}
	}
	return st, nil
}
