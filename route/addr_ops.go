package route

import (
	"context"
	"encoding/binary"
	"iter"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// AddrFilter selects addresses in a listing. The zero value (or nil)
// selects all.
//
// Family and Index are applied by the kernel (the strict dump request
// carries them in struct ifaddrmsg, and the kernel sends only what
// matches); the kernel refuses a scope in a dump request, so Scope and
// Label are matched here, on the addresses the kernel sent.
type AddrFilter struct {
	// Family is FamilyInet or FamilyInet6; FamilyUnspec lists both.
	Family Family
	// Index is the interface index; 0 lists every interface.
	Index int32
	// Scope, when HasScope, keeps the addresses of that scope only.
	Scope    Scope
	HasScope bool
	// Label, when not empty, keeps the IPv4 addresses with that label.
	Label string
}

// match reports whether a passes the filter's local checks (the kernel
// has applied Family and Index already; they are checked again in case
// the Conn was dialled with NoStrict).
func (f *AddrFilter) match(a *Addr) bool {
	if f == nil {
		return true
	}
	switch {
	case f.Family != FamilyUnspec && a.Family != f.Family,
		f.Index != 0 && a.Index != f.Index,
		f.HasScope && a.Scope != f.Scope,
		f.Label != "" && a.Label != f.Label:
		return false
	}
	return true
}

// addrDumpRequest is the RTM_GETADDR dump request for f.
func addrDumpRequest(f *AddrFilter) core.Message {
	data := make([]byte, addrHeaderLen)
	if f != nil {
		data[0] = byte(f.Family)
		binary.NativeEndian.PutUint32(data[4:], uint32(f.Index))
	}
	return request(unix.RTM_GETADDR, 0, data)
}

// AddrIter lists the addresses f selects, decoding each into one reused
// Addr: the value is valid only in the loop body (copy it to keep it).
// A dump error, or a message that does not decode, ends the sequence as
// the last pair.
func (c *Conn) AddrIter(ctx context.Context, f *AddrFilter) iter.Seq2[*Addr, error] {
	return func(yield func(*Addr, error) bool) {
		var a Addr
		for m, err := range c.c.Dump(ctx, addrDumpRequest(f)) {
			if err != nil {
				yield(nil, core.WithOp(err, "addr list"))
				return
			}
			if m.Header.Type != unix.RTM_NEWADDR {
				continue
			}
			if err := a.Unmarshal(m.Data); err != nil {
				yield(nil, core.WithOp(err, "addr list"))
				return
			}
			if f.match(&a) && !yield(&a, nil) {
				return
			}
		}
	}
}

// Addrs lists the addresses f selects (nil: all of them).
func (c *Conn) Addrs(ctx context.Context, f *AddrFilter) ([]Addr, error) {
	var out []Addr
	for a, err := range c.AddrIter(ctx, f) {
		if err != nil {
			return out, err
		}
		out = append(out, *a)
	}
	return out, nil
}

// AddrAdd adds the address a (`ip addr add`): Prefix and Index are
// needed. Adding an address that is already there fails with EEXIST
// (errors.Is(err, fs.ErrExist)); a missing link with ENODEV.
func (c *Conn) AddrAdd(ctx context.Context, a *Addr) error {
	return c.addrExec(ctx, "addr add", unix.RTM_NEWADDR, core.FlagCreate|core.FlagExcl, a)
}

// AddrReplace adds the address a, or updates it when it is there
// (`ip addr replace`): flags, lifetimes, broadcast, label, priority.
func (c *Conn) AddrReplace(ctx context.Context, a *Addr) error {
	return c.addrExec(ctx, "addr replace", unix.RTM_NEWADDR, core.FlagCreate|core.FlagReplace, a)
}

// AddrDel deletes the address a (`ip addr del`): Prefix and Index name
// it. Deleting an address that is not there fails with EADDRNOTAVAIL
// (errors.Is(err, fs.ErrNotExist)).
func (c *Conn) AddrDel(ctx context.Context, a *Addr) error {
	return c.addrExec(ctx, "addr del", unix.RTM_DELADDR, 0, a)
}

// addrExec sends one address request and waits for the ACK.
func (c *Conn) addrExec(ctx context.Context, verb string, typ uint16, flags core.HeaderFlags, a *Addr) error {
	op := verb + " " + addrOpName(a)
	data, err := a.Marshal(nil)
	if err != nil {
		return core.WithOp(err, op)
	}
	err = c.c.ExecuteFunc(ctx, request(typ, flags, data), func(core.Message) error { return nil })
	return core.WithOp(err, op)
}

// addrOpName names an address in an error's op: "192.0.2.1/24 dev 3".
func addrOpName(a *Addr) string {
	s := a.Prefix.String()
	if !a.Prefix.IsValid() {
		s = "(no address)"
	}
	return s + " dev " + strconv.Itoa(int(a.Index))
}
