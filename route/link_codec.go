package route

import (
	"encoding/binary"
	"errors"
	"net"
	"reflect"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Unmarshal decodes an RTM_NEWLINK payload (struct ifinfomsg and the IFLA_*
// attributes) into l with the built-in kinds; a kind it does not know is
// kept as *RawLinkInfo. It reuses l's slices, its Stats, XDP, Inet and
// Inet6 values and, when the kind is the same, its Info value, so decoding
// many messages into one Link allocates little: a copy of l made with =
// shares them, so copy them too (and Info) before decoding into l again if
// the old value is still needed. Unknown attributes are ignored.
func (l *Link) Unmarshal(data []byte) error { return l.UnmarshalKinds(data, nil) }

// UnmarshalKinds is Unmarshal with the kinds of registry k (nil: the
// built-in kinds).
func (l *Link) UnmarshalKinds(data []byte, k *Kinds) error {
	if len(data) < unix.SizeofIfInfomsg {
		return &core.ParseError{What: "ifinfomsg", Len: len(data), Want: unix.SizeofIfInfomsg}
	}
	old := *l
	return l.decode(data, k, &old, nil)
}

// decode replaces l with the message in data (at least an ifinfomsg
// long). It reuses the memory of old, which is l's previous value (for a
// list, a zero Link), and takes what else it needs from m when m is not
// nil (a dump's arena) or from new allocations.
func (l *Link) decode(data []byte, k *Kinds, old *Link, m *linkMem) error {
	*l = Link{
		Family: Family(data[0]),
		Type:   HardwareType(binary.NativeEndian.Uint16(data[2:])),
		Index:  int32(binary.NativeEndian.Uint32(data[4:])),
		Flags:  LinkFlags(binary.NativeEndian.Uint32(data[8:])),
		Change: LinkFlags(binary.NativeEndian.Uint32(data[12:])),
		// Kept even when this link has no kind: the record only lets a
		// later decode reuse values it still finds in the Info fields.
		decoded: old.decoded,
	}
	var spare []byte // room left from an address allocation, for the other
	s := core.ScanAttrs(data[unix.SizeofIfInfomsg:])
	for s.Next() {
		a := s.Attr()
		switch a.Type {
		case unix.IFLA_IFNAME:
			l.Name = linkMemString(m, old.Name, a.StringBytes())
		case unix.IFLA_MTU:
			l.MTU = s.Uint32()
		case unix.IFLA_MIN_MTU:
			l.MinMTU = s.Uint32()
		case unix.IFLA_MAX_MTU:
			l.MaxMTU = s.Uint32()
		case unix.IFLA_QDISC:
			l.Qdisc = linkQdiscName(m, old.Qdisc, a.StringBytes())
		case unix.IFLA_OPERSTATE:
			l.OperState = OperState(s.Uint8())
		case unix.IFLA_LINKMODE:
			l.LinkMode = LinkMode(s.Uint8())
		case unix.IFLA_GROUP:
			l.Group = s.Uint32()
		case unix.IFLA_TXQLEN:
			l.TxQLen = s.Uint32()
		case unix.IFLA_ADDRESS:
			l.Address, spare = linkCopyHW(old.Address, spare, a.Data, m)
		case unix.IFLA_BROADCAST:
			l.Broadcast, spare = linkCopyHW(old.Broadcast, spare, a.Data, m)
		case unix.IFLA_PERM_ADDRESS:
			l.PermAddress, spare = linkCopyHW(old.PermAddress, spare, a.Data, m)
		case unix.IFLA_MASTER:
			l.Master = s.Uint32()
			l.HasMaster = true
		case unix.IFLA_LINK:
			l.ParentIndex = int32(s.Uint32())
		case unix.IFLA_LINK_NETNSID:
			l.LinkNetNSID, l.HasLinkNetNSID = int32(s.Uint32()), true
		case unix.IFLA_IFALIAS:
			l.Alias = linkMemString(m, old.Alias, a.StringBytes())
		case unix.IFLA_PROP_LIST:
			l.AltNames = old.AltNames[:0]
			if m != nil && cap(l.AltNames) == 0 {
				l.AltNames = m.strs.take(linkCountAttrs(a.Data, unix.IFLA_ALT_IFNAME))[:0]
			}
			n := core.ScanAttrs(a.Data)
			i := 0
			for n.Next() {
				if n.Type() == unix.IFLA_ALT_IFNAME {
					prev := ""
					if i < len(old.AltNames) {
						prev = old.AltNames[i]
					}
					l.AltNames = append(l.AltNames, linkMemString(m, prev, n.Attr().StringBytes()))
					i++
				}
			}
			s.Fail(n.Err())
			if len(l.AltNames) == 0 {
				l.AltNames = nil
			}
		case unix.IFLA_CARRIER:
			l.Carrier = s.Uint8() != 0
		case unix.IFLA_CARRIER_CHANGES:
			l.CarrierChanges = s.Uint32()
		case unix.IFLA_CARRIER_UP_COUNT:
			l.CarrierUpCount = s.Uint32()
		case unix.IFLA_CARRIER_DOWN_COUNT:
			l.CarrierDownCount = s.Uint32()
		case unix.IFLA_PROMISCUITY:
			l.Promiscuity = s.Uint32()
		case unix.IFLA_ALLMULTI:
			l.AllMulti = s.Uint32()
		case unix.IFLA_GSO_MAX_SIZE:
			l.GSOMaxSize = s.Uint32()
		case unix.IFLA_GSO_MAX_SEGS:
			l.GSOMaxSegs = s.Uint32()
		case unix.IFLA_GSO_IPV4_MAX_SIZE:
			l.GSOIPv4MaxSize = s.Uint32()
		case unix.IFLA_GRO_MAX_SIZE:
			l.GROMaxSize = s.Uint32()
		case unix.IFLA_GRO_IPV4_MAX_SIZE:
			l.GROIPv4MaxSize = s.Uint32()
		case unix.IFLA_TSO_MAX_SIZE:
			l.TSOMaxSize = s.Uint32()
		case unix.IFLA_TSO_MAX_SEGS:
			l.TSOMaxSegs = s.Uint32()
		case unix.IFLA_NUM_TX_QUEUES:
			l.NumTxQueues = s.Uint32()
		case unix.IFLA_NUM_RX_QUEUES:
			l.NumRxQueues = s.Uint32()
		case unix.IFLA_PROTO_DOWN:
			l.ProtoDown = s.Uint8() != 0
		case unix.IFLA_PROTO_DOWN_REASON:
			n := core.ScanAttrs(a.Data)
			for n.Next() {
				if n.Type() == unix.IFLA_PROTO_DOWN_REASON_VALUE {
					l.ProtoDownReason = n.Uint32()
				}
			}
			s.Fail(n.Err())
		case unix.IFLA_PARENT_DEV_NAME:
			l.ParentDevName = linkMemString(m, old.ParentDevName, a.StringBytes())
		case unix.IFLA_PARENT_DEV_BUS_NAME:
			l.ParentDevBus = linkMemString(m, old.ParentDevBus, a.StringBytes())
		case unix.IFLA_STATS64:
			st := l.Stats
			switch {
			case st != nil:
			case old.Stats != nil:
				st = old.Stats
			case m != nil:
				st = m.stats.one()
			default:
				st = new(LinkStats)
			}
			if err := st.unmarshal(a.Data); err != nil {
				s.Fail(err)
				break
			}
			l.Stats = st
		case unix.IFLA_XDP:
			var x LinkXDP
			if err := x.unmarshal(a.Data); err != nil {
				s.Fail(err)
				break
			}
			if x == (LinkXDP{}) {
				l.XDP = nil
				break
			}
			p := l.XDP
			switch {
			case p != nil:
			case old.XDP != nil:
				p = old.XDP
			case m != nil:
				p = m.xdp.one()
			default:
				p = new(LinkXDP)
			}
			*p = x
			l.XDP = p
		case unix.IFLA_AF_SPEC:
			s.Fail(linkDecodeAFSpec(l, a.Data, old, m))
		case unix.IFLA_NUM_VF:
			l.NumVF = s.Uint32()
		case unix.IFLA_VFINFO_LIST:
			l.VFs = old.VFs
			s.Fail(linkDecodeVFs(l, a.Data, m))
		case unix.IFLA_LINKINFO:
			s.Fail(l.decodeLinkInfo(a.Data, old, k, m))
		}
	}
	if err := s.Err(); err != nil {
		return linkDecodeErr(l, err)
	}
	return nil
}

func linkDecodeErr(l *Link, err error) error {
	what := "link"
	if l.Name != "" {
		what += " " + l.Name
	}
	return &core.OpError{Op: "decode " + what, Err: err}
}

// decodeLinkInfo reads IFLA_LINKINFO, reusing old's Info values when
// their kind matches (or, in a LinkIter loop, values of the kind an
// earlier link had).
func (l *Link) decodeLinkInfo(b []byte, old *Link, k *Kinds, m *linkMem) error {
	var kind, slaveKind, data, slaveData []byte
	s := core.ScanAttrs(b)
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_INFO_KIND:
			kind = s.Attr().StringBytes()
		case unix.IFLA_INFO_DATA:
			data = s.Bytes()
		case unix.IFLA_INFO_SLAVE_KIND:
			slaveKind = s.Attr().StringBytes()
		case unix.IFLA_INFO_SLAVE_DATA:
			slaveData = s.Bytes()
		}
	}
	if err := s.Err(); err != nil {
		return err
	}
	// Reuse the old values only if this package made them, with the same
	// registry, and the caller did not replace them.
	var prev, prevSlave LinkInfo
	if d := old.decoded; d != nil && d.kinds == k {
		if linkSameInfo(old.Info, d.info) {
			prev = old.Info
		}
		if linkSameInfo(old.SlaveInfo, d.slave) {
			prevSlave = old.SlaveInfo
		}
	}
	var err error
	if len(kind) > 0 {
		l.Info, err = linkDecodeInfo(prev, kind, data, k, false, m)
		if err != nil {
			return err
		}
	}
	if len(slaveKind) > 0 {
		l.SlaveInfo, err = linkDecodeInfo(prevSlave, slaveKind, slaveData, k, true, m)
		if err != nil {
			return err
		}
	}
	if m != nil && m.list {
		// A list's values are decoded once: nothing to remember.
		return nil
	}
	d := old.decoded
	if d == nil {
		d = new(linkDecoded)
	}
	*d = linkDecoded{info: l.Info, slave: l.SlaveInfo, kinds: k}
	l.decoded = d
	return nil
}

// linkSameInfo reports whether a and b are the same pointer (values of
// other kinds are never reused, and comparing them could panic).
func linkSameInfo(a, b LinkInfo) bool {
	if a == nil || b == nil || reflect.ValueOf(a).Kind() != reflect.Pointer || reflect.ValueOf(b).Kind() != reflect.Pointer {
		return false
	}
	return a == b
}

// linkDecodeInfo decodes data into prev when it is of this kind, else
// into a value from m (a LinkIter loop's earlier value of the kind, or the
// veth slab of a list), else into a new value from k.
func linkDecodeInfo(prev LinkInfo, kind, data []byte, k *Kinds, slave bool, m *linkMem) (LinkInfo, error) {
	v := prev
	if v == nil || v.Kind() != string(kind) {
		v = nil
		if m != nil {
			v = m.info(kind, k, slave)
		}
		if v == nil {
			v = k.newInfo(string(kind), slave)
		}
		if v == nil {
			v = &RawLinkInfo{Name: linkMemString(m, "", kind)}
		}
		if m != nil && !m.list {
			m.keepInfo(v, kind, slave)
		}
	}
	if err := v.DecodeInfo(data); err != nil {
		what := "IFLA_INFO_DATA"
		if slave {
			what = "IFLA_INFO_SLAVE_DATA"
		}
		return nil, errors.Join(errors.New(what+" of kind "+string(kind)), err)
	}
	return v, nil
}

// linkCopyHW copies an address into prev's memory when it fits, else
// into spare, else into memory from m, else into a new allocation sized
// for two addresses (the address and the broadcast address share it); it
// returns the copy and the room left.
func linkCopyHW(prev net.HardwareAddr, spare, b []byte, m *linkMem) (net.HardwareAddr, []byte) {
	n := len(b)
	switch {
	case n == 0:
		return nil, spare
	case cap(prev) >= n:
		return net.HardwareAddr(append(prev[:0], b...)), spare
	case cap(spare) >= n:
		out := spare[:n:n]
		copy(out, b)
		return net.HardwareAddr(out), spare[n:]
	case m != nil:
		out := m.bytes.take(n)
		copy(out, b)
		return net.HardwareAddr(out), spare
	}
	buf := make([]byte, 2*n)
	copy(buf, b)
	return net.HardwareAddr(buf[:n:n]), buf[n:]
}

// linkQdiscName interns the common qdisc names, else is linkMemString.
func linkQdiscName(m *linkMem, prev string, b []byte) string {
	switch string(b) {
	case "noqueue":
		return "noqueue"
	case "noop":
		return "noop"
	case "pfifo_fast":
		return "pfifo_fast"
	case "fq_codel":
		return "fq_codel"
	case "mq":
		return "mq"
	case "fq":
		return "fq"
	}
	return linkMemString(m, prev, b)
}

// Marshal appends struct ifinfomsg and the attributes of an RTM_NEWLINK
// request built from l to b: the settable fields that are not zero (the
// kernel's read-only facts — statistics, carrier counts, TSO limits,
// permanent address, ... — are left out), IFLA_LINKINFO from Info and
// SlaveInfo, and the namespace to move to.
func (l *Link) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	if err := l.encode(&e); err != nil {
		return b, err
	}
	return append(b, e.Bytes()...), nil
}

// linkHeader encodes struct ifinfomsg.
func linkHeader(family Family, typ HardwareType, index int32, flags, change LinkFlags) [unix.SizeofIfInfomsg]byte {
	var h [unix.SizeofIfInfomsg]byte
	h[0] = byte(family)
	binary.NativeEndian.PutUint16(h[2:], uint16(typ))
	binary.NativeEndian.PutUint32(h[4:], uint32(index))
	binary.NativeEndian.PutUint32(h[8:], uint32(flags))
	binary.NativeEndian.PutUint32(h[12:], uint32(change))
	return h
}

// encode appends the request form of l to e.
func (l *Link) encode(e *core.AttrEncoder) error {
	h := linkHeader(l.Family, l.Type, l.Index, l.Flags, l.Change)
	e.Raw(h[:])
	if l.Name != "" {
		if len(l.Name) >= unix.IFNAMSIZ {
			return errors.New("route: link name " + l.Name + " longer than 15 bytes")
		}
		e.String(unix.IFLA_IFNAME, l.Name)
	}
	if l.MTU != 0 {
		e.Uint32(unix.IFLA_MTU, l.MTU)
	}
	if l.TxQLen != 0 {
		e.Uint32(unix.IFLA_TXQLEN, l.TxQLen)
	}
	if len(l.Address) > 0 {
		e.HardwareAddr(unix.IFLA_ADDRESS, l.Address)
	}
	if len(l.Broadcast) > 0 {
		e.HardwareAddr(unix.IFLA_BROADCAST, l.Broadcast)
	}
	if l.Master != 0 || l.HasMaster {
		e.Uint32(unix.IFLA_MASTER, l.Master)
	}
	if l.ParentIndex != 0 {
		e.Uint32(unix.IFLA_LINK, uint32(l.ParentIndex))
	}
	if l.HasLinkNetNSID {
		e.Int32(unix.IFLA_LINK_NETNSID, l.LinkNetNSID)
	}
	if l.Group != 0 {
		e.Uint32(unix.IFLA_GROUP, l.Group)
	}
	if l.Alias != "" {
		e.String(unix.IFLA_IFALIAS, l.Alias)
	}
	if l.LinkMode != 0 {
		e.Uint8(unix.IFLA_LINKMODE, uint8(l.LinkMode))
	}
	if l.OperState != 0 {
		e.Uint8(unix.IFLA_OPERSTATE, uint8(l.OperState))
	}
	if l.GSOMaxSize != 0 {
		e.Uint32(unix.IFLA_GSO_MAX_SIZE, l.GSOMaxSize)
	}
	if l.GSOMaxSegs != 0 {
		e.Uint32(unix.IFLA_GSO_MAX_SEGS, l.GSOMaxSegs)
	}
	if l.GSOIPv4MaxSize != 0 {
		e.Uint32(unix.IFLA_GSO_IPV4_MAX_SIZE, l.GSOIPv4MaxSize)
	}
	if l.GROMaxSize != 0 {
		e.Uint32(unix.IFLA_GRO_MAX_SIZE, l.GROMaxSize)
	}
	if l.GROIPv4MaxSize != 0 {
		e.Uint32(unix.IFLA_GRO_IPV4_MAX_SIZE, l.GROIPv4MaxSize)
	}
	if l.NumTxQueues != 0 {
		e.Uint32(unix.IFLA_NUM_TX_QUEUES, l.NumTxQueues)
	}
	if l.NumRxQueues != 0 {
		e.Uint32(unix.IFLA_NUM_RX_QUEUES, l.NumRxQueues)
	}
	if l.ProtoDown {
		e.Uint8(unix.IFLA_PROTO_DOWN, 1)
	}
	if l.HasNetNSFD {
		e.Uint32(unix.IFLA_NET_NS_FD, uint32(l.NetNSFD))
	}
	if l.HasNetNSPID {
		e.Uint32(unix.IFLA_NET_NS_PID, uint32(l.NetNSPID))
	}
	if err := linkEncodeAFSpec(e, l); err != nil {
		return err
	}
	if l.Info == nil && l.SlaveInfo == nil {
		return nil
	}
	li := e.NestStart(unix.IFLA_LINKINFO)
	if l.Info != nil {
		e.String(unix.IFLA_INFO_KIND, l.Info.Kind())
		if err := linkEncodeData(e, unix.IFLA_INFO_DATA, l.Info); err != nil {
			return err
		}
	}
	if l.SlaveInfo != nil {
		e.String(unix.IFLA_INFO_SLAVE_KIND, l.SlaveInfo.Kind())
		if err := linkEncodeData(e, unix.IFLA_INFO_SLAVE_DATA, l.SlaveInfo); err != nil {
			return err
		}
	}
	return e.NestEnd(li)
}

// linkEncodeData writes the nest typ holding info's attributes, or nothing
// when info has none.
func linkEncodeData(e *core.AttrEncoder, typ uint16, info LinkInfo) error {
	n := e.NestStart(typ)
	start := e.Len()
	if err := info.EncodeInfo(e); err != nil {
		e.NestCancel(n)
		return err
	}
	if e.Len() == start {
		e.NestCancel(n)
		return nil
	}
	return e.NestEnd(n)
}

// linkCountAttrs counts the attributes of type t in b (up to the first
// malformed one).
func linkCountAttrs(b []byte, t uint16) int {
	n := 0
	s := core.ScanAttrs(b)
	for s.Next() {
		if s.Type() == t {
			n++
		}
	}
	return n
}
