package core_test

import (
	"errors"
	"fmt"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Write policies as literals keyed by the attribute types, then validate
// attribute streams against them; errors name the attribute path.
func ExamplePolicy_Validate() {
	const vethInfoPeer = 1 // VETH_INFO_PEER, <linux/veth.h>
	vethInfo := &core.Policy{
		Name: "VETH_INFO",
		Attrs: []core.AttrPolicy{
			vethInfoPeer: {Name: "VETH_INFO_PEER", Kind: core.KindBinary, MinLen: unix.SizeofIfInfomsg},
		},
	}
	linkInfo := &core.Policy{
		Name:          "IFLA_INFO",
		RejectUnknown: true,
		Attrs: []core.AttrPolicy{
			unix.IFLA_INFO_KIND: {Name: "IFLA_INFO_KIND", Kind: core.KindString, Required: true},
			unix.IFLA_INFO_DATA: {Name: "IFLA_INFO_DATA", Kind: core.KindNested, Nested: vethInfo},
		},
	}
	link := &core.Policy{
		Name: "IFLA",
		Attrs: []core.AttrPolicy{
			unix.IFLA_IFNAME:   {Name: "IFLA_IFNAME", Kind: core.KindNulString, MaxLen: unix.IFNAMSIZ - 1, Required: true},
			unix.IFLA_MTU:      {Name: "IFLA_MTU", Kind: core.KindU32, UintRange: &core.UintRange{Min: 68, Max: 65535}},
			unix.IFLA_LINKINFO: {Name: "IFLA_LINKINFO", Kind: core.KindNested, Nested: linkInfo},
		},
	}

	var e core.AttrEncoder
	e.String(unix.IFLA_IFNAME, "veth0")
	e.Uint32(unix.IFLA_MTU, 1500)
	n := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "veth")
	d := e.NestStart(unix.IFLA_INFO_DATA)
	e.Binary(vethInfoPeer, make([]byte, 4)) // too short for an ifinfomsg
	_ = e.NestEnd(d)
	_ = e.NestEnd(n)
	fmt.Println(link.Validate(e.Bytes()))

	e.Reset()
	e.String(unix.IFLA_IFNAME, "veth0")
	e.Uint32(unix.IFLA_MTU, 70000)
	err := link.Validate(e.Bytes())
	fmt.Println(err)
	var pe *core.PolicyError
	if errors.As(err, &pe) {
		fmt.Println(pe.Problem == core.ProblemRange, pe.Uint, pe.Offset)
	}

	e.Reset()
	e.Uint32(unix.IFLA_MTU, 1500)
	fmt.Println(link.Validate(e.Bytes()))

	e.Reset()
	e.String(unix.IFLA_IFNAME, "veth0")
	e.Uint32(unix.IFLA_MTU, 1500)
	fmt.Println(link.Validate(e.Bytes()))
	// Output:
	// IFLA_LINKINFO > IFLA_INFO_DATA > VETH_INFO_PEER: length 4, want at least 16
	// IFLA_MTU: value 70000 out of range [68, 65535]
	// true 70000 12
	// missing required attribute IFLA_IFNAME
	// <nil>
}
