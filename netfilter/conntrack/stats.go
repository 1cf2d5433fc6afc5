package conntrack

import (
	"bytes"
	"context"
	"os"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
)

// CPUStats are one CPU's conntrack counters (IPCTNL_MSG_CT_GET_STATS_CPU),
// the figures `conntrack -S` prints.
type CPUStats struct {
	CPU           uint16 `json:"cpu"`
	Found         uint32 `json:"found"`
	Invalid       uint32 `json:"invalid"`
	Insert        uint32 `json:"insert"`
	InsertFailed  uint32 `json:"insert_failed"`
	Drop          uint32 `json:"drop"`
	EarlyDrop     uint32 `json:"early_drop"`
	Error         uint32 `json:"error"`
	SearchRestart uint32 `json:"search_restart"`
	ClashResolve  uint32 `json:"clash_resolve"`
	ChainTooLong  uint32 `json:"chaintoolong"`
}

// Unmarshal decodes a per-CPU statistics message's payload.
func (s *CPUStats) Unmarshal(data []byte) error {
	h, attrs, err := netfilter.ParseHeader(data)
	if err != nil {
		return err
	}
	*s = CPUStats{CPU: h.ResID}
	sc := core.ScanAttrs(attrs)
	for sc.Next() {
		var p *uint32
		switch sc.Type() {
		case 2:
			p = &s.Found
		case 4:
			p = &s.Invalid
		case 8:
			p = &s.Insert
		case 9:
			p = &s.InsertFailed
		case 10:
			p = &s.Drop
		case 11:
			p = &s.EarlyDrop
		case 12:
			p = &s.Error
		case 13:
			p = &s.SearchRestart
		case 14:
			p = &s.ClashResolve
		case 15:
			p = &s.ChainTooLong
		default:
			continue
		}
		*p = ctGet32(&sc)
	}
	if err := sc.Err(); err != nil {
		return &core.OpError{Op: "conntrack: decode statistics", Err: err}
	}
	return nil
}

// String prints the line `conntrack -S` prints for the CPU.
func (s *CPUStats) String() string {
	b := []byte("cpu=")
	b = strconv.AppendUint(b, uint64(s.CPU), 10)
	for _, f := range []struct {
		n string
		v uint32
	}{{"found", s.Found}, {"invalid", s.Invalid}, {"insert", s.Insert}, {"insert_failed", s.InsertFailed},
		{"drop", s.Drop}, {"early_drop", s.EarlyDrop}, {"error", s.Error}, {"search_restart", s.SearchRestart},
		{"clash_resolve", s.ClashResolve}, {"chaintoolong", s.ChainTooLong}} {
		b = append(b, ' ')
		b = append(b, f.n...)
		b = append(b, '=')
		b = strconv.AppendUint(b, uint64(f.v), 10)
	}
	return string(b)
}

// GlobalStats are the table's size and limit (IPCTNL_MSG_CT_GET_STATS).
type GlobalStats struct {
	// Entries is the number of flows in the table (`conntrack -C`).
	Entries uint32 `json:"entries"`
	// MaxEntries is the table's limit (net.netfilter.nf_conntrack_max).
	MaxEntries uint32 `json:"max_entries"`
}

// Unmarshal decodes a global statistics message's payload.
func (g *GlobalStats) Unmarshal(data []byte) error {
	_, attrs, err := netfilter.ParseHeader(data)
	if err != nil {
		return err
	}
	*g = GlobalStats{}
	sc := core.ScanAttrs(attrs)
	for sc.Next() {
		switch sc.Type() {
		case ctaStatsGlobalEntries:
			g.Entries = ctGet32(&sc)
		case ctaStatsGlobalMaxEntries:
			g.MaxEntries = ctGet32(&sc)
		}
	}
	if err := sc.Err(); err != nil {
		return &core.OpError{Op: "conntrack: decode statistics", Err: err}
	}
	return nil
}

// ExpectStats are one CPU's expectation counters
// (IPCTNL_MSG_EXP_GET_STATS_CPU).
type ExpectStats struct {
	CPU    uint16 `json:"cpu"`
	New    uint32 `json:"new"`
	Create uint32 `json:"create"`
	Delete uint32 `json:"delete"`
}

// Unmarshal decodes a per-CPU expectation statistics message's payload.
func (s *ExpectStats) Unmarshal(data []byte) error {
	h, attrs, err := netfilter.ParseHeader(data)
	if err != nil {
		return err
	}
	*s = ExpectStats{CPU: h.ResID}
	sc := core.ScanAttrs(attrs)
	for sc.Next() {
		switch sc.Type() {
		case 1:
			s.New = ctGet32(&sc)
		case 2:
			s.Create = ctGet32(&sc)
		case 3:
			s.Delete = ctGet32(&sc)
		}
	}
	if err := sc.Err(); err != nil {
		return &core.OpError{Op: "conntrack: decode expectation statistics", Err: err}
	}
	return nil
}

// statsRequest is a request with an empty nfgenmsg.
func statsRequest(typ uint16, flags core.HeaderFlags) core.Message {
	return ctRequest(typ, flags, netfilter.AppendHeader(nil, netfilter.Header{}))
}

// CPUStats reads every CPU's counters.
func (c *Conn) CPUStats(ctx context.Context) ([]CPUStats, error) {
	var out []CPUStats
	for m, err := range c.c.Dump(ctx, statsRequest(ctType(msgCTGetStatsCPU), 0)) {
		if err != nil {
			return out, core.WithOp(err, "conntrack statistics")
		}
		var s CPUStats
		if err := s.Unmarshal(m.Data); err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

// ExpectCPUStats reads every CPU's expectation counters.
func (c *Conn) ExpectCPUStats(ctx context.Context) ([]ExpectStats, error) {
	var out []ExpectStats
	for m, err := range c.c.Dump(ctx, statsRequest(expType(msgExpGetStatsCPU), 0)) {
		if err != nil {
			return out, core.WithOp(err, "conntrack expectation statistics")
		}
		var s ExpectStats
		if err := s.Unmarshal(m.Data); err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

// GlobalStats reads the number of flows and the table's limit.
func (c *Conn) GlobalStats(ctx context.Context) (GlobalStats, error) {
	var g GlobalStats
	got := false
	err := c.c.ExecuteFunc(ctx, statsRequest(ctType(msgCTGetStats), 0), func(m core.Message) error {
		if got {
			return nil
		}
		got = true
		return g.Unmarshal(m.Data)
	})
	return g, core.WithOp(err, "conntrack count")
}

// Count is the number of flows in the table (`conntrack -C`).
func (c *Conn) Count(ctx context.Context) (uint32, error) {
	g, err := c.GlobalStats(ctx)
	return g.Entries, err
}

// Max is the table's limit: CTA_STATS_GLOBAL_MAX_ENTRIES, or, from a
// kernel that does not send it, /proc/sys/net/netfilter/nf_conntrack_max
// as the calling thread sees it.
func (c *Conn) Max(ctx context.Context) (uint32, error) {
	g, err := c.GlobalStats(ctx)
	if err != nil || g.MaxEntries != 0 {
		return g.MaxEntries, err
	}
	b, err := os.ReadFile("/proc/sys/net/netfilter/nf_conntrack_max")
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 32)
	return uint32(v), err
}
