package route_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/netip"

	"github.com/nlkit/nlkit/route"
)

// Send a source prefix to table 100, like
// `ip rule add from 192.0.2.0/24 table 100 priority 1000`.
func ExampleConn_RuleAdd() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	r := route.Rule{Src: netip.MustParsePrefix("192.0.2.0/24"), Table: 100, Priority: 1000}
	if err := c.RuleAdd(context.Background(), &r); err != nil {
		log.Fatal(err) // rule add priority 1000 from 192.0.2.0/24 table 100: file exists
	}
}

// List the IPv4 rules.
func ExampleConn_Rules() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	rules, err := c.Rules(context.Background(), route.FamilyInet)
	if err != nil {
		log.Fatal(err)
	}
	for i := range rules {
		fmt.Println(&rules[i]) // 0: from all lookup local ...
	}
}

// A rule prints like `ip rule` and `ip -j rule`.
func ExampleRule_String() {
	zero := uint32(0)
	r := route.Rule{Family: route.FamilyInet, Priority: 5, Invert: true, Fwmark: 0x10, Fwmask: 0xff,
		IIF: "veth0", DportRange: &route.RuleRange{Start: 80, End: 80}, Table: route.TableMain, SuppressPrefixLen: &zero}
	fmt.Println(r.String())
	b, _ := json.Marshal(&r)
	fmt.Println(string(b))
	// Output:
	// 5: not from all fwmark 0x10/0xff iif veth0 dport 80 lookup main suppress_prefixlength 0
	// {"family":"inet","priority":5,"not":null,"src":"all","fwmark":"0x10","fwmask":"0xff","iif":"veth0","dport":80,"table":"main","suppress_prefixlen":0}
}
