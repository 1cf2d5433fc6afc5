package conntrack_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/netip"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter/conntrack"
	"golang.org/x/sys/unix"
)

func ExampleFlow_String() {
	f := conntrack.Flow{
		Orig: conntrack.Tuple{
			Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"),
			Proto: conntrack.ProtoUDP, SrcPort: 40000, DstPort: 53,
		},
		Timeout: 29 * time.Second,
		Use:     1,
		Fields:  conntrack.FieldTimeout | conntrack.FieldStatus | conntrack.FieldMark | conntrack.FieldUse | conntrack.FieldReply,
	}
	f.Reply = f.Orig.Reverse()
	fmt.Println(f.String())
	// Output:
	// udp      17 29 src=192.0.2.1 dst=192.0.2.2 sport=40000 dport=53 [UNREPLIED] src=192.0.2.2 dst=192.0.2.1 sport=53 dport=40000 mark=0 use=1
}

// List the IPv4 UDP flows to port 53 with mark 1, filtered in the kernel.
func ExampleConn_FlowIter() {
	c, err := conntrack.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	filter := &conntrack.Filter{
		Family: unix.AF_INET,
		Mark:   1, MarkMask: 0xffffffff,
		Orig: conntrack.Tuple{Proto: conntrack.ProtoUDP, DstPort: 53},
	}
	for f, err := range c.FlowIter(context.Background(), filter) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(f) // f is reused: copy *f to keep it
	}
}

// Create, update and delete one flow.
func ExampleConn_Create() {
	ctx := context.Background()
	c, err := conntrack.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	f := conntrack.Flow{
		Orig: conntrack.Tuple{
			Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"),
			Proto: conntrack.ProtoUDP, SrcPort: 1000, DstPort: 53,
		},
		Timeout: time.Minute,
		Mark:    5,
	}
	if err := c.Create(ctx, &f); err != nil {
		log.Fatal(err) // errors.Is(err, fs.ErrExist) when it is there already
	}
	f.Mark = 6
	if err := c.Update(ctx, &f, conntrack.FieldMark); err != nil {
		log.Fatal(err)
	}
	if err := c.Delete(ctx, &f); err != nil {
		log.Fatal(err)
	}
}

// Create many flows, 64 requests to a write, from one reused buffer.
func ExampleBatch() {
	c, err := conntrack.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	var b conntrack.Batch
	f := conntrack.Flow{
		Orig:    conntrack.Tuple{Dst: netip.MustParseAddr("198.19.0.1"), Proto: conntrack.ProtoUDP, DstPort: 53},
		Timeout: time.Minute,
	}
	for i := range 10000 {
		f.Orig.Src = netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
		if err := b.Create(&f); err != nil {
			log.Fatal(err)
		}
	}
	err = c.ExecBatch(context.Background(), &b)
	var be *conntrack.BatchError
	if errors.As(err, &be) {
		log.Fatalf("flow %d: %v", be.Index, be.Err)
	}
}

// Watch new and destroyed flows. An overrun means events were lost: dump
// the table again to resync.
func ExampleListen() {
	l, err := conntrack.Listen(nil, conntrack.GroupNew, conntrack.GroupDestroy)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	for ev, err := range l.Events(context.Background()) {
		if errors.Is(err, core.ErrOverrun) {
			log.Print("events lost; re-dump")
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev) // [NEW] udp      17 30 src=...
	}
}

// Expect a data connection on a flow that has the ftp helper.
func ExampleConn_CreateExpect() {
	c, err := conntrack.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	x := conntrack.Expect{
		Master: conntrack.Tuple{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"),
			Proto: conntrack.ProtoTCP, SrcPort: 40000, DstPort: 21},
		Tuple: conntrack.Tuple{Src: netip.MustParseAddr("192.0.2.2"), Dst: netip.MustParseAddr("192.0.2.1"),
			Proto: conntrack.ProtoTCP, DstPort: 41000},
		Mask: conntrack.Tuple{Src: netip.MustParseAddr("255.255.255.255"), Dst: netip.MustParseAddr("255.255.255.255"),
			Proto: conntrack.ProtoTCP, DstPort: 0xffff},
		Timeout: 2 * time.Minute,
		Helper:  "ftp",
	}
	if err := c.CreateExpect(context.Background(), &x); err != nil {
		log.Fatal(err)
	}
}
