package nfqueue

import "github.com/nlkit/nlkit/netfilter/internal/nfpkt"

// Message numbers of the queue subsystem (enum nfqnl_msg_types).
const (
	msgPacket       = 0 // NFQNL_MSG_PACKET
	msgVerdict      = 1 // NFQNL_MSG_VERDICT
	msgConfig       = 2 // NFQNL_MSG_CONFIG
	msgVerdictBatch = 3 // NFQNL_MSG_VERDICT_BATCH
)

// Packet attributes (enum nfqnl_attr_type).
const (
	attrPacketHdr   = 1
	attrVerdictHdr  = 2
	attrMark        = 3
	attrTimestamp   = 4
	attrInDev       = 5
	attrOutDev      = 6
	attrPhysInDev   = 7
	attrPhysOutDev  = 8
	attrHWAddr      = 9
	attrPayload     = 10
	attrCT          = 11
	attrCTInfo      = 12
	attrCapLen      = 13
	attrSKBInfo     = 14
	attrExp         = 15
	attrUID         = 16
	attrGID         = 17
	attrSecCtx      = 18
	attrVLAN        = 19
	attrL2Hdr       = 20
	attrPriority    = 21
	attrVLANProto   = 1  // NFQA_VLAN_PROTO
	attrVLANTCI     = 2  // NFQA_VLAN_TCI
	cfgAttrCmd      = 1  // NFQA_CFG_CMD
	cfgAttrParams   = 2  // NFQA_CFG_PARAMS
	cfgAttrMaxLen   = 3  // NFQA_CFG_QUEUE_MAXLEN
	cfgAttrMask     = 4  // NFQA_CFG_MASK
	cfgAttrFlags    = 5  // NFQA_CFG_FLAGS
	cmdBind         = 1  // NFQNL_CFG_CMD_BIND
	cmdUnbind       = 2  // NFQNL_CFG_CMD_UNBIND
	cmdPFBind       = 3  // NFQNL_CFG_CMD_PF_BIND
	cmdPFUnbind     = 4  // NFQNL_CFG_CMD_PF_UNBIND
	ctaMark         = 8  // CTA_MARK
	ctaLabels       = 22 // CTA_LABELS
	ctaLabelsMask   = 23 // CTA_LABELS_MASK
	attrNested      = 0x8000
	packetHdrLen    = 7     // struct nfqnl_msg_packet_hdr (packed)
	maxQueueBacklog = 65536 // this kernel refuses a longer queue
)

// CopyMode says how much of each packet the kernel copies to the reader
// (enum nfqnl_config_mode).
type CopyMode uint8

// Copy modes.
const (
	CopyNone   CopyMode = 0 // NFQNL_COPY_NONE: nothing is queued to the reader
	CopyMeta   CopyMode = 1 // NFQNL_COPY_META: metadata only
	CopyPacket CopyMode = 2 // NFQNL_COPY_PACKET: metadata and payload, up to the copy range
)

var copyModeNames = [...]string{CopyNone: "none", CopyMeta: "meta", CopyPacket: "packet"}

// String names the copy mode.
func (m CopyMode) String() string { return nfpkt.EnumName(uint64(m), copyModeNames[:], "copy") }

// Flags are the queue's NFQA_CFG_F_* flags.
type Flags uint32

// Queue flags.
const (
	// FailOpen accepts packets instead of dropping them when the queue
	// is full (NFQA_CFG_F_FAIL_OPEN).
	FailOpen Flags = 1 << 0
	// Conntrack adds the packet's conntrack entry (NFQA_CT, NFQA_CT_INFO).
	Conntrack Flags = 1 << 1
	// GSO lets the kernel queue GSO packets whole, unsegmented; Packet
	// carries NFQA_SKB_GSO and the checksum state in SKBInfo.
	GSO Flags = 1 << 2
	// UIDGID adds the owning socket's UID and GID.
	UIDGID Flags = 1 << 3
	// SecCtx adds the security context.
	SecCtx Flags = 1 << 4
)

var flagNames = [...]string{"fail-open", "conntrack", "gso", "uid-gid", "secctx"}

// String names the flags set, comma-separated ("none" for none).
func (f Flags) String() string { return nfpkt.FlagNames(uint64(f), flagNames[:]) }

// SKB info bits (NFQA_SKB_*), in Packet.SKBInfo.
const (
	SKBCsumNotReady    = 1 << 0 // the checksum is not computed yet (NFQA_SKB_CSUMNOTREADY)
	SKBGSO             = 1 << 1 // a GSO packet (NFQA_SKB_GSO)
	SKBCsumNotVerified = 1 << 2 // the checksum was not verified (NFQA_SKB_CSUM_NOTVERIFIED)
)

// Hook is the netfilter hook the packet was queued from.
type Hook uint8

// The netfilter hooks (NF_INET_*).
const (
	HookPrerouting  Hook = 0
	HookInput       Hook = 1
	HookForward     Hook = 2
	HookOutput      Hook = 3
	HookPostrouting Hook = 4
	HookIngress     Hook = 5
)

// String names the hook as iptables does (INPUT...).
func (h Hook) String() string { return nfpkt.HookName(uint8(h)) }
