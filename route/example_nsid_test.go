package route_test

import (
	"context"
	"fmt"
	"log"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
)

// Give the namespace "blue" the ID 5 here, like `ip netns set blue 5`, and
// list the IDs.
func ExampleConn_NSIDSet() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	blue, err := core.NetNSByName("blue")
	if err != nil {
		log.Fatal(err)
	}
	defer blue.Close()
	ctx := context.Background()
	if err := c.NSIDSet(ctx, &route.NSID{ID: 5, FD: blue.FD()}); err != nil {
		log.Fatal(err) // nsid set fd 3 id 5: file exists: Peer netns already has a nsid assigned
	}
	ids, err := c.NSIDs(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ids[0].String()) // nsid 5
}
