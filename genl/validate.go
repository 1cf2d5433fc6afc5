package genl

import (
	"context"
	"sync"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Policy dumps the policies of every command of family
// (CTRL_CMD_GETPOLICY with CTRL_ATTR_FAMILY_NAME).
func (c *Conn) Policy(ctx context.Context, family string) (*PolicyDump, error) {
	return c.policy(ctx, family, 0, false)
}

// OpPolicy dumps the policies of command cmd of family
// (CTRL_CMD_GETPOLICY with CTRL_ATTR_FAMILY_NAME and CTRL_ATTR_OP).
func (c *Conn) OpPolicy(ctx context.Context, family string, cmd uint8) (*PolicyDump, error) {
	return c.policy(ctx, family, cmd, true)
}

func (c *Conn) policy(ctx context.Context, family string, cmd uint8, one bool) (*PolicyDump, error) {
	if family == "" || len(family) >= unix.GENL_NAMSIZ {
		return nil, &FamilyNotFoundError{Name: family}
	}
	var e core.AttrEncoder
	e.Raw([]byte{unix.CTRL_CMD_GETPOLICY, ctrlVersion, 0, 0})
	e.String(unix.CTRL_ATTR_FAMILY_NAME, family)
	op := "genl policy " + family
	if one {
		e.Uint32(unix.CTRL_ATTR_OP, uint32(cmd))
		op += " command " + itoa(int(cmd))
	}
	f, err := c.Family(ctx, family)
	if err != nil {
		return nil, err
	}
	d := &PolicyDump{Family: family}
	req := core.Message{Header: core.Header{Type: unix.GENL_ID_CTRL}, Data: e.Bytes()}
	for m, err := range c.c.Dump(ctx, req) {
		if err != nil {
			return nil, familyNotFound(core.WithOp(err, op), family, 0)
		}
		if m.Header.Type != unix.GENL_ID_CTRL {
			continue
		}
		if err := d.Decode(m.Data); err != nil {
			return nil, &core.OpError{Op: op, Err: err}
		}
	}
	d.fixOps(f, cmd, one)
	return d, nil
}

// fixOps names the commands the kernel reports as 0. ctrl_dumppolicy_put_op
// nests each command's policies under the do handler's command number,
// which is 0 for a command with only a dump handler. For a single command
// that is the one asked for; in a whole-family dump, the commands come in
// the order CTRL_ATTR_OPS lists them, one per command with a policy.
func (d *PolicyDump) fixOps(f *Family, cmd uint8, one bool) {
	if one {
		for i := range d.Ops {
			if d.Ops[i].Op == 0 {
				d.Ops[i].Op = uint32(cmd)
			}
		}
		return
	}
	var withPolicy []Op
	for _, o := range f.Ops {
		if o.Flags&OpHasPolicy != 0 {
			withPolicy = append(withPolicy, o)
		}
	}
	if len(withPolicy) != len(d.Ops) {
		return
	}
	for i := range d.Ops {
		if d.Ops[i].Op == 0 && withPolicy[i].Flags&OpCanDo == 0 {
			d.Ops[i].Op = withPolicy[i].ID
		}
	}
}

// ValidationError is a request that breaks its command's policy, refused
// before it was sent. Err is the *core.PolicyError, naming the attribute
// path as core does.
type ValidationError struct {
	// Family and Command say which request it was.
	Family  string
	Command uint8
	// Err is the *core.PolicyError.
	Err error
}

// Error prints "genl ethtool command 2: policy: 1 > 2: string length 20, want at most 15".
func (e *ValidationError) Error() string {
	return "genl " + e.Family + " command " + itoa(int(e.Command)) + ": policy: " + e.Err.Error()
}

// Unwrap returns the *core.PolicyError.
func (e *ValidationError) Unwrap() error { return e.Err }

// validatorEntry holds one family's command policies, fetched once.
type validatorEntry struct {
	mu    sync.Mutex
	id    uint16 // the family ID they were fetched for
	names AttrNamer
	ops   map[uint16]*core.Policy // cmd<<1 | dump; nil: no policy
}

// validators holds the Conn's fetched policies and attribute names by
// family name.
type validators struct {
	mu    sync.Mutex
	m     map[string]*validatorEntry
	names map[string]AttrNamer
}

func (v *validators) entry(family string) *validatorEntry {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = make(map[string]*validatorEntry)
	}
	e := v.m[family]
	if e == nil {
		e = &validatorEntry{names: v.names[family]}
		v.m[family] = e
	}
	return e
}

// SetAttrNames gives the attribute names Validate uses in errors for
// family's policies (nil: numbers). A family package calls it once with
// its attribute names.
func (c *Conn) SetAttrNames(family string, names AttrNamer) {
	c.valid.mu.Lock()
	defer c.valid.mu.Unlock()
	if c.valid.names == nil {
		c.valid.names = make(map[string]AttrNamer)
	}
	c.valid.names[family] = names
	delete(c.valid.m, family)
}

// CommandPolicy returns the core.Policy the kernel validates family's
// command cmd against (its dump policy when dump is true), fetched with
// CTRL_CMD_GETPOLICY the first time and remembered with the family (a
// family re-registered under another ID is fetched again). It returns nil
// when the command has no policy.
func (c *Conn) CommandPolicy(ctx context.Context, family string, cmd uint8, dump bool) (*core.Policy, error) {
	f, err := c.Family(ctx, family)
	if err != nil {
		return nil, err
	}
	e := c.valid.entry(family)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ops == nil || e.id != f.ID {
		e.ops, e.id = make(map[uint16]*core.Policy), f.ID
	}
	key := uint16(cmd)<<1 | boolBit(dump)
	if p, ok := e.ops[key]; ok {
		return p, nil
	}
	var p *core.Policy
	if o, ok := f.Op(uint32(cmd)); ok && o.Flags&OpHasPolicy != 0 {
		d, err := c.OpPolicy(ctx, family, cmd)
		if err != nil {
			return nil, err
		}
		p, _ = d.OpCore(uint32(cmd), dump, e.names)
	}
	e.ops[key] = p
	return p, nil
}

func boolBit(b bool) uint16 {
	if b {
		return 1
	}
	return 0
}

// Validate checks attrs (the payload after genlmsghdr, family header first)
// against the policy the kernel applies to family's command cmd: the dump
// policy when flags has NLM_F_DUMP, else the do policy. It returns nil or
// a *ValidationError wrapping the *core.PolicyError. Nothing is sent but
// the policy dump, the first time.
func (c *Conn) Validate(ctx context.Context, family string, cmd uint8, flags core.HeaderFlags, attrs []byte) error {
	p, err := c.CommandPolicy(ctx, family, cmd, flags&core.FlagDump == core.FlagDump)
	if err != nil {
		return err
	}
	f, err := c.Family(ctx, family)
	if err != nil {
		return err
	}
	if int(f.HeaderSize) > len(attrs) {
		return &ValidationError{Family: family, Command: cmd, Err: &core.ParseError{What: "family header", Len: len(attrs), Want: int(f.HeaderSize)}}
	}
	if err := p.Validate(attrs[f.HeaderSize:]); err != nil {
		return &ValidationError{Family: family, Command: cmd, Err: err}
	}
	return nil
}

// ExecuteValidated is Execute after Validate: a request that breaks the
// kernel's policy is refused with a *ValidationError and never sent.
func (c *Conn) ExecuteValidated(ctx context.Context, family string, cmd uint8, flags core.HeaderFlags, attrs []byte) ([]Message, error) {
	if err := c.Validate(ctx, family, cmd, flags, attrs); err != nil {
		return nil, err
	}
	return c.Execute(ctx, family, cmd, flags, attrs)
}
