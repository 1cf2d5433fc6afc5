package conntrack

import (
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/netfilter"
)

// ctnetlink message numbers (enum cntl_msg_types, ctnl_exp_msg_types).
const (
	msgCTNew         = 0 // IPCTNL_MSG_CT_NEW
	msgCTGet         = 1 // IPCTNL_MSG_CT_GET
	msgCTDelete      = 2 // IPCTNL_MSG_CT_DELETE
	msgCTGetCtrZero  = 3 // IPCTNL_MSG_CT_GET_CTRZERO
	msgCTGetStatsCPU = 4 // IPCTNL_MSG_CT_GET_STATS_CPU
	msgCTGetStats    = 5 // IPCTNL_MSG_CT_GET_STATS

	msgExpNew         = 0 // IPCTNL_MSG_EXP_NEW
	msgExpGet         = 1 // IPCTNL_MSG_EXP_GET
	msgExpDelete      = 2 // IPCTNL_MSG_EXP_DELETE
	msgExpGetStatsCPU = 3 // IPCTNL_MSG_EXP_GET_STATS_CPU
)

// enum ctattr_type.
const (
	ctaTupleOrig     = 1
	ctaTupleReply    = 2
	ctaStatus        = 3
	ctaProtoInfo     = 4
	ctaHelp          = 5
	ctaNATSrc        = 6
	ctaTimeout       = 7
	ctaMark          = 8
	ctaCountersOrig  = 9
	ctaCountersReply = 10
	ctaUse           = 11
	ctaID            = 12
	ctaNATDst        = 13
	ctaTupleMaster   = 14
	ctaSeqAdjOrig    = 15
	ctaSeqAdjReply   = 16
	ctaSecmark       = 17
	ctaZone          = 18
	ctaSecCtx        = 19
	ctaTimestamp     = 20
	ctaMarkMask      = 21
	ctaLabels        = 22
	ctaLabelsMask    = 23
	ctaSynproxy      = 24
	ctaFilter        = 25
	ctaStatusMask    = 26
)

// enum ctattr_tuple, ctattr_ip, ctattr_l4proto.
const (
	ctaTupleIP    = 1
	ctaTupleProto = 2
	ctaTupleZone  = 3

	ctaIPv4Src = 1
	ctaIPv4Dst = 2
	ctaIPv6Src = 3
	ctaIPv6Dst = 4

	ctaProtoNum        = 1
	ctaProtoSrcPort    = 2
	ctaProtoDstPort    = 3
	ctaProtoICMPID     = 4
	ctaProtoICMPType   = 5
	ctaProtoICMPCode   = 6
	ctaProtoICMPv6ID   = 7
	ctaProtoICMPv6Type = 8
	ctaProtoICMPv6Code = 9
)

// enum ctattr_protoinfo and its per-protocol nests.
const (
	ctaProtoInfoTCP  = 1
	ctaProtoInfoDCCP = 2
	ctaProtoInfoSCTP = 3

	ctaTCPState       = 1
	ctaTCPWScaleOrig  = 2
	ctaTCPWScaleReply = 3
	ctaTCPFlagsOrig   = 4
	ctaTCPFlagsReply  = 5

	ctaDCCPState        = 1
	ctaDCCPRole         = 2
	ctaDCCPHandshakeSeq = 3

	ctaSCTPState     = 1
	ctaSCTPVTagOrig  = 2
	ctaSCTPVTagReply = 3
)

// Counters, timestamps, helper, security context, sequence adjustment,
// synproxy, statistics, filter.
const (
	ctaCountersPackets   = 1
	ctaCountersBytes     = 2
	ctaCounters32Packets = 3
	ctaCounters32Bytes   = 4

	ctaTimestampStart = 1
	ctaTimestampStop  = 2

	ctaHelpName = 1

	ctaSecCtxName = 1

	ctaSeqAdjCorrectionPos = 1
	ctaSeqAdjOffsetBefore  = 2
	ctaSeqAdjOffsetAfter   = 3

	ctaSynproxyISN   = 1
	ctaSynproxyITS   = 2
	ctaSynproxyTSOff = 3

	ctaStatsGlobalEntries    = 1
	ctaStatsGlobalMaxEntries = 2

	ctaFilterOrigFlags  = 1
	ctaFilterReplyFlags = 2
)

// enum ctattr_expect, ctattr_expect_nat.
const (
	ctaExpectMaster   = 1
	ctaExpectTuple    = 2
	ctaExpectMask     = 3
	ctaExpectTimeout  = 4
	ctaExpectID       = 5
	ctaExpectHelpName = 6
	ctaExpectZone     = 7
	ctaExpectFlags    = 8
	ctaExpectClass    = 9
	ctaExpectNAT      = 10
	ctaExpectFn       = 11

	ctaExpectNATDir   = 1
	ctaExpectNATTuple = 2
)

// The CTA_FILTER flags (CTA_FILTER_F_* in the kernel's
// nf_conntrack_netlink.c): which tuple fields a filtered dump compares.
const (
	ctFilterIPSrc      = 1 << 0
	ctFilterIPDst      = 1 << 1
	ctFilterTupleZone  = 1 << 2
	ctFilterProtoNum   = 1 << 3
	ctFilterSrcPort    = 1 << 4
	ctFilterDstPort    = 1 << 5
	ctFilterICMPType   = 1 << 6
	ctFilterICMPCode   = 1 << 7
	ctFilterICMPID     = 1 << 8
	ctFilterICMPv6Type = 1 << 9
	ctFilterICMPv6Code = 1 << 10
	ctFilterICMPv6ID   = 1 << 11
)

// Multicast groups (NFNLGRP_*) for Listen.
const (
	GroupNew        uint32 = 1 // NFNLGRP_CONNTRACK_NEW
	GroupUpdate     uint32 = 2 // NFNLGRP_CONNTRACK_UPDATE
	GroupDestroy    uint32 = 3 // NFNLGRP_CONNTRACK_DESTROY
	GroupExpNew     uint32 = 4 // NFNLGRP_CONNTRACK_EXP_NEW
	GroupExpUpdate  uint32 = 5 // NFNLGRP_CONNTRACK_EXP_UPDATE
	GroupExpDestroy uint32 = 6 // NFNLGRP_CONNTRACK_EXP_DESTROY
)

func ctType(msg uint8) uint16 {
	return uint16(netfilter.MessageType(netfilter.SubsysConntrack, msg))
}

func expType(msg uint8) uint16 {
	return uint16(netfilter.MessageType(netfilter.SubsysConntrackExp, msg))
}

// Status is the flow's status bits (enum ip_conntrack_status, IPS_*).
type Status uint32

// The status bits.
const (
	StatusExpected     Status = 1 << 0
	StatusSeenReply    Status = 1 << 1
	StatusAssured      Status = 1 << 2
	StatusConfirmed    Status = 1 << 3
	StatusSrcNAT       Status = 1 << 4
	StatusDstNAT       Status = 1 << 5
	StatusSeqAdjust    Status = 1 << 6
	StatusSrcNATDone   Status = 1 << 7
	StatusDstNATDone   Status = 1 << 8
	StatusDying        Status = 1 << 9
	StatusFixedTimeout Status = 1 << 10
	StatusTemplate     Status = 1 << 11
	StatusUntracked    Status = 1 << 12
	StatusHelper       Status = 1 << 13
	StatusOffload      Status = 1 << 14
	StatusHWOffload    Status = 1 << 15
)

var statusNames = [...]string{
	"EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT", "DST_NAT",
	"SEQ_ADJUST", "SRC_NAT_DONE", "DST_NAT_DONE", "DYING", "FIXED_TIMEOUT",
	"TEMPLATE", "UNTRACKED", "HELPER", "OFFLOAD", "HW_OFFLOAD",
}

// String names the bits as conntrack(8) does, joined by '|'
// ("SEEN_REPLY|ASSURED|CONFIRMED"); unknown bits print in hex.
func (s Status) String() string {
	if s == 0 {
		return "0"
	}
	var b strings.Builder
	for i, n := range statusNames {
		if s&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(n)
		}
	}
	if rest := s &^ (1<<len(statusNames) - 1); rest != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString("0x" + strconv.FormatUint(uint64(rest), 16))
	}
	return b.String()
}

// ParseStatus reads status names joined by ',' or '|' (case ignored,
// as String prints them or as conntrack(8) takes them) or a number.
func ParseStatus(s string) (Status, error) {
	if v, err := strconv.ParseUint(s, 0, 32); err == nil {
		return Status(v), nil
	}
	var st Status
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '|' }) {
		found := false
		for i, n := range statusNames {
			if strings.EqualFold(w, n) {
				st |= 1 << i
				found = true
			}
		}
		if !found {
			return 0, &statusError{w}
		}
	}
	return st, nil
}

type statusError struct{ word string }

func (e *statusError) Error() string { return "conntrack: unknown status " + strconv.Quote(e.word) }

// TCPState is the TCP tracker's state (enum tcp_conntrack).
type TCPState uint8

var tcpStateNames = [...]string{
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
	"LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
}

// String names the state as conntrack(8) does.
func (s TCPState) String() string {
	if int(s) < len(tcpStateNames) {
		return tcpStateNames[s]
	}
	return "TCP_STATE_" + strconv.Itoa(int(s))
}

// SCTPState is the SCTP tracker's state (enum sctp_conntrack).
type SCTPState uint8

var sctpStateNames = [...]string{
	"NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED",
	"SHUTDOWN_SENT", "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT",
	"HEARTBEAT_ACKED",
}

// String names the state as conntrack(8) does.
func (s SCTPState) String() string {
	if int(s) < len(sctpStateNames) {
		return sctpStateNames[s]
	}
	return "SCTP_STATE_" + strconv.Itoa(int(s))
}

// DCCPState is the DCCP tracker's state (enum ct_dccp_states).
type DCCPState uint8

var dccpStateNames = [...]string{
	"NONE", "REQUEST", "RESPOND", "PARTOPEN", "OPEN", "CLOSEREQ", "CLOSING",
	"TIMEWAIT", "IGNORE", "INVALID",
}

// String names the state as conntrack(8) does.
func (s DCCPState) String() string {
	if int(s) < len(dccpStateNames) {
		return dccpStateNames[s]
	}
	return "DCCP_STATE_" + strconv.Itoa(int(s))
}

// ProtoName names an IP protocol number the way conntrack(8) prints it.
func ProtoName(p uint8) string {
	switch p {
	case 1:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 33:
		return "dccp"
	case 47:
		return "gre"
	case 58:
		return "icmpv6"
	case 132:
		return "sctp"
	case 136:
		return "udplite"
	}
	return "unknown"
}

// ParseProto reads a protocol name (tcp, udp, icmp, ...) or number.
func ParseProto(s string) (uint8, error) {
	if v, err := strconv.ParseUint(s, 10, 8); err == nil {
		return uint8(v), nil
	}
	for _, p := range []uint8{1, 6, 17, 33, 47, 58, 132, 136} {
		if strings.EqualFold(s, ProtoName(p)) {
			return p, nil
		}
	}
	if strings.EqualFold(s, "ipv6-icmp") {
		return 58, nil
	}
	return 0, &protoError{s}
}

type protoError struct{ s string }

func (e *protoError) Error() string { return "conntrack: unknown protocol " + strconv.Quote(e.s) }
