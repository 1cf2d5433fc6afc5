package route_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net/netip"
	"time"

	"github.com/nlkit/nlkit/route"
)

// Add an address, like `ip addr add 192.0.2.1/24 dev eth0 broadcast +
// label eth0:1`.
func ExampleConn_AddrAdd() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	eth0, err := c.LinkByName(ctx, "eth0")
	if err != nil {
		log.Fatal(err)
	}
	a := route.Addr{
		Index:     eth0.Index,
		Prefix:    netip.MustParsePrefix("192.0.2.1/24"),
		Broadcast: netip.MustParseAddr("192.0.2.255"),
		Label:     "eth0:1",
	}
	if err := c.AddrAdd(ctx, &a); errors.Is(err, fs.ErrExist) {
		fmt.Println("already there")
	} else if err != nil {
		log.Fatal(err)
	}
}

// List the global IPv6 addresses of one link: the kernel filters by
// family and link, the scope is matched in the process.
func ExampleConn_AddrIter() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	f := &route.AddrFilter{Family: route.FamilyInet6, Index: 2, HasScope: true, Scope: route.ScopeUniverse}
	for a, err := range c.AddrIter(context.Background(), f) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(a.Prefix, a.Flags) // a is reused: copy it to keep it
	}
}

// An address prints as one line like `ip -o addr`, and as JSON with the
// field names of `ip -j addr`.
func ExampleAddr_String() {
	a := route.Addr{
		Family: route.FamilyInet6, Index: 3,
		Prefix:        netip.MustParsePrefix("2001:db8::1/64"),
		Flags:         route.AddrNoDAD | route.AddrNoPrefixRoute,
		ValidLifetime: 300 * time.Second, PreferredLifetime: 100 * time.Second,
	}
	fmt.Println(a.String())
	b, _ := json.Marshal(&a)
	fmt.Println(string(b))
	// Output:
	// 3: inet6 2001:db8::1/64 scope global nodad dynamic noprefixroute valid_lft 300sec preferred_lft 100sec
	// {"ifindex":3,"family":"inet6","local":"2001:db8::1","prefixlen":64,"scope":"global","nodad":true,"dynamic":true,"noprefixroute":true,"valid_life_time":300,"preferred_life_time":100}
}

// Marshal and Unmarshal speak the kernel's format: struct ifaddrmsg and
// IFA_* attributes.
func ExampleAddr_Marshal() {
	a := route.Addr{Index: 2, Prefix: netip.MustParsePrefix("198.51.100.5/32"), Peer: netip.MustParseAddr("198.51.100.9")}
	b, err := a.Marshal(nil)
	if err != nil {
		log.Fatal(err)
	}
	var back route.Addr
	if err := back.Unmarshal(b); err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.String())
	fmt.Println(back.Diff(&a))
	// Output:
	// 2: inet 198.51.100.5 peer 198.51.100.9/32 scope global dynamic
	// [Family]
}
