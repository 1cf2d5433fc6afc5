package bench

import "testing"

// BenchmarkDumpLinks dumps the 4,001 links of the links namespace (lo and
// 2,000 veth pairs, RTM_GETLINK): the raw floor, core.Conn.Dump walking
// headers only and walking every attribute, and mdlayher/netlink.
func BenchmarkDumpLinks(b *testing.B) {
	benchDump(b, linkDumpCase(linksNS(b), "links"))
}
