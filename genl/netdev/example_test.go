package netdev_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/nlkit/nlkit/genl/netdev"
)

// Map each receive queue of a device to the NAPI instance polling it,
// for busy polling or IRQ affinity.
func ExampleClient_QueueIter() {
	c, err := netdev.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	const ifindex = 2
	for q, err := range c.QueueIter(ctx, ifindex) {
		if err != nil {
			log.Fatal(err)
		}
		if q.Type == netdev.QueueRX {
			fmt.Println(q) // ifindex 2 rx-0 napi 8193
		}
	}
}

// Check that a device can do what an XDP program needs before loading it.
func ExampleClient_Device() {
	c, err := netdev.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	d, err := c.Device(context.Background(), 2)
	if err != nil {
		log.Fatal(err)
	}
	if d.XDPFeatures&netdev.XDPRedirect == 0 {
		log.Fatalf("ifindex %d cannot XDP_REDIRECT (it has %s)", d.Ifindex, d.XDPFeatures)
	}
}

// Defer hardware interrupts on every NAPI instance of a device.
func ExampleClient_SetNAPI() {
	c, err := netdev.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	napis, err := c.NAPIs(ctx, 2)
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range napis {
		n.DeferHardIRQs = 2
		n.GROFlushTimeout = 200 * time.Microsecond
		if err := c.SetNAPI(ctx, &n); err != nil {
			log.Fatal(err)
		}
	}
}

func ExampleXDPFeatures() {
	f := netdev.XDPBasic | netdev.XDPRedirect | netdev.XDPRXSG
	fmt.Println(f)
	// Output: basic redirect rx-sg
}
