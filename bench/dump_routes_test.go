package bench

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkDumpRoutes dumps the 100,000 IPv4 routes of the routes
// namespace (RTM_GETROUTE, every table): the raw floor, core.Conn.Dump
// walking headers only and walking every attribute, and mdlayher/netlink.
func BenchmarkDumpRoutes(b *testing.B) {
	env := routesNS(b)
	benchDump(b, dumpCase{
		group:  "routes",
		ns:     env.ns,
		req:    routeDumpRequest(),
		msgs:   env.msgs,
		typ:    unix.RTM_NEWROUTE,
		hdrLen: unix.SizeofRtMsg,
		nests:  routeNests,
	})
}
