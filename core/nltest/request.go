package nltest

import (
	"encoding/binary"
	"fmt"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Extended-ACK attribute types not named in golang.org/x/sys/unix
// (include/uapi/linux/netlink.h).
const (
	attrMissType = 5 // NLMSGERR_ATTR_MISS_TYPE
	attrMissNest = 6 // NLMSGERR_ATTR_MISS_NEST
)

// Request is one message a socket sent to the kernel, as recorded. Its
// fields must not be changed: handlers and Kernel.Requests share it.
type Request struct {
	// Message is the message as sent: Header as encoded (Length
	// included) and Data a copy of its payload.
	core.Message
	// Port is the port of the socket that sent it.
	Port uint32
	// Index is its position among every request the kernel recorded.
	Index int
	// Datagram numbers the datagram it arrived in (0 for the first the
	// kernel received): messages sent in one batch share it.
	Datagram int

	raw            []byte // header and payload, Header.Length bytes
	t              TB
	capAck, extAck bool
}

// ExtAck is the extended-ACK information the kernel adds to an error (and,
// for Message and Cookie, to an ACK as a warning). Zero fields are left
// out, as the kernel leaves them out. Nothing is added when the socket was
// made with Config.NoExtAck.
type ExtAck struct {
	// Message is NLMSGERR_ATTR_MSG, the text the kernel explains with.
	Message string
	// Offset is NLMSGERR_ATTR_OFFS, where the offending attribute starts
	// in the request, counted from the start of its netlink header (see
	// Request.AttrOffset). Errors only.
	Offset uint32
	// Cookie is NLMSGERR_ATTR_COOKIE.
	Cookie []byte
	// MissingType is NLMSGERR_ATTR_MISS_TYPE, the type of a required
	// attribute that is missing. Errors only.
	MissingType uint32
	// MissingNest is NLMSGERR_ATTR_MISS_NEST, the offset of the nest the
	// attribute is missing from. Errors only.
	MissingNest uint32
}

// Bytes returns the whole encoded request (header, payload), a copy.
func (r *Request) Bytes() []byte { return append([]byte(nil), r.raw...) }

// String prints the request's index and header.
func (r *Request) String() string {
	return fmt.Sprintf("request %d (%s)", r.Index, r.Header)
}

// Msg builds a reply message to r: its sequence number and port are r's, as
// the kernel sets them.
func (r *Request) Msg(typ core.MessageType, flags core.HeaderFlags, data []byte) core.Message {
	return core.Message{
		Header: core.Header{Type: typ, Flags: flags, Sequence: r.Header.Sequence, PID: r.Port},
		Data:   data,
	}
}

// AckMsg builds the ACK the kernel sends for r (netlink_ack with error 0):
// NLMSG_ERROR, NLM_F_CAPPED, struct nlmsgerr with error 0 and r's header.
// An ExtAck adds its Message and Cookie as a warning (NLM_F_ACK_TLVS).
func (r *Request) AckMsg(ext ...ExtAck) core.Message {
	return r.nlmsgerr(0, ext)
}

// ErrorMsg builds the error the kernel sends for r (netlink_ack): NLMSG_ERROR
// with struct nlmsgerr (-errno and r's header), then r's payload unless
// the socket set Config.CapAck (NLM_F_CAPPED), then the extended-ACK
// attributes of ext, if any and unless the socket set Config.NoExtAck
// (NLM_F_ACK_TLVS). At most one ExtAck is used.
func (r *Request) ErrorMsg(errno unix.Errno, ext ...ExtAck) core.Message {
	return r.nlmsgerr(errno, ext)
}

func (r *Request) nlmsgerr(errno unix.Errno, ext []ExtAck) core.Message {
	var flags core.HeaderFlags
	b := binary.NativeEndian.AppendUint32(nil, uint32(-int32(errno)))
	if errno != 0 && !r.capAck {
		b = append(b, r.raw...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	} else {
		flags |= core.FlagCapped
		b = append(b, r.raw[:core.HeaderLen]...)
	}
	if r.extAck && len(ext) > 0 {
		x := ext[0]
		var e core.AttrEncoder
		if x.Message != "" {
			e.String(unix.NLMSGERR_ATTR_MSG, x.Message)
		}
		if len(x.Cookie) > 0 {
			e.Binary(unix.NLMSGERR_ATTR_COOKIE, x.Cookie)
		}
		if errno != 0 {
			if x.Offset != 0 {
				e.Uint32(unix.NLMSGERR_ATTR_OFFS, x.Offset)
			}
			if x.MissingType != 0 {
				e.Uint32(attrMissType, x.MissingType)
			}
			if x.MissingNest != 0 {
				e.Uint32(attrMissNest, x.MissingNest)
			}
		}
		if e.Len() > 0 {
			flags |= core.FlagAckTLVs
			b = append(b, e.Bytes()...)
		}
	}
	return r.Msg(core.TypeError, flags, b)
}

// DoneMsg builds the NLMSG_DONE that ends a dump: NLM_F_MULTI, payload the
// int 0.
func (r *Request) DoneMsg() core.Message {
	return r.done(0, nil)
}

// DoneErrorMsg builds an NLMSG_DONE carrying an error, as a strict dump
// ends when its filter is refused (netlink_dump_done): NLM_F_MULTI, the int
// -errno, and only the extended-ACK Message as NLMSGERR_ATTR_MSG
// (NLM_F_ACK_TLVS) unless the socket set Config.NoExtAck.
func (r *Request) DoneErrorMsg(errno unix.Errno, ext ...ExtAck) core.Message {
	return r.done(errno, ext)
}

func (r *Request) done(errno unix.Errno, ext []ExtAck) core.Message {
	flags := core.FlagMulti
	b := binary.NativeEndian.AppendUint32(nil, uint32(-int32(errno)))
	if r.extAck && len(ext) > 0 && ext[0].Message != "" {
		var e core.AttrEncoder
		e.String(unix.NLMSGERR_ATTR_MSG, ext[0].Message)
		b = append(b, e.Bytes()...)
		flags |= core.FlagAckTLVs
	}
	return r.Msg(core.TypeDone, flags, b)
}

// MultiMsgs builds a multipart answer: one message of type typ per payload,
// each with NLM_F_MULTI, then NLMSG_DONE.
func (r *Request) MultiMsgs(typ core.MessageType, payloads ...[]byte) []core.Message {
	out := make([]core.Message, 0, len(payloads)+1)
	for _, p := range payloads {
		out = append(out, r.Msg(typ, core.FlagMulti, p))
	}
	return append(out, r.DoneMsg())
}

// Ack answers r with an ACK (see AckMsg).
func (r *Request) Ack(ext ...ExtAck) []Reply {
	return Packed(r.AckMsg(ext...))
}

// Error answers r with an error (see ErrorMsg).
func (r *Request) Error(errno unix.Errno, ext ...ExtAck) []Reply {
	return Packed(r.ErrorMsg(errno, ext...))
}

// Reply answers r with one message of type typ and, when r asked for one
// (NLM_F_ACK), the ACK in a second datagram, as the kernel answers a get.
func (r *Request) Reply(typ core.MessageType, data []byte) []Reply {
	m := r.Msg(typ, 0, data)
	if r.Header.Flags&core.FlagAck != 0 {
		return Split(m, r.AckMsg())
	}
	return Packed(m)
}

// Dump answers r with a multipart reply in one datagram: one message of
// type typ per payload, each with NLM_F_MULTI, then NLMSG_DONE. Use
// MultiMsgs with Split or Chunks to spread it over several datagrams.
func (r *Request) Dump(typ core.MessageType, payloads ...[]byte) []Reply {
	return Packed(r.MultiMsgs(typ, payloads...)...)
}

// Attrs returns the request's attributes, after a family header of hdrLen
// bytes (aligned to 4, as nlmsg_attrdata does), copied. A malformed stream
// fails the test.
func (r *Request) Attrs(hdrLen int) []core.Attr {
	r.t.Helper()
	start := core.HeaderLen + core.Align(hdrLen)
	if start > len(r.raw) {
		r.t.Errorf("nltest: %v: payload of %d bytes is shorter than a %d-byte family header", r, len(r.Data), hdrLen)
		return nil
	}
	as, err := core.ParseAttrs(r.raw[start:])
	if err != nil {
		r.t.Errorf("nltest: %v: attributes: %v", r, err)
	}
	return as
}

// Attr finds an attribute of the request by its path, one type per level of
// nesting (e.g. IFLA_LINKINFO, IFLA_INFO_KIND), after a family header of
// hdrLen bytes. Its Data aliases the recorded request.
func (r *Request) Attr(hdrLen int, path ...uint16) (core.Attr, bool) {
	a, _, ok := r.find(hdrLen, path)
	return a, ok
}

// AttrOffset is where the attribute at path starts in the request (its
// nlattr header), counted from the start of the netlink header: the value
// the kernel puts in NLMSGERR_ATTR_OFFS (ExtAck.Offset). A path that is not
// there fails the test and returns 0.
func (r *Request) AttrOffset(hdrLen int, path ...uint16) uint32 {
	r.t.Helper()
	_, off, ok := r.find(hdrLen, path)
	if !ok {
		r.t.Errorf("nltest: %v has no attribute at path %v", r, path)
		return 0
	}
	return uint32(off)
}

func (r *Request) find(hdrLen int, path []uint16) (core.Attr, int, bool) {
	base := core.HeaderLen + core.Align(hdrLen)
	if len(path) == 0 || base > len(r.raw) {
		return core.Attr{}, 0, false
	}
	b := r.raw[base:]
	for i, typ := range path {
		s := core.ScanAttrs(b)
		start := 0
		found := false
		for s.Next() {
			if s.Type() == typ {
				found = true
				break
			}
			start = s.Offset()
		}
		if !found {
			return core.Attr{}, 0, false
		}
		a := s.Attr()
		if i == len(path)-1 {
			return a, base + start, true
		}
		base += start + core.AttrHeaderLen
		b = a.Data
	}
	return core.Attr{}, 0, false
}
