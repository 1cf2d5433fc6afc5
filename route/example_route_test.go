package route_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net/netip"

	"github.com/nlkit/nlkit/route"
)

// A route prints as ip route shows it; interfaces are indexes unless a
// resolver names them.
func ExampleRoute_String() {
	r := route.Route{
		Family: route.FamilyInet, Type: route.RouteTypeUnicast, Protocol: route.ProtocolStatic,
		Table: route.TableMain, Dst: netip.MustParsePrefix("198.51.100.0/24"),
		Gateway: netip.MustParseAddr("192.0.2.2"), OIF: 3, Priority: 5,
	}
	fmt.Println(r.String())
	fmt.Println(string(r.AppendText(nil, func(uint32) string { return "veth0" })))
	fmt.Println(string(r.AppendJSON(nil, func(uint32) string { return "veth0" })))
	// Output:
	// 198.51.100.0/24 via 192.0.2.2 dev if3 proto static metric 5
	// 198.51.100.0/24 via 192.0.2.2 dev veth0 proto static metric 5
	// {"family":"inet","dst":"198.51.100.0/24","gateway":"192.0.2.2","dev":"veth0","protocol":"static","metric":5,"flags":[]}
}

// List the IPv4 routes of the main table; the kernel does the filtering.
func ExampleConn_RouteIter() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	f := &route.RouteFilter{Family: route.FamilyInet, Table: route.TableMain}
	for r, err := range c.RouteIter(context.Background(), f) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(r) // r is reused: copy it to keep it
	}
}

// Add a route, with a multipath one beside it, and look a destination up.
func ExampleConn_RouteAdd() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	err = c.RouteAdd(ctx, &route.Route{
		Dst:      netip.MustParsePrefix("198.51.100.0/24"),
		Gateway:  netip.MustParseAddr("192.0.2.2"),
		Table:    100,
		Priority: 5,
		Metrics:  route.RouteMetrics{MTU: 1400},
	})
	if errors.Is(err, fs.ErrExist) {
		fmt.Println("already there:", err) // route add 198.51.100.0/24 table 100: file exists
	} else if err != nil {
		log.Fatal(err)
	}
	err = c.RouteAdd(ctx, &route.Route{
		Dst: netip.MustParsePrefix("203.0.113.0/24"),
		Nexthops: []route.RouteNexthop{
			{Gateway: netip.MustParseAddr("192.0.2.2"), Weight: 2},
			{Gateway: netip.MustParseAddr("192.0.2.3"), Weight: 1},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	r, err := c.RouteGet(ctx, netip.MustParseAddr("203.0.113.9"), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Gateway, r.OIF)
}

// Program many routes with few writes, one error per route.
func ExampleConn_RouteAddBatch() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	routes := make([]route.Route, 10000)
	for i := range routes {
		routes[i] = route.Route{
			Dst:      netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), 32),
			Gateway:  netip.MustParseAddr("192.0.2.2"),
			Protocol: route.ProtocolStatic,
		}
	}
	errs := make([]error, len(routes))
	if err := c.RouteAddBatch(context.Background(), routes, errs); err != nil {
		log.Fatal(err) // the socket failed
	}
	for i, err := range errs {
		if err != nil {
			fmt.Println(i, err)
		}
	}
}

// Delete the routes a filter selects.
func ExampleConn_RouteFlush() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	n, err := c.RouteFlush(context.Background(), &route.RouteFilter{
		Family: route.FamilyInet, Table: route.TableMain, Protocol: route.ProtocolStatic,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "routes deleted")
}
