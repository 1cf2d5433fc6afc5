package route_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/nlkit/nlkit/route"
)

// Change one link's ARP parameters, like `ip ntable change name arp_cache
// dev veth0 ucast_probes 5 base_reachable 20000`, and show the tables.
func ExampleConn_NeightblSet() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	probes, base := uint32(5), 20*time.Second
	err = c.NeightblSet(ctx, &route.NeightblChange{Family: route.FamilyInet, Name: "arp_cache", Ifindex: 2,
		UcastProbes: &probes, BaseReachableTime: &base})
	if err != nil {
		log.Fatal(err)
	}
	tables, err := c.Neightbls(ctx, route.FamilyInet)
	if err != nil {
		log.Fatal(err)
	}
	for i := range tables {
		fmt.Println(&tables[i]) // inet arp_cache dev if2 base_reachable 20000 ...
	}
}
