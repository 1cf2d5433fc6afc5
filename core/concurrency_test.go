package core_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// 64 goroutines share one Conn. Each creates its own veth pair and address
// through it, then asks, many times over, for its link by name and by index
// and dumps the addresses of its own link (a kernel-filtered dump). Every
// answer must be the goroutine's own: a reply that crossed to another
// caller would name another link or address. Run with -race.
func TestConcurrentCallersShareOneConn(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	c := dialIn(t, ns, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const workers, rounds = 64, 25

	work := func(i int) error {
		name, peer := fmt.Sprintf("cc%d", i), fmt.Sprintf("cp%d", i)
		if _, err := c.Execute(ctx, newVethMsg(name, peer)); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		msgs, err := c.Execute(ctx, getLinkMsg(name))
		if err != nil || len(msgs) != 1 || linkName(msgs[0]) != name {
			return fmt.Errorf("get %s: %v, %d messages", name, err, len(msgs))
		}
		index := linkIndex(msgs[0])
		addr := netip.AddrFrom4([4]byte{198, 18, byte(i), 1})
		if _, err := c.Execute(ctx, addrMsg(unix.RTM_NEWADDR, index, addr, 24)); err != nil {
			return fmt.Errorf("address %s on %s: %w", addr, name, err)
		}
		for r := range rounds {
			msgs, err := c.Execute(ctx, getLinkMsg(name))
			if err != nil {
				return fmt.Errorf("round %d: get %s: %w", r, name, err)
			}
			if len(msgs) != 1 || linkName(msgs[0]) != name || linkIndex(msgs[0]) != index {
				return fmt.Errorf("round %d: get %s (index %d) answered with %d messages, first %q index %d",
					r, name, index, len(msgs), linkName(msgs[0]), linkIndex(msgs[0]))
			}
			msgs, err = c.Execute(ctx, core.Message{Header: core.Header{Type: unix.RTM_GETLINK}, Data: ifinfomsg(unix.AF_UNSPEC, index)})
			if err != nil || len(msgs) != 1 || linkName(msgs[0]) != name {
				return fmt.Errorf("round %d: get index %d: %v, %d messages", r, index, err, len(msgs))
			}
			var got []netip.Addr
			for m, err := range c.Dump(ctx, addrDumpMsg(index)) {
				if err != nil {
					return fmt.Errorf("round %d: dump addresses of %s: %w", r, name, err)
				}
				if idx := int32(binary.NativeEndian.Uint32(m.Data[4:8])); idx != index {
					return fmt.Errorf("round %d: dump for index %d returned index %d", r, index, idx)
				}
				got = append(got, ifaLocal(m))
			}
			if len(got) != 1 || got[0] != addr {
				return fmt.Errorf("round %d: addresses of %s = %v, want [%s]", r, name, got, addr)
			}
		}
		return nil
	}

	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { errs <- work(i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Zero(t, c.Stats().Unexpected, "no reply was left over for someone else")
	require.Zero(t, c.Stats().Foreign)
	require.Len(t, dumpLinkNames(t, c), 1+2*workers)
}

// addrMsg makes an RTM_NEWADDR / RTM_DELADDR for addr/bits on ifindex.
func addrMsg(typ core.MessageType, ifindex int32, addr netip.Addr, bits uint8) core.Message {
	ifa := make([]byte, unix.SizeofIfAddrmsg)
	ifa[0] = unix.AF_INET
	if addr.Is6() {
		ifa[0] = unix.AF_INET6
	}
	ifa[1] = bits
	binary.NativeEndian.PutUint32(ifa[4:], uint32(ifindex))
	var e core.AttrEncoder
	e.Raw(ifa)
	e.Addr(unix.IFA_LOCAL, addr)
	e.Addr(unix.IFA_ADDRESS, addr)
	var flags core.HeaderFlags
	if typ == unix.RTM_NEWADDR {
		flags = core.FlagCreate | core.FlagExcl
	}
	return core.Message{Header: core.Header{Type: typ, Flags: flags}, Data: e.Bytes()}
}

// addrDumpMsg asks for the IPv4 addresses of one link (strict checking
// makes the kernel filter by ifa_index).
func addrDumpMsg(ifindex int32) core.Message {
	ifa := make([]byte, unix.SizeofIfAddrmsg)
	ifa[0] = unix.AF_INET
	binary.NativeEndian.PutUint32(ifa[4:], uint32(ifindex))
	return core.Message{Header: core.Header{Type: unix.RTM_GETADDR}, Data: ifa}
}

// ifaLocal returns IFA_LOCAL of an RTM_NEWADDR message.
func ifaLocal(m core.Message) netip.Addr {
	if len(m.Data) < unix.SizeofIfAddrmsg {
		return netip.Addr{}
	}
	s := core.ScanAttrs(m.Data[unix.SizeofIfAddrmsg:])
	for s.Next() {
		if s.Type() == unix.IFA_LOCAL {
			return s.Addr()
		}
	}
	return netip.Addr{}
}
