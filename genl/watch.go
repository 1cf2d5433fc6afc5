package genl

import (
	"context"
	"errors"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// familyWatch is the goroutine that listens to nlctrl's "notify" group on
// a socket of its own and forgets cached families the controller
// announces gone.
type familyWatch struct {
	conn   *core.Conn
	cancel context.CancelFunc
	done   chan struct{}
}

// startWatch starts the Conn's family watcher if it can and has none. A
// failure to start is not an error: the stale-ID retry still applies, and
// the next resolution tries again.
func (c *Conn) startWatch() {
	if c.dial == nil {
		return
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed || c.watch != nil {
		return
	}
	wc, err := c.dial()
	if err != nil {
		return
	}
	if err := wc.JoinGroup(CtrlNotifyGroup); err != nil {
		wc.Close()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &familyWatch{conn: wc, cancel: cancel, done: make(chan struct{})}
	c.watch = w
	go w.run(ctx, &c.fams)
}

func (w *familyWatch) stop() {
	w.cancel()
	w.conn.Close()
	<-w.done
}

func (w *familyWatch) run(ctx context.Context, fams *familyCache) {
	defer close(w.done)
	for m, err := range w.conn.Listen(ctx) {
		if err != nil {
			if errors.Is(err, core.ErrOverrun) {
				// Announcements were lost: any entry may be stale.
				fams.forgetAll()
				continue
			}
			if ctx.Err() != nil {
				return
			}
			continue
		}
		watchEvent(m, fams)
	}
}

// watchEvent applies one controller announcement to the cache.
func watchEvent(m core.Message, fams *familyCache) {
	if m.Header.Type != unix.GENL_ID_CTRL || len(m.Data) < HeaderLen {
		return
	}
	switch m.Data[0] {
	case unix.CTRL_CMD_DELFAMILY, unix.CTRL_CMD_NEWFAMILY:
	default:
		return
	}
	var name []byte
	var id uint16
	s := core.ScanAttrs(m.Data[HeaderLen:])
	for s.Next() {
		switch s.Type() {
		case unix.CTRL_ATTR_FAMILY_NAME:
			name = s.Attr().StringBytes()
		case unix.CTRL_ATTR_FAMILY_ID:
			id, _ = s.Attr().Uint16()
		}
	}
	if name == nil {
		return
	}
	if m.Data[0] == unix.CTRL_CMD_DELFAMILY {
		fams.forget(string(name), id)
	} else {
		// A family registered under a cached name replaces it.
		fams.forget(string(name), 0)
	}
}
