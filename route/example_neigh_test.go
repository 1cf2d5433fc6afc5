package route_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/netip"

	"github.com/nlkit/nlkit/route"
)

// List the IPv4 neighbour cache of one link, decoding in place.
func ExampleConn_NeighIter() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	f := &route.NeighFilter{Family: route.FamilyInet, Ifindex: 2}
	for n, err := range c.NeighIter(context.Background(), f) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(n) // 192.0.2.9 dev if2 lladdr 02:00:00:00:00:09 PERMANENT
	}
}

// Add a permanent ARP entry, like
// `ip neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev veth0 nud permanent`.
func ExampleConn_NeighAdd() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	mac, _ := net.ParseMAC("02:00:00:00:00:09")
	n := route.Neigh{Ifindex: 2, Dst: netip.MustParseAddr("192.0.2.9"), LLAddr: mac, State: route.NeighPermanent}
	err = c.NeighAdd(context.Background(), &n)
	if errors.Is(err, fs.ErrExist) {
		err = c.NeighReplace(context.Background(), &n)
	}
	if err != nil {
		log.Fatal(err) // neigh add 192.0.2.9 dev 2: no such device
	}
}

// Add a static entry to a bridge's forwarding database, like
// `bridge fdb add 02:00:00:00:00:21 dev veth1 master static`, and list
// the bridge's entries.
func ExampleConn_FDBAdd() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	mac, _ := net.ParseMAC("02:00:00:00:00:21")
	if err := c.FDBAdd(ctx, &route.Neigh{Ifindex: 5, LLAddr: mac}); err != nil {
		log.Fatal(err)
	}
	fdb, err := c.Neighs(ctx, &route.NeighFilter{Family: route.FamilyBridge, Master: 4})
	if err != nil {
		log.Fatal(err)
	}
	for i := range fdb {
		fmt.Println(&fdb[i]) // 02:00:00:00:00:21 dev if5 master if4 static
	}
}

// A neighbour entry prints like ip(8).
func ExampleNeigh_String() {
	mac, _ := net.ParseMAC("02:00:00:00:00:0a")
	n := route.Neigh{Family: route.FamilyInet6, Ifindex: 3, Dst: netip.MustParseAddr("2001:db8::9"),
		LLAddr: mac, State: route.NeighStale, Flags: route.NeighFlagRouter}
	fmt.Println(n.String())
	fmt.Println(n.Format(func(int32) string { return "veth0" }))
	// Output:
	// 2001:db8::9 dev if3 lladdr 02:00:00:00:00:0a router STALE
	// 2001:db8::9 dev veth0 lladdr 02:00:00:00:00:0a router STALE
}
