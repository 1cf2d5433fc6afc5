// Package netfilter speaks nfnetlink (NETLINK_NETFILTER), the layer libnl
// calls libnl-nf: the nfgenmsg header every message carries, the subsystem
// IDs, message-type helpers and batch framing. The subsystems live in
// subpackages: conntrack (flows, expectations, events), nflog (packets
// logged by NFLOG rules) and nfqueue (packets queued to userspace for a
// verdict).
package netfilter
