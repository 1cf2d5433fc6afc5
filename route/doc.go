// Package route is libnl-route in Go: links and their kinds, addresses,
// routes, neighbours, rules, nexthops, neighbour tables, netconf and
// namespace IDs over NETLINK_ROUTE, with typed events.
//
// Every object speaks three ways: to the kernel (Marshal/Unmarshal), to a
// person (String, one line like ip(8)) and to a program (JSON whose field
// names follow `ip -j`). Objects also have Equal and Diff.
//
// Open a Conn with Dial; its methods list, get, add, change and delete
// objects. Lists come as iterators (iter.Seq2) decoding in place, or as
// slices.
package route
