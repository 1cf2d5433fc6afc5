package nflog

import "github.com/nlkit/nlkit/netfilter/internal/nfpkt"

// Message numbers of the log subsystem (enum nfulnl_msg_types).
const (
	msgPacket = 0 // NFULNL_MSG_PACKET
	msgConfig = 1 // NFULNL_MSG_CONFIG
)

// Packet and config attributes (enum nfulnl_attr_type, nfulnl_attr_config).
const (
	attrPacketHdr  = 1
	attrMark       = 2
	attrTimestamp  = 3
	attrInDev      = 4
	attrOutDev     = 5
	attrPhysInDev  = 6
	attrPhysOutDev = 7
	attrHWAddr     = 8
	attrPayload    = 9
	attrPrefix     = 10
	attrUID        = 11
	attrSeq        = 12
	attrSeqGlobal  = 13
	attrGID        = 14
	attrHWType     = 15
	attrHWHeader   = 16
	attrHWLen      = 17
	attrCT         = 18
	attrCTInfo     = 19
	attrVLAN       = 20
	attrL2Hdr      = 21
	attrVLANProto  = 1 // NFULA_VLAN_PROTO
	attrVLANTCI    = 2 // NFULA_VLAN_TCI
	cfgAttrCmd     = 1 // NFULA_CFG_CMD
	cfgAttrMode    = 2 // NFULA_CFG_MODE
	cfgAttrBufSiz  = 3 // NFULA_CFG_NLBUFSIZ
	cfgAttrTimeout = 4 // NFULA_CFG_TIMEOUT
	cfgAttrQThresh = 5 // NFULA_CFG_QTHRESH
	cfgAttrFlags   = 6 // NFULA_CFG_FLAGS
	cmdBind        = 1 // NFULNL_CFG_CMD_BIND
	cmdUnbind      = 2 // NFULNL_CFG_CMD_UNBIND
	cmdPFBind      = 3 // NFULNL_CFG_CMD_PF_BIND
	cmdPFUnbind    = 4 // NFULNL_CFG_CMD_PF_UNBIND
	packetHdrLen   = 4 // struct nfulnl_msg_packet_hdr
	maxBufSize     = 131072
	ctaMark        = 8 // CTA_MARK
)

// CopyMode says how much of each packet the kernel copies to the reader.
// The kernel treats NFULNL_COPY_NONE as CopyMeta, so there is no third
// mode; the zero value means CopyPacket.
type CopyMode uint8

// Copy modes (NFULNL_COPY_*).
const (
	CopyMeta   CopyMode = 1 // metadata only (NFULNL_COPY_META)
	CopyPacket CopyMode = 2 // metadata and payload up to the copy range (NFULNL_COPY_PACKET)
)

var copyModeNames = [...]string{CopyMeta: "meta", CopyPacket: "packet"}

// String names the copy mode.
func (m CopyMode) String() string { return nfpkt.EnumName(uint64(m), copyModeNames[:], "copy") }

// Flags are the group's NFULNL_CFG_F_* flags.
type Flags uint16

// Group flags.
const (
	// Seq numbers the group's packets (NFULA_SEQ).
	Seq Flags = 0x0001
	// SeqGlobal numbers packets across all groups (NFULA_SEQ_GLOBAL).
	SeqGlobal Flags = 0x0002
	// Conntrack adds the packet's conntrack entry (NFULA_CT, NFULA_CT_INFO).
	Conntrack Flags = 0x0004
)

var flagNames = [...]string{"seq", "seq-global", "conntrack"}

// String names the flags set, comma-separated ("none" for none).
func (f Flags) String() string { return nfpkt.FlagNames(uint64(f), flagNames[:]) }

// Hook is the netfilter hook the packet was logged at.
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
