package route_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"

	"github.com/nlkit/nlkit/route"
)

// Make two gateways and a weighted group of them, like
// `ip nexthop add id 10 via 192.0.2.2 dev veth0` ... `ip nexthop add id 20
// group 10,3/11`, then read the group back.
func ExampleConn_NexthopAdd() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for _, nh := range []route.Nexthop{
		{ID: 10, Gateway: netip.MustParseAddr("192.0.2.2"), Ifindex: 2},
		{ID: 11, Gateway: netip.MustParseAddr("192.0.2.3"), Ifindex: 2},
		{ID: 20, Group: []route.NexthopGroupMember{{ID: 10, Weight: 3}, {ID: 11}}},
	} {
		if err := c.NexthopAdd(ctx, &nh); err != nil {
			log.Fatal(err) // nexthop add id 20: invalid argument: Invalid nexthop id
		}
	}
	g, err := c.Nexthop(ctx, 20)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g) // id 20 group 10,3/11
}

// List only the groups, filtered by the kernel.
func ExampleConn_Nexthops() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	groups, err := c.Nexthops(context.Background(), &route.NexthopFilter{GroupsOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	for i := range groups {
		fmt.Println(&groups[i])
	}
}
