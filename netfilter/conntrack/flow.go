package conntrack

import (
	"encoding/hex"
	"strconv"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter"
	"golang.org/x/sys/unix"
)

// Field names a part of a Flow: Flow.Fields says which the kernel sent,
// and Conn.Update which to change.
type Field uint32

// The fields of a Flow that may be present or absent.
const (
	FieldStatus Field = 1 << iota
	FieldTimeout
	FieldMark
	FieldZone
	FieldLabels
	FieldCounters
	FieldTimestamp
	FieldProtoInfo
	FieldHelper
	FieldSeqAdj
	FieldSecCtx
	FieldUse
	FieldID
	FieldMaster
	FieldSynproxy
	FieldReply
)

// Counters are a direction's packet and byte counts (CTA_COUNTERS_*;
// the kernel keeps them when net.netfilter.nf_conntrack_acct is 1).
type Counters struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// TCPInfo is the TCP tracker's state (CTA_PROTOINFO_TCP).
type TCPInfo struct {
	State       TCPState `json:"state"`
	WScaleOrig  uint8    `json:"wscale_orig"`
	WScaleReply uint8    `json:"wscale_reply"`
	// FlagsOrig and FlagsReply are IP_CT_TCP_FLAG_* bits; the masks say
	// which of them an update sets or clears.
	FlagsOrig  uint8 `json:"flags_orig"`
	MaskOrig   uint8 `json:"mask_orig,omitempty"`
	FlagsReply uint8 `json:"flags_reply"`
	MaskReply  uint8 `json:"mask_reply,omitempty"`
}

// SCTPInfo is the SCTP tracker's state (CTA_PROTOINFO_SCTP).
type SCTPInfo struct {
	State     SCTPState `json:"state"`
	VTagOrig  uint32    `json:"vtag_orig"`
	VTagReply uint32    `json:"vtag_reply"`
}

// DCCPInfo is the DCCP tracker's state (CTA_PROTOINFO_DCCP).
type DCCPInfo struct {
	State        DCCPState `json:"state"`
	Role         uint8     `json:"role"`
	HandshakeSeq uint64    `json:"handshake_seq"`
}

// SeqAdj is a direction's TCP sequence adjustment (CTA_SEQ_ADJ_*), kept
// by NAT helpers that change payload length.
type SeqAdj struct {
	CorrectionPos uint32 `json:"correction_pos"`
	OffsetBefore  uint32 `json:"offset_before"`
	OffsetAfter   uint32 `json:"offset_after"`
}

// Synproxy is the SYNPROXY state (CTA_SYNPROXY).
type Synproxy struct {
	ISN   uint32 `json:"isn"`
	ITS   uint32 `json:"its"`
	TSOff uint32 `json:"tsoff"`
}

// Labels are the 128 connection label bits (CTA_LABELS), bit i in byte
// i/8 as the kernel stores them (little-endian words on little-endian
// machines).
type Labels [16]byte

// IsZero reports whether no label is set.
func (l Labels) IsZero() bool { return l == Labels{} }

// String prints the labels in hex.
func (l Labels) String() string { return hex.EncodeToString(l[:]) }

// Flow is one conntrack entry (struct nf_conn as ctnetlink shows it).
// Fields says which optional parts the kernel sent.
type Flow struct {
	// Family is the layer 3 family, unix.AF_INET or unix.AF_INET6 (from
	// the nfgenmsg header; Marshal takes it from Orig when 0).
	Family uint8
	// Orig and Reply are the original and reply tuples. Marshal derives
	// Reply from Orig (Orig.Reverse) when Reply is zero.
	Orig, Reply Tuple
	// Master is the tuple of the flow this one was expected by, when it
	// is a related flow (FieldMaster).
	Master Tuple
	Status Status
	// Timeout is the time left, in whole seconds.
	Timeout time.Duration
	Mark    uint32
	Zone    uint16
	// Labels and LabelsMask: an update sets the labels in LabelsMask (all
	// of them when the mask is zero).
	Labels, LabelsMask Labels
	// CountersOrig and CountersReply count packets and bytes (when
	// accounting is on).
	CountersOrig, CountersReply Counters
	// Start and Stop are the flow's timestamps (when
	// nf_conntrack_timestamp is on; Stop only in destroy events).
	Start, Stop time.Time
	// TCP, SCTP and DCCP hold the protocol state, the one Orig.Proto
	// names (FieldProtoInfo).
	TCP  TCPInfo
	SCTP SCTPInfo
	DCCP DCCPInfo
	// Helper is the name of the helper attached (ftp, sip, ...).
	Helper string
	// SeqAdjOrig and SeqAdjReply are the NAT sequence adjustments.
	SeqAdjOrig, SeqAdjReply SeqAdj
	Synproxy                Synproxy
	// SecCtx is the security context (SELinux label).
	SecCtx string
	// Use is the reference count, ID the kernel's id of the entry.
	Use, ID uint32
	// Fields says which optional parts are present.
	Fields Field
}

// Unmarshal decodes a ctnetlink flow message's payload (nfgenmsg and
// attributes) into f, replacing what f held. Strings are reused when they
// repeat, so decoding into the same Flow again allocates nothing.
func (f *Flow) Unmarshal(data []byte) error {
	h, attrs, err := netfilter.ParseHeader(data)
	if err != nil {
		return err
	}
	helper, secctx := f.Helper, f.SecCtx
	*f = Flow{Family: h.Family}
	s := core.ScanAttrs(attrs)
	for s.Next() {
		switch s.Type() {
		case ctaTupleOrig:
			f.Orig.unmarshal(&s)
		case ctaTupleReply:
			f.Reply.unmarshal(&s)
			f.Fields |= FieldReply
		case ctaTupleMaster:
			f.Master.unmarshal(&s)
			f.Fields |= FieldMaster
		case ctaStatus:
			f.Status = Status(ctGet32(&s))
			f.Fields |= FieldStatus
		case ctaTimeout:
			f.Timeout = time.Duration(ctGet32(&s)) * time.Second
			f.Fields |= FieldTimeout
		case ctaMark:
			f.Mark = ctGet32(&s)
			f.Fields |= FieldMark
		case ctaZone:
			f.Zone = ctGet16(&s)
			f.Fields |= FieldZone
		case ctaLabels:
			copy(f.Labels[:], s.Bytes())
			f.Fields |= FieldLabels
		case ctaLabelsMask:
			copy(f.LabelsMask[:], s.Bytes())
		case ctaCountersOrig:
			f.CountersOrig.unmarshal(&s)
			f.Fields |= FieldCounters
		case ctaCountersReply:
			f.CountersReply.unmarshal(&s)
			f.Fields |= FieldCounters
		case ctaTimestamp:
			n0 := s.Nested()
			n := &n0
			for n.Next() {
				switch n.Type() {
				case ctaTimestampStart:
					f.Start = ctTime(ctGet64(n))
				case ctaTimestampStop:
					f.Stop = ctTime(ctGet64(n))
				}
			}
			s.Fail(n.Err())
			f.Fields |= FieldTimestamp
		case ctaProtoInfo:
			f.unmarshalProtoInfo(&s)
			f.Fields |= FieldProtoInfo
		case ctaHelp:
			f.Helper = helper
			n0 := s.Nested()
			n := &n0
			for n.Next() {
				if n.Type() == ctaHelpName {
					ctString(&f.Helper, n)
				}
			}
			s.Fail(n.Err())
			f.Fields |= FieldHelper
		case ctaSeqAdjOrig:
			f.SeqAdjOrig.unmarshal(&s)
			f.Fields |= FieldSeqAdj
		case ctaSeqAdjReply:
			f.SeqAdjReply.unmarshal(&s)
			f.Fields |= FieldSeqAdj
		case ctaSynproxy:
			n0 := s.Nested()
			n := &n0
			for n.Next() {
				switch n.Type() {
				case ctaSynproxyISN:
					f.Synproxy.ISN = ctGet32(n)
				case ctaSynproxyITS:
					f.Synproxy.ITS = ctGet32(n)
				case ctaSynproxyTSOff:
					f.Synproxy.TSOff = ctGet32(n)
				}
			}
			s.Fail(n.Err())
			f.Fields |= FieldSynproxy
		case ctaSecCtx:
			f.SecCtx = secctx
			n0 := s.Nested()
			n := &n0
			for n.Next() {
				if n.Type() == ctaSecCtxName {
					ctString(&f.SecCtx, n)
				}
			}
			s.Fail(n.Err())
			f.Fields |= FieldSecCtx
		case ctaUse:
			f.Use = ctGet32(&s)
			f.Fields |= FieldUse
		case ctaID:
			f.ID = ctGet32(&s)
			f.Fields |= FieldID
		}
	}
	if err := s.Err(); err != nil {
		return &core.OpError{Op: "conntrack: decode flow", Err: err}
	}
	return nil
}

func ctTime(ns uint64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(ns))
}

func (c *Counters) unmarshal(s *core.AttrScanner) {
	n0 := s.Nested()
	n := &n0
	for n.Next() {
		switch n.Type() {
		case ctaCountersPackets:
			c.Packets = ctGet64(n)
		case ctaCountersBytes:
			c.Bytes = ctGet64(n)
		case ctaCounters32Packets:
			c.Packets = uint64(ctGet32(n))
		case ctaCounters32Bytes:
			c.Bytes = uint64(ctGet32(n))
		}
	}
	s.Fail(n.Err())
}

func (a *SeqAdj) unmarshal(s *core.AttrScanner) {
	n0 := s.Nested()
	n := &n0
	for n.Next() {
		switch n.Type() {
		case ctaSeqAdjCorrectionPos:
			a.CorrectionPos = ctGet32(n)
		case ctaSeqAdjOffsetBefore:
			a.OffsetBefore = ctGet32(n)
		case ctaSeqAdjOffsetAfter:
			a.OffsetAfter = ctGet32(n)
		}
	}
	s.Fail(n.Err())
}

func (f *Flow) unmarshalProtoInfo(s *core.AttrScanner) {
	n0 := s.Nested()
	n := &n0
	for n.Next() {
		switch n.Type() {
		case ctaProtoInfoTCP:
			t0 := n.Nested()
			t := &t0
			for t.Next() {
				switch t.Type() {
				case ctaTCPState:
					f.TCP.State = TCPState(ctGet8(t))
				case ctaTCPWScaleOrig:
					f.TCP.WScaleOrig = ctGet8(t)
				case ctaTCPWScaleReply:
					f.TCP.WScaleReply = ctGet8(t)
				case ctaTCPFlagsOrig:
					f.TCP.FlagsOrig, f.TCP.MaskOrig = ctTCPFlags(t)
				case ctaTCPFlagsReply:
					f.TCP.FlagsReply, f.TCP.MaskReply = ctTCPFlags(t)
				}
			}
			n.Fail(t.Err())
		case ctaProtoInfoSCTP:
			t0 := n.Nested()
			t := &t0
			for t.Next() {
				switch t.Type() {
				case ctaSCTPState:
					f.SCTP.State = SCTPState(ctGet8(t))
				case ctaSCTPVTagOrig:
					f.SCTP.VTagOrig = ctGet32(t)
				case ctaSCTPVTagReply:
					f.SCTP.VTagReply = ctGet32(t)
				}
			}
			n.Fail(t.Err())
		case ctaProtoInfoDCCP:
			t0 := n.Nested()
			t := &t0
			for t.Next() {
				switch t.Type() {
				case ctaDCCPState:
					f.DCCP.State = DCCPState(ctGet8(t))
				case ctaDCCPRole:
					f.DCCP.Role = ctGet8(t)
				case ctaDCCPHandshakeSeq:
					f.DCCP.HandshakeSeq = ctGet64(t)
				}
			}
			n.Fail(t.Err())
		}
	}
	s.Fail(n.Err())
}

// ctTCPFlags reads struct nf_ct_tcp_flags {u8 flags; u8 mask}.
func ctTCPFlags(s *core.AttrScanner) (flags, mask uint8) {
	b := s.Bytes()
	if len(b) != 2 {
		s.Fail(&core.AttrError{Type: s.Type(), Kind: "nf_ct_tcp_flags", Len: len(b), Want: 2})
		return 0, 0
	}
	return b[0], b[1]
}

// family is f.Family, or the one its original tuple's addresses say.
func (f *Flow) family() uint8 {
	if f.Family != 0 {
		return f.Family
	}
	return f.Orig.Family()
}

// Marshal appends a create request's payload for f to b: the nfgenmsg,
// both tuples (Reply derived from Orig when zero), the timeout, and the
// status, mark, zone, labels, protocol info, helper, master and sequence
// adjustments that are set.
func (f *Flow) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw(b)
	if err := f.encode(&e, ^Field(0), true); err != nil {
		return b, err
	}
	return e.Bytes(), nil
}

// encode appends the nfgenmsg and the attributes of fields to e. For a
// create (create true) both tuples go; otherwise the original tuple
// identifies the flow.
func (f *Flow) encode(e *core.AttrEncoder, fields Field, create bool) error {
	if err := f.Orig.check("original"); err != nil {
		return err
	}
	fam := f.family()
	if fam != f.Orig.Family() {
		return &familyError{fam, f.Orig.Family()}
	}
	var hdr [netfilter.HeaderLen]byte
	e.Raw(netfilter.AppendHeader(hdr[:0], netfilter.Header{Family: fam}))
	if err := f.Orig.marshal(e, ctaTupleOrig); err != nil {
		return err
	}
	if create {
		reply := f.Reply
		if reply.IsZero() {
			reply = f.Orig.Reverse()
		} else if err := reply.check("reply"); err != nil {
			return err
		}
		if err := reply.marshal(e, ctaTupleReply); err != nil {
			return err
		}
	}
	if f.ID != 0 && !create {
		e.Uint32BE(ctaID, f.ID)
	}
	if fields&FieldTimeout != 0 && (f.Timeout > 0 || !create) {
		e.Uint32BE(ctaTimeout, uint32(f.Timeout/time.Second))
	}
	if fields&FieldStatus != 0 && (f.Status != 0 || !create) {
		// A flow in the table is CONFIRMED (the kernel sets it before it
		// applies a create's status) and that bit cannot change: send it.
		st := f.Status | StatusConfirmed
		if create {
			// A new flow is never expected or dying: a dumped flow's
			// status re-created as is would be refused (EBUSY).
			st &^= StatusExpected | StatusDying
		}
		e.Uint32BE(ctaStatus, uint32(st))
	}
	if fields&FieldMark != 0 && (f.Mark != 0 || !create) {
		e.Uint32BE(ctaMark, f.Mark)
	}
	if create && f.Zone != 0 {
		e.Uint16BE(ctaZone, f.Zone)
	}
	if fields&FieldLabels != 0 && (!f.Labels.IsZero() || !create) {
		e.Binary(ctaLabels, f.Labels[:])
		if !f.LabelsMask.IsZero() {
			e.Binary(ctaLabelsMask, f.LabelsMask[:])
		}
	}
	if fields&FieldProtoInfo != 0 && (create && f.Fields&FieldProtoInfo != 0 || f.TCP.State != 0 || f.SCTP.State != 0 || f.DCCP.State != 0) {
		f.encodeProtoInfo(e)
	}
	if create && f.Helper != "" {
		n := ctNest(e, ctaHelp)
		e.String(ctaHelpName, f.Helper)
		e.NestEnd(n)
	}
	if create && !f.Master.IsZero() {
		if err := f.Master.marshal(e, ctaTupleMaster); err != nil {
			return err
		}
	}
	if fields&FieldSeqAdj != 0 && f.Fields&FieldSeqAdj != 0 {
		f.SeqAdjOrig.marshal(e, ctaSeqAdjOrig)
		f.SeqAdjReply.marshal(e, ctaSeqAdjReply)
	}
	return nil
}

type familyError struct{ fam, tuple uint8 }

func (e *familyError) Error() string {
	return "conntrack: family " + familyName(e.fam) + " does not match the tuple's " + familyName(e.tuple)
}

func (a *SeqAdj) marshal(e *core.AttrEncoder, typ uint16) {
	n := ctNest(e, typ)
	e.Uint32BE(ctaSeqAdjCorrectionPos, a.CorrectionPos)
	e.Uint32BE(ctaSeqAdjOffsetBefore, a.OffsetBefore)
	e.Uint32BE(ctaSeqAdjOffsetAfter, a.OffsetAfter)
	e.NestEnd(n)
}

func (f *Flow) encodeProtoInfo(e *core.AttrEncoder) {
	switch f.Orig.Proto {
	case ProtoTCP:
		n := ctNest(e, ctaProtoInfo)
		t := ctNest(e, ctaProtoInfoTCP)
		e.Uint8(ctaTCPState, uint8(f.TCP.State))
		if f.TCP.MaskOrig != 0 {
			e.Binary(ctaTCPFlagsOrig, []byte{f.TCP.FlagsOrig, f.TCP.MaskOrig})
		}
		if f.TCP.MaskReply != 0 {
			e.Binary(ctaTCPFlagsReply, []byte{f.TCP.FlagsReply, f.TCP.MaskReply})
		}
		if f.TCP.WScaleOrig != 0 || f.TCP.WScaleReply != 0 {
			e.Uint8(ctaTCPWScaleOrig, f.TCP.WScaleOrig)
			e.Uint8(ctaTCPWScaleReply, f.TCP.WScaleReply)
		}
		e.NestEnd(t)
		e.NestEnd(n)
	case ProtoSCTP:
		n := ctNest(e, ctaProtoInfo)
		t := ctNest(e, ctaProtoInfoSCTP)
		e.Uint8(ctaSCTPState, uint8(f.SCTP.State))
		e.Uint32BE(ctaSCTPVTagOrig, f.SCTP.VTagOrig)
		e.Uint32BE(ctaSCTPVTagReply, f.SCTP.VTagReply)
		e.NestEnd(t)
		e.NestEnd(n)
	case ProtoDCCP:
		n := ctNest(e, ctaProtoInfo)
		t := ctNest(e, ctaProtoInfoDCCP)
		e.Uint8(ctaDCCPState, uint8(f.DCCP.State))
		e.Uint8(ctaDCCPRole, f.DCCP.Role)
		e.Uint64BE(ctaDCCPHandshakeSeq, f.DCCP.HandshakeSeq)
		e.NestEnd(t)
		e.NestEnd(n)
	}
}

func familyName(f uint8) string {
	switch f {
	case unix.AF_INET:
		return "ipv4"
	case unix.AF_INET6:
		return "ipv6"
	case unix.AF_UNSPEC:
		return "unspec"
	}
	return "family" + strconv.Itoa(int(f))
}
