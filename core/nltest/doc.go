// Package nltest is an in-memory stand-in for the kernel's side of netlink,
// for unit tests of code built on core.Conn: a family package's requests
// are recorded and answered by handlers the test writes, and the answers are
// laid out byte for byte as the kernel lays them out (sequence number and
// port copied from the request, NLMSG_ERROR with the echoed request and
// extended-ACK attributes, NLMSG_DONE closing a multipart reply).
//
// A test makes a Kernel for a protocol, says how it answers each message
// type, dials a Conn to it, runs the code under test, and checks what was
// sent:
//
//	k := nltest.New(t, unix.NETLINK_ROUTE)
//	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
//		return r.Dump(unix.RTM_NEWLINK, lo, eth0) // NLM_F_MULTI each, then NLMSG_DONE
//	})
//	k.Handle(unix.RTM_NEWLINK, func(r *nltest.Request) []nltest.Reply {
//		if _, ok := r.Attr(unix.SizeofIfInfomsg, unix.IFLA_IFNAME); !ok {
//			return r.Error(unix.EINVAL, nltest.ExtAck{Message: "name missing", MissingType: unix.IFLA_IFNAME})
//		}
//		return r.Ack()
//	})
//	c := k.Dial(nil) // a *core.Conn, closed when the test ends
//	... run the code under test with c ...
//	k.LastRequest().Check(nltest.Want{Type: unix.RTM_NEWLINK, Flags: core.FlagRequest | core.FlagAck | core.FlagCreate})
//
// # Answers
//
// A handler returns the datagrams to send back, as []Reply. Request has
// builders for whole answers (Ack, Error, Reply, Dump) and for single
// messages (Msg, AckMsg, ErrorMsg, DoneMsg, DoneErrorMsg, MultiMsgs), which
// Packed, Split, Chunks and FromPort group into datagrams. A message built
// from a request can be changed before it is sent, to script what a
// well-behaved kernel would not do: a wrong sequence number, NLM_F_DUMP_INTR
// on chosen messages, a sender other than the kernel.
//
// As in the kernel, a message without NLM_F_REQUEST or of a control type is
// not handed to a handler (it is only acknowledged when it asks for an
// ACK), and a request of a type nobody handles is answered with
// EOPNOTSUPP.
//
// # Sockets
//
// Each Conn dialled has its own Socket (a core.GroupTransport) with a port,
// a receive queue, multicast groups and read and write deadlines. The
// socket options of core.Config that change what the kernel sends are
// honoured: CapAck, NoExtAck, NoENOBUFS, PktInfo, PassCred, PortID, Groups.
// Events (Kernel.Event) reach the sockets that joined their group; Overrun
// makes the next receive report core.ErrOverrun. Sockets of one Kernel can
// also send to each other's ports and groups, as userspace peers do; on
// NETLINK_USERSOCK, which has no kernel side, that is all they can do.
// Kernel.Blocked says how many receives wait, so a test can cancel or close
// exactly while one is blocked.
//
// A Kernel and its sockets are safe for concurrent use. Handlers run on the
// goroutine that sends the request, inside Conn's send, so a handler must
// not call the Conn that sent it (the Conn is busy) but may call the
// Kernel.
package nltest
