package core_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nltest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Tests of each Callbacks hook against nltest's fake kernel: what the hook
// sees, and what Continue, Skip and Stop do (core/callback.go).

// hookLog records hook calls; hooks may run on other goroutines than the
// test's.
type hookLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *hookLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, s)
}

func (l *hookLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

// actions returns a hook that answers the i-th call with acts[i] (the last
// one for every later call), logging name.
func actions(l *hookLog, name string, acts ...core.Action) func(core.Message) core.Action {
	n := 0
	return func(core.Message) core.Action {
		l.add(name)
		a := acts[min(n, len(acts)-1)]
		n++
		return a
	}
}

// execNames runs Execute and returns the link names of what it returned.
func execNames(t *testing.T, c *core.Conn, req core.Message) ([]string, error) {
	t.Helper()
	msgs, err := c.Execute(context.Background(), req)
	var out []string
	for _, m := range msgs {
		out = append(out, fakeLinkName(t, m))
	}
	return out, err
}

// linkKernel answers RTM_GETLINK with h.
func linkKernel(t *testing.T, h nltest.HandlerFunc) *nltest.Kernel {
	k := nltest.New(t, unix.NETLINK_ROUTE)
	k.Handle(unix.RTM_GETLINK, h)
	return k
}

func withCallbacks(cb *core.Callbacks) *core.Config { return &core.Config{Callbacks: cb} }

func TestCallbackValid(t *testing.T) {
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply {
		return r.Dump(unix.RTM_NEWLINK, linkPayloads("a", "b", "c")...)
	})
	var seen []string
	hook := func(act map[string]core.Action) *core.Callbacks {
		seen = nil
		return &core.Callbacks{Valid: func(m core.Message) core.Action {
			n := fakeLinkName(t, m)
			seen = append(seen, n)
			return act[n]
		}}
	}

	got, err := names(t, k.Dial(withCallbacks(hook(nil))), getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c"}, got, "Continue hands messages on")
	require.Equal(t, []string{"a", "b", "c"}, seen)

	got, err = names(t, k.Dial(withCallbacks(hook(map[string]core.Action{"b": core.Skip}))), getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a", "c"}, got, "Skip drops the message")

	c := k.Dial(withCallbacks(hook(map[string]core.Action{"b": core.Stop})))
	got, err = names(t, c, getLinks())
	require.NoError(t, err, "Stop ends the loop with no error")
	require.Equal(t, []string{"a"}, got)
	require.Equal(t, []string{"a", "b"}, seen)
}

func TestCallbackFinish(t *testing.T) {
	// Two parts, each closed by NLMSG_DONE.
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply {
		return append(r.Dump(unix.RTM_NEWLINK, linkPayloads("a")...), r.Dump(unix.RTM_NEWLINK, linkPayloads("b")...)...)
	})
	var l hookLog
	c := k.Dial(withCallbacks(&core.Callbacks{Finish: actions(&l, "finish", core.Continue)}))
	got, err := names(t, c, getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, got, "Continue ends the dump at NLMSG_DONE")
	require.Equal(t, []string{"finish"}, l.get())

	l = hookLog{}
	c = k.Dial(withCallbacks(&core.Callbacks{Finish: actions(&l, "finish", core.Skip, core.Continue)}))
	got, err = names(t, c, getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, got, "Skip reads past NLMSG_DONE")
	require.Equal(t, []string{"finish", "finish"}, l.get())

	// Stop ends the loop without the interrupted-dump error.
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		msgs := r.MultiMsgs(unix.RTM_NEWLINK, linkPayloads("a")...)
		msgs[0].Header.Flags |= core.FlagDumpIntr
		return nltest.Packed(msgs...)
	})
	l = hookLog{}
	c = k.Dial(withCallbacks(&core.Callbacks{Finish: actions(&l, "finish", core.Stop)}))
	got, err = names(t, c, getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, got)
	got, err = names(t, k.Dial(nil), getLinks())
	require.ErrorIs(t, err, core.ErrDumpInterrupted, "the same dump without the hook")
	require.Equal(t, []string{"a"}, got)
}

// overrunThenAck answers with NLMSG_OVERRUN, then the reply and the ACK.
func overrunThenAck(r *nltest.Request) []nltest.Reply {
	return nltest.Packed(r.Msg(core.TypeOverrun, 0, nil), r.Msg(unix.RTM_NEWLINK, 0, fakeLink(1, "a")), r.AckMsg())
}

func TestCallbackOverrun(t *testing.T) {
	k := linkKernel(t, overrunThenAck)
	var l hookLog
	c := k.Dial(withCallbacks(&core.Callbacks{Overrun: actions(&l, "overrun", core.Continue)}))
	_, err := execNames(t, c, getLinks())
	require.ErrorIs(t, err, core.ErrOverrun, "Continue ends the loop with ErrOverrun")
	require.Equal(t, uint64(1), c.Stats().Overruns)
	require.Equal(t, []string{"overrun"}, l.get())

	c = k.Dial(withCallbacks(&core.Callbacks{Overrun: actions(&l, "overrun", core.Skip)}))
	got, err := execNames(t, c, getLinks())
	require.NoError(t, err, "Skip reads on")
	require.Equal(t, []string{"a"}, got)
	require.Zero(t, c.Stats().Overruns)

	c = k.Dial(withCallbacks(&core.Callbacks{Overrun: actions(&l, "overrun", core.Stop)}))
	got, err = execNames(t, c, getLinks())
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestCallbackSkipped(t *testing.T) {
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply {
		return nltest.Packed(r.Msg(core.TypeNoop, 0, nil), r.Msg(unix.RTM_NEWLINK, 0, fakeLink(1, "a")), r.AckMsg())
	})
	got, err := execNames(t, k.Dial(nil), getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, got, "NLMSG_NOOP is skipped by default")

	var l hookLog
	for _, a := range []core.Action{core.Continue, core.Skip} {
		got, err = execNames(t, k.Dial(withCallbacks(&core.Callbacks{Skipped: actions(&l, "noop", a)})), getLinks())
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, got, "%v skips it", a)
	}
	got, err = execNames(t, k.Dial(withCallbacks(&core.Callbacks{Skipped: actions(&l, "noop", core.Stop)})), getLinks())
	require.NoError(t, err)
	require.Empty(t, got, "Stop ends the loop")
	require.Equal(t, []string{"noop", "noop", "noop"}, l.get())
}

func TestCallbackAck(t *testing.T) {
	// An ACK, a reply, then another ACK.
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply {
		return nltest.Packed(r.AckMsg(nltest.ExtAck{Message: "first"}), r.Msg(unix.RTM_NEWLINK, 0, fakeLink(1, "a")), r.AckMsg())
	})
	var l hookLog
	var warnings []string
	ack := func(acts ...core.Action) *core.Config {
		hook := actions(&l, "ack", acts...)
		return withCallbacks(&core.Callbacks{Ack: func(m core.Message) core.Action {
			if m.Header.Flags&core.FlagAckTLVs != 0 {
				warnings = append(warnings, string(m.Data[4+core.HeaderLen+core.AttrHeaderLen:len(m.Data)-3]))
			}
			return hook(m)
		}})
	}
	got, err := execNames(t, k.Dial(ack(core.Continue)), getLinks())
	require.NoError(t, err)
	require.Empty(t, got, "Continue ends the request at the first ACK")
	require.Equal(t, []string{"first"}, warnings, "the hook sees the ACK's warning")

	got, err = execNames(t, k.Dial(ack(core.Skip, core.Continue)), getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, got, "Skip reads on to the next ACK")

	got, err = execNames(t, k.Dial(ack(core.Stop)), getLinks())
	require.NoError(t, err)
	require.Empty(t, got)
	require.Equal(t, []string{"ack", "ack", "ack", "ack"}, l.get())
}

func TestCallbackMsgIn(t *testing.T) {
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply {
		stale := r.Msg(unix.RTM_NEWLINK, 0, fakeLink(2, "stale"))
		stale.Header.Sequence--
		out := nltest.FromPort(99, r.Msg(unix.RTM_NEWLINK, 0, fakeLink(3, "forged")))
		return append(out, nltest.Packed(stale, r.Msg(unix.RTM_NEWLINK, 0, fakeLink(1, "a")), r.AckMsg())...)
	})
	var seen []core.MessageType
	msgIn := func(act func(core.Message) core.Action) *core.Config {
		seen = nil
		return withCallbacks(&core.Callbacks{MsgIn: func(m core.Message) core.Action {
			seen = append(seen, m.Header.Type)
			return act(m)
		}})
	}
	cont := func(core.Message) core.Action { return core.Continue }
	c := k.Dial(msgIn(cont))
	got, err := execNames(t, c, getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, got)
	require.Equal(t, []core.MessageType{unix.RTM_NEWLINK, unix.RTM_NEWLINK, core.TypeError}, seen,
		"MsgIn sees every message from an accepted sender, the stale one too")
	require.Equal(t, core.Stats{Foreign: 1, Unexpected: 1}, c.Stats())

	skipData := func(m core.Message) core.Action {
		if m.Header.Type == unix.RTM_NEWLINK {
			return core.Skip
		}
		return core.Continue
	}
	c = k.Dial(msgIn(skipData))
	got, err = execNames(t, c, getLinks())
	require.NoError(t, err)
	require.Empty(t, got, "Skip drops the message before anything else")
	require.Equal(t, core.Stats{Foreign: 1}, c.Stats(), "a skipped message does not reach the sequence check")

	got, err = execNames(t, k.Dial(msgIn(func(core.Message) core.Action { return core.Stop })), getLinks())
	require.NoError(t, err)
	require.Empty(t, got)
	require.Len(t, seen, 1, "Stop ends the loop at once")
}

func TestCallbackMsgOut(t *testing.T) {
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply { return r.Reply(unix.RTM_NEWLINK, fakeLink(1, "a")) })
	var out []core.Header
	msgOut := func(a core.Action) *core.Config {
		out = nil
		return withCallbacks(&core.Callbacks{MsgOut: func(m core.Message) core.Action {
			out = append(out, m.Header)
			return a
		}})
	}
	got, err := execNames(t, k.Dial(msgOut(core.Continue)), getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, got)
	require.Len(t, out, 1)
	require.Equal(t, k.LastRequest().Header, out[0], "MsgOut sees the message as sent")

	for _, a := range []core.Action{core.Skip, core.Stop} {
		k.ResetRequests()
		_, err = execNames(t, k.Dial(msgOut(a)), getLinks())
		require.Error(t, err, "%v cancels the send", a)
		require.Len(t, out, 1)
		require.Empty(t, k.Requests(), "%v: nothing reached the kernel", a)
	}

	// A batch: MsgOut sees each message of the datagram.
	k.ResetRequests()
	k.Handle(unix.RTM_NEWLINK, func(r *nltest.Request) []nltest.Reply { return r.Ack() })
	require.NoError(t, k.Dial(msgOut(core.Continue)).ExecuteBatch(context.Background(), []core.Message{newVeth("a"), newVeth("b")}, nil))
	require.Len(t, out, 2)
	require.Len(t, k.Requests(), 2)
}

func TestCallbackInvalid(t *testing.T) {
	// An NLMSG_ERROR too short to hold an error code, then the real ACK.
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply {
		return nltest.Packed(r.Msg(core.TypeError, 0, []byte{1, 2}), r.Msg(unix.RTM_NEWLINK, 0, fakeLink(1, "a")), r.AckMsg())
	})
	var l hookLog
	var errs []error
	invalid := func(acts ...core.Action) *core.Config {
		hook := actions(&l, "invalid", acts...)
		return withCallbacks(&core.Callbacks{Invalid: func(m core.Message, err error) core.Action {
			errs = append(errs, err)
			return hook(m)
		}})
	}
	var pe *core.ParseError
	_, err := execNames(t, k.Dial(nil), getLinks())
	require.ErrorAs(t, err, &pe, "by default the loop ends with the parse error")

	_, err = execNames(t, k.Dial(invalid(core.Continue)), getLinks())
	require.ErrorAs(t, err, &pe)
	require.Len(t, errs, 1)
	require.ErrorAs(t, errs[0], &pe, "the hook sees the parse error")

	got, err := execNames(t, k.Dial(invalid(core.Skip)), getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, got, "Skip reads on")

	got, err = execNames(t, k.Dial(invalid(core.Stop)), getLinks())
	require.NoError(t, err)
	require.Empty(t, got)

	// A malformed datagram: a header whose length runs past the end.
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		bad := core.AppendMessage(nil, r.Msg(unix.RTM_NEWLINK, 0, fakeLink(9, "cut")))
		bad = bad[:len(bad)-8]
		return append([]nltest.Reply{{Raw: bad}}, r.Reply(unix.RTM_NEWLINK, fakeLink(1, "a"))...)
	})
	_, err = execNames(t, k.Dial(nil), getLinks())
	require.ErrorAs(t, err, &pe)
	errs = nil
	got, err = execNames(t, k.Dial(invalid(core.Skip)), getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, got, "Skip drops the rest of the bad datagram and reads the next")
	require.Len(t, errs, 1)
	require.ErrorAs(t, errs[0], &pe)
}

func TestCallbackSeqCheck(t *testing.T) {
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply {
		stale := r.Msg(unix.RTM_NEWLINK, 0, fakeLink(2, "stale"))
		stale.Header.Sequence += 7
		return nltest.Packed(stale, r.Msg(unix.RTM_NEWLINK, 0, fakeLink(1, "a")), r.AckMsg())
	})
	var l hookLog
	seqCheck := func(a core.Action) *core.Config {
		return withCallbacks(&core.Callbacks{SeqCheck: actions(&l, "seq", a)})
	}
	c := k.Dial(seqCheck(core.Continue))
	got, err := execNames(t, c, getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"stale", "a"}, got, "Continue accepts the stranger")
	require.Equal(t, core.Stats{}, c.Stats())
	require.Equal(t, []string{"seq"}, l.get(), "the hook sees only the message out of sequence")

	c = k.Dial(seqCheck(core.Skip))
	got, err = execNames(t, c, getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, got, "Skip drops it")
	require.Equal(t, core.Stats{Unexpected: 1}, c.Stats())

	c = k.Dial(seqCheck(core.Stop))
	got, err = execNames(t, c, getLinks())
	require.NoError(t, err)
	require.Empty(t, got, "Stop ends the loop")
}

func TestCallbackSendAck(t *testing.T) {
	// A peer's message that asks for an ACK (the kernel never sends one).
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply {
		return nltest.Packed(r.Msg(unix.RTM_NEWLINK, core.FlagAck, fakeLink(1, "ask")), r.Msg(unix.RTM_NEWLINK, 0, fakeLink(2, "b")), r.AckMsg())
	})
	var l hookLog
	sendAck := func(a core.Action) *core.Config {
		return withCallbacks(&core.Callbacks{SendAck: actions(&l, "sendack", a)})
	}
	got, err := execNames(t, k.Dial(sendAck(core.Continue)), getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"ask", "b"}, got)
	require.Equal(t, []string{"sendack"}, l.get(), "only the message with NLM_F_ACK")

	got, err = execNames(t, k.Dial(sendAck(core.Skip)), getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"b"}, got)

	got, err = execNames(t, k.Dial(sendAck(core.Stop)), getLinks())
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestCallbackDumpInterrupted(t *testing.T) {
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply {
		msgs := r.MultiMsgs(unix.RTM_NEWLINK, linkPayloads("a", "b", "c")...)
		msgs[1].Header.Flags |= core.FlagDumpIntr
		return nltest.Split(msgs...)
	})
	var l hookLog
	intr := func(a core.Action) *core.Config {
		return withCallbacks(&core.Callbacks{DumpInterrupted: actions(&l, "intr", a)})
	}
	got, err := names(t, k.Dial(intr(core.Continue)), getLinks())
	require.ErrorIs(t, err, core.ErrDumpInterrupted, "Continue goes on and ends with ErrDumpInterrupted")
	require.Equal(t, []string{"a", "b", "c"}, got)
	require.Equal(t, []string{"intr"}, l.get())

	got, err = names(t, k.Dial(intr(core.Skip)), getLinks())
	require.NoError(t, err, "Skip drops the flagged message and forgets the interruption")
	require.Equal(t, []string{"a", "c"}, got)

	got, err = names(t, k.Dial(intr(core.Stop)), getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, got)
}

func TestCallbackError(t *testing.T) {
	// An error, then (for a hook that reads on) the reply and an ACK.
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply {
		return nltest.Packed(r.ErrorMsg(unix.EBUSY, nltest.ExtAck{Message: "busy"}), r.Msg(unix.RTM_NEWLINK, 0, fakeLink(1, "a")), r.AckMsg())
	})
	var seen []*core.Error
	errHook := func(a core.Action) *core.Config {
		seen = nil
		return withCallbacks(&core.Callbacks{Error: func(m core.Message, e *core.Error) core.Action {
			require.Contains(t, []core.MessageType{core.TypeError, core.TypeDone}, m.Header.Type)
			seen = append(seen, e)
			return a
		}})
	}
	_, err := execNames(t, k.Dial(errHook(core.Continue)), getLinks())
	require.ErrorIs(t, err, unix.EBUSY, "Continue ends the loop with the error")
	require.Len(t, seen, 1)
	require.Equal(t, "busy", seen[0].Message)

	got, err := execNames(t, k.Dial(errHook(core.Skip)), getLinks())
	require.NoError(t, err, "Skip ignores it and reads on")
	require.Equal(t, []string{"a"}, got)

	got, err = execNames(t, k.Dial(errHook(core.Stop)), getLinks())
	require.NoError(t, err, "Stop ends the loop without the error")
	require.Empty(t, got)

	// The error inside NLMSG_DONE reaches the hook too.
	k.Handle(unix.RTM_GETLINK, func(r *nltest.Request) []nltest.Reply {
		return nltest.Packed(r.Msg(unix.RTM_NEWLINK, core.FlagMulti, fakeLink(1, "a")),
			r.DoneErrorMsg(unix.EINVAL, nltest.ExtAck{Message: "bad filter"}), r.DoneMsg())
	})
	got, err = names(t, k.Dial(errHook(core.Continue)), getLinks())
	require.ErrorIs(t, err, unix.EINVAL)
	require.Equal(t, []string{"a"}, got)
	require.Len(t, seen, 1)
	require.Equal(t, "bad filter", seen[0].Message)
	got, err = names(t, k.Dial(errHook(core.Skip)), getLinks())
	require.NoError(t, err, "Skip reads on to the plain NLMSG_DONE")
	require.Equal(t, []string{"a"}, got)
}

func TestCallbackOrder(t *testing.T) {
	// One message out of sequence, flagged NLM_F_DUMP_INTR and NLM_F_ACK,
	// meets every hook in the documented order.
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply {
		m := r.Msg(unix.RTM_NEWLINK, core.FlagMulti|core.FlagDumpIntr|core.FlagAck, fakeLink(1, "a"))
		m.Header.Sequence++
		return nltest.Packed(m, r.DoneMsg())
	})
	var l hookLog
	cont := func(name string) func(core.Message) core.Action { return actions(&l, name, core.Continue) }
	c := k.Dial(withCallbacks(&core.Callbacks{
		MsgIn:           cont("msgin"),
		SeqCheck:        cont("seqcheck"),
		DumpInterrupted: cont("dumpintr"),
		SendAck:         cont("sendack"),
		Valid:           cont("valid"),
		Finish:          cont("finish"),
		MsgOut:          cont("msgout"),
	}))
	got, err := names(t, c, getLinks())
	require.ErrorIs(t, err, core.ErrDumpInterrupted)
	require.Equal(t, []string{"a"}, got)
	require.Equal(t, []string{"msgout", "msgin", "seqcheck", "dumpintr", "sendack", "valid", "msgin", "finish"}, l.get())
}

func TestCallbackRunMergesWithConfig(t *testing.T) {
	k := linkKernel(t, func(r *nltest.Request) []nltest.Reply {
		return r.Dump(unix.RTM_NEWLINK, linkPayloads("a", "b")...)
	})
	var l hookLog
	c := k.Dial(withCallbacks(&core.Callbacks{
		Valid: actions(&l, "conn-valid", core.Continue),
		MsgIn: actions(&l, "conn-msgin", core.Continue),
	}))
	var runNames []string
	err := c.Run(context.Background(), core.Message{Header: core.Header{Type: unix.RTM_GETLINK, Flags: core.FlagDump}, Data: make([]byte, unix.SizeofIfInfomsg)},
		&core.Callbacks{Valid: func(m core.Message) core.Action {
			l.add("run-valid")
			runNames = append(runNames, fakeLinkName(t, m))
			return core.Continue
		}})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, runNames, "Run hands data messages to Valid")
	require.Equal(t, []string{"conn-msgin", "run-valid", "conn-msgin", "run-valid", "conn-msgin"}, l.get(),
		"the call's hooks win, the Conn's others still run")

	l = hookLog{}
	got, err := names(t, c, getLinks())
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, got)
	require.Equal(t, []string{"conn-msgin", "conn-valid", "conn-msgin", "conn-valid", "conn-msgin"}, l.get(),
		"after Run the Conn's hooks are back")

	// Run with no callbacks and an error answer.
	k.Handle(unix.RTM_DELLINK, func(r *nltest.Request) []nltest.Reply { return r.Error(unix.ENODEV) })
	err = c.Run(context.Background(), core.Message{Header: core.Header{Type: unix.RTM_DELLINK}, Data: fakeLink(4, "")}, nil)
	require.ErrorIs(t, err, unix.ENODEV)
	var ne *core.Error
	require.True(t, errors.As(err, &ne))
}
