// Package conntrack speaks ctnetlink (NFNL_SUBSYS_CTNETLINK and
// NFNL_SUBSYS_CTNETLINK_EXP): the kernel's connection tracking table,
// its expectations and their events — what libnl's nfnl_ct and nfnl_exp
// and the conntrack(8) tool do.
//
// A Conn (Dial) lists flows as an iterator (FlowIter, one reused Flow,
// no allocation per flow) or a list (Flows), with kernel-side filters
// (Filter: family, mark and mask, zone, status and mask, tuple fields);
// gets, creates, updates and deletes single flows; flushes the table; and
// reads the per-CPU and global statistics. A Batch encodes many create
// requests into one reused buffer; Conn.ExecBatch sends them 64 to a write
// and Conn.SendBatch 128 to an answer, both asking an ACK of the last
// request only and reading the kernel's refusals in place, which is how
// hundreds of thousands of flows a second are made with no allocation.
//
// Expectations (Expect) have the same calls: ExpectIter, Expects,
// GetExpect, CreateExpect, DeleteExpect, FlushExpects.
//
// Events come on a socket of their own (Listen): new, updated and
// destroyed flows and expectations. When the socket's receive queue
// overflows the stream yields core.ErrOverrun and goes on; events were
// lost, so a program that mirrors the table dumps it again.
//
// All ctnetlink integers travel in network byte order. A flow exists for
// traffic only once conntrack is enabled in the namespace: some rule must
// use it (for instance `iptables -A OUTPUT -m conntrack --ctstate NEW`).
package conntrack
