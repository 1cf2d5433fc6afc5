package nltest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"golang.org/x/sys/unix"
)

// linkNames is the code under test: it dumps links and returns their names.
func linkNames(ctx context.Context, c *core.Conn) ([]string, error) {
	var names []string
	req := core.Message{Header: core.Header{Type: unix.RTM_GETLINK}, Data: make([]byte, unix.SizeofIfInfomsg)}
	for m, err := range c.Dump(ctx, req) {
		if err != nil {
			return names, err
		}
		s := core.ScanAttrs(m.Data[unix.SizeofIfInfomsg:])
		for s.Next() {
			if s.Type() == unix.IFLA_IFNAME {
				names = append(names, s.String())
			}
		}
	}
	return names, nil
}

// link encodes what the kernel says about one link: ifinfomsg and a name.
func link(index int32, name string) []byte {
	var e core.AttrEncoder
	hdr := make([]byte, unix.SizeofIfInfomsg)
	hdr[4] = byte(index)
	e.Raw(hdr)
	e.String(unix.IFLA_IFNAME, name)
	return e.Bytes()
}

func Example() {
	t := &exampleT{} // in a test: the *testing.T
	defer t.cleanup()

	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		return r.Dump(unix.RTM_NEWLINK, link(1, "lo"), link(2, "eth0"))
	})
	k.Handle(unix.RTM_DELLINK, func(r *nltest.Request) []nltest.Reply {
		return r.Error(unix.ENODEV, nltest.ExtAck{Message: "Unknown device"})
	})
	c := k.Dial(nil)
	ctx := context.Background()

	names, err := linkNames(ctx, c)
	fmt.Println(names, err)
	k.LastRequest().Check(nltest.Want{Type: unix.RTM_GETLINK, Flags: core.FlagRequest | core.FlagDump})

	_, err = c.Execute(ctx, core.Message{Header: core.Header{Type: unix.RTM_DELLINK}, Data: link(7, "")})
	fmt.Println(err)
	fmt.Println(errors.Is(err, unix.ENODEV))
	// Output:
	// [lo eth0] <nil>
	// netlink: no such device: Unknown device
	// true
}

// exampleT stands in for the *testing.T a test hands to nltest.New.
type exampleT struct{ cleanups []func() }

func (*exampleT) Helper()                           {}
func (*exampleT) Errorf(format string, args ...any) { fmt.Printf("error: "+format+"\n", args...) }
func (*exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) Cleanup(f func())                { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
