package core_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Dial a route socket and list the links' names with a streaming dump.
func ExampleConn_Dump() {
	c, err := core.Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	req := core.Message{
		Header: core.Header{Type: unix.RTM_GETLINK},
		Data:   make([]byte, unix.SizeofIfInfomsg), // struct ifinfomsg, all zero: every link
	}
	for m, err := range c.Dump(context.Background(), req) {
		if err != nil {
			log.Fatal(err)
		}
		s := core.ScanAttrs(m.Data[unix.SizeofIfInfomsg:])
		for s.Next() {
			if s.Type() == unix.IFLA_IFNAME {
				fmt.Println(s.String())
			}
		}
	}
}

// Execute a request and read the kernel's extended-ACK explanation when it
// refuses.
func ExampleConn_Execute() {
	c, err := core.Dial(unix.NETLINK_ROUTE, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	var e core.AttrEncoder
	e.Raw(make([]byte, unix.SizeofIfInfomsg))
	e.String(unix.IFLA_IFNAME, "lo")
	n := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	e.NestEnd(n)
	_, err = c.Execute(context.Background(), core.Message{
		Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagCreate | core.FlagExcl},
		Data:   e.Bytes(),
	})
	var ne *core.Error
	switch {
	case errors.Is(err, fs.ErrExist):
		fmt.Println("lo exists already")
	case errors.As(err, &ne):
		fmt.Println(ne.Errno, ne.Message)
	}
}

// Encode attributes, nests included, into a reusable buffer.
func ExampleAttrEncoder() {
	var e core.AttrEncoder
	e.Uint32(unix.IFLA_MTU, 1400)
	n := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	e.NestEnd(n)
	fmt.Println(hex.EncodeToString(e.Bytes()))
	// Output: 080004007805000010001200090001007665746800000000
}

// Scan attributes in place; getters record the first error.
func ExampleAttrScanner() {
	var e core.AttrEncoder
	e.Uint32(unix.IFLA_MTU, 1400)
	e.String(unix.IFLA_IFNAME, "v0")
	e.Uint16(unix.IFLA_GROUP, 7) // IFLA_GROUP is a u32: a length error

	s := core.ScanAttrs(e.Bytes())
	for s.Next() {
		switch s.Type() {
		case unix.IFLA_MTU:
			fmt.Println("mtu", s.Uint32())
		case unix.IFLA_IFNAME:
			fmt.Println("name", s.String())
		case unix.IFLA_GROUP:
			fmt.Println("group", s.Uint32())
		}
	}
	fmt.Println(s.Err())
	// Output:
	// mtu 1400
	// name v0
	// group 0
	// attribute 27: u32 length 2, want 4
}

// Make a socket inside a named namespace without moving the program.
func ExampleNetNSByName() {
	ns, err := core.NetNSByName("blue") // ip netns add blue
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Close()
	c, err := core.Dial(unix.NETLINK_ROUTE, &core.Config{NetNS: ns})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}
