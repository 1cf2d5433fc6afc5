package route

import (
	"context"
	"encoding/binary"
	"errors"
	"iter"
	"strconv"
	"time"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// The NDTA_* and NDTPA_* attributes (linux/neighbour.h).
const (
	ndtaName       = 1
	ndtaThresh1    = 2
	ndtaThresh2    = 3
	ndtaThresh3    = 4
	ndtaConfig     = 5
	ndtaParms      = 6
	ndtaStats      = 7
	ndtaGCInterval = 8

	ndtpaIfindex           = 1
	ndtpaRefcnt            = 2
	ndtpaReachableTime     = 3
	ndtpaBaseReachableTime = 4
	ndtpaRetransTime       = 5
	ndtpaGCStaletime       = 6
	ndtpaDelayProbeTime    = 7
	ndtpaQueueLen          = 8
	ndtpaAppProbes         = 9
	ndtpaUcastProbes       = 10
	ndtpaMcastProbes       = 11
	ndtpaAnycastDelay      = 12
	ndtpaProxyDelay        = 13
	ndtpaProxyQlen         = 14
	ndtpaLocktime          = 15
	ndtpaQueueLenBytes     = 16
	ndtpaMcastReprobes     = 17
	ndtpaIntervalProbeTime = 19
)

// neightblHeaderLen is sizeof(struct ndtmsg); the config and stats
// structures' sizes follow.
const (
	neightblHeaderLen = 4
	neightblConfigLen = 32
	neightblStatsLen  = 88
)

// neightblMillis reads a u64 attribute of milliseconds.
func neightblMillis(s *core.AttrScanner) time.Duration {
	return time.Duration(s.Uint64()) * time.Millisecond
}

// neightblName returns the table name in b without allocating for the
// kernel's own tables or an unchanged name.
func neightblName(old string, b []byte) string {
	switch string(b) {
	case "arp_cache":
		return "arp_cache"
	case "ndisc_cache":
		return "ndisc_cache"
	}
	return ruleKeepString(old, b)
}

// Unmarshal decodes an RTM_NEWNEIGHTBL payload (struct ndtmsg and NDTA_*
// attributes) into t. It reuses t's Config, Stats and Parms storage.
func (t *Neightbl) Unmarshal(data []byte) error {
	if len(data) < neightblHeaderLen {
		return roShort("ndtmsg", len(data), neightblHeaderLen)
	}
	cfg, st, parms, name := t.Config, t.Stats, t.Parms, t.Name
	if cfg == nil {
		cfg = t.cfgSpare
	}
	if st == nil {
		st = t.statsSpare
	}
	if parms == nil {
		parms = t.parmsSpare
	}
	*t = Neightbl{Family: Family(data[0])}
	defer func() { t.cfgSpare, t.statsSpare, t.parmsSpare = cfg, st, parms }()
	s := core.ScanAttrs(data[neightblHeaderLen:])
	for s.Next() {
		switch s.Type() {
		case ndtaName:
			t.Name = neightblName(name, s.Attr().StringBytes())
		case ndtaThresh1:
			t.Thresh1 = s.Uint32()
		case ndtaThresh2:
			t.Thresh2 = s.Uint32()
		case ndtaThresh3:
			t.Thresh3 = s.Uint32()
		case ndtaGCInterval:
			t.GCInterval = neightblMillis(&s)
		case ndtaConfig:
			b := s.Bytes()
			if len(b) < neightblConfigLen {
				s.Fail(&core.AttrError{Type: ndtaConfig, Kind: "ndt_config", Len: len(b), Want: neightblConfigLen})
				break
			}
			if cfg == nil {
				cfg = new(NeightblConfig)
			}
			*cfg = NeightblConfig{
				KeyLen: roU16(b), EntrySize: roU16(b[2:]), Entries: roU32(b[4:]),
				LastFlush: time.Duration(roU32(b[8:])) * time.Millisecond,
				LastRand:  time.Duration(roU32(b[12:])) * time.Millisecond,
				HashRnd:   roU32(b[16:]), HashMask: roU32(b[20:]), HashChainGC: roU32(b[24:]),
				ProxyQueueLen: roU32(b[28:]),
			}
			t.Config = cfg
		case ndtaStats:
			b := s.Bytes()
			if len(b) < neightblStatsLen {
				s.Fail(&core.AttrError{Type: ndtaStats, Kind: "ndt_stats", Len: len(b), Want: neightblStatsLen})
				break
			}
			if st == nil {
				st = new(NeightblStats)
			}
			u := func(i int) uint64 { return binary.NativeEndian.Uint64(b[8*i:]) }
			*st = NeightblStats{Allocs: u(0), Destroys: u(1), HashGrows: u(2), ResFailed: u(3),
				Lookups: u(4), Hits: u(5), RcvProbesMcast: u(6), RcvProbesUcast: u(7),
				PeriodicGCRuns: u(8), ForcedGCRuns: u(9), TableFulls: u(10)}
			t.Stats = st
		case ndtaParms:
			if parms == nil {
				parms = new(NeighParms)
			}
			*parms = NeighParms{}
			n := s.Nested()
			for n.Next() {
				p := parms
				switch n.Type() {
				case ndtpaIfindex:
					p.Ifindex = int32(n.Uint32())
				case ndtpaRefcnt:
					p.RefCount = n.Uint32()
				case ndtpaReachableTime:
					p.ReachableTime = neightblMillis(&n)
				case ndtpaBaseReachableTime:
					p.BaseReachableTime = neightblMillis(&n)
				case ndtpaRetransTime:
					p.RetransTime = neightblMillis(&n)
				case ndtpaGCStaletime:
					p.GCStaleTime = neightblMillis(&n)
				case ndtpaDelayProbeTime:
					p.DelayProbeTime = neightblMillis(&n)
				case ndtpaQueueLen:
					p.QueueLen = n.Uint32()
				case ndtpaAppProbes:
					p.AppProbes = n.Uint32()
				case ndtpaUcastProbes:
					p.UcastProbes = n.Uint32()
				case ndtpaMcastProbes:
					p.McastProbes = n.Uint32()
				case ndtpaAnycastDelay:
					p.AnycastDelay = neightblMillis(&n)
				case ndtpaProxyDelay:
					p.ProxyDelay = neightblMillis(&n)
				case ndtpaProxyQlen:
					p.ProxyQueueLen = n.Uint32()
				case ndtpaLocktime:
					p.Locktime = neightblMillis(&n)
				case ndtpaQueueLenBytes:
					p.QueueLenBytes = n.Uint32()
				case ndtpaMcastReprobes:
					p.McastReprobes = n.Uint32()
				case ndtpaIntervalProbeTime:
					p.IntervalProbeTime = neightblMillis(&n)
				}
			}
			s.Fail(n.Err())
			t.Parms = parms
		}
	}
	return s.Err()
}

// Marshal appends t as an RTM_SETNEIGHTBL payload to b: the name, the
// thresholds and GC interval when not zero, and every settable parameter
// of Parms (NDTPA_IFINDEX names the link, 0 the defaults). Use
// NeightblChange to change only some settings.
func (t *Neightbl) Marshal(b []byte) ([]byte, error) {
	c := NeightblChange{Family: t.Family, Name: t.Name}
	if t.Thresh1 != 0 {
		c.Thresh1 = &t.Thresh1
	}
	if t.Thresh2 != 0 {
		c.Thresh2 = &t.Thresh2
	}
	if t.Thresh3 != 0 {
		c.Thresh3 = &t.Thresh3
	}
	if t.GCInterval != 0 {
		c.GCInterval = &t.GCInterval
	}
	if p := t.Parms; p != nil {
		c.Ifindex = p.Ifindex
		c.BaseReachableTime, c.RetransTime, c.GCStaleTime, c.DelayProbeTime = &p.BaseReachableTime, &p.RetransTime, &p.GCStaleTime, &p.DelayProbeTime
		c.AnycastDelay, c.ProxyDelay, c.Locktime = &p.AnycastDelay, &p.ProxyDelay, &p.Locktime
		c.QueueLenBytes, c.AppProbes, c.UcastProbes, c.McastProbes = &p.QueueLenBytes, &p.AppProbes, &p.UcastProbes, &p.McastProbes
		c.McastReprobes, c.ProxyQueueLen = &p.McastReprobes, &p.ProxyQueueLen
		if p.IntervalProbeTime != 0 {
			c.IntervalProbeTime = &p.IntervalProbeTime
		}
		// The kernel applies QUEUE_LEN before QUEUE_LENBYTES, so the
		// byte count wins, as it was read.
		c.QueueLen = &p.QueueLen
	}
	return c.Marshal(b)
}

// NeightblChange changes some settings of a neighbour table (`ip ntable
// change`): the fields left nil are not touched. Thresholds, the GC
// interval and the table's default parameters (Ifindex 0) belong to the
// initial namespace: in another one the kernel refuses them (ENOENT), and
// only per-link parameters can change.
type NeightblChange struct {
	// Family and Name name the table ("arp_cache" for FamilyInet,
	// "ndisc_cache" for FamilyInet6).
	Family Family
	Name   string
	// Ifindex names the link whose parameters change; 0 changes the
	// table's defaults.
	Ifindex int32

	Thresh1, Thresh2, Thresh3 *uint32
	GCInterval                *time.Duration

	BaseReachableTime, RetransTime, GCStaleTime, DelayProbeTime *time.Duration
	AnycastDelay, ProxyDelay, Locktime, IntervalProbeTime       *time.Duration
	QueueLen, QueueLenBytes                                     *uint32
	AppProbes, UcastProbes, McastProbes, McastReprobes          *uint32
	ProxyQueueLen                                               *uint32
}

var errNeightblName = errors.New("route: a neighbour table change needs the table's name")

// Marshal appends the change as an RTM_SETNEIGHTBL payload to b.
func (c *NeightblChange) Marshal(b []byte) ([]byte, error) {
	if c.Name == "" {
		return b, errNeightblName
	}
	var e core.AttrEncoder
	e.Raw([]byte{byte(c.Family), 0, 0, 0})
	e.String(ndtaName, c.Name)
	for _, v := range []struct {
		typ uint16
		p   *uint32
	}{{ndtaThresh1, c.Thresh1}, {ndtaThresh2, c.Thresh2}, {ndtaThresh3, c.Thresh3}} {
		if v.p != nil {
			e.Uint32(v.typ, *v.p)
		}
	}
	if c.GCInterval != nil {
		e.Uint64(ndtaGCInterval, uint64(*c.GCInterval/time.Millisecond))
	}
	n := e.NestStart(ndtaParms | core.AttrNested)
	start := e.Len()
	if c.Ifindex != 0 {
		e.Uint32(ndtpaIfindex, uint32(c.Ifindex))
	}
	for _, v := range []struct {
		typ uint16
		p   *time.Duration
	}{
		{ndtpaBaseReachableTime, c.BaseReachableTime}, {ndtpaRetransTime, c.RetransTime},
		{ndtpaGCStaletime, c.GCStaleTime}, {ndtpaDelayProbeTime, c.DelayProbeTime},
		{ndtpaAnycastDelay, c.AnycastDelay}, {ndtpaProxyDelay, c.ProxyDelay},
		{ndtpaLocktime, c.Locktime}, {ndtpaIntervalProbeTime, c.IntervalProbeTime},
	} {
		if v.p != nil {
			e.Uint64(v.typ, uint64(*v.p/time.Millisecond))
		}
	}
	for _, v := range []struct {
		typ uint16
		p   *uint32
	}{
		{ndtpaQueueLen, c.QueueLen}, {ndtpaQueueLenBytes, c.QueueLenBytes},
		{ndtpaAppProbes, c.AppProbes}, {ndtpaUcastProbes, c.UcastProbes},
		{ndtpaMcastProbes, c.McastProbes}, {ndtpaMcastReprobes, c.McastReprobes},
		{ndtpaProxyQlen, c.ProxyQueueLen},
	} {
		if v.p != nil {
			e.Uint32(v.typ, *v.p)
		}
	}
	if e.Len() == start {
		e.NestCancel(n)
	} else if err := e.NestEnd(n); err != nil {
		return b, err
	}
	return append(b, e.Bytes()...), nil
}

// neightblDumpRequest asks for the tables of family (FamilyUnspec: all).
func neightblDumpRequest(family Family) core.Message {
	return request(unix.RTM_GETNEIGHTBL, 0, []byte{byte(family), 0, 0, 0})
}

// NeightblIter lists the neighbour tables of family (FamilyUnspec for
// all) one message at a time: each table, then its per-link parameters.
// The value is reused and valid only inside the loop body.
func (c *Conn) NeightblIter(ctx context.Context, family Family) iter.Seq2[*Neightbl, error] {
	return roIter[Neightbl](ctx, c, neightblDumpRequest(family), unix.RTM_NEWNEIGHTBL, "neightbl list", nil)
}

// Neightbls lists the neighbour tables of family (FamilyUnspec for all),
// like `ip ntable show`.
func (c *Conn) Neightbls(ctx context.Context, family Family) ([]Neightbl, error) {
	return roList[Neightbl](ctx, c, neightblDumpRequest(family), unix.RTM_NEWNEIGHTBL, "neightbl list", nil)
}

// NeightblSet applies ch (`ip ntable change name NAME [dev LINK]
// ...`). An unknown table or link is ENOENT (fs.ErrNotExist).
func (c *Conn) NeightblSet(ctx context.Context, ch *NeightblChange) error {
	op := "neightbl change " + ch.Name
	if ch.Ifindex != 0 {
		op += " dev " + strconv.Itoa(int(ch.Ifindex))
	}
	data, err := ch.Marshal(nil)
	if err != nil {
		return core.WithOp(err, op)
	}
	return roExec(ctx, c, request(unix.RTM_SETNEIGHTBL, 0, data), op)
}
