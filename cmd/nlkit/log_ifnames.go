package main

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/route"
	"golang.org/x/sys/unix"
)

// logIfNames maps interface indexes to names in the verb's namespace,
// dumping the links again when an index is unknown.
type logIfNames struct {
	env   *cli.Env
	c     *route.Conn
	names map[uint32]string
}

func (n *logIfNames) name(idx uint32) string {
	if idx == 0 {
		return ""
	}
	if s, ok := n.names[idx]; ok {
		return s
	}
	if n.names == nil {
		n.names = map[uint32]string{}
	}
	if n.c == nil {
		n.c, _ = objDial(n.env)
	}
	if n.c != nil {
		links, _ := ifNamesDump(context.Background(), n.c)
		for i, name := range links {
			n.names[uint32(i)] = name
		}
	}
	if s, ok := n.names[idx]; ok {
		return s
	}
	s := strconv.FormatUint(uint64(idx), 10)
	n.names[idx] = s
	return s
}

// logFamily reads --family: inet, inet6, bridge, arp, or unspec.
func logFamily(s string) (uint8, error) {
	switch s {
	case "inet", "ipv4", "ip":
		return unix.AF_INET, nil
	case "inet6", "ipv6":
		return unix.AF_INET6, nil
	case "bridge":
		return unix.AF_BRIDGE, nil
	case "arp":
		return 3, nil // NFPROTO_ARP
	case "unspec", "":
		return unix.AF_UNSPEC, nil
	}
	return 0, fmt.Errorf("unknown family %q (inet, inet6, bridge, arp)", s)
}

// logPayloadSummary names the L3/L4 of a payload: "udp 192.0.2.1:1000 >
// 192.0.2.2:4000" and the like.
func logPayloadSummary(p []byte) string {
	if len(p) < 1 {
		return ""
	}
	var src, dst net.IP
	var proto byte
	var l4 []byte
	switch p[0] >> 4 {
	case 4:
		if len(p) < 20 {
			return "ipv4 (short)"
		}
		ihl := int(p[0]&0xf) * 4
		src, dst, proto = net.IP(p[12:16]), net.IP(p[16:20]), p[9]
		if ihl <= len(p) {
			l4 = p[ihl:]
		}
	case 6:
		if len(p) < 40 {
			return "ipv6 (short)"
		}
		src, dst, proto, l4 = net.IP(p[8:24]), net.IP(p[24:40]), p[6], p[40:]
	default:
		return ""
	}
	name := map[byte]string{1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 132: "sctp"}[proto]
	if name == "" {
		name = "proto " + strconv.Itoa(int(proto))
	}
	if (proto == 6 || proto == 17 || proto == 132) && len(l4) >= 4 {
		return fmt.Sprintf("%s %s > %s", name,
			net.JoinHostPort(src.String(), strconv.Itoa(int(l4[0])<<8|int(l4[1]))),
			net.JoinHostPort(dst.String(), strconv.Itoa(int(l4[2])<<8|int(l4[3]))))
	}
	return fmt.Sprintf("%s %s > %s", name, src, dst)
}
