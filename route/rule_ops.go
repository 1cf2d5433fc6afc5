package route

import (
	"context"
	"errors"
	"iter"
	"strconv"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// ruleDumpRequest asks for the rules of family (FamilyUnspec: IPv4 and
// IPv6). A strict rule dump takes no filter: the header must be zero
// but for the family.
func ruleDumpRequest(family Family) core.Message {
	var h [ruleHeaderLen]byte
	h[0] = byte(family)
	return request(unix.RTM_GETRULE, 0, h[:])
}

// RuleIter lists the rules of family (FamilyUnspec for all) one at a
// time, decoded into one reused value valid only inside the loop body.
func (c *Conn) RuleIter(ctx context.Context, family Family) iter.Seq2[*Rule, error] {
	return roIter[Rule](ctx, c, ruleDumpRequest(family), unix.RTM_NEWRULE, "rule list", nil)
}

// Rules lists the rules of family (FamilyUnspec for IPv4 and IPv6), in
// the kernel's order (by priority).
func (c *Conn) Rules(ctx context.Context, family Family) ([]Rule, error) {
	return roList[Rule](ctx, c, ruleDumpRequest(family), unix.RTM_NEWRULE, "rule list", nil)
}

// ruleOp names an operation for errors: "rule add 1000 from 192.0.2.0/24".
func ruleOp(verb string, r *Rule) string {
	s := "rule " + verb
	if r.Priority != 0 {
		s += " priority " + strconv.FormatUint(uint64(r.Priority), 10)
	}
	if r.Src.IsValid() {
		s += " from " + r.Src.String()
	}
	if r.Dst.IsValid() {
		s += " to " + r.Dst.String()
	}
	if r.Table != 0 {
		s += " table " + TableName(r.Table)
	}
	return s
}

var errRuleNoFamily = errors.New("route: a rule needs a family (or a source or destination prefix)")

func (c *Conn) ruleDo(ctx context.Context, verb string, typ uint16, flags core.HeaderFlags, r *Rule) error {
	op := ruleOp(verb, r)
	m := *r
	m.Family = ruleFamily(r)
	if m.Family == FamilyUnspec {
		return core.WithOp(errRuleNoFamily, op)
	}
	if m.Action == RuleUnspec && (typ == unix.RTM_NEWRULE || m.Goto != 0) {
		switch {
		case m.Goto != 0:
			m.Action = RuleGoto
		default:
			m.Action = RuleToTable
		}
	}
	data, err := m.Marshal(nil)
	if err != nil {
		return core.WithOp(err, op)
	}
	return roExec(ctx, c, request(typ, flags, data), op)
}

// RuleAdd adds a rule (`ip rule add`). A zero Action means to_tbl (goto
// when Goto is set); a zero Family is taken from Src or Dst. An identical
// rule already there is EEXIST (fs.ErrExist).
func (c *Conn) RuleAdd(ctx context.Context, r *Rule) error {
	return c.ruleDo(ctx, "add", unix.RTM_NEWRULE, core.FlagCreate|core.FlagExcl, r)
}

// RuleDel deletes the first rule matching r's set fields (`ip rule
// del`); none is ENOENT (fs.ErrNotExist).
func (c *Conn) RuleDel(ctx context.Context, r *Rule) error {
	return c.ruleDo(ctx, "del", unix.RTM_DELRULE, 0, r)
}
