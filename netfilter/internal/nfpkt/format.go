package nfpkt

import (
	"fmt"
	"strconv"
	"strings"
)

// AppendMeta appends the mark, devices, hardware address, UID and GID
// as " name=value" pairs, those the packet has.
func (f *Fields) AppendMeta(b []byte) []byte {
	if *f.HasMark {
		b = fmt.Appendf(b, " mark=0x%x", *f.Mark)
	}
	for _, d := range [...]struct {
		name string
		v    uint32
	}{{"indev", *f.InDev}, {"outdev", *f.OutDev}, {"physindev", *f.PhysInDev}, {"physoutdev", *f.PhysOutDev}} {
		if d.v != 0 {
			b = fmt.Appendf(b, " %s=%d", d.name, d.v)
		}
	}
	if len(*f.HWAddr) > 0 {
		b = append(b, " hwaddr="...)
		b = append(b, f.HWAddr.String()...)
	}
	if *f.HasUID {
		b = fmt.Appendf(b, " uid=%d", *f.UID)
	}
	if *f.HasGID {
		b = fmt.Appendf(b, " gid=%d", *f.GID)
	}
	return b
}

// AppendTail appends the VLAN tag, when there is one, and the payload
// length.
func (f *Fields) AppendTail(b []byte) []byte {
	if *f.HasVLAN {
		b = fmt.Appendf(b, " vlan=0x%04x/%d", *f.VLANProto, *f.VLANTCI&0xfff)
	}
	return fmt.Appendf(b, " len=%d", len(*f.Payload))
}

// hookNames are the netfilter hooks (NF_INET_*) by number.
var hookNames = [...]string{"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING", "INGRESS"}

// HookName names netfilter hook h (NF_INET_*), or says hook(h).
func HookName(h uint8) string { return EnumName(uint64(h), hookNames[:], "hook") }

// EnumName returns names[v] when it is there and not empty, else
// unknown(v).
func EnumName(v uint64, names []string, unknown string) string {
	if v < uint64(len(names)) && names[v] != "" {
		return names[v]
	}
	return unknown + "(" + strconv.FormatUint(v, 10) + ")"
}

// FlagNames returns the names of the bits set in f (bit i is names[i]),
// comma-separated, with any unnamed bits in hex; "none" for no bits.
func FlagNames(f uint64, names []string) string {
	if f == 0 {
		return "none"
	}
	var parts []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := f &^ (1<<len(names) - 1); rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", rest))
	}
	return strings.Join(parts, ",")
}
