// Package core speaks the netlink protocol: sockets (Conn), messages
// (Header, Message), attributes (AttrScanner, AttrEncoder), policies
// (Policy), receive-loop callbacks (Callbacks), errors (Error) and network
// namespaces (NetNS). It is the layer libnl calls libnl-core; the route, genl
// and netfilter modules build on it.
//
// The hot path copies nothing: a dump walks the kernel's messages in one
// reused receive buffer, and attributes are read in place. Bytes handed to a
// caller (Message.Data in Dump, AttrScanner values) stay valid until the next
// step of the iteration unless a function says it copies.
package core
