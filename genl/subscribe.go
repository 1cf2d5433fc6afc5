package genl

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"

	"github.com/nlkit/nlkit/core"
)

// ErrNoDialer is returned by Subscribe on a Conn made by NewConn, which
// has no way to open the socket a subscription needs.
var ErrNoDialer = errors.New("genl: this Conn cannot open sockets of its own (made by NewConn; use Dial or NewConnDialer)")

// GroupNotFoundError says a family has no multicast group of that name.
// errors.Is(err, fs.ErrNotExist) holds.
type GroupNotFoundError struct {
	Family, Group string
}

// Error prints `genl: family "ethtool" has no multicast group "nosuch"`.
func (e *GroupNotFoundError) Error() string {
	return fmt.Sprintf("genl: family %q has no multicast group %q", e.Family, e.Group)
}

// Is makes errors.Is(err, fs.ErrNotExist) hold.
func (e *GroupNotFoundError) Is(target error) bool { return target == fs.ErrNotExist }

// Subscribe streams the events family sends to its multicast group called
// group, on a socket of its own that joins the group, until ctx ends or
// the loop breaks. Messages are valid until the loop moves on. A receive
// queue overflow is yielded as core.ErrOverrun and the stream goes on;
// when ctx ends, the last pair carries its error.
func (c *Conn) Subscribe(ctx context.Context, family, group string) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		f, err := c.Family(ctx, family)
		if err != nil {
			yield(Message{}, err)
			return
		}
		g, ok := f.Group(group)
		if !ok {
			yield(Message{}, &GroupNotFoundError{Family: family, Group: group})
			return
		}
		if c.dial == nil {
			yield(Message{}, ErrNoDialer)
			return
		}
		sc, err := c.dial()
		if err != nil {
			yield(Message{}, core.WithOp(err, "genl subscribe "+family+" "+group))
			return
		}
		defer sc.Close()
		if err := sc.JoinGroup(g.ID); err != nil {
			yield(Message{}, err)
			return
		}
		for m, err := range sc.Listen(ctx) {
			if err != nil {
				if !yield(Message{}, err) {
					return
				}
				continue
			}
			if m.Header.Type != core.MessageType(f.ID) {
				continue
			}
			gm, err := parseMessage(m, f.HeaderSize)
			if !yield(gm, err) {
				return
			}
		}
	}
}
