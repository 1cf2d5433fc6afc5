package ethtool

import (
	"context"
	"iter"
	"sync"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/genl"
	"golang.org/x/sys/unix"
)

// Client speaks the ethtool generic netlink family over a genl.Conn. It
// is safe for concurrent use. It remembers the global string sets
// (feature and link mode names) it fetched; nothing else is cached.
type Client struct {
	c *genl.Conn

	mu   sync.Mutex
	sets map[uint32][]string
}

// New returns a Client over c. Close closes c.
func New(c *genl.Conn) *Client {
	return &Client{c: c, sets: map[uint32][]string{}}
}

// Dial opens a generic netlink socket as cfg says (nil: the defaults;
// cfg.NetNS to work in another namespace) and returns a Client over it.
func Dial(cfg *core.Config) (*Client, error) {
	c, err := genl.Dial(cfg)
	if err != nil {
		return nil, err
	}
	return New(c), nil
}

// Conn returns the genl.Conn the Client uses.
func (c *Client) Conn() *genl.Conn { return c.c }

// Close closes the connection.
func (c *Client) Close() error { return c.c.Close() }

// get sends a GET command about dev and decodes its one reply.
func (c *Client) get(ctx context.Context, op string, cmd uint8, dev string, flags uint32, decode func([]byte) error) error {
	var e core.AttrEncoder
	if err := appendHeader(&e, ethtoolHeaderAttr, Device{Name: dev}, flags); err != nil {
		return core.WithOp(err, op)
	}
	got := false
	err := c.c.ExecuteFunc(ctx, FamilyName, cmd, 0, e.Bytes(), func(m genl.Message) error {
		got = true
		return decode(m.Data)
	})
	nameErrorAttr(err, cmd, e.Bytes())
	if err == nil && !got {
		err = &core.OpError{Op: op, Err: errNoReply}
	}
	return core.WithOp(err, op)
}

// set sends a SET command and hands each reply (if any) to decode.
func (c *Client) set(ctx context.Context, op string, cmd uint8, attrs []byte, decode func([]byte) error) error {
	err := c.c.ExecuteFunc(ctx, FamilyName, cmd, 0, attrs, func(m genl.Message) error {
		if decode == nil {
			return nil
		}
		return decode(m.Data)
	})
	nameErrorAttr(err, cmd, attrs)
	return core.WithOp(err, op)
}

// LinkInfo reads dev's port, PHY address, MDI-X and transceiver.
func (c *Client) LinkInfo(ctx context.Context, dev string) (*LinkInfo, error) {
	var l LinkInfo
	err := c.get(ctx, "ethtool linkinfo "+dev, unix.ETHTOOL_MSG_LINKINFO_GET, dev, 0, l.unmarshalAttrs)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// LinkModes reads dev's speed, duplex, autonegotiation and link modes,
// the modes named from the kernel's string set.
func (c *Client) LinkModes(ctx context.Context, dev string) (*LinkModes, error) {
	var m LinkModes
	op := "ethtool linkmodes " + dev
	err := c.get(ctx, op, unix.ETHTOOL_MSG_LINKMODES_GET, dev, FlagCompactBitsets, m.unmarshalAttrs)
	if err != nil {
		return nil, err
	}
	names, err := c.globalStrings(ctx, StringSetLinkModes)
	if err != nil {
		return nil, core.WithOp(err, op)
	}
	if len(m.Ours.Names) == 0 {
		m.Ours.Names = names
	}
	if len(m.Peer.Names) == 0 {
		m.Peer.Names = names
	}
	return &m, nil
}

// LinkState reads whether dev's link is up, and its SQI and extended
// state where the driver reports them.
func (c *Client) LinkState(ctx context.Context, dev string) (*LinkState, error) {
	var l LinkState
	err := c.get(ctx, "ethtool linkstate "+dev, unix.ETHTOOL_MSG_LINKSTATE_GET, dev, 0, l.unmarshalAttrs)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// Features reads dev's features, named from the kernel's string set.
func (c *Client) Features(ctx context.Context, dev string) (*Features, error) {
	var f Features
	op := "ethtool features " + dev
	err := c.get(ctx, op, unix.ETHTOOL_MSG_FEATURES_GET, dev, FlagCompactBitsets, f.unmarshalAttrs)
	if err != nil {
		return nil, err
	}
	names, err := c.globalStrings(ctx, StringSetFeatures)
	if err != nil {
		return nil, core.WithOp(err, op)
	}
	f.SetNames(names)
	return &f, nil
}

// SetFeatures turns dev's features on or off by name: the kernel's names
// ("rx-gro", "tx-checksum-ip-generic") or ethtool(8)'s ("gro", "tx",
// "tso"), which stand for a group. It first reads the features and
// refuses, sending nothing, a name it does not know or a change to a
// feature the device does not let change (fixed), naming them in a
// *FeatureError. Fixed members of a group are left as they are, as
// ethtool does.
//
// It returns what the kernel says changed. When the kernel could not apply
// a change (a feature depends on another that is off, say) the change is
// returned with a *FeatureError naming what was not applied.
func (c *Client) SetFeatures(ctx context.Context, dev string, want map[string]bool) (*FeatureChange, error) {
	op := "ethtool set features " + dev
	cur, err := c.Features(ctx, dev)
	if err != nil {
		return nil, core.WithOp(err, op)
	}
	req, ferr := cur.request(want)
	if ferr != nil {
		ferr.Op = op
		return nil, ferr
	}
	var e core.AttrEncoder
	if err := featuresEncodeSet(&e, Device{Name: dev}, FlagCompactBitsets, req); err != nil {
		return nil, core.WithOp(err, op)
	}
	ch := &FeatureChange{Dev: cur.Dev}
	err = c.set(ctx, op, unix.ETHTOOL_MSG_FEATURES_SET, e.Bytes(), ch.unmarshalAttrs)
	if err != nil {
		return nil, err
	}
	names := cur.names()
	ch.Wanted.Names, ch.Active.Names = names, names
	if na := ch.NotApplied(); len(na) > 0 {
		fe := &FeatureError{Op: op}
		for _, n := range sortedKeys(na) {
			fe.NotApplied = append(fe.NotApplied, FeatureProblem{Name: n, Value: na[n]})
		}
		return ch, fe
	}
	return ch, nil
}

// Rings reads dev's ring sizes (ethtool -g).
func (c *Client) Rings(ctx context.Context, dev string) (*Rings, error) {
	var r Rings
	err := c.get(ctx, "ethtool rings "+dev, unix.ETHTOOL_MSG_RINGS_GET, dev, 0, r.unmarshalAttrs)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// SetRings sets dev's ring sizes to r's (see Rings.Marshal for what is
// sent): read them with Rings, change them, and pass them back.
func (c *Client) SetRings(ctx context.Context, dev string, r *Rings) error {
	rr := *r
	rr.Dev = Device{Name: dev}
	var e core.AttrEncoder
	op := "ethtool set rings " + dev
	if err := rr.encodeSet(&e); err != nil {
		return core.WithOp(err, op)
	}
	return c.set(ctx, op, unix.ETHTOOL_MSG_RINGS_SET, e.Bytes(), nil)
}

// Channels reads dev's channel counts (ethtool -l).
func (c *Client) Channels(ctx context.Context, dev string) (*Channels, error) {
	var ch Channels
	err := c.get(ctx, "ethtool channels "+dev, unix.ETHTOOL_MSG_CHANNELS_GET, dev, 0, ch.unmarshalAttrs)
	if err != nil {
		return nil, err
	}
	return &ch, nil
}

// SetChannels sets dev's channel counts to ch's (see Channels.Marshal for
// what is sent): read them with Channels, change them, and pass them back.
func (c *Client) SetChannels(ctx context.Context, dev string, ch *Channels) error {
	cc := *ch
	cc.Dev = Device{Name: dev}
	var e core.AttrEncoder
	op := "ethtool set channels " + dev
	if err := cc.encodeSet(&e); err != nil {
		return core.WithOp(err, op)
	}
	return c.set(ctx, op, unix.ETHTOOL_MSG_CHANNELS_SET, e.Bytes(), nil)
}

// StringSet fetches string set id (ETH_SS_*), about dev when it is not
// empty (a few sets, such as driver statistics, are per device). It is
// not cached.
func (c *Client) StringSet(ctx context.Context, id uint32, dev string) ([]string, error) {
	op := "ethtool string set " + itoa(uint64(id))
	var e core.AttrEncoder
	if err := strsetRequest(&e, Device{Name: dev}, []uint32{id}); err != nil {
		return nil, core.WithOp(err, op)
	}
	var out []string
	found := false
	err := c.c.ExecuteFunc(ctx, FamilyName, unix.ETHTOOL_MSG_STRSET_GET, 0, e.Bytes(), func(m genl.Message) error {
		var ss StringSets
		if err := ss.unmarshalAttrs(m.Data); err != nil {
			return err
		}
		for _, s := range ss.Sets {
			if s.ID == id {
				out, found = s.Strings, true
			}
		}
		return nil
	})
	if err == nil && !found {
		err = &core.OpError{Op: op, Err: errNoReply}
	}
	if err != nil {
		return nil, core.WithOp(err, op)
	}
	return out, nil
}

// globalStrings returns string set id, fetched once per Client.
func (c *Client) globalStrings(ctx context.Context, id uint32) ([]string, error) {
	c.mu.Lock()
	s, ok := c.sets[id]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := c.StringSet(ctx, id, "")
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.sets[id] = s
	c.mu.Unlock()
	return s, nil
}

// Monitor streams the ethtool notifications (the "monitor" group) until
// ctx ends or the loop breaks, on a socket of its own: each Event is the
// new state of one setting of one device. The kernel sends bit sets in
// notifications compact; features and link modes are named from the string
// sets, fetched once on the Client's own socket. A receive queue overflow
// is yielded as core.ErrOverrun and the stream goes on.
func (c *Client) Monitor(ctx context.Context) iter.Seq2[*Event, error] {
	return func(yield func(*Event, error) bool) {
		for m, err := range c.c.Subscribe(ctx, FamilyName, MonitorGroup) {
			if err != nil {
				if !yield(nil, core.WithOp(err, "ethtool monitor")) {
					return
				}
				continue
			}
			ev := new(Event)
			if err := ev.unmarshalAttrs(m.Genl.Command, m.Data); err != nil {
				if !yield(nil, core.WithOp(err, "ethtool monitor: decode "+NotifyName(m.Genl.Command))) {
					return
				}
				continue
			}
			c.nameEvent(ctx, ev)
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// nameEvent names the bits of an event's bit sets, when the string set
// can be had (an event is still worth having without names).
func (c *Client) nameEvent(ctx context.Context, ev *Event) {
	switch {
	case ev.Features != nil:
		if names, err := c.globalStrings(ctx, StringSetFeatures); err == nil {
			ev.Features.SetNames(names)
		}
	case ev.LinkModes != nil:
		if names, err := c.globalStrings(ctx, StringSetLinkModes); err == nil {
			if len(ev.LinkModes.Ours.Names) == 0 {
				ev.LinkModes.Ours.Names = names
			}
			if len(ev.LinkModes.Peer.Names) == 0 {
				ev.LinkModes.Peer.Names = names
			}
		}
	}
}
