package route

import (
	"reflect"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// HardwareType is a link's ARPHRD_* type (ifi_type).
type HardwareType uint16

var hardwareTypeNames = map[HardwareType]string{
	unix.ARPHRD_ETHER: "ether", unix.ARPHRD_LOOPBACK: "loopback", unix.ARPHRD_NONE: "none",
	unix.ARPHRD_TUNNEL: "ipip", unix.ARPHRD_SIT: "sit", unix.ARPHRD_IPGRE: "gre",
	unix.ARPHRD_TUNNEL6: "tunnel6", unix.ARPHRD_IP6GRE: "gre6", unix.ARPHRD_VOID: "void",
	unix.ARPHRD_PPP: "ppp", unix.ARPHRD_IEEE80211: "ieee802.11", unix.ARPHRD_INFINIBAND: "infiniband",
	unix.ARPHRD_CAN: "can", unix.ARPHRD_IEEE802154: "ieee802.15.4",
}

// String names the type as ip(8) does after "link/" ("ether", "loopback",
// "none", ...), or "[N]".
func (t HardwareType) String() string {
	if n, ok := hardwareTypeNames[t]; ok {
		return n
	}
	return "[" + strconv.Itoa(int(t)) + "]"
}

// MarshalText makes JSON show the name, as `ip -j` does.
func (t HardwareType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// String prints l on one line, like `ip -o link show`:
//
//	3: veth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff kind veth
//
// The peer or parent and the master are shown by index (ifN), since a
// Link alone does not know other links' names; Format takes names.
func (l *Link) String() string { return l.Format(nil) }

// Format is String with the parent and master named by names (nil, or a
// name it returns empty: ifN). A parent in another namespace
// (link-netnsid set) stays ifN, as ip shows it.
func (l *Link) Format(names func(int32) string) string {
	name := func(i int32, local bool) string {
		if names != nil && local {
			if n := names(i); n != "" {
				return n
			}
		}
		return "if" + strconv.Itoa(int(i))
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(l.Index)))
	b.WriteString(": ")
	b.WriteString(l.Name)
	if l.ParentIndex != 0 {
		b.WriteString("@")
		b.WriteString(name(l.ParentIndex, !l.HasLinkNetNSID))
	}
	b.WriteString(": <")
	b.WriteString(l.Flags.String())
	b.WriteString(">")
	if l.MTU != 0 {
		b.WriteString(" mtu ")
		b.WriteString(strconv.FormatUint(uint64(l.MTU), 10))
	}
	if l.Qdisc != "" {
		b.WriteString(" qdisc ")
		b.WriteString(l.Qdisc)
	}
	if l.Master != 0 {
		b.WriteString(" master ")
		b.WriteString(name(int32(l.Master), true))
	}
	b.WriteString(" state ")
	b.WriteString(l.OperState.String())
	b.WriteString(" mode ")
	b.WriteString(l.LinkMode.String())
	b.WriteString(" group ")
	if l.Group == 0 {
		b.WriteString("default")
	} else {
		b.WriteString(strconv.FormatUint(uint64(l.Group), 10))
	}
	if l.TxQLen != 0 {
		b.WriteString(" qlen ")
		b.WriteString(strconv.FormatUint(uint64(l.TxQLen), 10))
	}
	b.WriteString("\\    link/")
	b.WriteString(l.Type.String())
	if len(l.Address) > 0 {
		b.WriteByte(' ')
		b.WriteString(l.Address.String())
	}
	if len(l.Broadcast) > 0 {
		b.WriteString(" brd ")
		b.WriteString(l.Broadcast.String())
	}
	if l.HasLinkNetNSID {
		b.WriteString(" link-netnsid ")
		b.WriteString(strconv.Itoa(int(l.LinkNetNSID)))
	}
	if l.Info != nil {
		b.WriteString(" kind ")
		b.WriteString(l.Info.Kind())
	}
	if l.SlaveInfo != nil {
		b.WriteString(" slave-kind ")
		b.WriteString(l.SlaveInfo.Kind())
	}
	if l.Alias != "" {
		b.WriteString(" alias ")
		b.WriteString(l.Alias)
	}
	for _, a := range l.AltNames {
		b.WriteString(" altname ")
		b.WriteString(a)
	}
	return b.String()
}

// Equal reports whether l and o describe the same link state (Change and
// the request-only fields are ignored; nil and empty slices are equal).
func (l *Link) Equal(o *Link) bool { return len(l.Diff(o)) == 0 }

// linkDiffSkip are the fields Equal and Diff ignore: request-only ones.
var linkDiffSkip = map[string]bool{
	"Change": true, "NetNSFD": true, "HasNetNSFD": true, "NetNSPID": true, "HasNetNSPID": true,
}

// Diff lists the names of the fields of l and o that differ (Go field
// names, "Info" for any difference in the kind data), in field order.
func (l *Link) Diff(o *Link) []string {
	if l == nil || o == nil {
		if l == o {
			return nil
		}
		return []string{"Link"}
	}
	return linkDiffStruct(reflect.ValueOf(l).Elem(), reflect.ValueOf(o).Elem(), linkDiffSkip)
}

// linkDiffStruct compares the exported fields of two values of one struct
// type.
func linkDiffStruct(a, b reflect.Value, skip map[string]bool) []string {
	var out []string
	t := a.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || skip[f.Name] {
			continue
		}
		if !linkDeepEqual(a.Field(i), b.Field(i)) {
			out = append(out, f.Name)
		}
	}
	return out
}

// linkDeepEqual is reflect.DeepEqual with nil and empty slices equal, and
// struct fields compared the same way.
func linkDeepEqual(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !linkDeepEqual(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		if a.Type() != b.Type() {
			return false
		}
		if a.Type().PkgPath() != "" && a.Type().PkgPath() != "github.com/nlkit/nlkit/route" {
			return reflect.DeepEqual(a.Interface(), b.Interface())
		}
		for i := 0; i < a.NumField(); i++ {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if !linkDeepEqual(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Interface, reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return linkDeepEqual(a.Elem(), b.Elem())
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
