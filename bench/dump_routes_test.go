package bench

import "testing"

// BenchmarkDumpRoutes dumps the 100,000 IPv4 routes of the routes
// namespace (RTM_GETROUTE, every table): the raw floor, core.Conn.Dump
// walking headers only and walking every attribute, and mdlayher/netlink.
func BenchmarkDumpRoutes(b *testing.B) {
	benchDump(b, routeDumpCase(routesNS(b), "routes"))
}
