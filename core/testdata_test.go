package core_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Kernel captures live in ../testdata as pairs: <name>.hex holds the
// messages, one a line ("> " before the request we sent, "#" before
// comments), and <name>.json the decode we expect, written at capture time
// and reviewed by hand. `go test -run TestCapture -capture` (as root)
// records them again.

var captureFlag = flag.Bool("capture", false, "record kernel messages into ../testdata (root; go test -run TestCapture -capture)")

const testdataDir = "../testdata"

// hexCapture is one testdata/<name>.hex file.
type hexCapture struct {
	Comments []string
	Request  []byte   // the message sent ("> " line), nil when none
	Messages [][]byte // the kernel's messages, one a line
}

func readHexCapture(path string) (hexCapture, error) {
	var c hexCapture
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<22)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			c.Comments = append(c.Comments, strings.TrimSpace(line[1:]))
		case strings.HasPrefix(line, ">"):
			m, err := hex.DecodeString(strings.TrimSpace(line[1:]))
			if err != nil {
				return c, fmt.Errorf("%s:%d: %v", path, n, err)
			}
			c.Request = m
		default:
			m, err := hex.DecodeString(line)
			if err != nil {
				return c, fmt.Errorf("%s:%d: %v", path, n, err)
			}
			c.Messages = append(c.Messages, m)
		}
	}
	return c, sc.Err()
}

func writeHexCapture(path string, c hexCapture) error {
	var b bytes.Buffer
	for _, l := range c.Comments {
		b.WriteString("# " + l + "\n")
	}
	if c.Request != nil {
		b.WriteString("> " + hex.EncodeToString(c.Request) + "\n")
	}
	for _, m := range c.Messages {
		b.WriteString(hex.EncodeToString(m) + "\n")
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// captureNames lists the captures in testdata, by name.
func captureNames(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(testdataDir, "*.hex"))
	require.NoError(tb, err)
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".hex"))
	}
	return names
}

// testdataMessages returns every message of every capture (requests
// included), for fuzz seeds.
func testdataMessages(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, name := range captureNames(tb) {
		c, err := readHexCapture(filepath.Join(testdataDir, name+".hex"))
		require.NoError(tb, err)
		if c.Request != nil {
			out = append(out, c.Request)
		}
		out = append(out, c.Messages...)
	}
	return out
}

// The decode we expect, as stored in <name>.json.

type captureJSON struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Request     *msgJSON    `json:"request,omitempty"`
	Messages    []msgJSON   `json:"messages"`
	Result      *resultJSON `json:"result"`
}

// resultJSON is what Conn.Run returned at capture time: a replay of the
// capture through a Conn must return the same.
type resultJSON struct {
	Errno   string `json:"errno,omitempty"`
	Message string `json:"message,omitempty"`
	Data    int    `json:"data_messages"`
}

type headerJSON struct {
	Len       uint32 `json:"len"`
	Type      uint16 `json:"type"`
	TypeName  string `json:"type_name,omitempty"`
	Flags     uint16 `json:"flags"`
	FlagsText string `json:"flags_text"`
	Seq       uint32 `json:"seq"`
	Port      uint32 `json:"port"`
}

type msgJSON struct {
	Header       headerJSON     `json:"header"`
	FamilyHeader string         `json:"family_header,omitempty"`
	Family       map[string]any `json:"family,omitempty"`
	Attrs        []attrJSON     `json:"attrs,omitempty"`
	Error        *errorJSON     `json:"error,omitempty"`
}

type attrJSON struct {
	Type   uint16     `json:"type"`
	Name   string     `json:"name,omitempty"`
	Nested bool       `json:"nested_flag,omitempty"`
	Len    int        `json:"len"`
	Value  any        `json:"value,omitempty"`
	Attrs  []attrJSON `json:"attrs,omitempty"`
}

type errorJSON struct {
	Code       int32       `json:"code"`
	Errno      string      `json:"errno,omitempty"`
	Message    string      `json:"message,omitempty"`
	Offset     *uint32     `json:"offset,omitempty"`
	OffsetAttr string      `json:"offset_attr,omitempty"`
	Request    *headerJSON `json:"request,omitempty"`
	Echoed     int         `json:"request_bytes_echoed"`
}

// Attribute layouts of the messages in the captures (linux/if_link.h,
// if_addr.h, rtnetlink.h, netlink.h).

type attrSpec struct {
	name   string
	kind   string // u8 u16 u32 s32 u64 string hw addr flag nested binary
	nested map[uint16]attrSpec
}

var (
	inet6Spec = map[uint16]attrSpec{
		unix.IFLA_INET6_FLAGS:         {"IFLA_INET6_FLAGS", "u32", nil},
		unix.IFLA_INET6_CONF:          {"IFLA_INET6_CONF", "binary", nil},
		unix.IFLA_INET6_STATS:         {"IFLA_INET6_STATS", "binary", nil},
		unix.IFLA_INET6_CACHEINFO:     {"IFLA_INET6_CACHEINFO", "binary", nil},
		unix.IFLA_INET6_ICMP6STATS:    {"IFLA_INET6_ICMP6STATS", "binary", nil},
		unix.IFLA_INET6_TOKEN:         {"IFLA_INET6_TOKEN", "addr", nil},
		unix.IFLA_INET6_ADDR_GEN_MODE: {"IFLA_INET6_ADDR_GEN_MODE", "u8", nil},
		unix.IFLA_INET6_RA_MTU:        {"IFLA_INET6_RA_MTU", "u32", nil},
	}
	linkSpec = map[uint16]attrSpec{
		unix.IFLA_ADDRESS:   {"IFLA_ADDRESS", "hw", nil},
		unix.IFLA_BROADCAST: {"IFLA_BROADCAST", "hw", nil},
		unix.IFLA_IFNAME:    {"IFLA_IFNAME", "string", nil},
		unix.IFLA_MTU:       {"IFLA_MTU", "u32", nil},
		unix.IFLA_LINK:      {"IFLA_LINK", "u32", nil},
		unix.IFLA_QDISC:     {"IFLA_QDISC", "string", nil},
		unix.IFLA_STATS:     {"IFLA_STATS", "binary", nil},
		unix.IFLA_MASTER:    {"IFLA_MASTER", "u32", nil},
		unix.IFLA_TXQLEN:    {"IFLA_TXQLEN", "u32", nil},
		unix.IFLA_MAP:       {"IFLA_MAP", "binary", nil},
		unix.IFLA_OPERSTATE: {"IFLA_OPERSTATE", "u8", nil},
		unix.IFLA_LINKMODE:  {"IFLA_LINKMODE", "u8", nil},
		unix.IFLA_LINKINFO: {"IFLA_LINKINFO", "nested", map[uint16]attrSpec{
			unix.IFLA_INFO_KIND:       {"IFLA_INFO_KIND", "string", nil},
			unix.IFLA_INFO_DATA:       {"IFLA_INFO_DATA", "nested", nil},
			unix.IFLA_INFO_SLAVE_KIND: {"IFLA_INFO_SLAVE_KIND", "string", nil},
			unix.IFLA_INFO_SLAVE_DATA: {"IFLA_INFO_SLAVE_DATA", "nested", nil},
		}},
		unix.IFLA_IFALIAS: {"IFLA_IFALIAS", "string", nil},
		unix.IFLA_NUM_VF:  {"IFLA_NUM_VF", "u32", nil},
		unix.IFLA_STATS64: {"IFLA_STATS64", "binary", nil},
		unix.IFLA_AF_SPEC: {"IFLA_AF_SPEC", "nested", map[uint16]attrSpec{
			unix.AF_INET: {"AF_INET", "nested", map[uint16]attrSpec{
				unix.IFLA_INET_CONF: {"IFLA_INET_CONF", "binary", nil},
			}},
			unix.AF_INET6: {"AF_INET6", "nested", inet6Spec},
			unix.AF_MPLS:  {"AF_MPLS", "nested", nil},
		}},
		unix.IFLA_GROUP:              {"IFLA_GROUP", "u32", nil},
		unix.IFLA_PROMISCUITY:        {"IFLA_PROMISCUITY", "u32", nil},
		unix.IFLA_NUM_TX_QUEUES:      {"IFLA_NUM_TX_QUEUES", "u32", nil},
		unix.IFLA_NUM_RX_QUEUES:      {"IFLA_NUM_RX_QUEUES", "u32", nil},
		unix.IFLA_CARRIER:            {"IFLA_CARRIER", "u8", nil},
		unix.IFLA_CARRIER_CHANGES:    {"IFLA_CARRIER_CHANGES", "u32", nil},
		unix.IFLA_LINK_NETNSID:       {"IFLA_LINK_NETNSID", "s32", nil},
		unix.IFLA_PROTO_DOWN:         {"IFLA_PROTO_DOWN", "u8", nil},
		unix.IFLA_GSO_MAX_SEGS:       {"IFLA_GSO_MAX_SEGS", "u32", nil},
		unix.IFLA_GSO_MAX_SIZE:       {"IFLA_GSO_MAX_SIZE", "u32", nil},
		unix.IFLA_XDP:                {"IFLA_XDP", "nested", map[uint16]attrSpec{unix.IFLA_XDP_ATTACHED: {"IFLA_XDP_ATTACHED", "u8", nil}}},
		unix.IFLA_CARRIER_UP_COUNT:   {"IFLA_CARRIER_UP_COUNT", "u32", nil},
		unix.IFLA_CARRIER_DOWN_COUNT: {"IFLA_CARRIER_DOWN_COUNT", "u32", nil},
		unix.IFLA_MIN_MTU:            {"IFLA_MIN_MTU", "u32", nil},
		unix.IFLA_MAX_MTU:            {"IFLA_MAX_MTU", "u32", nil},
		unix.IFLA_PERM_ADDRESS:       {"IFLA_PERM_ADDRESS", "hw", nil},
		unix.IFLA_GRO_MAX_SIZE:       {"IFLA_GRO_MAX_SIZE", "u32", nil},
		unix.IFLA_TSO_MAX_SIZE:       {"IFLA_TSO_MAX_SIZE", "u32", nil},
		unix.IFLA_TSO_MAX_SEGS:       {"IFLA_TSO_MAX_SEGS", "u32", nil},
		unix.IFLA_ALLMULTI:           {"IFLA_ALLMULTI", "u32", nil},
		unix.IFLA_GSO_IPV4_MAX_SIZE:  {"IFLA_GSO_IPV4_MAX_SIZE", "u32", nil},
		unix.IFLA_GRO_IPV4_MAX_SIZE:  {"IFLA_GRO_IPV4_MAX_SIZE", "u32", nil},
		unix.IFLA_DEVLINK_PORT:       {"IFLA_DEVLINK_PORT", "nested", nil},
		unix.IFLA_DPLL_PIN:           {"IFLA_DPLL_PIN", "nested", nil},
		66:                           {"IFLA_MAX_PACING_OFFLOAD_HORIZON", "uint", nil},
		67:                           {"IFLA_NETNS_IMMUTABLE", "u8", nil},
		68:                           {"IFLA_HEADROOM", "u16", nil},
		69:                           {"IFLA_TAILROOM", "u16", nil},
	}
	addrSpec = map[uint16]attrSpec{
		unix.IFA_ADDRESS:        {"IFA_ADDRESS", "addr", nil},
		unix.IFA_LOCAL:          {"IFA_LOCAL", "addr", nil},
		unix.IFA_LABEL:          {"IFA_LABEL", "string", nil},
		unix.IFA_BROADCAST:      {"IFA_BROADCAST", "addr", nil},
		unix.IFA_ANYCAST:        {"IFA_ANYCAST", "addr", nil},
		unix.IFA_CACHEINFO:      {"IFA_CACHEINFO", "binary", nil},
		unix.IFA_MULTICAST:      {"IFA_MULTICAST", "addr", nil},
		unix.IFA_FLAGS:          {"IFA_FLAGS", "u32", nil},
		unix.IFA_RT_PRIORITY:    {"IFA_RT_PRIORITY", "u32", nil},
		unix.IFA_TARGET_NETNSID: {"IFA_TARGET_NETNSID", "s32", nil},
		11:                      {"IFA_PROTO", "u8", nil},
	}
	routeSpec = map[uint16]attrSpec{
		unix.RTA_DST:      {"RTA_DST", "addr", nil},
		unix.RTA_SRC:      {"RTA_SRC", "addr", nil},
		unix.RTA_IIF:      {"RTA_IIF", "u32", nil},
		unix.RTA_OIF:      {"RTA_OIF", "u32", nil},
		unix.RTA_GATEWAY:  {"RTA_GATEWAY", "addr", nil},
		unix.RTA_PRIORITY: {"RTA_PRIORITY", "u32", nil},
		unix.RTA_PREFSRC:  {"RTA_PREFSRC", "addr", nil},
		unix.RTA_METRICS: {"RTA_METRICS", "nested", map[uint16]attrSpec{
			unix.RTAX_LOCK:     {"RTAX_LOCK", "u32", nil},
			unix.RTAX_MTU:      {"RTAX_MTU", "u32", nil},
			unix.RTAX_HOPLIMIT: {"RTAX_HOPLIMIT", "u32", nil},
			unix.RTAX_ADVMSS:   {"RTAX_ADVMSS", "u32", nil},
		}},
		unix.RTA_MULTIPATH:  {"RTA_MULTIPATH", "binary", nil},
		unix.RTA_FLOW:       {"RTA_FLOW", "u32", nil},
		unix.RTA_CACHEINFO:  {"RTA_CACHEINFO", "binary", nil},
		unix.RTA_TABLE:      {"RTA_TABLE", "u32", nil},
		unix.RTA_MARK:       {"RTA_MARK", "u32", nil},
		unix.RTA_PREF:       {"RTA_PREF", "u8", nil},
		unix.RTA_ENCAP_TYPE: {"RTA_ENCAP_TYPE", "u16", nil},
		unix.RTA_UID:        {"RTA_UID", "u32", nil},
		30:                  {"RTA_NH_ID", "u32", nil},
	}
	extAckSpec = map[uint16]attrSpec{
		unix.NLMSGERR_ATTR_MSG:    {"NLMSGERR_ATTR_MSG", "string", nil},
		unix.NLMSGERR_ATTR_OFFS:   {"NLMSGERR_ATTR_OFFS", "u32", nil},
		unix.NLMSGERR_ATTR_COOKIE: {"NLMSGERR_ATTR_COOKIE", "binary", nil},
		4:                         {"NLMSGERR_ATTR_POLICY", "nested", nil},
		5:                         {"NLMSGERR_ATTR_MISS_TYPE", "u32", nil},
		6:                         {"NLMSGERR_ATTR_MISS_NEST", "u32", nil},
	}
)

// layout gives the fixed header and attributes of an rtnetlink type.
func layout(t core.MessageType) (header string, attrs map[uint16]attrSpec) {
	switch t {
	case unix.RTM_NEWLINK, unix.RTM_DELLINK, unix.RTM_GETLINK, unix.RTM_SETLINK:
		return "ifinfomsg", linkSpec
	case unix.RTM_NEWADDR, unix.RTM_DELADDR, unix.RTM_GETADDR:
		return "ifaddrmsg", addrSpec
	case unix.RTM_NEWROUTE, unix.RTM_DELROUTE, unix.RTM_GETROUTE:
		return "rtmsg", routeSpec
	}
	return "", nil
}

var typeNames = map[core.MessageType]string{
	core.TypeNoop: "NLMSG_NOOP", core.TypeError: "NLMSG_ERROR", core.TypeDone: "NLMSG_DONE",
	unix.RTM_NEWLINK: "RTM_NEWLINK", unix.RTM_DELLINK: "RTM_DELLINK", unix.RTM_GETLINK: "RTM_GETLINK",
	unix.RTM_NEWADDR: "RTM_NEWADDR", unix.RTM_DELADDR: "RTM_DELADDR", unix.RTM_GETADDR: "RTM_GETADDR",
	unix.RTM_NEWROUTE: "RTM_NEWROUTE", unix.RTM_DELROUTE: "RTM_DELROUTE", unix.RTM_GETROUTE: "RTM_GETROUTE",
}

// specName names an attribute by its path, for the Formatter.
func specName(t core.MessageType, path []uint16) string {
	_, specs := layout(t)
	if t == core.TypeError || t == core.TypeDone {
		specs = extAckSpec
	}
	var s attrSpec
	for _, typ := range path {
		var ok bool
		if s, ok = specs[typ]; !ok {
			return ""
		}
		specs = s.nested
	}
	return s.name
}

func decodeHeader(h core.Header) headerJSON {
	t := h.Type
	isAck := t == core.TypeError || t == core.TypeDone
	isNew := t >= unix.RTM_BASE && (t-unix.RTM_BASE)%4 == 0
	return headerJSON{
		Len: h.Length, Type: uint16(t), TypeName: typeNames[t],
		Flags: uint16(h.Flags), FlagsText: core.FlagsString(h.Flags, isNew, isAck),
		Seq: h.Sequence, Port: h.PID,
	}
}

// decodeFamily reads the fixed header name from b.
func decodeFamily(name string, b []byte) (map[string]any, int, error) {
	size := map[string]int{"ifinfomsg": unix.SizeofIfInfomsg, "ifaddrmsg": unix.SizeofIfAddrmsg, "rtmsg": unix.SizeofRtMsg}[name]
	if len(b) < size {
		return nil, 0, fmt.Errorf("%s: %d bytes, want %d", name, len(b), size)
	}
	u32 := func(i int) uint32 { return binary.NativeEndian.Uint32(b[i:]) }
	switch name {
	case "ifinfomsg":
		return map[string]any{"family": b[0], "type": binary.NativeEndian.Uint16(b[2:]),
			"index": int32(u32(4)), "flags": u32(8), "change": u32(12)}, size, nil
	case "ifaddrmsg":
		return map[string]any{"family": b[0], "prefixlen": b[1], "flags": b[2], "scope": b[3], "index": u32(4)}, size, nil
	case "rtmsg":
		return map[string]any{"family": b[0], "dst_len": b[1], "src_len": b[2], "tos": b[3], "table": b[4],
			"protocol": b[5], "scope": b[6], "type": b[7], "flags": u32(8)}, size, nil
	}
	return nil, 0, nil
}

// decodeAttrs reads an attribute stream with the typed getters of
// core.AttrScanner, following nests.
func decodeAttrs(b []byte, specs map[uint16]attrSpec, depth int) ([]attrJSON, error) {
	var out []attrJSON
	s := core.ScanAttrs(b)
	for s.Next() {
		a := s.Attr()
		sp := specs[a.Type]
		j := attrJSON{Type: a.Type, Name: sp.name, Nested: a.Nested(), Len: len(a.Data)}
		switch sp.kind {
		case "u8":
			j.Value = s.Uint8()
		case "u16":
			j.Value = s.Uint16()
		case "u32":
			j.Value = s.Uint32()
		case "s32":
			j.Value = s.Int32()
		case "u64":
			j.Value = s.Uint64()
		case "uint":
			j.Value = s.Uint()
		case "string":
			j.Value = s.String()
		case "hw":
			j.Value = s.HardwareAddr().String()
		case "addr":
			j.Value = s.Addr().String()
		case "flag":
			j.Value = s.Flag()
		case "nested":
			kids, err := decodeAttrs(a.Data, sp.nested, depth+1)
			if err != nil {
				return out, fmt.Errorf("%s > %w", sp.name, err)
			}
			j.Attrs = kids
		default:
			if a.Nested() && depth < 8 {
				kids, err := decodeAttrs(a.Data, nil, depth+1)
				if err != nil {
					return out, fmt.Errorf("%d > %w", a.Type, err)
				}
				j.Attrs = kids
			}
		}
		out = append(out, j)
	}
	return out, s.Err()
}

// decodeMessage decodes one message of a capture; req is the request the
// capture sent (to name an extended-ACK offset), nil when decoding the
// request itself.
func decodeMessage(m core.Message, req []byte) (msgJSON, error) {
	j := msgJSON{Header: decodeHeader(m.Header)}
	switch m.Header.Type {
	case core.TypeError:
		e, err := core.ParseErrorMessage(m.Header, m.Data, req)
		if err != nil {
			return j, err
		}
		ej := &errorJSON{Code: int32(binary.NativeEndian.Uint32(m.Data)), Echoed: len(m.Data) - 4}
		if e != nil {
			ej.Errno = errnoName(e.Errno)
			ej.Message, ej.OffsetAttr = e.Message, e.Attr
			if e.HasOffset {
				ej.Offset = &e.Offset
			}
			rh := decodeHeader(e.Request)
			ej.Request = &rh
			if m.Header.Flags&core.FlagAckTLVs != 0 {
				// The attributes after the echoed request.
				l := int(e.Request.Length)
				if m.Header.Flags&core.FlagCapped != 0 {
					l = core.HeaderLen
				}
				ej.Echoed = l
				if off := 4 + core.Align(l); off <= len(m.Data) {
					attrs, err := decodeAttrs(m.Data[off:], extAckSpec, 0)
					if err != nil {
						return j, err
					}
					j.Attrs = attrs
				}
			}
		}
		j.Error = ej
	case core.TypeDone:
		if len(m.Data) < 4 {
			return j, fmt.Errorf("NLMSG_DONE payload %d bytes", len(m.Data))
		}
		code := int32(binary.NativeEndian.Uint32(m.Data))
		ej := &errorJSON{Code: code}
		if code != 0 {
			ej.Errno = errnoName(unix.Errno(-code))
		}
		if m.Header.Flags&core.FlagAckTLVs != 0 {
			attrs, err := decodeAttrs(m.Data[4:], extAckSpec, 0)
			if err != nil {
				return j, err
			}
			j.Attrs = attrs
			for _, a := range attrs {
				switch a.Type {
				case unix.NLMSGERR_ATTR_MSG:
					ej.Message = a.Value.(string)
				case unix.NLMSGERR_ATTR_OFFS:
					v := a.Value.(uint32)
					ej.Offset = &v
				}
			}
		}
		j.Error = ej
	default:
		name, specs := layout(m.Header.Type)
		if name == "" {
			return j, fmt.Errorf("no layout for message type %d", m.Header.Type)
		}
		fam, n, err := decodeFamily(name, m.Data)
		if err != nil {
			return j, err
		}
		j.FamilyHeader, j.Family = name, fam
		attrs, err := decodeAttrs(m.Data[core.Align(n):], specs, 0)
		if err != nil {
			return j, err
		}
		j.Attrs = attrs
	}
	return j, nil
}

func parseOne(b []byte) (core.Message, error) {
	s := core.ScanMessages(b)
	if !s.Next() {
		if s.Err() != nil {
			return core.Message{}, s.Err()
		}
		return core.Message{}, errors.New("no message")
	}
	m := s.Message()
	if s.Next() || s.Err() != nil {
		return m, errors.New("more than one message on a line")
	}
	return m, nil
}

// decodeCapture decodes every message of c.
func decodeCapture(c hexCapture) (req *msgJSON, msgs []msgJSON, err error) {
	if c.Request != nil {
		m, err := parseOne(c.Request)
		if err != nil {
			return nil, nil, fmt.Errorf("request: %w", err)
		}
		r, err := decodeMessage(m, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("request: %w", err)
		}
		req = &r
	}
	for i, b := range c.Messages {
		m, err := parseOne(b)
		if err != nil {
			return nil, nil, fmt.Errorf("message %d: %w", i, err)
		}
		j, err := decodeMessage(m, c.Request)
		if err != nil {
			return nil, nil, fmt.Errorf("message %d (type %d): %w", i, m.Header.Type, err)
		}
		msgs = append(msgs, j)
	}
	return req, msgs, nil
}

// errnoName names an errno as the kernel's netlink code does
// (EOPNOTSUPP, not its alias ENOTSUP).
func errnoName(e unix.Errno) string {
	if e == unix.EOPNOTSUPP {
		return "EOPNOTSUPP"
	}
	return unix.ErrnoName(e)
}

func marshalJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(tb, err)
	return append(b, '\n')
}

// TestTestdataDecode decodes every capture and compares with the decode
// stored beside it.
func TestTestdataDecode(t *testing.T) {
	names := captureNames(t)
	require.NotEmpty(t, names, "no captures in %s", testdataDir)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c, err := readHexCapture(filepath.Join(testdataDir, name+".hex"))
			require.NoError(t, err)
			require.NotEmpty(t, c.Messages)
			raw, err := os.ReadFile(filepath.Join(testdataDir, name+".json"))
			require.NoError(t, err)
			var want captureJSON
			require.NoError(t, json.Unmarshal(raw, &want))
			req, msgs, err := decodeCapture(c)
			require.NoError(t, err)
			got := want
			got.Request, got.Messages = req, msgs
			require.JSONEq(t, string(raw), string(marshalJSON(t, got)))
		})
	}
}

// replay is a Transport that answers with the messages of a capture, one
// datagram each, and records what the Conn sends.
type replay struct {
	port uint32
	msgs [][]byte
	sent [][]byte
}

func (r *replay) Send(b []byte, port, group uint32) error {
	r.sent = append(r.sent, bytes.Clone(b))
	return nil
}

func (r *replay) Receive(buf *[]byte) (int, core.Sender, error) {
	if len(r.msgs) == 0 {
		return 0, core.Sender{}, errors.New("replay: the capture has no more messages")
	}
	m := r.msgs[0]
	r.msgs = r.msgs[1:]
	if len(*buf) < len(m) {
		*buf = make([]byte, len(m))
	}
	return copy(*buf, m), core.Sender{}, nil
}

func (r *replay) SetReadDeadline(time.Time) error  { return nil }
func (r *replay) SetWriteDeadline(time.Time) error { return nil }
func (r *replay) PortID() uint32                   { return r.port }
func (r *replay) Close() error                     { return nil }

// runCapture sends req the way a program would, Conn.Dump for a dump
// (NLM_F_DUMP set) and Conn.Execute otherwise, and returns how many data
// messages came back and the call's error.
func runCapture(ctx context.Context, c *core.Conn, req core.Message) (int, error) {
	if req.Header.Flags&core.FlagDump == core.FlagDump {
		n := 0
		for _, err := range c.Dump(ctx, req) {
			if err != nil {
				return n, err
			}
			n++
		}
		return n, nil
	}
	msgs, err := c.Execute(ctx, req)
	return len(msgs), err
}

func resultOf(n int, err error) *resultJSON {
	r := &resultJSON{Data: n}
	if err != nil {
		var ne *core.Error
		if errors.As(err, &ne) {
			r.Errno, r.Message = errnoName(ne.Errno), ne.Message
		} else {
			r.Errno = "not a *core.Error: " + err.Error()
		}
	}
	return r
}

// TestTestdataReplay plays each capture back through a Conn: it sends the
// captured request byte for byte and ends the way the real exchange did.
func TestTestdataReplay(t *testing.T) {
	for _, name := range captureNames(t) {
		t.Run(name, func(t *testing.T) {
			c, err := readHexCapture(filepath.Join(testdataDir, name+".hex"))
			require.NoError(t, err)
			require.NotNil(t, c.Request, "capture without its request")
			raw, err := os.ReadFile(filepath.Join(testdataDir, name+".json"))
			require.NoError(t, err)
			var want captureJSON
			require.NoError(t, json.Unmarshal(raw, &want))
			require.NotNil(t, want.Result)
			req, err := parseOne(c.Request)
			require.NoError(t, err)
			tr := &replay{port: req.Header.PID, msgs: c.Messages}
			conn := core.NewConn(tr, unix.NETLINK_ROUTE, nil)
			defer conn.Close()
			n, err := runCapture(context.Background(), conn, req.Clone())
			require.Equal(t, want.Result, resultOf(n, err))
			// The request goes out as captured; the Conn may only add
			// flags (its policy on NLM_F_ACK is its own).
			require.Len(t, tr.sent, 1)
			sent, err := parseOne(tr.sent[0])
			require.NoError(t, err)
			require.Equal(t, req.Header.Flags, sent.Header.Flags&req.Header.Flags, "flags dropped")
			sent.Header.Flags = req.Header.Flags
			require.Equal(t, req, sent, "the request, re-encoded")
			require.Empty(t, tr.msgs, "messages left unread")
		})
	}
}

// TestTestdataFormat runs the Formatter over every capture: no parse
// problem, and each decoded attribute appears with its name and value.
func TestTestdataFormat(t *testing.T) {
	f := &core.Formatter{Protocol: unix.NETLINK_ROUTE, AttrName: specName}
	for _, name := range captureNames(t) {
		t.Run(name, func(t *testing.T) {
			c, err := readHexCapture(filepath.Join(testdataDir, name+".hex"))
			require.NoError(t, err)
			_, msgs, err := decodeCapture(c)
			require.NoError(t, err)
			for i, b := range c.Messages {
				var out strings.Builder
				require.NoError(t, f.FormatDatagram(&out, b), "message %d", i)
				text := out.String()
				j := msgs[i]
				require.True(t, strings.HasPrefix(text, fmt.Sprintf("type=%s(%d) len=%d ", strings.TrimPrefix(j.Header.TypeName, "NLMSG_"), j.Header.Type, j.Header.Len)), text)
				if j.FamilyHeader != "" {
					require.Contains(t, text, "\n  "+j.FamilyHeader+" ")
				}
				if idx, ok := j.Family["index"]; ok {
					require.Contains(t, lineWith(text, j.FamilyHeader+" ")+" ", fmt.Sprintf(" index=%v ", idx))
				}
				if table, ok := j.Family["table"]; ok {
					require.Contains(t, lineWith(text, j.FamilyHeader+" ")+" ", fmt.Sprintf(" table=%v ", table))
				}
				if j.Error != nil {
					require.Contains(t, text, fmt.Sprintf("error: %d ", j.Error.Code))
					if j.Error.Message != "" {
						require.Contains(t, text, fmt.Sprintf("ext-ack message: %q", j.Error.Message))
					}
					if j.Error.Request != nil {
						require.Contains(t, text, fmt.Sprintf("type=%s(%d) len=%d flags=%s seq=%d port=%d",
							j.Error.Request.TypeName, j.Error.Request.Type, j.Error.Request.Len,
							j.Error.Request.FlagsText, j.Error.Request.Seq, j.Error.Request.Port))
					}
					continue
				}
				checkFormatted(t, text, j.Attrs)
			}
		})
	}
}

// checkFormatted asserts each attribute with a name and a typed value is
// printed with them.
func checkFormatted(t *testing.T, text string, attrs []attrJSON) {
	t.Helper()
	for _, a := range attrs {
		if a.Name == "" {
			continue
		}
		head := fmt.Sprintf("[%d", a.Type)
		if a.Nested {
			head += "|NESTED"
		}
		head += fmt.Sprintf("] %s len=%d", a.Name, a.Len)
		require.Contains(t, text, head)
		var want string
		switch v := a.Value.(type) {
		case string:
			switch {
			case a.Len == 6 && strings.Count(v, ":") == 5:
				want = head + ": " + hexGroups(a, v) + " hw=" + v
			case a.Len == 4 && strings.Contains(v, "."):
				ip := netip.MustParseAddr(v).As4()
				want = fmt.Sprintf("u32=%d", binary.NativeEndian.Uint32(ip[:]))
			case a.Len == 16 && strings.Contains(v, ":"):
				want = "ip6=" + v
			default:
				want = strconv.Quote(v)
			}
		case uint8:
			want = fmt.Sprintf("u8=%d", v)
		case uint16:
			want = fmt.Sprintf("u16=%d", v)
		case uint32:
			want = fmt.Sprintf("u32=%d", v)
		case int32:
			want = fmt.Sprintf("u32=%d", uint32(v))
		}
		if want != "" {
			line := lineWith(text, head)
			require.Contains(t, line, want, "attribute %s", a.Name)
		}
		checkFormatted(t, text, a.Attrs)
	}
}

// hexGroups is the Formatter's hex of a hardware address value.
func hexGroups(_ attrJSON, mac string) string {
	b, _ := hex.DecodeString(strings.ReplaceAll(mac, ":", ""))
	h := hex.EncodeToString(b)
	return h[:8] + " " + h[8:]
}

func lineWith(text, s string) string {
	i := strings.Index(text, s)
	if i < 0 {
		return ""
	}
	end := strings.IndexByte(text[i:], '\n')
	if end < 0 {
		return text[i:]
	}
	return text[i : i+end]
}

// Capture mode.

type ipLink struct {
	Index   int    `json:"ifindex"`
	Name    string `json:"ifname"`
	MTU     uint32 `json:"mtu"`
	Address string `json:"address"`
}

type ipAddr struct {
	Index    int `json:"ifindex"`
	AddrInfo []struct {
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
	} `json:"addr_info"`
}

type ipRoute struct {
	Dst     string `json:"dst"`
	Gateway string `json:"gateway"`
	Dev     string `json:"dev"`
}

func ipJSON(t *testing.T, ns *core.NetNS, v any, args ...string) {
	t.Helper()
	out := nstest.Cmd(t, ns, "ip", append([]string{"-j"}, args...)...)
	require.NoError(t, json.Unmarshal([]byte(out), v), out)
}

func findAttr(attrs []attrJSON, name string) (any, bool) {
	for _, a := range attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return nil, false
}

// TestCapture records the captures in ../testdata from the kernel, in a
// fresh namespace, checking what it records against `ip -j`.
func TestCapture(t *testing.T) {
	if !*captureFlag {
		t.Skip("records ../testdata; run `go test -run TestCapture -capture` as root")
	}
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
	nstest.Cmd(t, ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0")
	for _, c := range [][]string{
		{"link", "add", "v0", "address", "02:00:00:00:00:01", "type", "veth", "peer", "name", "v1", "address", "02:00:00:00:00:02"},
		{"link", "set", "v0", "up"},
		{"link", "set", "v1", "up"},
		{"addr", "add", "192.0.2.1/24", "dev", "v0"},
		{"addr", "add", "2001:db8::1/64", "dev", "v0", "nodad"},
		{"route", "add", "198.51.100.0/24", "via", "192.0.2.2", "dev", "v0"},
		{"route", "add", "203.0.113.0/24", "dev", "v0", "metric", "50"},
		{"-6", "route", "add", "2001:db8:1::/48", "via", "2001:db8::2", "dev", "v0"},
	} {
		nstest.Cmd(t, ns, "ip", c...)
	}
	// Let IPv6 settle (link-local addresses, their routes).
	time.Sleep(500 * time.Millisecond)

	// The callbacks copy every message sent and received into cur.
	var cur hexCapture
	conn, err := core.Dial(unix.NETLINK_ROUTE, &core.Config{NetNS: ns, Callbacks: &core.Callbacks{
		MsgOut: func(m core.Message) core.Action { cur.Request = core.AppendMessage(nil, m); return core.Continue },
		MsgIn: func(m core.Message) core.Action {
			cur.Messages = append(cur.Messages, core.AppendMessage(nil, m))
			return core.Continue
		},
	}})
	require.NoError(t, err)
	defer conn.Close()
	uname, err := exec.Command("uname", "-r").Output()
	require.NoError(t, err)
	kernel := strings.TrimSpace(string(uname))

	record := func(name, what string, req core.Message) ([]msgJSON, *resultJSON) {
		t.Helper()
		cur = hexCapture{}
		comments := []string{
			name + ": " + what,
			"Captured from Linux " + kernel + " by `go test -run TestCapture -capture` in core/ (fresh namespace; v0/v1 veth pair,",
			"192.0.2.1/24 and 2001:db8::1/64 on v0, routes 198.51.100.0/24 via 192.0.2.2, 203.0.113.0/24 metric 50, 2001:db8:1::/48 via 2001:db8::2).",
			"Lines: '> ' the request sent, then the kernel's messages, one a line, in hex. The decode we expect is in " + name + ".json.",
		}
		n, err := runCapture(context.Background(), conn, req)
		res := resultOf(n, err)
		c := cur
		c.Comments = comments
		require.NoError(t, writeHexCapture(filepath.Join(testdataDir, name+".hex"), c))
		// Read the file back, so the decode is of what was stored.
		c, err = readHexCapture(filepath.Join(testdataDir, name+".hex"))
		require.NoError(t, err)
		rq, msgs, err := decodeCapture(c)
		require.NoError(t, err)
		j := captureJSON{Name: name, Description: what, Request: rq, Messages: msgs, Result: res}
		require.NoError(t, os.WriteFile(filepath.Join(testdataDir, name+".json"), marshalJSON(t, j), 0o644))
		t.Logf("%s: %d messages, result %+v", name, len(msgs), *res)
		return msgs, res
	}

	// A link dump, checked against `ip -j link`.
	links, res := record("link_dump", "RTM_GETLINK dump (ifinfomsg AF_UNSPEC): lo, v0, v1.",
		core.Message{Header: core.Header{Type: unix.RTM_GETLINK, Flags: core.FlagDump}, Data: make([]byte, unix.SizeofIfInfomsg)})
	require.Empty(t, res.Errno)
	var ipLinks []ipLink
	ipJSON(t, ns, &ipLinks, "link", "show")
	require.Len(t, ipLinks, 3)
	require.Len(t, links, 4, "three links and NLMSG_DONE")
	for i, l := range ipLinks {
		m := links[i]
		require.Equal(t, int32(l.Index), m.Family["index"])
		v, _ := findAttr(m.Attrs, "IFLA_IFNAME")
		require.Equal(t, l.Name, v)
		v, _ = findAttr(m.Attrs, "IFLA_MTU")
		require.Equal(t, l.MTU, v)
		v, _ = findAttr(m.Attrs, "IFLA_ADDRESS")
		require.Equal(t, l.Address, v)
	}
	require.Equal(t, "NLMSG_DONE", links[3].Header.TypeName)

	// An address dump, checked against `ip -j addr`.
	addrs, res := record("addr_dump", "RTM_GETADDR dump (ifaddrmsg AF_UNSPEC): 127.0.0.1, ::1, 192.0.2.1/24, 2001:db8::1/64 and link-local addresses.",
		core.Message{Header: core.Header{Type: unix.RTM_GETADDR, Flags: core.FlagDump}, Data: make([]byte, unix.SizeofIfAddrmsg)})
	require.Empty(t, res.Errno)
	var ipAddrs []ipAddr
	ipJSON(t, ns, &ipAddrs, "addr", "show")
	var want, got []string
	for _, l := range ipAddrs {
		for _, a := range l.AddrInfo {
			want = append(want, fmt.Sprintf("%d %s/%d", l.Index, a.Local, a.PrefixLen))
		}
	}
	for _, m := range addrs {
		if m.Header.TypeName != "RTM_NEWADDR" {
			continue
		}
		local, ok := findAttr(m.Attrs, "IFA_LOCAL")
		if !ok {
			local, _ = findAttr(m.Attrs, "IFA_ADDRESS")
		}
		got = append(got, fmt.Sprintf("%d %s/%d", m.Family["index"], local, m.Family["prefixlen"]))
	}
	slices.Sort(want)
	slices.Sort(got)
	require.Equal(t, want, got)
	v0 := slices.IndexFunc(ipLinks, func(l ipLink) bool { return l.Name == "v0" })
	require.GreaterOrEqual(t, v0, 0)
	require.Contains(t, got, fmt.Sprintf("%d 192.0.2.1/24", ipLinks[v0].Index))

	// A route dump, checked against `ip -j route` for the main tables.
	routes, res := record("route_dump", "RTM_GETROUTE dump (rtmsg AF_UNSPEC): the IPv4 and IPv6 routes of every table.",
		core.Message{Header: core.Header{Type: unix.RTM_GETROUTE, Flags: core.FlagDump}, Data: make([]byte, unix.SizeofRtMsg)})
	require.Empty(t, res.Errno)
	want, got = nil, nil
	for _, fam := range []string{"-4", "-6"} {
		var rs []ipRoute
		ipJSON(t, ns, &rs, fam, "route", "show", "table", "main")
		for _, r := range rs {
			want = append(want, r.Dst+" "+r.Gateway)
		}
	}
	for _, m := range routes {
		if m.Header.TypeName != "RTM_NEWROUTE" || m.Family["table"] != uint8(unix.RT_TABLE_MAIN) {
			continue
		}
		dst, ok := findAttr(m.Attrs, "RTA_DST")
		var s string
		if ok {
			s = netip.PrefixFrom(netip.MustParseAddr(dst.(string)), int(m.Family["dst_len"].(uint8))).String()
		} else {
			s = "default"
		}
		if n := m.Family["dst_len"].(uint8); (n == 32 || n == 128) && ok {
			s = dst.(string) // ip prints host routes without /32 or /128
		}
		gw, _ := findAttr(m.Attrs, "RTA_GATEWAY")
		if gw == nil {
			gw = ""
		}
		got = append(got, s+" "+gw.(string))
	}
	slices.Sort(want)
	slices.Sort(got)
	require.Equal(t, want, got)
	require.Contains(t, got, "198.51.100.0/24 192.0.2.2")

	// An extended-ACK error: a link of a kind this kernel lacks.
	var e core.AttrEncoder
	e.Raw(make([]byte, unix.SizeofIfInfomsg))
	e.String(unix.IFLA_IFNAME, "x0")
	nest := e.NestStart(unix.IFLA_LINKINFO)
	e.String(unix.IFLA_INFO_KIND, "nosuchkind")
	require.NoError(t, e.NestEnd(nest))
	msgs, res := record("newlink_error", "RTM_NEWLINK of kind \"nosuchkind\": NLMSG_ERROR EOPNOTSUPP with the extended-ACK message \"Unknown device type\" and the request echoed.",
		core.Message{Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagAck | core.FlagCreate | core.FlagExcl}, Data: bytes.Clone(e.Bytes())})
	require.Len(t, msgs, 1)
	require.Equal(t, "EOPNOTSUPP", msgs[0].Error.Errno)
	require.Equal(t, "Unknown device type", msgs[0].Error.Message)
	require.Equal(t, "EOPNOTSUPP", res.Errno)

	// An error inside NLMSG_DONE: a strict route dump whose header asks
	// for a filter the dump does not do (rtm_dst_len) fails in the dump
	// callback, so the error travels in NLMSG_DONE with the extended ACK.
	rt := make([]byte, unix.SizeofRtMsg)
	rt[0], rt[1] = unix.AF_INET, 24
	msgs, res = record("route_dump_done_error", "RTM_GETROUTE strict dump (AF_INET) with rtm_dst_len 24: the error comes in NLMSG_DONE (EINVAL, NLM_F_ACK_TLVS, \"Invalid values in header for FIB dump request\").",
		core.Message{Header: core.Header{Type: unix.RTM_GETROUTE, Flags: core.FlagDump}, Data: rt})
	require.Len(t, msgs, 1)
	require.Equal(t, "NLMSG_DONE", msgs[0].Header.TypeName)
	require.NotZero(t, msgs[0].Header.Flags&uint16(core.FlagAckTLVs))
	require.Equal(t, "EINVAL", msgs[0].Error.Errno)
	require.Equal(t, "EINVAL", res.Errno)
	require.NotEmpty(t, msgs[0].Error.Message)
}
