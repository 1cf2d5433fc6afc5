package route_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
)

// List the links, one line each, like `ip -o link`.
func ExampleConn_Links() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	links, err := c.Links(context.Background(), nil)
	if err != nil {
		log.Fatal(err)
	}
	for i := range links {
		fmt.Println(links[i].String())
	}
}

// Walk the links without copying them: the Link is reused, valid inside
// the loop only.
func ExampleConn_LinkIter() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for l, err := range c.LinkIter(context.Background(), &route.LinkFilter{Kind: "veth"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(l.Name, l.MTU, l.OperState)
	}
}

// Create a veth pair, a bridge, enslave one end and bring it up.
func ExampleConn_LinkAdd() {
	c, err := route.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	err = c.LinkAdd(ctx, &route.Link{
		Name: "veth0",
		Info: &route.VethInfo{Peer: &route.Link{Name: "veth1"}},
	})
	if errors.Is(err, fs.ErrExist) {
		fmt.Println("veth0 is already there")
	} else if err != nil {
		log.Fatal(err) // "link add veth0: operation not permitted", ...
	}
	if err := c.LinkAdd(ctx, &route.Link{
		Name: "br0",
		Info: &route.BridgeInfo{STPState: route.Ptr(uint32(1)), ForwardDelay: route.Ptr(4 * time.Second)},
	}); err != nil {
		log.Fatal(err)
	}
	br, err := c.LinkByName(ctx, "br0")
	if err != nil {
		log.Fatal(err)
	}
	v, err := c.LinkByName(ctx, "veth0")
	if err != nil {
		log.Fatal(err)
	}
	if err := c.LinkSetMaster(ctx, v.Index, uint32(br.Index)); err != nil {
		log.Fatal(err)
	}
	if err := c.LinkSetUp(ctx, v.Index); err != nil {
		log.Fatal(err)
	}
}

// myKind is a kind this package does not know: its IFLA_INFO_DATA holds
// one u32 attribute.
type myKind struct{ Mode uint32 }

func (*myKind) Kind() string { return "mykind" }

func (k *myKind) EncodeInfo(e *core.AttrEncoder) error {
	e.Uint32(1, k.Mode)
	return nil
}

func (k *myKind) DecodeInfo(data []byte) error {
	*k = myKind{}
	s := core.ScanAttrs(data)
	for s.Next() {
		if s.Type() == 1 {
			k.Mode = s.Uint32()
		}
	}
	return s.Err()
}

// Teach a registry a new kind, without forking and without touching any
// shared state: other registries (and the default decoding) do not see it.
func ExampleKinds() {
	kinds := route.DefaultKinds()
	kinds.Register("mykind", func() route.LinkInfo { return &myKind{} })

	// An RTM_NEWLINK payload, as the kernel would send it.
	msg, _ := (&route.Link{Name: "m0", Info: &myKind{Mode: 3}}).Marshal(nil)

	var l route.Link
	_ = l.Unmarshal(msg) // the built-in kinds: kept raw
	fmt.Printf("%T\n", l.Info)

	_ = l.UnmarshalKinds(msg, kinds) // with the registry (also LinkFilter.Kinds)
	fmt.Printf("%T %d\n", l.Info, l.Info.(*myKind).Mode)
	// Output:
	// *route.RawLinkInfo
	// *route_test.myKind 3
}
