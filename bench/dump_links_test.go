package bench

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkDumpLinks dumps the 4,001 links of the links namespace (lo and
// 2,000 veth pairs, RTM_GETLINK): the raw floor, core.Conn.Dump walking
// headers only and walking every attribute, and mdlayher/netlink.
func BenchmarkDumpLinks(b *testing.B) {
	env := linksNS(b)
	benchDump(b, dumpCase{
		group:  "links",
		ns:     env.ns,
		req:    linkDumpRequest(),
		msgs:   env.msgs,
		typ:    unix.RTM_NEWLINK,
		hdrLen: unix.SizeofIfInfomsg,
		nests:  linkNests,
	})
}
