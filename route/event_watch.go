package route

import (
	"context"
	"errors"
	"iter"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Watcher is a NETLINK_ROUTE socket of its own that has joined event
// groups: events start queueing when Watch returns, so a caller can
// watch, then change things, then read what happened. A Conn cannot be
// used for requests while it listens, so a Watcher never shares one.
type Watcher struct {
	c *core.Conn
}

// Watch opens a socket configured by cfg (nil for defaults; its NetNS
// picks the namespace to watch) that joins groups, and cfg.Groups too.
// With no groups at all it joins DefaultGroups. It sets PktInfo, so each
// Event says the group it came on.
//
// The socket's receive queue is the kernel default unless cfg.ReadBuffer
// says otherwise: a burst of changes larger than it overruns the queue
// (see Events).
func Watch(cfg *core.Config, groups ...Group) (*Watcher, error) {
	var c core.Config
	if cfg != nil {
		c = *cfg
	}
	c.Groups = append([]uint32(nil), c.Groups...)
	for _, g := range groups {
		c.Groups = append(c.Groups, uint32(g))
	}
	if len(c.Groups) == 0 {
		for _, g := range DefaultGroups() {
			c.Groups = append(c.Groups, uint32(g))
		}
	}
	c.PktInfo = true
	conn, err := core.Dial(unix.NETLINK_ROUTE, &c)
	if err != nil {
		return nil, core.WithOp(err, "watch route events")
	}
	return &Watcher{c: conn}, nil
}

// Join adds a group to the watch.
func (w *Watcher) Join(g Group) error { return w.c.JoinGroup(uint32(g)) }

// Leave drops a group from the watch.
func (w *Watcher) Leave(g Group) error { return w.c.LeaveGroup(uint32(g)) }

// Close closes the socket; a running Events loop ends.
func (w *Watcher) Close() error { return w.c.Close() }

// Core returns the underlying socket.
func (w *Watcher) Core() *core.Conn { return w.c }

// Events streams the events as they arrive, until ctx ends (the last pair
// then carries ctx's error), the Watcher is closed, or the loop breaks.
// Each Event owns its object.
//
// Two errors leave the stream going:
//
//   - core.ErrOverrun: the socket's receive queue overflowed and events
//     were lost (errors.Is(err, unix.ENOBUFS) holds too). A caller that
//     mirrors kernel state must then dump again (Addrs, Links, Routes,
//     ...) and rebuild its view from the dump, applying only the events
//     that follow. A larger cfg.ReadBuffer makes overruns rarer.
//   - a decode error: the event comes with it, Object nil and Raw set.
//
// Any other error ends the stream after it is yielded.
func (w *Watcher) Events(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for m, err := range w.c.Listen(ctx) {
			if err != nil {
				if errors.Is(err, core.ErrClosed) {
					return
				}
				if !yield(Event{}, err) {
					return
				}
				continue
			}
			if !yield(DecodeEvent(m)) {
				return
			}
		}
	}
}

// Subscribe watches groups in the namespace cfg names (see Watch) and
// streams the events (see Watcher.Events), closing the socket when the
// loop ends. The socket is opened when the loop starts: events from
// before then are not seen. To change things only once the watch is in
// place, use Watch and Events.
//
//	for ev, err := range route.Subscribe(ctx, nil, route.GroupLink) {
//		...
//	}
func Subscribe(ctx context.Context, cfg *core.Config, groups ...Group) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		w, err := Watch(cfg, groups...)
		if err != nil {
			yield(Event{}, err)
			return
		}
		defer w.Close()
		for ev, err := range w.Events(ctx) {
			if !yield(ev, err) {
				return
			}
		}
	}
}
