// Package nfqueue binds NFQUEUE queues (nfnetlink_queue) and gives
// verdicts on their packets: accept, drop, repeat, stop or hand over to
// another queue, optionally with a new packet mark, conntrack mark or
// labels, or a rewritten payload; one at a time, in batches
// (NFQNL_MSG_VERDICT_BATCH), or many per write (Verdicts).
//
// A Queue owns its own NETLINK_NETFILTER socket. Reading (Packets, one
// goroutine, recvmmsg into a reused buffer and a reused Packet: no
// allocation per packet) and sending verdicts (any goroutine, straight
// sendto on the same socket, which the kernel requires: only the port that
// bound the queue may judge its packets) never wait for each other.
//
// # Worker pattern
//
// For the highest rates, decide in the reading goroutine and send the
// verdicts in bulk when the socket is drained:
//
//	v := q.NewVerdicts()
//	for p, err := range q.Packets(ctx) {
//		if err != nil { ...; continue } // core.ErrOverrun, a refused verdict: the stream goes on
//		v.Add(p.ID, decide(p))
//		if p.Remaining == 0 || v.Len() >= 256 {
//			v.Flush()
//		}
//	}
//
// When all packets get the same verdict in order, one AddBatch(lastID,
// ...) settles every packet up to lastID. When deciding is slow, hand
// copies (Packet.Clone, or just the ID and the bytes needed) to workers
// over a channel; each worker keeps its own Verdicts (or calls
// SetVerdict) and flushes when its channel is empty. The reader never
// blocks on a worker's write, and workers never block on the reader.
// Keep MaxLen above the packets in flight, and set FailOpen when the
// traffic must pass should the workers fall behind.
//
// Packets the kernel could not queue because the socket buffer was full
// are reported as core.ErrOverrun (unless NoENOBUFS); verdicts the kernel
// refused come back through the Packets loop as *core.Error, with the
// packet ID in Request.Sequence.
package nfqueue
