// Package decode turns netlink messages into something a person or a
// program can read: attribute names for core.Formatter (the --debug trace
// and the demo's trees) and a JSON-ready tree of each message.
//
// The name tables are built from golang.org/x/sys/unix constants, indexed
// by value, so a clash between two names is a compile error.
package decode

// kind says how an attribute's payload reads.
type kind uint8

const (
	kindBinary kind = iota // hex
	kindU8
	kindU16
	kindU32
	kindU64
	kindUint // NLA_UINT: 4 or 8 bytes
	kindS32
	kindBE16 // u16 in network byte order (ports)
	kindString
	kindAddr     // IPv4 or IPv6 address
	kindHW       // link-layer address
	kindFlag     // no payload
	kindU32Array // a packed array of u32 (struct of counters, devconf)
	kindU64Array // a packed array of u64 (64-bit counters)
	kindNested   // attributes, named by sub
	kindLinkData // attributes named by the link kind (IFLA_INFO_DATA)
	kindLinkMsg  // an ifinfomsg and IFLA_* attributes (VETH_INFO_PEER)
)

// spec describes one attribute type.
type spec struct {
	name string
	kind kind
	sub  table // names of the attributes nested inside (kindNested)
}

// table names the attributes of one attribute space, indexed by type.
type table []spec

// lookup returns the spec for typ and whether the table knows it.
func (t table) lookup(typ uint16) (spec, bool) {
	if int(typ) >= len(t) || t[typ].name == "" {
		return spec{}, false
	}
	return t[typ], true
}
