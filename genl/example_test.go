package genl_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/nlkit/nlkit/genl"
	"github.com/nlkit/nlkit/genl/genltest"
)

// exampleKernel is a fake kernel with a "demo" family whose command 1
// echoes its attributes. In a test, pass the *testing.T to genltest.New;
// against the kernel, use genl.Dial instead.
func exampleKernel() (*genltest.Kernel, func()) {
	t := &exampleT{}
	k := genltest.New(t)
	k.Register(genltest.Family{
		Family: genl.Family{
			Name: "demo", Version: 1, MaxAttr: 2,
			Ops:    []genl.Op{{ID: 1, Flags: genl.OpCanDo | genl.OpCanDump}},
			Groups: []genl.Group{{Name: "events"}},
		},
		Policies: map[uint32]*core.Policy{1: {Attrs: []core.AttrPolicy{
			1: {Kind: core.KindNulString, MaxLen: 15},
			2: {Kind: core.KindU32, UintRange: &core.UintRange{Min: 68, Max: 65535}},
		}}},
		Handler: func(r *genltest.Request) []nltest.Reply {
			return r.Reply(1, r.Attrs)
		},
	})
	return k, t.cleanup
}

func ExampleConn_Execute() {
	k, done := exampleKernel()
	defer done()
	c := k.Conn() // genl.Dial(nil) against the kernel
	ctx := context.Background()

	var e core.AttrEncoder
	e.String(1, "eth0")
	msgs, err := c.Execute(ctx, "demo", 1, 0, e.Bytes())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range msgs {
		s := core.ScanAttrs(m.Data)
		for s.Next() {
			fmt.Printf("cmd %d version %d: attribute %d = %q\n", m.Genl.Command, m.Genl.Version, s.Type(), s.String())
		}
	}

	_, err = c.Execute(ctx, "nosuch", 1, 0, nil)
	fmt.Println(err, errors.Is(err, fs.ErrNotExist))
	// Output:
	// cmd 1 version 1: attribute 1 = "eth0"
	// genl: family "nosuch" not found true
}

func ExampleConn_Family() {
	k, done := exampleKernel()
	defer done()
	c := k.Conn()
	ctx := context.Background()

	f, err := c.Family(ctx, "demo") // asks the controller
	if err != nil {
		fmt.Println(err)
		return
	}
	f, _ = c.Family(ctx, "demo") // from the Conn's cache: no round trip
	fmt.Println(f)
	for _, o := range f.Ops {
		fmt.Println("op", o)
	}
	// Output:
	// demo id 19 version 1 hdrsize 0 maxattr 2 ops 1 groups events(17)
	// op 1 (do,dump,has-policy)
}

func ExampleConn_ExecuteValidated() {
	k, done := exampleKernel()
	defer done()
	c := k.Conn()
	ctx := context.Background()
	c.SetAttrNames("demo", func(path []uint16) string {
		return map[uint16]string{1: "DEMO_A_NAME", 2: "DEMO_A_MTU"}[path[len(path)-1]]
	})

	var e core.AttrEncoder
	e.Uint32(2, 9000000)
	_, err := c.ExecuteValidated(ctx, "demo", 1, 0, e.Bytes())
	fmt.Println(err)
	// Output:
	// genl demo command 1: policy: DEMO_A_MTU: value 9000000 out of range [68, 65535]
}

func ExampleConn_OpPolicy() {
	k, done := exampleKernel()
	defer done()
	c := k.Conn()
	d, err := c.OpPolicy(context.Background(), "demo", 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(d)
	// Output:
	// op 1: do policy 0 dump policy 0
	// policy 0 maxtype 2
	//   1: nul-string max-len 15
	//   2: u32 range [68, 65535]
}

// exampleT stands in for the *testing.T a test hands to genltest.New.
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
