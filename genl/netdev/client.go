package netdev

import (
	"context"
	"errors"
	"iter"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/genl"
)

// errNoReply is the cause when the kernel acknowledged a get without
// answering it.
var errNoReply = errors.New("netdev: the kernel sent no reply")

// Client speaks the netdev generic netlink family over a genl.Conn. It is
// safe for concurrent use, except that, as with genl.Conn, the Client
// cannot be called from inside one of its own iterator loops.
type Client struct {
	c *genl.Conn
}

// New returns a Client over c. Close closes c.
func New(c *genl.Conn) *Client { return &Client{c: c} }

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

// get sends a do command and decodes its one reply.
func (c *Client) get(ctx context.Context, op string, cmd uint8, attrs []byte, decode func([]byte) error) error {
	got := false
	err := c.c.ExecuteFunc(ctx, FamilyName, cmd, 0, attrs, func(m genl.Message) error {
		got = true
		return decode(m.Data)
	})
	if err == nil && !got {
		err = &core.OpError{Op: op, Err: errNoReply}
	}
	return core.WithOp(err, op)
}

// dump runs a dump command through the genl Conn's Dump, decoding each
// reply into v with decode and yielding v (reused: valid only in the loop
// body) when keep says so. The kernel sends netdev's dump replies without
// NLM_F_MULTI (the family fills them with genlmsg_iput); the dump still
// ends at NLMSG_DONE.
func dump[T any](ctx context.Context, c *Client, op string, cmd uint8, attrs []byte, v *T,
	decode func(*T, []byte) error, keep func(*T) bool) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		for m, err := range c.c.Dump(ctx, FamilyName, cmd, attrs) {
			if err == nil {
				err = decode(v, m.Data)
			}
			if err != nil {
				yield(nil, core.WithOp(err, op))
				return
			}
			if keep != nil && !keep(v) {
				continue
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}

// collect copies what an iterator yields into a list.
func collect[T any](seq iter.Seq2[*T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, *v)
	}
	return out, nil
}

func u32(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// Device reads what XDP and AF_XDP can do on the device with index
// ifindex.
func (c *Client) Device(ctx context.Context, ifindex uint32) (*Device, error) {
	var d Device
	var e core.AttrEncoder
	e.Uint32(attrDevIfindex, ifindex)
	if err := c.get(ctx, "netdev dev-get ifindex "+u32(ifindex), CmdDevGet, e.Bytes(), d.unmarshalAttrs); err != nil {
		return nil, err
	}
	return &d, nil
}

// DeviceIter lists the devices of the namespace, decoding each into one
// reused Device, valid only in the loop body.
func (c *Client) DeviceIter(ctx context.Context) iter.Seq2[*Device, error] {
	return dump(ctx, c, "netdev dev-get dump", CmdDevGet, nil, new(Device), (*Device).unmarshalAttrs, nil)
}

// Devices lists the devices of the namespace.
func (c *Client) Devices(ctx context.Context) ([]Device, error) {
	return collect(c.DeviceIter(ctx))
}

// Queue reads one queue of a device.
func (c *Client) Queue(ctx context.Context, ifindex uint32, typ QueueType, id uint32) (*Queue, error) {
	var q Queue
	var e core.AttrEncoder
	queueRequest(&e, ifindex, typ, id)
	op := "netdev queue-get ifindex " + u32(ifindex) + " " + typ.String() + "-" + u32(id)
	if err := c.get(ctx, op, CmdQueueGet, e.Bytes(), q.unmarshalAttrs); err != nil {
		return nil, err
	}
	return &q, nil
}

// QueueIter lists the queues of the device ifindex (0: of every device
// that is up), decoding each into one reused Queue, valid only in the
// loop body.
func (c *Client) QueueIter(ctx context.Context, ifindex uint32) iter.Seq2[*Queue, error] {
	var e core.AttrEncoder
	if ifindex != 0 {
		e.Uint32(attrQueueIfindex, ifindex)
	}
	return dump(ctx, c, "netdev queue-get dump", CmdQueueGet, e.Bytes(), new(Queue), (*Queue).unmarshalAttrs, nil)
}

// Queues lists the queues of the device ifindex (0: of every device that
// is up).
func (c *Client) Queues(ctx context.Context, ifindex uint32) ([]Queue, error) {
	return collect(c.QueueIter(ctx, ifindex))
}

// NAPI reads one NAPI instance by ID.
func (c *Client) NAPI(ctx context.Context, id uint32) (*NAPI, error) {
	var n NAPI
	var e core.AttrEncoder
	e.Uint32(attrNAPIID, id)
	if err := c.get(ctx, "netdev napi-get "+u32(id), CmdNAPIGet, e.Bytes(), n.unmarshalAttrs); err != nil {
		return nil, err
	}
	return &n, nil
}

// NAPIIter lists the NAPI instances of the device ifindex (0: of every
// device), decoding each into one reused NAPI, valid only in the loop
// body.
func (c *Client) NAPIIter(ctx context.Context, ifindex uint32) iter.Seq2[*NAPI, error] {
	var e core.AttrEncoder
	if ifindex != 0 {
		e.Uint32(attrNAPIIfindex, ifindex)
	}
	return dump(ctx, c, "netdev napi-get dump", CmdNAPIGet, e.Bytes(), new(NAPI), (*NAPI).unmarshalAttrs, nil)
}

// NAPIs lists the NAPI instances of the device ifindex (0: of every
// device).
func (c *Client) NAPIs(ctx context.Context, ifindex uint32) ([]NAPI, error) {
	return collect(c.NAPIIter(ctx, ifindex))
}

// SetNAPI changes NAPI instance n.ID's settings to n's (see NAPI.Marshal):
// read it with NAPI, change it, and pass it back. It needs CAP_NET_ADMIN.
func (c *Client) SetNAPI(ctx context.Context, n *NAPI) error {
	var e core.AttrEncoder
	n.encodeSet(&e)
	err := c.c.ExecuteFunc(ctx, FamilyName, CmdNAPISet, 0, e.Bytes(), func(genl.Message) error { return nil })
	return core.WithOp(err, "netdev napi-set "+u32(n.ID))
}

// PagePool reads one page pool by ID.
func (c *Client) PagePool(ctx context.Context, id uint64) (*PagePool, error) {
	var p PagePool
	var e core.AttrEncoder
	e.Uint(attrPagePoolID, id)
	op := "netdev page-pool-get " + strconv.FormatUint(id, 10)
	if err := c.get(ctx, op, CmdPagePoolGet, e.Bytes(), p.unmarshalAttrs); err != nil {
		return nil, err
	}
	return &p, nil
}

// PagePoolIter lists the page pools of the device ifindex (0: every pool
// of the namespace, those of devices gone included), decoding each into
// one reused PagePool, valid only in the loop body.
func (c *Client) PagePoolIter(ctx context.Context, ifindex uint32) iter.Seq2[*PagePool, error] {
	var keep func(*PagePool) bool
	if ifindex != 0 {
		keep = func(p *PagePool) bool { return p.Ifindex == ifindex }
	}
	return dump(ctx, c, "netdev page-pool-get dump", CmdPagePoolGet, nil, new(PagePool), (*PagePool).unmarshalAttrs, keep)
}

// PagePools lists the page pools of the device ifindex (0: all).
func (c *Client) PagePools(ctx context.Context, ifindex uint32) ([]PagePool, error) {
	return collect(c.PagePoolIter(ctx, ifindex))
}

// PagePoolStatsIter lists the statistics of the page pools of the device
// ifindex (0: all), decoding each into one reused PagePoolStats, valid
// only in the loop body. Kernels built without CONFIG_PAGE_POOL_STATS
// answer EOPNOTSUPP.
func (c *Client) PagePoolStatsIter(ctx context.Context, ifindex uint32) iter.Seq2[*PagePoolStats, error] {
	var keep func(*PagePoolStats) bool
	if ifindex != 0 {
		keep = func(p *PagePoolStats) bool { return p.Ifindex == ifindex }
	}
	return dump(ctx, c, "netdev page-pool-stats-get dump", CmdPagePoolStatsGet, nil, new(PagePoolStats), (*PagePoolStats).unmarshalAttrs, keep)
}

// PagePoolStats lists the statistics of the page pools of the device
// ifindex (0: all).
func (c *Client) PagePoolStats(ctx context.Context, ifindex uint32) ([]PagePoolStats, error) {
	return collect(c.PagePoolStatsIter(ctx, ifindex))
}

// QstatsIter lists the queue statistics of the device ifindex (0: of
// every device whose driver keeps them), per device or, with perQueue,
// per queue, decoding each into one reused Qstats, valid only in the loop
// body.
func (c *Client) QstatsIter(ctx context.Context, ifindex uint32, perQueue bool) iter.Seq2[*Qstats, error] {
	var e core.AttrEncoder
	qstatsRequest(&e, ifindex, perQueue)
	return dump(ctx, c, "netdev qstats-get dump", CmdQstatsGet, e.Bytes(), new(Qstats), (*Qstats).unmarshalAttrs, nil)
}

// Qstats lists the queue statistics of the device ifindex (0: all), per
// device or per queue.
func (c *Client) Qstats(ctx context.Context, ifindex uint32, perQueue bool) ([]Qstats, error) {
	return collect(c.QstatsIter(ctx, ifindex, perQueue))
}

// Monitor streams the notifications of group (GroupMgmt: devices added,
// removed, changed; GroupPagePool: page pools) until ctx ends or the loop
// breaks, on a socket of its own. A receive queue overflow is yielded as
// core.ErrOverrun and the stream goes on.
func (c *Client) Monitor(ctx context.Context, group string) iter.Seq2[*Event, error] {
	return func(yield func(*Event, error) bool) {
		op := "netdev monitor " + group
		for m, err := range c.c.Subscribe(ctx, FamilyName, group) {
			if err != nil {
				if !yield(nil, core.WithOp(err, op)) {
					return
				}
				continue
			}
			ev := new(Event)
			if err := ev.unmarshalAttrs(m.Genl.Command, m.Data); err != nil {
				if !yield(nil, core.WithOp(err, op)) {
					return
				}
				continue
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}
