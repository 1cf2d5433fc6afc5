package main

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nlkit/nlkit/cmd/internal/decode"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	"golang.org/x/sys/unix"
)

// demoReport is everything the demo did and saw; -j prints it.
type demoReport struct {
	Namespace string      `json:"namespace"`
	Steps     []demoStep  `json:"steps"`
	Errors    []demoError `json:"errors"`
	// Events are what the watch saw while the demo built, with
	// EventLines their lines as nlkit monitor prints them.
	Events     []route.Event `json:"events"`
	EventLines []string      `json:"event_lines"`
	// Links, Addresses and Routes are the kernel's objects after the
	// build, decoded by the route SDK (ip -j field names).
	Links     []route.Link  `json:"links"`
	Addresses []route.Addr  `json:"addresses"`
	Routes    []route.Route `json:"routes"`
	// Messages are the same dumps as attribute trees.
	Messages demoMessages `json:"messages"`
	Made     demoCounts   `json:"made"`
	Summary  demoSummary  `json:"summary"`
}

// demoMessages are the dumped messages, decoded as attribute trees.
type demoMessages struct {
	Links     []decode.Message `json:"links"`
	Addresses []decode.Message `json:"addresses"`
	Routes    []decode.Message `json:"routes"`
}

// demoStep is one request the kernel accepted.
type demoStep struct {
	Action  string `json:"action"`
	Request string `json:"request"`
}

// demoError is one request the kernel refused, and why.
type demoError struct {
	Action  string `json:"action"`
	Request string `json:"request"`
	Errno   string `json:"errno,omitempty"`
	Code    int    `json:"code,omitempty"`
	Message string `json:"ext_ack,omitempty"`
	Error   string `json:"error"`
}

// demoCounts counts links, addresses and routes.
type demoCounts struct {
	Links     int `json:"links"`
	Addresses int `json:"addresses"`
	Routes    int `json:"routes"`
}

// demoSummary is what the dumps found, and what it took.
type demoSummary struct {
	demoCounts
	RoutesByTable    map[string]int `json:"routes_by_table"`
	MessagesSent     int            `json:"messages_sent"`
	MessagesReceived int            `json:"messages_received"`
	ElapsedMS        float64        `json:"elapsed_ms"`
}

// textf prints in text mode only.
func (d *demo) textf(format string, args ...any) {
	if !d.env.JSON {
		d.env.Out.Printf(format, args...)
	}
}

// section starts a part of the text report.
func (d *demo) section(title, what string) {
	d.textf("\n%s  (%s)\n", title, what)
	d.sync()
}

// sync flushes the output under --debug, so that the report interleaves
// with the trace on stderr; otherwise the output is flushed once, at the
// end.
func (d *demo) sync() {
	if d.env.Debug {
		d.env.Out.Flush()
	}
}

func (d *demo) intro() {
	d.textf("nlkit demo: netlink at work, through the nlkit route SDK.\n")
	if d.rep.Namespace == "anonymous" {
		d.textf("Working in a new, anonymous network namespace: nothing on this host changes,\n" +
			"and all of it disappears when the demo ends.\n")
	} else {
		d.textf("Working in network namespace %s; what the demo builds stays there.\n", d.rep.Namespace)
	}
}

// dumpAll dumps links, addresses and routes, decoding each message twice:
// into the route SDK's object (its one-line form is printed, its JSON goes
// in the report) and into an attribute tree (printed, in text mode, for
// what the demo made; for all of them with -d).
func (d *demo) dumpAll() error {
	d.rep.Summary.RoutesByTable = map[string]int{}
	dumps := []struct {
		title string
		typ   core.MessageType
		hdr   int
		list  *[]decode.Message
	}{
		{"links", unix.RTM_GETLINK, unix.SizeofIfInfomsg, &d.rep.Messages.Links},
		{"addresses", unix.RTM_GETADDR, unix.SizeofIfAddrmsg, &d.rep.Messages.Addresses},
		{"routes", unix.RTM_GETROUTE, unix.SizeofRtMsg, &d.rep.Messages.Routes},
	}
	what := "a line from each route object; the trees of what the demo made (-d: of all)"
	if d.env.Details {
		what = "a line from each route object, and each message's attribute tree"
	}
	var buf bytes.Buffer
	for _, dump := range dumps {
		name := decode.MessageTypeName(unix.NETLINK_ROUTE, dump.typ)
		d.section("The kernel's "+dump.title, name+" dump: "+what)
		for m, err := range d.conn.Dump(d.ctx, dumpRequest(dump.typ, dump.hdr)) {
			if err != nil {
				return core.WithOp(err, "dump "+dump.title)
			}
			line, ours, err := d.describe(m)
			if err != nil {
				return core.WithOp(err, "decode "+dump.title)
			}
			*dump.list = append(*dump.list, decode.Decode(unix.NETLINK_ROUTE, m))
			if d.env.JSON {
				continue
			}
			d.env.Out.Printf("  %s\n", line)
			if !ours && !d.env.Details {
				d.sync()
				continue
			}
			shown, hidden := m, 0
			if !d.env.Details {
				shown, hidden = trim(m)
			}
			buf.Reset()
			if err := d.fmt.Format(&buf, shown); err != nil {
				fmt.Fprintf(&buf, "(%v)\n", err)
			}
			indent(d.env.Out, &buf, "      ")
			if hidden > 0 {
				d.env.Out.Printf("      (%d more %s: -d shows them)\n", hidden, plural(hidden, "attribute", "attributes"))
			}
			d.sync()
		}
	}
	return nil
}

// indent copies the lines of b to w, each prefixed.
func indent(w interface{ WriteString(string) (int, error) }, b *bytes.Buffer, prefix string) {
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		if line != "" {
			w.WriteString(prefix + line)
		}
	}
}

// describe decodes a dumped message into its route object, keeps the
// object in the report, and returns its line and whether it is about
// something the demo made (a link other than lo, a global address, a
// static route) rather than what the kernel adds by itself.
func (d *demo) describe(m core.Message) (string, bool, error) {
	m = m.Clone() // the objects are kept: they must not alias the dump's buffer
	switch m.Header.Type {
	case unix.RTM_NEWLINK:
		var l route.Link
		if err := l.Unmarshal(m.Data); err != nil {
			return "", false, err
		}
		d.names[l.Index] = l.Name
		d.rep.Links = append(d.rep.Links, l)
		line, _, _ := strings.Cut(l.String(), "\\") // ip -o's second line
		return strings.TrimSpace(line), l.Name != "lo", nil
	case unix.RTM_NEWADDR:
		var a route.Addr
		if err := a.Unmarshal(m.Data); err != nil {
			return "", false, err
		}
		d.rep.Addresses = append(d.rep.Addresses, a)
		return addrLine(&a, d.linkName(a.Index)), a.Scope == route.ScopeUniverse, nil
	case unix.RTM_NEWROUTE:
		var r route.Route
		if err := r.Unmarshal(m.Data); err != nil {
			return "", false, err
		}
		d.rep.Routes = append(d.rep.Routes, r)
		d.rep.Summary.RoutesByTable[route.TableName(r.Table)]++
		line := r.AppendText(nil, func(i uint32) string { return d.linkName(int32(i)) })
		if r.Table != route.TableMain && !strings.Contains(string(line), " table ") {
			line = append(line, " table "+route.TableName(r.Table)...)
		}
		return string(line), r.Protocol == route.ProtocolStatic, nil
	}
	return decode.MessageTypeName(unix.NETLINK_ROUTE, m.Header.Type), false, nil
}

// linkName names link index from the links dumped or looked up.
func (d *demo) linkName(index int32) string {
	if n, ok := d.names[index]; ok && n != "" {
		return n
	}
	return fmt.Sprintf("if%d", index)
}

// keepAttr says which attributes a first look shows: the essentials of a
// link (statistics, offload limits and per-family settings are left out),
// and all of an address or route but their cache timers.
func keepAttr(t core.MessageType, path []uint16) bool {
	switch t {
	case unix.RTM_NEWLINK:
		if len(path) == 2 {
			return path[1] == unix.IFLA_INFO_KIND || path[1] == unix.IFLA_INFO_SLAVE_KIND
		}
		switch path[0] {
		case unix.IFLA_IFNAME, unix.IFLA_MTU, unix.IFLA_OPERSTATE, unix.IFLA_MASTER, unix.IFLA_LINK,
			unix.IFLA_CARRIER, unix.IFLA_ADDRESS, unix.IFLA_BROADCAST, unix.IFLA_LINKINFO, unix.IFLA_QDISC:
			return true
		}
		return false
	case unix.RTM_NEWADDR:
		return path[0] != unix.IFA_CACHEINFO
	case unix.RTM_NEWROUTE:
		return path[0] != unix.RTA_CACHEINFO
	}
	return true
}

// trim returns a copy of m with only the attributes keepAttr keeps (one
// level of nesting deep), and how many it left out.
func trim(m core.Message) (core.Message, int) {
	hl := decode.HeaderLen(unix.NETLINK_ROUTE, m.Header.Type)
	if hl < 0 || len(m.Data) < hl {
		return m, 0
	}
	var e core.AttrEncoder
	hidden := 0
	e.Raw(m.Data[:hl])
	s := core.ScanAttrs(m.Data[core.Align(hl):])
	for s.Next() {
		a := s.Attr()
		switch {
		case !keepAttr(m.Header.Type, []uint16{a.Type}):
			hidden++
		case a.Type == unix.IFLA_LINKINFO && m.Header.Type == unix.RTM_NEWLINK:
			n := e.NestStart(a.Type | a.Flags)
			in := a.Scan()
			for in.Next() {
				c := in.Attr()
				if !keepAttr(m.Header.Type, []uint16{a.Type, c.Type}) {
					hidden++
					continue
				}
				e.Binary(c.Type|c.Flags, c.Data)
			}
			if in.Err() != nil {
				return m, 0
			}
			e.NestEnd(n)
		default:
			e.Binary(a.Type|a.Flags, a.Data)
		}
	}
	if s.Err() != nil {
		return m, 0
	}
	out := m
	out.Data = e.Bytes()
	out.Header.Length = uint32(core.HeaderLen + len(out.Data))
	return out, hidden
}

// finish counts what the dumps found and prints the summary.
func (d *demo) finish(elapsed time.Duration) {
	s := &d.rep.Summary
	s.Links, s.Addresses, s.Routes = len(d.rep.Links), len(d.rep.Addresses), len(d.rep.Routes)
	if d.rep.Events == nil {
		d.rep.Events, d.rep.EventLines = []route.Event{}, []string{}
	}
	s.MessagesSent, s.MessagesReceived = d.sent, d.received
	s.ElapsedMS = float64(elapsed.Microseconds()) / 1000
	if d.rep.Steps == nil {
		d.rep.Steps = []demoStep{}
	}
	if d.rep.Errors == nil {
		d.rep.Errors = []demoError{}
	}
	names := make([]string, 0, len(s.RoutesByTable))
	for t := range s.RoutesByTable {
		names = append(names, t)
	}
	rank := func(t string) int {
		switch t {
		case "main":
			return 0
		case "local":
			return 1
		}
		return 2
	}
	sort.Slice(names, func(i, j int) bool {
		if oi, oj := rank(names[i]), rank(names[j]); oi != oj {
			return oi < oj
		}
		return names[i] < names[j]
	})
	tables := make([]string, len(names))
	for i, t := range names {
		tables[i] = fmt.Sprintf("%d in table %s", s.RoutesByTable[t], t)
	}
	d.section("Summary", "what the dumps found")
	d.textf("  The kernel reports %d links, %d addresses and %d routes (%s).\n",
		s.Links, s.Addresses, s.Routes, strings.Join(tables, ", "))
	d.textf("  The demo made %d links, %d addresses and %d routes, and showed %d kernel errors.\n",
		d.rep.Made.Links, d.rep.Made.Addresses, d.rep.Made.Routes, len(d.rep.Errors))
	d.textf("  %d messages sent, %d received, in %s.\n", s.MessagesSent, s.MessagesReceived, elapsed.Round(10*time.Microsecond))
	d.textf("\nMore: nlkit demo -d (every attribute), nlkit demo -j (JSON), nlkit --debug demo (every message).\n")
}

// plural picks the word for n things.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// dumpRequest asks for every object of type t; hdr is the family header
// (all zero: no filter).
func dumpRequest(t core.MessageType, hdrLen int) core.Message {
	return core.Message{Header: core.Header{Type: t}, Data: make([]byte, hdrLen)}
}
