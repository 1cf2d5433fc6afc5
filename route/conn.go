package route

import (
	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Conn is a route (NETLINK_ROUTE) socket: the methods of the object files
// (links, addresses, routes, neighbours, rules, nexthops, ...) hang off it.
// It is safe for concurrent use under the same model as core.Conn: each
// exchange holds the socket, replies are matched by sequence number.
type Conn struct {
	c *core.Conn
}

// Dial opens a NETLINK_ROUTE socket configured by cfg (nil for defaults:
// strict checking and extended ACK on, the current namespace).
func Dial(cfg *core.Config) (*Conn, error) {
	c, err := core.Dial(unix.NETLINK_ROUTE, cfg)
	if err != nil {
		return nil, err
	}
	return &Conn{c: c}, nil
}

// NewConn wraps an open core.Conn, which must speak NETLINK_ROUTE (a fake
// kernel from core/nltest, for instance). Closing the Conn closes c.
func NewConn(c *core.Conn) *Conn { return &Conn{c: c} }

// Core returns the underlying core.Conn, for requests this package does not
// model.
func (c *Conn) Core() *core.Conn { return c.c }

// Close closes the socket. Calls blocked on it return core.ErrClosed.
func (c *Conn) Close() error { return c.c.Close() }

// request builds a request message of type typ carrying data; Execute adds
// the sequence number and the ACK flag.
func request(typ uint16, flags core.HeaderFlags, data []byte) core.Message {
	return core.Message{
		Header: core.Header{Type: core.MessageType(typ), Flags: core.FlagRequest | flags},
		Data:   data,
	}
}
