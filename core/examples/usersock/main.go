// Command usersock is a userspace-to-userspace netlink server and client
// over NETLINK_USERSOCK, built on nlkit's core alone.
//
// The server binds a fixed port (888 by default), accepts messages from
// userspace senders (core.Config.AcceptNonKernel), prints each one with the
// sender's port and credentials, and answers to the sender's port:
//
//	usersock -serve [-port 888] [-group N] [-count N] [-netns NAME]
//
// The client sends one message to the server's port, or to a multicast
// group, and prints the answer:
//
//	usersock -send MSG [-port 888] [-group N] [-timeout 5s] [-netns NAME]
//
// See docs/userspace.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// msgType is the message type the example speaks. Userspace peers may use
// any type from NLMSG_MIN_TYPE (0x10) on; lower ones are netlink's own
// control messages (NOOP, ERROR, DONE, OVERRUN).
const msgType core.MessageType = unix.NLMSG_MIN_TYPE + 1

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	serve   bool
	send    string
	port    uint
	group   uint
	count   int
	timeout time.Duration
	netns   string
}

// run is the whole program: it parses args, runs the server or the client,
// and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("usersock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.serve, "serve", false, "run the server")
	fs.StringVar(&o.send, "send", "", "send `MSG` to the server and print its answer")
	fs.UintVar(&o.port, "port", 888, "the server's netlink port")
	fs.UintVar(&o.group, "group", 0, "multicast `group` (1-32): the server joins it, the client sends to it")
	fs.IntVar(&o.count, "count", 0, "server: exit after `N` messages (0: run until interrupted)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "client: how long to wait for the answer")
	fs.StringVar(&o.netns, "netns", "", "work in the named network namespace `NAME` (/run/netns/NAME)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.serve == (o.send != "") || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: usersock -serve [flags] | usersock -send MSG [flags]")
		fs.PrintDefaults()
		return 2
	}
	if o.port > 1<<32-1 || o.group > 32 {
		fmt.Fprintln(stderr, "usersock: -port must fit 32 bits and -group be 1-32")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if o.serve {
		err = serve(ctx, o, stdout)
	} else {
		err = send(ctx, o, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "usersock:", err)
		return 1
	}
	return 0
}

// config is the socket set-up both sides share.
func config(o options) (*core.Config, error) {
	cfg := &core.Config{
		// Our peers are userspace sockets, not the kernel: without this
		// the Conn drops (and counts) everything they send.
		AcceptNonKernel: true,
	}
	if o.netns != "" {
		ns, err := core.NetNSByName(o.netns)
		if err != nil {
			return nil, err
		}
		cfg.NetNS = ns
	}
	return cfg, nil
}

func serve(ctx context.Context, o options, out io.Writer) error {
	cfg, err := config(o)
	if err != nil {
		return err
	}
	defer cfg.NetNS.Close()
	cfg.PortID = uint32(o.port) // a fixed, well-known port
	cfg.PassCred = true         // the kernel tells us who sent each message
	cfg.PktInfo = true          // and to which group, for multicast
	if o.group > 0 {
		cfg.Groups = []uint32{uint32(o.group)}
	}
	c, err := core.Dial(unix.NETLINK_USERSOCK, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if o.group > 0 {
		fmt.Fprintf(out, "listening on port %d and group %d\n", c.PortID(), o.group)
	} else {
		fmt.Fprintf(out, "listening on port %d\n", c.PortID())
	}

	for n := 0; o.count == 0 || n < o.count; {
		// Receive returns copies; Listen would hold the Conn while we
		// answer on it.
		msgs, err := c.Receive(ctx)
		if errors.Is(err, context.Canceled) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Header.Type != msgType {
				continue
			}
			n++
			via := ""
			if m.From.Group != 0 {
				via = fmt.Sprintf(" via group %d", m.From.Group)
			}
			fmt.Fprintf(out, "from port %d pid %d uid %d%s: %s\n",
				m.From.Port, m.From.Cred.Pid, m.From.Cred.Uid, via, m.Data)
			answer := core.Message{
				Header: core.Header{Type: msgType, Sequence: m.Header.Sequence},
				Data:   append([]byte("ack: "), m.Data...),
			}
			if _, err := c.SendTo(ctx, answer, m.From.Port, 0); err != nil {
				return fmt.Errorf("answer port %d: %w", m.From.Port, err)
			}
		}
	}
	return nil
}

func send(ctx context.Context, o options, out io.Writer) error {
	cfg, err := config(o)
	if err != nil {
		return err
	}
	defer cfg.NetNS.Close()
	c, err := core.Dial(unix.NETLINK_USERSOCK, cfg) // the kernel picks our port
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	port, group := uint32(o.port), uint32(o.group)
	if group > 0 {
		port = 0 // to the group's members only
	}
	seq, err := c.SendTo(ctx, core.Message{Header: core.Header{Type: msgType}, Data: []byte(o.send)}, port, group)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "sent %q from port %d\n", o.send, c.PortID())
	for {
		msgs, err := c.Receive(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no answer within %s", o.timeout)
		}
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Header.Type != msgType || m.Header.Sequence != seq {
				continue
			}
			if group == 0 && m.From.Port != port {
				continue // not from the server we asked
			}
			fmt.Fprintf(out, "answer from port %d: %s\n", m.From.Port, m.Data)
			return nil
		}
	}
}
