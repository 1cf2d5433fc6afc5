package core

// Action is what a callback tells the receive loop to do next.
type Action int

const (
	// Continue carries on with the default handling of the message.
	Continue Action = iota
	// Skip drops the message and reads the next one.
	Skip
	// Stop ends the receive loop at once; the call returns nil.
	Stop
)

// String names the action.
func (a Action) String() string {
	switch a {
	case Continue:
		return "continue"
	case Skip:
		return "skip"
	case Stop:
		return "stop"
	}
	return "action(" + itoa(int(a)) + ")"
}

// Callbacks customise the receive loop at libnl's hook points (nl_cb). Any
// field may be nil, which means the default handling. Each hook returns an
// Action: Continue (default handling), Skip (drop this message, read on) or
// Stop (end the loop).
//
// The order for each message received is: MsgIn; SeqCheck (a reply whose
// sequence number is not the request's is dropped unless SeqCheck says
// Continue); DumpInterrupted when NLM_F_DUMP_INTR is set; SendAck when the
// sender asked for an ACK; then by type: Skipped (NLMSG_NOOP), Overrun
// (NLMSG_OVERRUN), Finish (NLMSG_DONE), Ack (NLMSG_ERROR with error 0),
// Error (NLMSG_ERROR with an error, or an error inside NLMSG_DONE), Invalid
// (a message that cannot be parsed), Valid (any other message). MsgOut sees
// every message the Conn sends.
//
// Messages passed to hooks alias the receive buffer: copy what you keep.
type Callbacks struct {
	// Valid sees each data message. Continue hands it on (to the
	// iterator, the reply list or the Run handler).
	Valid func(Message) Action
	// Finish sees NLMSG_DONE. Continue ends a dump.
	Finish func(Message) Action
	// Overrun sees NLMSG_OVERRUN. Continue ends the loop with ErrOverrun.
	Overrun func(Message) Action
	// Skipped sees NLMSG_NOOP. Continue skips it.
	Skipped func(Message) Action
	// Ack sees an ACK (NLMSG_ERROR, error 0). Continue ends the request.
	Ack func(Message) Action
	// MsgIn sees every message received, before anything else.
	MsgIn func(Message) Action
	// MsgOut sees every message sent. Skip or Stop cancels the send.
	MsgOut func(Message) Action
	// Invalid sees a message that could not be parsed. Continue ends the
	// loop with the parse error.
	Invalid func(Message, error) Action
	// SeqCheck sees a message whose sequence number is not the one
	// awaited. Continue accepts it; the default (nil) drops it.
	SeqCheck func(Message) Action
	// SendAck sees a message whose sender asked for an ACK (NLM_F_ACK).
	SendAck func(Message) Action
	// DumpInterrupted sees a message flagged NLM_F_DUMP_INTR. Continue
	// goes on and ends the dump with ErrDumpInterrupted.
	DumpInterrupted func(Message) Action
	// Error sees a kernel error. Continue ends the loop with it; Skip
	// ignores it and reads on; Stop ends the loop without it.
	Error func(Message, *Error) Action
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func mergeCallbacks(base, over *Callbacks) *Callbacks {
	if base == nil {
		return over
	}
	m := *base
	if over.Valid != nil {
		m.Valid = over.Valid
	}
	if over.Finish != nil {
		m.Finish = over.Finish
	}
	if over.Overrun != nil {
		m.Overrun = over.Overrun
	}
	if over.Skipped != nil {
		m.Skipped = over.Skipped
	}
	if over.Ack != nil {
		m.Ack = over.Ack
	}
	if over.MsgIn != nil {
		m.MsgIn = over.MsgIn
	}
	if over.MsgOut != nil {
		m.MsgOut = over.MsgOut
	}
	if over.Invalid != nil {
		m.Invalid = over.Invalid
	}
	if over.SeqCheck != nil {
		m.SeqCheck = over.SeqCheck
	}
	if over.SendAck != nil {
		m.SendAck = over.SendAck
	}
	if over.DumpInterrupted != nil {
		m.DumpInterrupted = over.DumpInterrupted
	}
	if over.Error != nil {
		m.Error = over.Error
	}
	return &m
}
