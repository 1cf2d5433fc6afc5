package core

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// HeaderLen is the size of a netlink message header (struct nlmsghdr).
const HeaderLen = unix.SizeofNlMsghdr

// MessageType is a netlink message type (nlmsg_type). Values below
// unix.NLMSG_MIN_TYPE are control messages; the rest belong to the protocol.
type MessageType uint16

// Control message types.
const (
	TypeNoop    MessageType = unix.NLMSG_NOOP
	TypeError   MessageType = unix.NLMSG_ERROR
	TypeDone    MessageType = unix.NLMSG_DONE
	TypeOverrun MessageType = unix.NLMSG_OVERRUN
)

// String names the control types and prints others as a number.
func (t MessageType) String() string {
	switch t {
	case TypeNoop:
		return "NOOP"
	case TypeError:
		return "ERROR"
	case TypeDone:
		return "DONE"
	case TypeOverrun:
		return "OVERRUN"
	}
	return fmt.Sprintf("%d", uint16(t))
}

// HeaderFlags are the nlmsg_flags bits.
type HeaderFlags uint16

// Header flags. Get requests use FlagRoot, FlagMatch, FlagAtomic, FlagDump;
// new requests FlagReplace, FlagExcl, FlagCreate, FlagAppend; delete requests
// FlagNonRec and FlagBulk; acks FlagCapped and FlagAckTLVs.
const (
	FlagRequest      HeaderFlags = unix.NLM_F_REQUEST
	FlagMulti        HeaderFlags = unix.NLM_F_MULTI
	FlagAck          HeaderFlags = unix.NLM_F_ACK
	FlagEcho         HeaderFlags = unix.NLM_F_ECHO
	FlagDumpIntr     HeaderFlags = unix.NLM_F_DUMP_INTR
	FlagDumpFiltered HeaderFlags = unix.NLM_F_DUMP_FILTERED

	FlagRoot   HeaderFlags = unix.NLM_F_ROOT
	FlagMatch  HeaderFlags = unix.NLM_F_MATCH
	FlagAtomic HeaderFlags = unix.NLM_F_ATOMIC
	FlagDump   HeaderFlags = unix.NLM_F_DUMP

	FlagReplace HeaderFlags = unix.NLM_F_REPLACE
	FlagExcl    HeaderFlags = unix.NLM_F_EXCL
	FlagCreate  HeaderFlags = unix.NLM_F_CREATE
	FlagAppend  HeaderFlags = unix.NLM_F_APPEND

	FlagNonRec  HeaderFlags = 0x100 // NLM_F_NONREC (delete requests)
	FlagBulk    HeaderFlags = 0x200 // NLM_F_BULK (delete requests)
	FlagCapped  HeaderFlags = 0x100 // NLM_F_CAPPED (acks: payload cut to the header)
	FlagAckTLVs HeaderFlags = 0x200 // NLM_F_ACK_TLVS (acks: extended-ACK attributes follow)
)

var flagNames = []struct {
	f    HeaderFlags
	name string
}{
	{FlagRequest, "REQUEST"}, {FlagMulti, "MULTI"}, {FlagAck, "ACK"}, {FlagEcho, "ECHO"},
	{FlagDumpIntr, "DUMP_INTR"}, {FlagDumpFiltered, "DUMP_FILTERED"},
}

// String prints the flags as NAME|NAME|0xRest. Bits 8 and up mean different
// things for get, new, delete and ack messages; they print as GET/NEW
// meanings (ROOT, MATCH, ATOMIC for get; REPLACE... are the same bits), so
// use FlagsString with a message type when the kind is known.
func (f HeaderFlags) String() string {
	return f.format(false, false)
}

// FlagsString prints flags knowing whether the message is a get request, a
// new request, or an ack/error, which is what gives bits 8-11 a meaning.
func FlagsString(f HeaderFlags, isNew, isAck bool) string {
	return f.format(isNew, isAck)
}

func (f HeaderFlags) format(isNew, isAck bool) string {
	var b strings.Builder
	rest := f
	add := func(bit HeaderFlags, name string) {
		if rest&bit != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(name)
			rest &^= bit
		}
	}
	for _, n := range flagNames {
		add(n.f, n.name)
	}
	switch {
	case isAck:
		add(FlagCapped, "CAPPED")
		add(FlagAckTLVs, "ACK_TLVS")
	case isNew:
		add(FlagReplace, "REPLACE")
		add(FlagExcl, "EXCL")
		add(FlagCreate, "CREATE")
		add(FlagAppend, "APPEND")
	default:
		if rest&FlagDump == FlagDump {
			add(FlagDump, "DUMP")
		}
		add(FlagRoot, "ROOT")
		add(FlagMatch, "MATCH")
		add(FlagAtomic, "ATOMIC")
	}
	if rest != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		fmt.Fprintf(&b, "%#x", uint16(rest))
	}
	if b.Len() == 0 {
		return "0"
	}
	return b.String()
}

// Header is a netlink message header (struct nlmsghdr).
type Header struct {
	// Length is the whole message length, header included. Senders may
	// leave it zero: it is filled in when the message is sent.
	Length uint32
	// Type is the message type.
	Type MessageType
	// Flags are the NLM_F_* flags.
	Flags HeaderFlags
	// Sequence is the sequence number; a Conn assigns it when zero.
	Sequence uint32
	// PID is the port ID of the sender (0 for the kernel).
	PID uint32
}

// String prints the header on one line.
func (h Header) String() string {
	return fmt.Sprintf("type=%s len=%d flags=%s seq=%d port=%d", h.Type, h.Length, h.Flags, h.Sequence, h.PID)
}

// Message is one netlink message: a header and its payload (the family
// header, if any, followed by attributes).
type Message struct {
	Header Header
	// Data is the payload after the netlink header. In messages handed out
	// by Conn.Dump and Conn.Receive it aliases the receive buffer: it is
	// valid until the iteration moves on. Use Clone to keep it.
	Data []byte
	// From says who sent a received message. It is zero for messages that
	// are being sent.
	From Sender
}

// Sender identifies the sender of a received datagram.
type Sender struct {
	// Port is the sender's port ID: 0 for the kernel.
	Port uint32
	// Group is the number of the multicast group the datagram was sent
	// to, 0 for unicast. recvmsg names groups 1-32 only; with
	// Config.PktInfo any group number is reported.
	Group uint32
	// Cred holds the sender's credentials when Config.PassCred is set and
	// the kernel attached them (HasCred).
	Cred    unix.Ucred
	HasCred bool
	// NSID is the peer namespace ID the message came from when
	// Config.ListenAllNSID is set (HasNSID).
	NSID    int32
	HasNSID bool
}

// Clone returns a copy of m whose Data does not alias any buffer.
func (m Message) Clone() Message {
	m.Data = append([]byte(nil), m.Data...)
	return m
}

// Len is the encoded length of m: the header plus its payload, unpadded.
func (m Message) Len() int { return HeaderLen + len(m.Data) }

// Align rounds n up to the netlink alignment (4 bytes).
func Align(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// AppendMessage appends m to b, encoded and padded, with Header.Length set
// to the real length, and returns the extended slice.
func AppendMessage(b []byte, m Message) []byte {
	n := m.Len()
	b = binary.NativeEndian.AppendUint32(b, uint32(n))
	b = binary.NativeEndian.AppendUint16(b, uint16(m.Header.Type))
	b = binary.NativeEndian.AppendUint16(b, uint16(m.Header.Flags))
	b = binary.NativeEndian.AppendUint32(b, m.Header.Sequence)
	b = binary.NativeEndian.AppendUint32(b, m.Header.PID)
	b = append(b, m.Data...)
	for pad := Align(n) - n; pad > 0; pad-- {
		b = append(b, 0)
	}
	return b
}

// MarshalBinary encodes m.
func (m Message) MarshalBinary() ([]byte, error) {
	return AppendMessage(make([]byte, 0, Align(m.Len())), m), nil
}

// ParseHeader decodes a netlink header from the start of b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, &ParseError{What: "netlink header", Offset: 0, Len: len(b), Want: HeaderLen}
	}
	return Header{
		Length:   binary.NativeEndian.Uint32(b[0:4]),
		Type:     MessageType(binary.NativeEndian.Uint16(b[4:6])),
		Flags:    HeaderFlags(binary.NativeEndian.Uint16(b[6:8])),
		Sequence: binary.NativeEndian.Uint32(b[8:12]),
		PID:      binary.NativeEndian.Uint32(b[12:16]),
	}, nil
}

// MessageScanner walks the netlink messages of one datagram in place,
// allocating nothing. Messages it returns alias the datagram.
type MessageScanner struct {
	b   []byte
	off int
	msg Message
	err error
}

// ScanMessages returns a scanner over the messages in b.
func ScanMessages(b []byte) MessageScanner { return MessageScanner{b: b} }

// Next moves to the next message and reports whether there is one. A
// malformed message stops the scan; Err then says why.
func (s *MessageScanner) Next() bool {
	if s.err != nil || s.off >= len(s.b) {
		return false
	}
	rest := s.b[s.off:]
	h, err := ParseHeader(rest)
	if err != nil {
		s.err = &ParseError{What: "netlink header", Offset: s.off, Len: len(rest), Want: HeaderLen}
		return false
	}
	if h.Length < HeaderLen || int(h.Length) > len(rest) {
		s.err = &ParseError{What: "netlink message length", Offset: s.off, Len: len(rest), Want: int(h.Length)}
		return false
	}
	s.msg = Message{Header: h, Data: rest[HeaderLen:h.Length:h.Length]}
	next := Align(int(h.Length))
	if next > len(rest) {
		next = len(rest)
	}
	s.off += next
	return true
}

// Message is the current message.
func (s *MessageScanner) Message() Message { return s.msg }

// Err is the reason the scan stopped early, or nil.
func (s *MessageScanner) Err() error { return s.err }

// ParseMessages decodes every message in b into copies that do not alias b.
func ParseMessages(b []byte) ([]Message, error) {
	var out []Message
	s := ScanMessages(b)
	for s.Next() {
		out = append(out, s.Message().Clone())
	}
	return out, s.Err()
}
