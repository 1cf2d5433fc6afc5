package route

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// EventType says whether an event announces a new (or changed) object or
// a deleted one.
type EventType uint8

// The event types.
const (
	// EventNew: an object was added or changed (RTM_NEWLINK, RTM_NEWADDR,
	// ...). The kernel sends the whole object, as a dump shows it.
	EventNew EventType = iota + 1
	// EventDel: an object was deleted (RTM_DELLINK, RTM_DELADDR, ...).
	EventDel
	// EventOther: a message of another kind (a GET or SET type).
	EventOther
)

// String returns "new", "del" or "other".
func (t EventType) String() string {
	switch t {
	case EventNew:
		return "new"
	case EventDel:
		return "del"
	case EventOther:
		return "other"
	}
	return strconv.Itoa(int(t))
}

// MarshalText makes JSON show the name.
func (t EventType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Event is one notification from the kernel.
type Event struct {
	// Type is EventNew or EventDel.
	Type EventType
	// MsgType is the message type (unix.RTM_NEWLINK, unix.RTM_DELADDR, ...).
	MsgType core.MessageType
	// Group is the multicast group the message came on (0 when unknown).
	Group Group
	// Object is the decoded object: *Addr for RTM_NEWADDR and
	// RTM_DELADDR, and likewise *Link, *Route, *Neigh, *Rule, *Nexthop,
	// *Netconf and *NSID for their messages. It is nil for the message
	// types this package does not decode (Raw then holds the payload) and
	// when decoding failed. Each event has objects of its own: they may be
	// kept.
	Object any
	// Raw is the message payload (family header and attributes) when
	// Object is nil.
	Raw []byte
}

// eventObject is what an event decodes into.
type eventObject interface{ Unmarshal([]byte) error }

// eventKinds name the RTM_* message families by their base type, as
// `ip monitor` prefixes them.
var eventKinds = map[core.MessageType]string{
	unix.RTM_NEWLINK: "LINK", unix.RTM_NEWADDR: "ADDR", unix.RTM_NEWROUTE: "ROUTE",
	unix.RTM_NEWNEIGH: "NEIGH", unix.RTM_NEWRULE: "RULE", unix.RTM_NEWQDISC: "QDISC",
	unix.RTM_NEWTCLASS: "CLASS", unix.RTM_NEWTFILTER: "FILTER", unix.RTM_NEWACTION: "ACTION",
	unix.RTM_NEWPREFIX: "PREFIX", unix.RTM_NEWMULTICAST: "MADDR", unix.RTM_NEWANYCAST: "ACADDR",
	unix.RTM_NEWNEIGHTBL: "NEIGHTBL", unix.RTM_NEWNDUSEROPT: "NDUSEROPT",
	unix.RTM_NEWADDRLABEL: "ADDRLABEL", unix.RTM_NEWNETCONF: "NETCONF", unix.RTM_NEWMDB: "MDB",
	unix.RTM_NEWNSID: "NSID", unix.RTM_NEWSTATS: "STATS", unix.RTM_NEWCACHEREPORT: "CACHEREPORT",
	unix.RTM_NEWCHAIN: "CHAIN", unix.RTM_NEWNEXTHOP: "NEXTHOP", unix.RTM_NEWLINKPROP: "LINKPROP",
	unix.RTM_NEWVLAN: "VLAN", unix.RTM_NEWNEXTHOPBUCKET: "NEXTHOPBUCKET", unix.RTM_NEWTUNNEL: "TUNNEL",
}

// eventBase is the NEW type of t's family (RTM_* types come in fours:
// NEW, DEL, GET, SET), and t's place in it.
func eventBase(t core.MessageType) (core.MessageType, int) {
	if t < unix.RTM_BASE {
		return t, -1
	}
	off := int(t-unix.RTM_BASE) % 4
	return t - core.MessageType(off), off
}

// Kind names the kind of object the event is about, as `ip monitor`
// labels it: "LINK", "ADDR", "ROUTE", "NEIGH", "RULE", "NEXTHOP",
// "NETCONF", "NSID", ...; the message type's number otherwise.
func (e *Event) Kind() string {
	base, _ := eventBase(e.MsgType)
	if k, ok := eventKinds[base]; ok {
		return k
	}
	return strconv.Itoa(int(e.MsgType))
}

// DecodeEvent decodes a notification: its type, and its object for the
// types this package models. It never panics. On a decode error the
// event still carries the type and the payload (Raw), with the error.
// The event copies what it keeps of m.
func DecodeEvent(m core.Message) (Event, error) {
	e := Event{MsgType: m.Header.Type, Group: Group(m.From.Group)}
	_, off := eventBase(m.Header.Type)
	switch off {
	case 0:
		e.Type = EventNew
	case 1:
		e.Type = EventDel
	default:
		e.Type = EventOther
	}
	data := append([]byte(nil), m.Data...)
	obj := eventObjectFor(m.Header.Type)
	if obj == nil {
		e.Raw = data
		return e, nil
	}
	if err := eventUnmarshal(obj, data); err != nil {
		e.Raw = data
		return e, fmt.Errorf("route: %s event (message type %d): %w", e.Kind(), int(m.Header.Type), err)
	}
	e.Object = obj
	return e, nil
}

// eventUnmarshal decodes data into obj, turning a panic in a decoder into
// an error: an event stream must survive any message.
func eventUnmarshal(obj eventObject, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder failed: %v", r)
		}
	}()
	return obj.Unmarshal(data)
}

// String prints the event on one line as `ip monitor` does: the kind in
// brackets, "Deleted" for a deletion, then the object's own line (or the
// payload in hex when it is not decoded).
//
//	[ADDR] 3: inet 192.0.2.1/24 scope global dynamic v0
//	[ADDR] Deleted 3: inet 192.0.2.1/24 scope global dynamic v0
func (e *Event) String() string {
	s := "[" + e.Kind() + "] "
	if e.Type == EventDel {
		s += "Deleted "
	}
	switch o := e.Object.(type) {
	case fmt.Stringer:
		return s + o.String()
	case nil:
		return s + "message type " + strconv.Itoa(int(e.MsgType)) + " " + hex.EncodeToString(e.Raw)
	default:
		return s + fmt.Sprint(o)
	}
}

// eventJSON is an event's JSON form.
type eventJSON struct {
	Event   EventType `json:"event"`
	Kind    string    `json:"kind"`
	MsgType uint16    `json:"msg_type"`
	Group   string    `json:"group,omitempty"`
	Object  any       `json:"object,omitempty"`
	Raw     string    `json:"raw,omitempty"`
}

// MarshalJSON prints {"event":"new"|"del","kind":"ADDR","msg_type":20,
// "group":"ipv4-addr","object":{...}} with the object's own JSON (or
// "raw": the payload in hex).
func (e *Event) MarshalJSON() ([]byte, error) {
	j := eventJSON{Event: e.Type, Kind: e.Kind(), MsgType: uint16(e.MsgType), Object: e.Object}
	if e.Group != 0 {
		j.Group = e.Group.String()
	}
	if e.Object == nil && e.Raw != nil {
		j.Raw = hex.EncodeToString(e.Raw)
	}
	return json.Marshal(&j)
}
