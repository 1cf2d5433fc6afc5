package decode

import (
	"strconv"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// MessageTypeName names message type t of protocol: the control types
// (NOOP, ERROR, DONE, OVERRUN) and, for NETLINK_ROUTE, RTM_*. Unknown
// types print as their number.
func MessageTypeName(protocol int, t core.MessageType) string {
	if t < unix.NLMSG_MIN_TYPE {
		return "NLMSG_" + t.String()
	}
	if protocol == unix.NETLINK_ROUTE && int(t) < len(routeTypes) && routeTypes[t] != "" {
		return routeTypes[t]
	}
	return strconv.Itoa(int(t))
}

// HeaderLen is the size of the family header (ifinfomsg, ifaddrmsg, rtmsg)
// that starts the payload of messages of type t, or -1 for the types this
// package has no attribute names for.
func HeaderLen(protocol int, t core.MessageType) int {
	if protocol == unix.NETLINK_ROUTE {
		if o := routeObjectOf(t); o != nil {
			return o.hdrLen
		}
	}
	return -1
}

// AttrName names the attribute at path (attribute types from the outermost
// to the one named) in a message of type t, or returns "" when it is not
// known. Attributes whose meaning depends on a sibling (IFLA_INFO_DATA
// depends on IFLA_INFO_KIND) are not named here; the JSON tree names them.
func AttrName(protocol int, t core.MessageType, path []uint16) string {
	if protocol != unix.NETLINK_ROUTE || len(path) == 0 {
		return ""
	}
	o := routeObjectOf(t)
	if o == nil {
		return ""
	}
	tbl := o.attrs
	for i, typ := range path {
		s, ok := tbl.lookup(typ)
		if !ok {
			return ""
		}
		if i == len(path)-1 {
			return s.name
		}
		tbl = s.sub
	}
	return ""
}

// Formatter returns a core.Formatter for protocol that names the
// attributes this package knows (IFLA_*, IFA_*, RTA_*, ...). Message types
// and family header sizes are the core's own.
func Formatter(protocol int) *core.Formatter {
	return &core.Formatter{
		Protocol: protocol,
		AttrName: func(t core.MessageType, path []uint16) string {
			return AttrName(protocol, t, path)
		},
	}
}
