package netdev

import (
	"encoding/json"
	"math/bits"
	"strconv"
	"strings"
)

// flagNames names bits 0, 1, 2... of a flag set.
func flagList(v uint64, names []string) []string {
	out := []string{}
	for v != 0 {
		i := bits.TrailingZeros64(v)
		v &^= 1 << i
		if i < len(names) {
			out = append(out, names[i])
		} else {
			out = append(out, "0x"+strconv.FormatUint(1<<i, 16))
		}
	}
	return out
}

// XDPFeatures are the XDP features of a device (enum netdev_xdp_act).
type XDPFeatures uint64

// XDP features.
const (
	// XDPBasic: XDP_ABORTED, XDP_DROP, XDP_PASS and XDP_TX.
	XDPBasic XDPFeatures = 1 << iota
	// XDPRedirect: XDP_REDIRECT.
	XDPRedirect
	// XDPNDOXmit: the device takes redirected frames (ndo_xdp_xmit).
	XDPNDOXmit
	// XDPXSKZeroCopy: AF_XDP in zero-copy mode.
	XDPXSKZeroCopy
	// XDPHWOffload: XDP offloaded to the hardware.
	XDPHWOffload
	// XDPRXSG: non-linear (multi-buffer) XDP in the driver's NAPI poll.
	XDPRXSG
	// XDPNDOXmitSG: non-linear frames in ndo_xdp_xmit.
	XDPNDOXmitSG
)

var xdpFeatureNames = []string{"basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload", "rx-sg", "ndo-xmit-sg"}

// List names the features set, as the kernel's spec does ("basic").
func (f XDPFeatures) List() []string { return flagList(uint64(f), xdpFeatureNames) }

// String joins List with spaces.
func (f XDPFeatures) String() string { return strings.Join(f.List(), " ") }

// MarshalJSON prints the names as a list.
func (f XDPFeatures) MarshalJSON() ([]byte, error) { return json.Marshal(f.List()) }

// XDPRXMetadata are the receive metadata an XDP program can read on a
// device (enum netdev_xdp_rx_metadata).
type XDPRXMetadata uint64

// XDP receive metadata.
const (
	// XDPRXTimestamp: bpf_xdp_metadata_rx_timestamp().
	XDPRXTimestamp XDPRXMetadata = 1 << iota
	// XDPRXHash: bpf_xdp_metadata_rx_hash().
	XDPRXHash
	// XDPRXVLANTag: bpf_xdp_metadata_rx_vlan_tag().
	XDPRXVLANTag
)

var xdpRXMetadataNames = []string{"timestamp", "hash", "vlan-tag"}

// List names the metadata set.
func (f XDPRXMetadata) List() []string { return flagList(uint64(f), xdpRXMetadataNames) }

// String joins List with spaces.
func (f XDPRXMetadata) String() string { return strings.Join(f.List(), " ") }

// MarshalJSON prints the names as a list.
func (f XDPRXMetadata) MarshalJSON() ([]byte, error) { return json.Marshal(f.List()) }

// XSKFeatures are the AF_XDP features of a device (enum netdev_xsk_flags).
type XSKFeatures uint64

// AF_XDP features.
const (
	// XSKTXTimestamp: hardware timestamps of sent packets.
	XSKTXTimestamp XSKFeatures = 1 << iota
	// XSKTXChecksum: checksum offload on transmit.
	XSKTXChecksum
	// XSKTXLaunchTimeFIFO: launch time offload.
	XSKTXLaunchTimeFIFO
)

var xskFeatureNames = []string{"tx-timestamp", "tx-checksum", "tx-launch-time-fifo"}

// List names the features set.
func (f XSKFeatures) List() []string { return flagList(uint64(f), xskFeatureNames) }

// String joins List with spaces.
func (f XSKFeatures) String() string { return strings.Join(f.List(), " ") }

// MarshalJSON prints the names as a list.
func (f XSKFeatures) MarshalJSON() ([]byte, error) { return json.Marshal(f.List()) }

// QueueType is a queue's direction (enum netdev_queue_type).
type QueueType uint32

// Queue types.
const (
	QueueRX QueueType = 0
	QueueTX QueueType = 1
)

// String is "rx" or "tx".
func (t QueueType) String() string {
	switch t {
	case QueueRX:
		return "rx"
	case QueueTX:
		return "tx"
	}
	return "type " + strconv.FormatUint(uint64(t), 10)
}

// MarshalText makes JSON show the name.
func (t QueueType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// ParseQueueType reads "rx" or "tx".
func ParseQueueType(s string) (QueueType, bool) {
	switch s {
	case "rx":
		return QueueRX, true
	case "tx":
		return QueueTX, true
	}
	return 0, false
}
