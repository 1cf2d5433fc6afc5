package nflog

import (
	"fmt"
	"strings"
)

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
	attrTypeMask   = 0x3fff
	packetHdrLen   = 4  // struct nfulnl_msg_packet_hdr
	hwAddrHdrLen   = 12 // struct nfulnl_msg_packet_hw
	timestampLen   = 16 // struct nfulnl_msg_packet_timestamp
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

func (m CopyMode) String() string {
	switch m {
	case CopyMeta:
		return "meta"
	case CopyPacket:
		return "packet"
	}
	return fmt.Sprintf("copy(%d)", uint8(m))
}

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

func (f Flags) String() string {
	if f == 0 {
		return "none"
	}
	var parts []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := f &^ (1<<len(flagNames) - 1); rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint16(rest)))
	}
	return strings.Join(parts, ",")
}

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

var hookNames = [...]string{"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING", "INGRESS"}

func (h Hook) String() string {
	if int(h) < len(hookNames) {
		return hookNames[h]
	}
	return fmt.Sprintf("hook(%d)", uint8(h))
}
