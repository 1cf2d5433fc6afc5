// Package netdev is a typed client for the kernel's "netdev" generic
// netlink family: what XDP and AF_XDP can do on each device, its receive
// and transmit queues and the NAPI instances that service them, its page
// pools, and the per-queue statistics drivers keep — the facts to tune
// busy polling, IRQ affinity and XDP/AF_XDP deployments by, which
// ip(8) and ethtool(8) do not show.
//
//	c, err := netdev.Dial(nil)
//	...
//	for q, err := range c.QueueIter(ctx, ifindex) {
//		if err != nil { ... }
//		fmt.Println(q) // ifindex 2 rx-0 napi 8193
//	}
//
// Objects come as Device, Queue, NAPI, PagePool, PagePoolStats and
// Qstats, each with Unmarshal (a message payload: genlmsghdr and
// attributes), Marshal (the request it stands for), Equal, Diff, String
// and JSON named as the kernel's YAML spec names the attributes. Lists
// come as iterators that reuse one value (XxxIter) and as slices (Xxxs).
// Monitor streams the "mgmt" and "page-pool" notifications.
//
// The family identifies devices by index only; see docs/genl-families.md
// for how this package is built, as a pattern for other families.
package netdev
