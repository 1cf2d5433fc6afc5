package ethtool_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/genl/ethtool"
)

// Turn GRO on and read a device's features back, as ethtool -K and -k do.
func ExampleClient_SetFeatures() {
	c, err := ethtool.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	// Kernel names and ethtool(8)'s names ("gro", "tso", "tx") both work.
	if _, err := c.SetFeatures(ctx, "eth0", map[string]bool{"gro": true}); err != nil {
		var fe *ethtool.FeatureError
		if errors.As(err, &fe) {
			log.Fatalf("refused: %v", fe) // unknown or fixed features
		}
		log.Fatal(err)
	}
	f, err := c.Features(ctx, "eth0")
	if err != nil {
		log.Fatal(err)
	}
	for _, ft := range f.List() {
		fmt.Println(ft) // rx-gro: on
	}
}

// Read the link the way ethtool DEV shows it.
func ExampleClient_LinkModes() {
	c, err := ethtool.Dial(&core.Config{}) // core.Config{NetNS: ns} for another namespace
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	m, err := c.LinkModes(ctx, "eth0")
	if err != nil {
		log.Fatal(err)
	}
	s, err := c.LinkState(ctx, "eth0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.SpeedString(), m.Duplex, "link", s.LinkString(), "advertised", m.Advertised())
}

// Halve a device's receive channels, as ethtool -L does.
func ExampleClient_SetChannels() {
	c, err := ethtool.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	ch, err := c.Channels(ctx, "eth0")
	if err != nil {
		log.Fatal(err)
	}
	ch.RX = max(ch.RX/2, 1)
	if err := c.SetChannels(ctx, "eth0", ch); err != nil {
		log.Fatal(err) // the kernel's words: "requested channel count exceeds maximum"
	}
}

// Watch every ethtool setting change on the host.
func ExampleClient_Monitor() {
	c, err := ethtool.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for ev, err := range c.Monitor(context.Background()) {
		if err != nil {
			log.Print(err) // core.ErrOverrun: events were lost
			continue
		}
		fmt.Println(ev) // features veth0 features highdma,rx-gro,...
	}
}

// A bit set with a mask: the bits in it are spoken of, the others not.
func ExampleBitset() {
	b := ethtool.NewBitset(8, true)
	b.Names = []string{"a", "b", "c", "d"}
	b.Set(0, true)
	b.Set(2, false)
	fmt.Println(b.String())
	fmt.Println(b.SetNames(), b.MaskNames())
	// Output:
	// a -c
	// [a] [a c]
}
