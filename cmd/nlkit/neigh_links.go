package main

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	"golang.org/x/sys/unix"
)

// Helpers of the neigh, neightbl, rule, nexthop, netconf and nsid verbs
// (prefix obj).

// objDial opens a route socket as the global options say.
func objDial(env *cli.Env) (*route.Conn, error) {
	c, err := env.Dial(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	return route.NewConn(c), nil
}

// objLinks maps ifindexes to link names, for output.
type objLinks map[int32]string

// objLinkNames lists the links once.
func objLinkNames(ctx context.Context, c *route.Conn) (objLinks, error) {
	links, err := c.Links(ctx, nil)
	if err != nil {
		return nil, err
	}
	m := make(objLinks, len(links))
	for i := range links {
		m[links[i].Index] = links[i].Name
	}
	return m, nil
}

// name is the lookup function the objects' Format methods take.
func (l objLinks) name(i int32) string { return l[i] }

// objLinkIndex resolves a link name with one RTM_GETLINK by name.
func objLinkIndex(ctx context.Context, c *route.Conn, name string) (int32, error) {
	l, err := c.LinkByName(ctx, name)
	if err != nil {
		return 0, core.WithOp(err, "cannot find device \""+name+"\"")
	}
	return l.Index, nil
}

// objJSON marshals v and adds the link names of the ifindexes in names
// (JSON key to ifindex) as string fields in front, the way `ip -j` shows
// "dev": "veth0".
func objJSON(v any, links objLinks, names ...objName) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var pre []byte
	for _, n := range names {
		if n.index == 0 || links[n.index] == "" {
			continue
		}
		pre = strconv.AppendQuote(pre, n.key)
		pre = append(pre, ':')
		pre = strconv.AppendQuote(pre, links[n.index])
		pre = append(pre, ',')
	}
	if len(pre) == 0 || len(b) < 2 || b[0] != '{' {
		return b, nil
	}
	if b[1] == '}' {
		pre = pre[:len(pre)-1]
	}
	out := append([]byte{'{'}, pre...)
	return append(out, b[1:]...), nil
}

// objName names one link field to add to JSON.
type objName struct {
	key   string
	index int32
}

// objArgs walks ip(8)-style arguments: keywords, some with a value.
type objArgs struct {
	args []string
	i    int
}

// next returns the next argument, or "" at the end.
func (a *objArgs) next() (string, bool) {
	if a.i >= len(a.args) {
		return "", false
	}
	a.i++
	return a.args[a.i-1], true
}

// value returns the value after keyword kw, or a usage error.
func (a *objArgs) value(kw string) (string, error) {
	v, ok := a.next()
	if !ok {
		return "", cli.Usagef("%q needs a value", kw)
	}
	return v, nil
}

// objUint reads a number after keyword kw.
func objUint(a *objArgs, kw string, bits int) (uint64, error) {
	v, err := a.value(kw)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(v, 0, bits)
	if err != nil {
		return 0, cli.Usagef("%s: invalid number %q", kw, v)
	}
	return n, nil
}

// objFamily reads -4/-6 flags into a family.
func objFamily(v4, v6 bool) (route.Family, error) {
	switch {
	case v4 && v6:
		return 0, cli.Usagef("-4 and -6 together: leave both out for both families")
	case v4:
		return route.FamilyInet, nil
	case v6:
		return route.FamilyInet6, nil
	}
	return route.FamilyUnspec, nil
}
