package main

import (
	"context"

	"github.com/nlkit/nlkit/route"
)

// The one way the verbs resolve link names and indexes (prefix if):
// a name given as "dev NAME" with one RTM_GETLINK by name, and the names
// printed for the ifindexes of a listing from one link dump.

// ifNames maps ifindexes to link names, for output.
type ifNames map[int32]string

// ifNamesDump lists the links of c's namespace once.
func ifNamesDump(ctx context.Context, c *route.Conn) (ifNames, error) {
	m := ifNames{}
	for l, err := range c.LinkIter(ctx, &route.LinkFilter{SkipStats: true}) {
		if err != nil {
			return nil, err
		}
		m[l.Index] = l.Name
	}
	return m, nil
}

// name is the lookup function the objects' Format methods take: "" for
// an unknown index.
func (l ifNames) name(i int32) string { return l[i] }

// uname is name for the objects that keep ifindexes unsigned.
func (l ifNames) uname(i uint32) string { return l[int32(i)] }

// index finds the index of the link called name in the dump.
func (l ifNames) index(name string) (int32, bool) {
	for i, n := range l {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// ifIndex resolves a link name with one RTM_GETLINK by name.
func ifIndex(ctx context.Context, c *route.Conn, name string) (int32, error) {
	l, err := c.LinkByName(ctx, name)
	if err != nil {
		return 0, err
	}
	return l.Index, nil
}
