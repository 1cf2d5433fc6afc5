package route

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Neightbl is a neighbour table (RTM_NEWNEIGHTBL, struct ndtmsg and
// NDTA_*): "arp_cache" (IPv4) or "ndisc_cache" (IPv6). A dump yields one
// value for the table itself (thresholds, config, stats and the default
// parameters, Parms.Ifindex 0) and one per link (Parms for that link).
type Neightbl struct {
	// Family is FamilyInet or FamilyInet6.
	Family Family
	// Name is the table's name (NDTA_NAME).
	Name string
	// Thresh1, Thresh2 and Thresh3 are the garbage-collection thresholds
	// (NDTA_THRESH1-3); only the initial namespace may change them.
	Thresh1, Thresh2, Thresh3 uint32
	// GCInterval is the garbage-collection interval (NDTA_GC_INTERVAL).
	GCInterval time.Duration
	// Config is the table's configuration (NDTA_CONFIG), read only.
	Config *NeightblConfig
	// Stats are the table's statistics (NDTA_STATS), read only.
	Stats *NeightblStats
	// Parms are the parameters (NDTA_PARMS) of the link Parms.Ifindex, or
	// the table's defaults (Ifindex 0).
	Parms *NeighParms

	// Spare storage for Config, Stats and Parms across decodes of
	// messages without them, so a reused value stops allocating.
	cfgSpare   *NeightblConfig
	statsSpare *NeightblStats
	parmsSpare *NeighParms
}

// NeightblConfig is struct ndt_config.
type NeightblConfig struct {
	KeyLen, EntrySize uint16
	Entries           uint32
	// LastFlush and LastRand are how long ago the table was last flushed
	// and its random reachable times refreshed.
	LastFlush, LastRand time.Duration
	HashRnd, HashMask   uint32
	HashChainGC         uint32
	ProxyQueueLen       uint32
}

// NeightblStats is struct ndt_stats.
type NeightblStats struct {
	Allocs         uint64 `json:"allocs"`
	Destroys       uint64 `json:"destroys"`
	HashGrows      uint64 `json:"hash_grows"`
	ResFailed      uint64 `json:"res_failed"`
	Lookups        uint64 `json:"lookups"`
	Hits           uint64 `json:"hits"`
	RcvProbesMcast uint64 `json:"rcv_probes_mcast"`
	RcvProbesUcast uint64 `json:"rcv_probes_ucast"`
	PeriodicGCRuns uint64 `json:"periodic_gc_runs"`
	ForcedGCRuns   uint64 `json:"forced_gc_runs"`
	TableFulls     uint64 `json:"table_fulls"`
}

// NeighParms are the per-link (or default) parameters of a neighbour
// table (NDTPA_*), as in /proc/sys/net/ipv4/neigh/LINK/.
type NeighParms struct {
	// Ifindex is the link (0: the table's defaults).
	Ifindex int32
	// RefCount and ReachableTime are read only.
	RefCount      uint32
	ReachableTime time.Duration
	// BaseReachableTime, RetransTime, GCStaleTime, DelayProbeTime,
	// AnycastDelay, ProxyDelay, Locktime and IntervalProbeTime are times.
	BaseReachableTime, RetransTime, GCStaleTime, DelayProbeTime time.Duration
	AnycastDelay, ProxyDelay, Locktime, IntervalProbeTime       time.Duration
	// QueueLen is the queue length in packets, QueueLenBytes in bytes.
	QueueLen, QueueLenBytes uint32
	// AppProbes, UcastProbes, McastProbes and McastReprobes are probe
	// counts; ProxyQueueLen is the proxy queue's length.
	AppProbes, UcastProbes, McastProbes, McastReprobes, ProxyQueueLen uint32
}

// Equal reports whether t and o are the same table with the same
// settings; Config and Stats, which move on their own, are not compared.
func (t *Neightbl) Equal(o *Neightbl) bool { return len(t.Diff(o)) == 0 }

// Diff names the fields that differ between t and o (Config and Stats
// left out like Equal; Parms compares its settable fields).
func (t *Neightbl) Diff(o *Neightbl) []string {
	var d roDiffer
	d.add("Family", t.Family != o.Family)
	d.add("Name", t.Name != o.Name)
	d.add("Thresh1", t.Thresh1 != o.Thresh1)
	d.add("Thresh2", t.Thresh2 != o.Thresh2)
	d.add("Thresh3", t.Thresh3 != o.Thresh3)
	d.add("GCInterval", t.GCInterval != o.GCInterval)
	d.add("Parms", !neightblParmsEq(t.Parms, o.Parms))
	return d
}

func neightblParmsEq(a, b *NeighParms) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.RefCount, y.RefCount = 0, 0
	x.ReachableTime, y.ReachableTime = 0, 0
	return x == y
}

func neightblMS(d time.Duration) string { return strconv.FormatInt(int64(d/time.Millisecond), 10) }

// String prints t on one line, with the names and units (milliseconds)
// of `ip ntable`: "inet arp_cache thresh1 128 ... dev if3 base_reachable
// 30000 ...".
func (t *Neightbl) String() string { return t.Format(nil) }

// Format is String with link names from names (nil: ifN).
func (t *Neightbl) Format(names func(int32) string) string {
	var b strings.Builder
	b.WriteString(t.Family.String() + " " + t.Name)
	if t.Parms != nil && t.Parms.Ifindex != 0 {
		b.WriteString(" dev " + roLinkName(names, t.Parms.Ifindex))
	}
	if t.Config != nil || t.Thresh1 != 0 {
		b.WriteString(" thresh1 " + strconv.FormatUint(uint64(t.Thresh1), 10) +
			" thresh2 " + strconv.FormatUint(uint64(t.Thresh2), 10) +
			" thresh3 " + strconv.FormatUint(uint64(t.Thresh3), 10) +
			" gc_int " + neightblMS(t.GCInterval))
	}
	if c := t.Config; c != nil {
		b.WriteString(" entries " + strconv.FormatUint(uint64(c.Entries), 10))
	}
	if p := t.Parms; p != nil {
		u := func(name string, v uint32) { b.WriteString(" " + name + " " + strconv.FormatUint(uint64(v), 10)) }
		ms := func(name string, v time.Duration) { b.WriteString(" " + name + " " + neightblMS(v)) }
		ms("base_reachable", p.BaseReachableTime)
		ms("retrans", p.RetransTime)
		ms("gc_stale", p.GCStaleTime)
		ms("delay_probe", p.DelayProbeTime)
		u("queue", p.QueueLen)
		u("app_probes", p.AppProbes)
		u("ucast_probes", p.UcastProbes)
		u("mcast_probes", p.McastProbes)
		ms("anycast_delay", p.AnycastDelay)
		ms("proxy_delay", p.ProxyDelay)
		u("proxy_queue", p.ProxyQueueLen)
		ms("locktime", p.Locktime)
	}
	return b.String()
}

// neightblJSON is the JSON form, with the names of `ip -j ntable`.
type neightblJSON struct {
	Family        Family         `json:"family"`
	Name          string         `json:"name"`
	Ifindex       int32          `json:"ifindex,omitempty"`
	Thresh1       *uint32        `json:"thresh1,omitempty"`
	Thresh2       *uint32        `json:"thresh2,omitempty"`
	Thresh3       *uint32        `json:"thresh3,omitempty"`
	GCInterval    *int64         `json:"gc_interval,omitempty"`
	Entries       *uint32        `json:"entries,omitempty"`
	RefCount      *uint32        `json:"refcnt,omitempty"`
	Reachable     *int64         `json:"reachable,omitempty"`
	BaseReachable *int64         `json:"base_reachable,omitempty"`
	Retrans       *int64         `json:"retrans,omitempty"`
	GCStale       *int64         `json:"gc_stale,omitempty"`
	DelayProbe    *int64         `json:"delay_probe,omitempty"`
	Queue         *uint32        `json:"queue,omitempty"`
	AppProbes     *uint32        `json:"app_probes,omitempty"`
	UcastProbes   *uint32        `json:"ucast_probes,omitempty"`
	McastProbes   *uint32        `json:"mcast_probes,omitempty"`
	AnycastDelay  *int64         `json:"anycast_delay,omitempty"`
	ProxyDelay    *int64         `json:"proxy_delay,omitempty"`
	ProxyQueue    *uint32        `json:"proxy_queue,omitempty"`
	Locktime      *int64         `json:"locktime,omitempty"`
	Stats         *NeightblStats `json:"stats,omitempty"`
}

// MarshalJSON prints t with the field names and units (milliseconds) of
// `ip -j ntable` (thresh1-3, gc_interval, refcnt, reachable,
// base_reachable, retrans, gc_stale, delay_probe, queue, app_probes,
// ucast_probes, mcast_probes, anycast_delay, proxy_delay, proxy_queue,
// locktime); the link is "ifindex".
func (t *Neightbl) MarshalJSON() ([]byte, error) {
	j := neightblJSON{Family: t.Family, Name: t.Name, Stats: t.Stats}
	ms := func(d time.Duration) *int64 { v := int64(d / time.Millisecond); return &v }
	u := func(v uint32) *uint32 { return &v }
	if t.Config != nil || t.Thresh1 != 0 {
		j.Thresh1, j.Thresh2, j.Thresh3, j.GCInterval = u(t.Thresh1), u(t.Thresh2), u(t.Thresh3), ms(t.GCInterval)
	}
	if t.Config != nil {
		j.Entries = u(t.Config.Entries)
	}
	if p := t.Parms; p != nil {
		j.Ifindex = p.Ifindex
		j.RefCount, j.Reachable = u(p.RefCount), ms(p.ReachableTime)
		j.BaseReachable, j.Retrans, j.GCStale, j.DelayProbe = ms(p.BaseReachableTime), ms(p.RetransTime), ms(p.GCStaleTime), ms(p.DelayProbeTime)
		j.Queue, j.AppProbes, j.UcastProbes, j.McastProbes = u(p.QueueLen), u(p.AppProbes), u(p.UcastProbes), u(p.McastProbes)
		j.AnycastDelay, j.ProxyDelay, j.ProxyQueue, j.Locktime = ms(p.AnycastDelay), ms(p.ProxyDelay), u(p.ProxyQueueLen), ms(p.Locktime)
	}
	return json.Marshal(&j)
}
