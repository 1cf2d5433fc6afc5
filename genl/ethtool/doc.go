// Package ethtool is a typed client for the kernel's "ethtool" generic
// netlink family, what ethtool(8) speaks: a device's link settings (port,
// speed, duplex, autonegotiation, link modes, link state), its features
// (offloads) read and set by name, its ring sizes and channel counts, and
// the notifications of all of these.
//
//	c, err := ethtool.Dial(nil)
//	...
//	f, err := c.Features(ctx, "eth0")
//	gro, _ := f.Get("rx-gro")
//	_, err = c.SetFeatures(ctx, "eth0", map[string]bool{"gro": !gro.Active})
//
// Every object (LinkInfo, LinkModes, LinkState, Features, Rings,
// Channels, StringSets, Event) has Unmarshal (a message payload:
// genlmsghdr and attributes), Marshal (the SET request it stands for),
// Equal, Diff and String. Bit sets (Bitset) are read in both the compact
// and the verbose form, and the Client names their bits from the kernel's
// string sets, fetched once per Client.
//
// Errors are *core.Error with the kernel's extended-ACK text ("requested
// channel count exceeds maximum"); SetFeatures refuses unknown and fixed
// features itself, before sending, with a *FeatureError, because the
// kernel accepts a change to a fixed feature without a word and only
// leaves it out.
//
// docs/genl-families.md walks through how this package is built, as the
// pattern for other families.
package ethtool
