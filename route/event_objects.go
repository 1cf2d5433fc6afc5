package route

import (
	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// eventObjectFor returns a new, empty object for a message type this
// package decodes, nil for the others (traffic control, prefixes, MDB,
// statistics, ...), whose events carry their raw payload.
func eventObjectFor(t core.MessageType) eventObject {
	switch t {
	case unix.RTM_NEWLINK, unix.RTM_DELLINK:
		return new(Link)
	case unix.RTM_NEWADDR, unix.RTM_DELADDR:
		return new(Addr)
	case unix.RTM_NEWROUTE, unix.RTM_DELROUTE:
		return new(Route)
	case unix.RTM_NEWNEIGH, unix.RTM_DELNEIGH:
		return new(Neigh)
	case unix.RTM_NEWRULE, unix.RTM_DELRULE:
		return new(Rule)
	case unix.RTM_NEWNEXTHOP, unix.RTM_DELNEXTHOP:
		return new(Nexthop)
	case unix.RTM_NEWNETCONF, unix.RTM_DELNETCONF:
		return new(Netconf)
	case unix.RTM_NEWNSID, unix.RTM_DELNSID:
		return new(NSID)
	case unix.RTM_NEWNEIGHTBL:
		return new(Neightbl)
	}
	return nil
}
