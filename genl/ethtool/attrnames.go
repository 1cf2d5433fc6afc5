package ethtool

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Attribute names for the requests this package sends, so that an error
// whose extended ACK points at an attribute names it
// ("ETHTOOL_A_CHANNELS_RX_COUNT") instead of giving its number.
var (
	ethtoolHeaderNames = []string{"", "ETHTOOL_A_HEADER_DEV_INDEX", "ETHTOOL_A_HEADER_DEV_NAME", "ETHTOOL_A_HEADER_FLAGS"}
	ethtoolBitsetNames = []string{"", "ETHTOOL_A_BITSET_NOMASK", "ETHTOOL_A_BITSET_SIZE", "ETHTOOL_A_BITSET_BITS",
		"ETHTOOL_A_BITSET_VALUE", "ETHTOOL_A_BITSET_MASK"}
	ethtoolCmdAttrs = map[uint8]struct {
		prefix string
		names  []string
	}{
		unix.ETHTOOL_MSG_CHANNELS_SET: {"ETHTOOL_A_CHANNELS_", []string{"", "HEADER", "RX_MAX", "TX_MAX", "OTHER_MAX",
			"COMBINED_MAX", "RX_COUNT", "TX_COUNT", "OTHER_COUNT", "COMBINED_COUNT"}},
		unix.ETHTOOL_MSG_RINGS_SET: {"ETHTOOL_A_RINGS_", []string{"", "HEADER", "RX_MAX", "RX_MINI_MAX", "RX_JUMBO_MAX",
			"TX_MAX", "RX", "RX_MINI", "RX_JUMBO", "TX", "RX_BUF_LEN", "TCP_DATA_SPLIT", "CQE_SIZE", "TX_PUSH", "RX_PUSH",
			"TX_PUSH_BUF_LEN", "TX_PUSH_BUF_LEN_MAX", "HDS_THRESH", "HDS_THRESH_MAX"}},
		unix.ETHTOOL_MSG_FEATURES_SET:  {"ETHTOOL_A_FEATURES_", []string{"", "HEADER", "HW", "WANTED", "ACTIVE", "NOCHANGE"}},
		unix.ETHTOOL_MSG_FEATURES_GET:  {"ETHTOOL_A_FEATURES_", []string{"", "HEADER"}},
		unix.ETHTOOL_MSG_CHANNELS_GET:  {"ETHTOOL_A_CHANNELS_", []string{"", "HEADER"}},
		unix.ETHTOOL_MSG_RINGS_GET:     {"ETHTOOL_A_RINGS_", []string{"", "HEADER"}},
		unix.ETHTOOL_MSG_LINKINFO_GET:  {"ETHTOOL_A_LINKINFO_", []string{"", "HEADER"}},
		unix.ETHTOOL_MSG_LINKMODES_GET: {"ETHTOOL_A_LINKMODES_", []string{"", "HEADER"}},
		unix.ETHTOOL_MSG_LINKSTATE_GET: {"ETHTOOL_A_LINKSTATE_", []string{"", "HEADER"}},
		unix.ETHTOOL_MSG_STRSET_GET:    {"ETHTOOL_A_STRSET_", []string{"", "HEADER", "STRINGSETS", "COUNTS_ONLY"}},
	}
)

// ethtoolRequestOffset is where a request's attributes start, counted as
// the extended ACK counts: from the start of the netlink header.
const ethtoolRequestOffset = core.HeaderLen + 4

// nameErrorAttr fills in the name of the attribute an extended-ACK error
// points at, when the request was one of cmd with attrs.
func nameErrorAttr(err error, cmd uint8, attrs []byte) {
	var ke *core.Error
	if !errors.As(err, &ke) || !ke.HasOffset || ke.Offset < ethtoolRequestOffset {
		return
	}
	if name := ethtoolAttrPath(cmd, attrs, int(ke.Offset)-ethtoolRequestOffset); name != "" {
		ke.Attr = name
	}
}

// ethtoolAttrPath names the attribute starting at off in attrs, with the
// nests it is in: "ETHTOOL_A_CHANNELS_HEADER > ETHTOOL_A_HEADER_DEV_NAME".
func ethtoolAttrPath(cmd uint8, attrs []byte, off int) string {
	var path []string
	level := 0 // 0: top, 1: in a header nest, 2: in a bit set
	for off >= 0 && off+core.AttrHeaderLen <= len(attrs) {
		pos := 0
		found := false
		for pos+core.AttrHeaderLen <= len(attrs) {
			l := int(binary.NativeEndian.Uint16(attrs[pos:]))
			typ := binary.NativeEndian.Uint16(attrs[pos+2:]) & ^(core.AttrNested | core.AttrNetByteOrder)
			if l < core.AttrHeaderLen || pos+l > len(attrs) {
				return ""
			}
			if off < pos || off >= pos+core.Align(l) {
				pos += core.Align(l)
				continue
			}
			found = true
			name := ethtoolAttrName(cmd, level, typ)
			path = append(path, name)
			if off == pos {
				return strings.Join(path, " > ")
			}
			switch {
			case level == 0 && typ == ethtoolHeaderAttr:
				level = 1
			case level == 0:
				level = 2
			default:
				return ""
			}
			attrs = attrs[pos+core.AttrHeaderLen : pos+l]
			off -= pos + core.AttrHeaderLen
			break
		}
		if !found {
			return ""
		}
	}
	return ""
}

func ethtoolAttrName(cmd uint8, level int, typ uint16) string {
	var names []string
	prefix := ""
	switch level {
	case 0:
		c, ok := ethtoolCmdAttrs[cmd]
		if ok {
			names, prefix = c.names, c.prefix
		}
	case 1:
		names = ethtoolHeaderNames
	case 2:
		names = ethtoolBitsetNames
	}
	if int(typ) < len(names) && names[typ] != "" {
		return prefix + names[typ]
	}
	return "attribute " + strconv.Itoa(int(typ))
}
