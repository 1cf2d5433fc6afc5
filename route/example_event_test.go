package route_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/netip"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	"golang.org/x/sys/unix"
)

// Watch addresses and links, like `ip monitor link addr`, until ctx
// ends. A queue overrun means events were lost: a program that mirrors
// the kernel's state dumps again then.
func ExampleSubscribe() {
	ctx := context.Background()
	groups := []route.Group{route.GroupLink, route.GroupIPv4Addr, route.GroupIPv6Addr}
	for ev, err := range route.Subscribe(ctx, nil, groups...) {
		if errors.Is(err, core.ErrOverrun) {
			fmt.Println("events lost: dump again")
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		switch o := ev.Object.(type) {
		case *route.Addr:
			fmt.Println(ev.Type, o.Prefix) // new 192.0.2.1/24
		case *route.Link:
			fmt.Println(ev.Type, o.Name, o.Flags)
		}
	}
}

// Watch first, then change: Watch joins the groups before it returns, so
// the event of the change cannot be missed.
func ExampleWatch() {
	ctx := context.Background()
	w, err := route.Watch(nil, route.GroupIPv4Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	a := route.Addr{Index: 2, Prefix: netip.MustParsePrefix("192.0.2.1/24")}
	if err := c.AddrAdd(ctx, &a); err != nil {
		log.Fatal(err)
	}
	for ev, err := range w.Events(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.String()) // [ADDR] 2: inet 192.0.2.1/24 scope global eth0 ...
		break
	}
}

// Group names as `ip monitor` takes them: "addr" is both families.
func ExampleParseGroups() {
	gs, err := route.ParseGroups("addr")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(gs)
	// Output: [ipv4-addr ipv6-addr]
}

// DecodeEvent turns a notification into an Event: what a Watcher does
// with each message it reads.
func ExampleDecodeEvent() {
	a := route.Addr{Index: 3, Prefix: netip.MustParsePrefix("192.0.2.1/24"), Label: "eth0"}
	b, _ := a.Marshal(nil)
	ev, err := route.DecodeEvent(core.Message{Header: core.Header{Type: unix.RTM_DELADDR}, Data: b})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ev.Kind(), ev.Type)
	fmt.Println(ev.String())
	// Output:
	// ADDR del
	// [ADDR] Deleted 3: inet 192.0.2.1/24 scope global dynamic eth0
}
