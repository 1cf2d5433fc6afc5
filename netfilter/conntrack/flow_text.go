package conntrack

import (
	"encoding/json"
	"strconv"
	"time"
)

// String prints f on one line as `conntrack -L` does:
//
//	udp      17 29 src=192.0.2.1 dst=192.0.2.2 sport=40000 dport=53 [UNREPLIED] src=192.0.2.2 dst=192.0.2.1 sport=53 dport=40000 mark=0 use=1
func (f *Flow) String() string { return string(f.AppendText(nil)) }

// AppendText appends String's text to b without allocating beyond b's
// growth: the CLI prints large tables with it.
func (f *Flow) AppendText(b []byte) []byte {
	start := len(b)
	b = append(b, ProtoName(f.Orig.Proto)...)
	for len(b)-start < 8 {
		b = append(b, ' ')
	}
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(f.Orig.Proto), 10)
	b = append(b, ' ')
	if f.Fields&FieldTimeout != 0 {
		b = strconv.AppendInt(b, int64(f.Timeout/time.Second), 10)
		b = append(b, ' ')
	}
	if f.Fields&FieldProtoInfo != 0 {
		switch f.Orig.Proto {
		case ProtoTCP:
			b = append(b, f.TCP.State.String()...)
			b = append(b, ' ')
		case ProtoSCTP:
			b = append(b, f.SCTP.State.String()...)
			b = append(b, ' ')
		case ProtoDCCP:
			b = append(b, f.DCCP.State.String()...)
			b = append(b, ' ')
		}
	}
	b = f.Orig.appendText(b)
	b = append(b, ' ')
	if f.Orig.HasZone {
		b = append(b, "zone-orig="...)
		b = strconv.AppendUint(b, uint64(f.Orig.Zone), 10)
		b = append(b, ' ')
	}
	if f.Fields&FieldCounters != 0 {
		b = f.CountersOrig.appendText(b)
	}
	if f.Fields&FieldStatus != 0 && f.Status&StatusSeenReply == 0 {
		b = append(b, "[UNREPLIED] "...)
	}
	if f.Fields&FieldReply != 0 {
		b = f.Reply.appendText(b)
		b = append(b, ' ')
		if f.Reply.HasZone {
			b = append(b, "zone-reply="...)
			b = strconv.AppendUint(b, uint64(f.Reply.Zone), 10)
			b = append(b, ' ')
		}
		if f.Fields&FieldCounters != 0 {
			b = f.CountersReply.appendText(b)
		}
	}
	if f.Status&StatusAssured != 0 {
		b = append(b, "[ASSURED] "...)
	}
	if f.Status&StatusOffload != 0 {
		b = append(b, "[OFFLOAD] "...)
	}
	if f.Status&StatusHWOffload != 0 {
		b = append(b, "[HW_OFFLOAD] "...)
	}
	if f.Fields&FieldMark != 0 {
		b = append(b, "mark="...)
		b = strconv.AppendUint(b, uint64(f.Mark), 10)
		b = append(b, ' ')
	}
	if f.Fields&FieldSecCtx != 0 {
		b = append(b, "secctx="...)
		b = append(b, f.SecCtx...)
		b = append(b, ' ')
	}
	if f.Fields&FieldZone != 0 {
		b = append(b, "zone="...)
		b = strconv.AppendUint(b, uint64(f.Zone), 10)
		b = append(b, ' ')
	}
	if f.Fields&FieldLabels != 0 && !f.Labels.IsZero() {
		b = append(b, "labels=0x"...)
		b = append(b, f.Labels.String()...)
		b = append(b, ' ')
	}
	if f.Fields&FieldHelper != 0 && f.Helper != "" {
		b = append(b, "helper="...)
		b = append(b, f.Helper...)
		b = append(b, ' ')
	}
	if f.Fields&FieldUse != 0 {
		b = append(b, "use="...)
		b = strconv.AppendUint(b, uint64(f.Use), 10)
		b = append(b, ' ')
	}
	return b[:len(b)-1]
}

func (c Counters) appendText(b []byte) []byte {
	b = append(b, "packets="...)
	b = strconv.AppendUint(b, c.Packets, 10)
	b = append(b, " bytes="...)
	b = strconv.AppendUint(b, c.Bytes, 10)
	return append(b, ' ')
}

// Equal reports whether f and o hold the same flow state, field for field.
func (f *Flow) Equal(o *Flow) bool { return len(f.Diff(o)) == 0 }

// Diff names the fields that differ between f and o (JSON names).
func (f *Flow) Diff(o *Flow) []string {
	var d []string
	add := func(differ bool, name string) {
		if differ {
			d = append(d, name)
		}
	}
	add(f.Family != o.Family, "family")
	add(f.Orig != o.Orig, "orig")
	add(f.Reply != o.Reply, "reply")
	add(f.Master != o.Master, "master")
	add(f.Status != o.Status, "status")
	add(f.Timeout != o.Timeout, "timeout")
	add(f.Mark != o.Mark, "mark")
	add(f.Zone != o.Zone, "zone")
	add(f.Labels != o.Labels, "labels")
	add(f.LabelsMask != o.LabelsMask, "labels_mask")
	add(f.CountersOrig != o.CountersOrig, "counters_orig")
	add(f.CountersReply != o.CountersReply, "counters_reply")
	add(!f.Start.Equal(o.Start), "start")
	add(!f.Stop.Equal(o.Stop), "stop")
	add(f.TCP != o.TCP, "tcp")
	add(f.SCTP != o.SCTP, "sctp")
	add(f.DCCP != o.DCCP, "dccp")
	add(f.Helper != o.Helper, "helper")
	add(f.SeqAdjOrig != o.SeqAdjOrig, "seqadj_orig")
	add(f.SeqAdjReply != o.SeqAdjReply, "seqadj_reply")
	add(f.Synproxy != o.Synproxy, "synproxy")
	add(f.SecCtx != o.SecCtx, "secctx")
	add(f.Use != o.Use, "use")
	add(f.ID != o.ID, "id")
	add(f.Fields != o.Fields, "fields")
	return d
}

// flowJSON is the JSON form of a Flow.
type flowJSON struct {
	Family        string    `json:"family"`
	Proto         string    `json:"proto"`
	Orig          Tuple     `json:"orig"`
	Reply         *Tuple    `json:"reply,omitempty"`
	Master        *Tuple    `json:"master,omitempty"`
	Status        []string  `json:"status,omitempty"`
	Timeout       *uint32   `json:"timeout,omitempty"`
	Mark          *uint32   `json:"mark,omitempty"`
	Zone          *uint16   `json:"zone,omitempty"`
	Labels        string    `json:"labels,omitempty"`
	CountersOrig  *Counters `json:"counters_orig,omitempty"`
	CountersReply *Counters `json:"counters_reply,omitempty"`
	Start         string    `json:"start,omitempty"`
	Stop          string    `json:"stop,omitempty"`
	TCP           *TCPInfo  `json:"tcp,omitempty"`
	SCTP          *SCTPInfo `json:"sctp,omitempty"`
	DCCP          *DCCPInfo `json:"dccp,omitempty"`
	Helper        string    `json:"helper,omitempty"`
	SeqAdjOrig    *SeqAdj   `json:"seqadj_orig,omitempty"`
	SeqAdjReply   *SeqAdj   `json:"seqadj_reply,omitempty"`
	Synproxy      *Synproxy `json:"synproxy,omitempty"`
	SecCtx        string    `json:"secctx,omitempty"`
	Use           *uint32   `json:"use,omitempty"`
	ID            *uint32   `json:"id,omitempty"`
}

// statusList names the set status bits.
func (s Status) list() []string {
	var out []string
	for i, n := range statusNames {
		if s&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// MarshalJSON prints the flow with conntrack(8)'s names: family, proto,
// orig and reply tuples (src, dst, sport, dport), status names, timeout
// in seconds, mark, zone, counters, timestamps (RFC 3339), protocol
// state, helper, use and id. Parts the kernel did not send are left out.
func (f *Flow) MarshalJSON() ([]byte, error) {
	j := flowJSON{Family: familyName(f.family()), Proto: ProtoName(f.Orig.Proto), Orig: f.Orig, Helper: f.Helper, SecCtx: f.SecCtx}
	if f.Fields&FieldReply != 0 || !f.Reply.IsZero() {
		j.Reply = &f.Reply
	}
	if f.Fields&FieldMaster != 0 {
		j.Master = &f.Master
	}
	if f.Fields&FieldStatus != 0 || f.Status != 0 {
		j.Status = f.Status.list()
	}
	if f.Fields&FieldTimeout != 0 || f.Timeout != 0 {
		t := uint32(f.Timeout / time.Second)
		j.Timeout = &t
	}
	if f.Fields&FieldMark != 0 || f.Mark != 0 {
		j.Mark = &f.Mark
	}
	if f.Fields&FieldZone != 0 || f.Zone != 0 {
		j.Zone = &f.Zone
	}
	if !f.Labels.IsZero() {
		j.Labels = f.Labels.String()
	}
	if f.Fields&FieldCounters != 0 {
		j.CountersOrig, j.CountersReply = &f.CountersOrig, &f.CountersReply
	}
	if !f.Start.IsZero() {
		j.Start = f.Start.UTC().Format(time.RFC3339Nano)
	}
	if !f.Stop.IsZero() {
		j.Stop = f.Stop.UTC().Format(time.RFC3339Nano)
	}
	if f.Fields&FieldProtoInfo != 0 {
		switch f.Orig.Proto {
		case ProtoTCP:
			j.TCP = &f.TCP
		case ProtoSCTP:
			j.SCTP = &f.SCTP
		case ProtoDCCP:
			j.DCCP = &f.DCCP
		}
	}
	if f.Fields&FieldSeqAdj != 0 {
		j.SeqAdjOrig, j.SeqAdjReply = &f.SeqAdjOrig, &f.SeqAdjReply
	}
	if f.Fields&FieldSynproxy != 0 {
		j.Synproxy = &f.Synproxy
	}
	if f.Fields&FieldUse != 0 {
		j.Use = &f.Use
	}
	if f.Fields&FieldID != 0 {
		j.ID = &f.ID
	}
	return json.Marshal(j)
}

// MarshalText lets the states print by name in JSON.
func (s TCPState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalText lets the states print by name in JSON.
func (s SCTPState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalText lets the states print by name in JSON.
func (s DCCPState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
