package conntrack

import (
	"context"
	"iter"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
)

// EventType says what an event reports.
type EventType uint8

// The event types.
const (
	EventNew EventType = iota + 1
	EventUpdate
	EventDestroy
	EventExpectNew
	EventExpectDestroy
)

var eventNames = [...]string{"", "NEW", "UPDATE", "DESTROY", "NEW", "DESTROY"}

// String names the event as `conntrack -E` tags it ([NEW], [UPDATE],
// [DESTROY]).
func (t EventType) String() string {
	if int(t) < len(eventNames) && t != 0 {
		return eventNames[t]
	}
	return "UNKNOWN"
}

// MarshalText prints the event type's name in JSON.
func (t EventType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Event is one conntrack or expectation event. Flow is set for flow
// events, Expect for expectation events; both point into storage the
// Listener reuses, valid only inside the loop body.
type Event struct {
	Type   EventType `json:"type"`
	Flow   *Flow     `json:"flow,omitempty"`
	Expect *Expect   `json:"expect,omitempty"`
}

// String prints the event as `conntrack -E` does: "[NEW] udp 17 30 src=...".
func (e Event) String() string {
	b := []byte{'['}
	b = append(b, e.Type.String()...)
	b = append(b, "] "...)
	switch {
	case e.Flow != nil:
		b = e.Flow.AppendText(b)
	case e.Expect != nil:
		b = append(b, e.Expect.String()...)
	}
	return string(b)
}

// Unmarshal decodes an event message (header and payload) into e, using
// flow and exp as storage. Messages that are not ctnetlink events give
// ok false.
func (e *Event) Unmarshal(m core.Message, flow *Flow, exp *Expect) (ok bool, err error) {
	sub, msg := netfilter.SplitType(m.Header.Type)
	*e = Event{}
	switch {
	case sub == netfilter.SubsysConntrack && msg == msgCTNew:
		e.Type = EventUpdate
		if m.Header.Flags&(core.FlagCreate|core.FlagExcl) != 0 {
			e.Type = EventNew
		}
	case sub == netfilter.SubsysConntrack && msg == msgCTDelete:
		e.Type = EventDestroy
	case sub == netfilter.SubsysConntrackExp && msg == msgExpNew:
		e.Type = EventExpectNew
	case sub == netfilter.SubsysConntrackExp && msg == msgExpDelete:
		e.Type = EventExpectDestroy
	default:
		return false, nil
	}
	if sub == netfilter.SubsysConntrack {
		e.Flow = flow
		return true, flow.Unmarshal(m.Data)
	}
	e.Expect = exp
	return true, exp.Unmarshal(m.Data)
}

// Listener receives conntrack events on a socket of its own.
type Listener struct {
	c    *core.Conn
	flow Flow
	exp  Expect
}

// ctAllGroups are the flow groups (new, update, destroy) and the
// expectation groups (new, destroy).
var ctAllGroups = [...]uint32{GroupNew, GroupUpdate, GroupDestroy, GroupExpNew, GroupExpDestroy}

// Listen opens an event socket in cfg's namespace (nil: the current one)
// joined to groups (GroupNew, GroupUpdate, GroupDestroy, GroupExpNew,
// GroupExpDestroy; none: all of them). Unless cfg sets ReadBuffer, the
// socket's receive queue is made 4 MiB, so bursts are not lost.
func Listen(cfg *core.Config, groups ...uint32) (*Listener, error) {
	var c core.Config
	if cfg != nil {
		c = *cfg
	}
	if len(groups) == 0 {
		groups = ctAllGroups[:]
	}
	c.Groups = append(append([]uint32(nil), c.Groups...), groups...)
	if c.ReadBuffer == 0 {
		c.ReadBuffer = 4 << 20
	}
	conn, err := netfilter.Dial(&c)
	if err != nil {
		return nil, err
	}
	return &Listener{c: conn}, nil
}

// Core returns the underlying core.Conn (to join or leave groups).
func (l *Listener) Core() *core.Conn { return l.c }

// Close closes the socket; a running Events loop ends.
func (l *Listener) Close() error { return l.c.Close() }

// Events streams events until ctx ends or the loop breaks. The Event's
// Flow or Expect is reused: valid only inside the loop body. When the
// socket's queue overflowed, the stream yields core.ErrOverrun (events
// were lost: dump the table again to resync) and goes on. A malformed
// event is yielded as an error and the stream goes on; when ctx ends, the
// last pair carries its error.
func (l *Listener) Events(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for m, err := range l.c.Listen(ctx) {
			if err != nil {
				if !yield(Event{}, err) {
					return
				}
				continue
			}
			var ev Event
			ok, err := ev.Unmarshal(m, &l.flow, &l.exp)
			if !ok {
				continue
			}
			if !yield(ev, err) {
				return
			}
		}
	}
}
