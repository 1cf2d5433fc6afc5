// Package nflog binds NFLOG groups (nfnetlink_log) and streams the packets
// logged to them: prefix, marks, devices, hardware header, timestamp,
// payload, UID/GID, sequence numbers, conntrack info, VLAN and L2 header.
//
// A Log owns its own NETLINK_NETFILTER socket and drains it with recvmmsg
// into reused buffers: one Packet is decoded in place per message, with no
// allocation per packet (the prefix string is made once while it
// repeats). An overflowed socket buffer is reported as core.ErrOverrun and
// the stream goes on; with the Seq flag, Packet.Seq shows the gap.
//
// The kernel gathers packets (QThresh, BufferSize, Timeout) before
// sending: QThresh 1 sends each at once, larger values trade latency for
// fewer datagrams.
package nflog
