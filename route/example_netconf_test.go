package route_test

import (
	"context"
	"fmt"
	"log"

	"github.com/nlkit/nlkit/route"
)

// Read whether IPv4 forwarding is on for every link, like
// `ip -4 netconf show dev eth0` for the "all" settings.
func ExampleConn_Netconf() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	nc, err := c.Netconf(context.Background(), route.FamilyInet, route.NetconfIfindexAll)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(nc.Forwarding == 1, nc) // false inet all forwarding off rp_filter off ...
}
