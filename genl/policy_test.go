package genl_test

import (
	"context"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/nlkit/nlkit/genl"
	"github.com/nlkit/nlkit/genl/genltest"
	"github.com/stretchr/testify/require"
)

func TestPolicyDumpFake(t *testing.T) {
	k, f := demoKernel(t)
	c := k.Conn()
	ctx := context.Background()

	d, err := c.Policy(ctx, "demo")
	require.NoError(t, err)
	require.Equal(t, f.ID, d.FamilyID)
	require.Equal(t, []genl.OpPolicy{
		{Op: demoCmdGet, Do: 0, HasDo: true, Dump: 0, HasDump: true},
		{Op: demoCmdSet, Do: 0, HasDo: true},
		{Op: demoCmdList, Dump: 1, HasDump: true}, // sent as command 0, as the kernel does
	}, d.Ops)
	require.Len(t, d.Policies, 2)
	top := d.Table(0)
	require.Equal(t, uint32(demoAttrNest), top.MaxType)
	require.False(t, top.MaxTypeKnown)
	mtu := top.Attr(demoAttrMTU)
	require.Equal(t, core.KindU32, mtu.Kind)
	require.Equal(t, &core.UintRange{Min: 68, Max: 65535}, mtu.UintRange)
	require.Equal(t, "2: u32 range [68, 65535]", mtu.String())
	require.Equal(t, "1: nul-string max-len 15", top.Attr(demoAttrName).String())
	nest := top.Attr(demoAttrNest)
	require.True(t, nest.HasNested)
	require.Equal(t, uint32(1), nest.NestedPolicy)
	require.Equal(t, uint32(1), nest.NestedMaxType)
	inner := d.Table(1)
	require.True(t, inner.MaxTypeKnown)
	require.Equal(t, "1: u8 range [1, 9]", inner.Attr(demoAttrInNr).String())

	one, err := c.OpPolicy(ctx, "demo", demoCmdSet)
	require.NoError(t, err)
	require.Equal(t, []genl.OpPolicy{{Op: demoCmdSet, Do: 0, HasDo: true}}, one.Ops)
	one, err = c.OpPolicy(ctx, "demo", demoCmdList)
	require.NoError(t, err)
	require.Equal(t, []genl.OpPolicy{{Op: demoCmdList, Dump: 0, HasDump: true}}, one.Ops)
	require.Equal(t, "op 3: dump policy 0\npolicy 0 maxtype 1\n  1: u8 range [1, 9]\n", one.String())

	_, err = c.Policy(ctx, "nosuch")
	require.EqualError(t, err, `genl: family "nosuch" not found`)
}

func TestPolicyCoreValidates(t *testing.T) {
	k, _ := demoKernel(t)
	c := k.Conn()
	ctx := context.Background()
	d, err := c.Policy(ctx, "demo")
	require.NoError(t, err)
	names := func(path []uint16) string {
		switch {
		case len(path) == 1 && path[0] == demoAttrName:
			return "DEMO_A_NAME"
		case len(path) == 1 && path[0] == demoAttrNest:
			return "DEMO_A_NEST"
		case len(path) == 2 && path[1] == demoAttrInNr:
			return "DEMO_A_NEST_NR"
		}
		return ""
	}
	p, ok := d.OpCore(demoCmdSet, false, names)
	require.True(t, ok)
	_, ok = d.OpCore(demoCmdSet, true, names)
	require.False(t, ok, "set has no dump policy")

	var e core.AttrEncoder
	e.String(demoAttrName, "eth0")
	e.Uint32(demoAttrMTU, 1500)
	n := e.NestStart(demoAttrNest)
	e.Uint8(demoAttrInNr, 3)
	e.NestEnd(n)
	require.NoError(t, p.Validate(e.Bytes()))

	for _, tc := range []struct {
		build func(e *core.AttrEncoder)
		want  string
	}{
		{func(e *core.AttrEncoder) { e.Uint32(demoAttrMTU, 10) }, "2: value 10 out of range [68, 65535]"},
		{func(e *core.AttrEncoder) { e.String(demoAttrName, "a-name-longer-than-15") }, "DEMO_A_NAME: string length 21, want at most 15"},
		{func(e *core.AttrEncoder) {
			n := e.NestStart(demoAttrNest)
			e.Uint8(demoAttrInNr, 10)
			e.NestEnd(n)
		}, "DEMO_A_NEST > DEMO_A_NEST_NR: value 10 out of range [1, 9]"},
		{func(e *core.AttrEncoder) {
			n := e.NestStart(demoAttrNest)
			e.Uint8(5, 1)
			e.NestEnd(n)
		}, "DEMO_A_NEST: unknown attribute type 5"},
		{func(e *core.AttrEncoder) { e.Uint64(7, 1) }, ""}, // top-level maximum unknown: not refused
	} {
		var e core.AttrEncoder
		tc.build(&e)
		err := p.Validate(e.Bytes())
		if tc.want == "" {
			require.NoError(t, err)
			continue
		}
		require.EqualError(t, err, tc.want)
	}

	// Conn.Validate uses the same policy, fetched once, named as the
	// family package says; ExecuteValidated refuses before sending.
	c.SetAttrNames("demo", names)
	var bad core.AttrEncoder
	bad.String(demoAttrName, "a-name-longer-than-15")
	_, err = c.Family(ctx, "demo")
	require.NoError(t, err)
	before := len(k.Requests())
	_, err = c.ExecuteValidated(ctx, "demo", demoCmdSet, 0, bad.Bytes())
	var ve *genl.ValidationError
	require.ErrorAs(t, err, &ve)
	var pe *core.PolicyError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, core.ProblemStringLength, pe.Problem)
	require.EqualError(t, err, "genl demo command 2: policy: DEMO_A_NAME: string length 21, want at most 15")
	reqs := k.Requests()[before:]
	require.Len(t, reqs, 1, "only the policy dump was sent")
	require.EqualValues(t, 0x10, reqs[0].Header.Type)
	_, err = c.ExecuteValidated(ctx, "demo", demoCmdSet, 0, bad.Bytes())
	require.Error(t, err)
	require.Len(t, k.Requests(), before+1, "the policy is cached")

	good := nameAttr("eth0")
	_, err = c.ExecuteValidated(ctx, "demo", demoCmdSet, 0, good)
	require.NoError(t, err)
	require.Len(t, k.Requests(), before+2)
}

func TestPolicyCoreCycle(t *testing.T) {
	// A policy that nests itself converts to a core.Policy that links to
	// itself.
	self := &core.Policy{}
	self.Attrs = []core.AttrPolicy{1: {Kind: core.KindNested, Nested: self}, 2: {Kind: core.KindU16}}
	d := decodeAll(t, 16, []genl.Op{{ID: 1, Flags: genl.OpCanDo}}, map[uint32]*core.Policy{1: self})
	p, ok := d.OpCore(1, false, nil)
	require.True(t, ok)
	require.Same(t, p, p.Attrs[1].Nested)
	var e core.AttrEncoder
	n := e.NestStart(1)
	m := e.NestStart(1)
	e.Uint32(2, 1)
	e.NestEnd(m)
	e.NestEnd(n)
	require.EqualError(t, p.Validate(e.Bytes()), "1 > 1 > 2: length 4, want 2")
	require.Equal(t, "/0", p.Name)
}

func TestValidateSkipsFamilyHeader(t *testing.T) {
	k := genltest.New(t)
	k.Register(genltest.Family{
		Family:   genl.Family{Name: "hdr", Version: 1, HeaderSize: 4, Ops: []genl.Op{{ID: 1, Flags: genl.OpCanDo | genl.OpCanDump}}},
		Policies: map[uint32]*core.Policy{1: demoPolicy},
		Handler:  func(r *genltest.Request) []nltest.Reply { return r.Ack() },
	})
	c := k.Conn()
	ctx := context.Background()
	var e core.AttrEncoder
	e.Raw([]byte{1, 2, 3, 4}) // the family header: not attributes
	e.Uint32(demoAttrMTU, 1500)
	require.NoError(t, c.Validate(ctx, "hdr", 1, 0, e.Bytes()))
	require.NoError(t, c.Validate(ctx, "hdr", 1, core.FlagDump, e.Bytes()))
	e.Uint32(demoAttrMTU, 1)
	require.EqualError(t, c.Validate(ctx, "hdr", 1, 0, e.Bytes()), "genl hdr command 1: policy: 2: value 1 out of range [68, 65535]")
	err := c.Validate(ctx, "hdr", 1, 0, []byte{1, 2})
	var pe *core.ParseError
	require.ErrorAs(t, err, &pe, "shorter than the family header")
	p, err := c.CommandPolicy(ctx, "hdr", 1, true)
	require.NoError(t, err)
	require.NotNil(t, p)
	// A command without a policy checks only that the attributes are
	// well formed.
	p, err = c.CommandPolicy(ctx, "hdr", 9, false)
	require.NoError(t, err)
	require.Nil(t, p)
}
