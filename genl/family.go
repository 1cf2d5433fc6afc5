package genl

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Family is a generic netlink family as the controller (nlctrl) describes
// it: what `genl ctrl list` and libnl's genl-ctrl-list --details show. A
// *Family handed out by Conn.Family is shared by the Conn's cache: treat it
// as read-only.
type Family struct {
	// ID is the family's netlink message type (GENL_ID_CTRL for nlctrl).
	ID uint16 `json:"id"`
	// Name is the family's name ("nlctrl", "ethtool").
	Name string `json:"name"`
	// Version is the family's version; requests carry it in genlmsghdr.
	Version uint32 `json:"version"`
	// HeaderSize is the size of the family's own header, which follows
	// genlmsghdr in every message (0 for most families).
	HeaderSize uint32 `json:"hdrsize"`
	// MaxAttr is the family's highest attribute type.
	MaxAttr uint32 `json:"maxattr"`
	// Ops are the commands the family supports, with their flags.
	Ops []Op `json:"ops,omitempty"`
	// Groups are the family's multicast groups.
	Groups []Group `json:"mcast_groups,omitempty"`
}

// Op is one command of a family (CTRL_ATTR_OPS): its number and its
// GENL_* flags.
type Op struct {
	// ID is the command number (genlmsghdr.cmd).
	ID uint32 `json:"id"`
	// Flags are OpAdminPerm, OpCanDo, OpCanDump, OpHasPolicy,
	// OpUnsAdminPerm; OpFlagsString names them.
	Flags uint32 `json:"flags"`
}

// Op flags (GENL_* in linux/genetlink.h).
const (
	// OpAdminPerm: the command needs CAP_NET_ADMIN in the initial user
	// namespace (GENL_ADMIN_PERM).
	OpAdminPerm uint32 = unix.GENL_ADMIN_PERM
	// OpCanDo: the command has a doit handler (GENL_CMD_CAP_DO).
	OpCanDo uint32 = unix.GENL_CMD_CAP_DO
	// OpCanDump: the command has a dumpit handler (GENL_CMD_CAP_DUMP).
	OpCanDump uint32 = unix.GENL_CMD_CAP_DUMP
	// OpHasPolicy: the command validates its attributes against a
	// policy, which CTRL_CMD_GETPOLICY shows (GENL_CMD_CAP_HASPOL).
	OpHasPolicy uint32 = unix.GENL_CMD_CAP_HASPOL
	// OpUnsAdminPerm: the command needs CAP_NET_ADMIN in the user
	// namespace owning the network namespace (GENL_UNS_ADMIN_PERM).
	OpUnsAdminPerm uint32 = unix.GENL_UNS_ADMIN_PERM
)

var opFlagNames = [...]struct {
	f    uint32
	name string
}{
	{OpAdminPerm, "admin-perm"},
	{OpCanDo, "do"},
	{OpCanDump, "dump"},
	{OpHasPolicy, "has-policy"},
	{OpUnsAdminPerm, "uns-admin-perm"},
}

// OpFlagsString names op flags joined by ',' ("do,dump,has-policy"), with
// unknown bits in hex; no flags print as "none".
func OpFlagsString(f uint32) string {
	var b []byte
	for _, n := range opFlagNames {
		if f&n.f != 0 {
			if len(b) > 0 {
				b = append(b, ',')
			}
			b = append(b, n.name...)
			f &^= n.f
		}
	}
	if f != 0 {
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, "0x"...)
		b = strconv.AppendUint(b, uint64(f), 16)
	}
	if len(b) == 0 {
		return "none"
	}
	return string(b)
}

// String prints the command and its flags: "3 (do,dump,has-policy)".
func (o Op) String() string {
	return strconv.FormatUint(uint64(o.ID), 10) + " (" + OpFlagsString(o.Flags) + ")"
}

// MarshalJSON prints the command with its flags as a number and by name:
// {"id":3,"flags":14,"caps":["do","dump","has-policy"]}.
func (o Op) MarshalJSON() ([]byte, error) {
	b := []byte(`{"id":`)
	b = strconv.AppendUint(b, uint64(o.ID), 10)
	b = append(b, `,"flags":`...)
	b = strconv.AppendUint(b, uint64(o.Flags), 10)
	b = append(b, `,"caps":[`...)
	n := 0
	for _, f := range opFlagNames {
		if o.Flags&f.f != 0 {
			if n > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, f.name)
			n++
		}
	}
	return append(b, "]}"...), nil
}

// Group is a multicast group of a family (CTRL_ATTR_MCAST_GROUPS).
type Group struct {
	// ID is the group number to join (it is global, not per family).
	ID uint32 `json:"id"`
	// Name is the group's name within its family ("notify", "monitor").
	Name string `json:"name"`
}

// String prints "name(id)".
func (g Group) String() string {
	return g.Name + "(" + strconv.FormatUint(uint64(g.ID), 10) + ")"
}

// Op returns the family's command cmd, or false when it has none.
func (f *Family) Op(cmd uint32) (Op, bool) {
	for _, o := range f.Ops {
		if o.ID == cmd {
			return o, true
		}
	}
	return Op{}, false
}

// Group returns the family's multicast group called name, or false.
func (f *Family) Group(name string) (Group, bool) {
	for _, g := range f.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// String prints the family on one line, as `genl ctrl list` would sum it
// up: "ethtool id 20 version 1 hdrsize 0 maxattr 0 ops 1,2,... groups monitor(5)".
func (f *Family) String() string {
	var b strings.Builder
	b.WriteString(f.Name)
	b.WriteString(" id ")
	b.WriteString(strconv.FormatUint(uint64(f.ID), 10))
	b.WriteString(" version ")
	b.WriteString(strconv.FormatUint(uint64(f.Version), 10))
	b.WriteString(" hdrsize ")
	b.WriteString(strconv.FormatUint(uint64(f.HeaderSize), 10))
	b.WriteString(" maxattr ")
	b.WriteString(strconv.FormatUint(uint64(f.MaxAttr), 10))
	if len(f.Ops) > 0 {
		b.WriteString(" ops ")
		for i, o := range f.Ops {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatUint(uint64(o.ID), 10))
		}
	}
	if len(f.Groups) > 0 {
		b.WriteString(" groups ")
		for i, g := range f.Groups {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(g.String())
		}
	}
	return b.String()
}

// Equal reports whether f and o describe the same family.
func (f *Family) Equal(o *Family) bool {
	return len(f.Diff(o)) == 0
}

// Diff names the fields of f and o that differ.
func (f *Family) Diff(o *Family) []string {
	var d []string
	if f.ID != o.ID {
		d = append(d, "ID")
	}
	if f.Name != o.Name {
		d = append(d, "Name")
	}
	if f.Version != o.Version {
		d = append(d, "Version")
	}
	if f.HeaderSize != o.HeaderSize {
		d = append(d, "HeaderSize")
	}
	if f.MaxAttr != o.MaxAttr {
		d = append(d, "MaxAttr")
	}
	if !slices.Equal(f.Ops, o.Ops) {
		d = append(d, "Ops")
	}
	if !slices.Equal(f.Groups, o.Groups) {
		d = append(d, "Groups")
	}
	return d
}

// Unmarshal decodes a controller message about a family
// (CTRL_CMD_NEWFAMILY, as GETFAMILY answers, or a NEWFAMILY/DELFAMILY
// event): data is the payload after the netlink header, genlmsghdr
// included. Unknown attributes are ignored. On error f is left unchanged.
func (f *Family) Unmarshal(data []byte) error {
	if len(data) < HeaderLen {
		return &core.ParseError{What: "genlmsghdr", Len: len(data), Want: HeaderLen}
	}
	var n Family
	if err := n.decode(data[HeaderLen:], nil); err != nil {
		return err
	}
	*f = n
	return nil
}

// Marshal appends what a CTRL_CMD_GETFAMILY request for f carries:
// genlmsghdr (CTRL_CMD_GETFAMILY, version 2) and the family's name, or its
// ID when it has no name.
func (f *Family) Marshal(b []byte) ([]byte, error) {
	b = append(b, unix.CTRL_CMD_GETFAMILY, ctrlVersion, 0, 0)
	switch {
	case f.Name != "":
		if len(f.Name) >= unix.GENL_NAMSIZ {
			return b, fmt.Errorf("genl: family name %q is longer than %d bytes", f.Name, unix.GENL_NAMSIZ-1)
		}
		b = familyAppendString(b, unix.CTRL_ATTR_FAMILY_NAME, f.Name)
	case f.ID != 0:
		b = binary.NativeEndian.AppendUint16(b, 6)
		b = binary.NativeEndian.AppendUint16(b, unix.CTRL_ATTR_FAMILY_ID)
		b = binary.NativeEndian.AppendUint16(b, f.ID)
		b = append(b, 0, 0)
	}
	return b, nil
}

// familyAppendString appends a NUL-terminated string attribute to b.
func familyAppendString(b []byte, typ uint16, s string) []byte {
	n := core.AttrHeaderLen + len(s) + 1
	b = binary.NativeEndian.AppendUint16(b, uint16(n))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, s...)
	b = append(b, 0)
	for pad := core.Align(n) - n; pad > 0; pad-- {
		b = append(b, 0)
	}
	return b
}

// decode reads the controller's family attributes into f, reusing f's
// Ops and Groups, and taking strings from in when it is not nil.
func (f *Family) decode(attrs []byte, in *familyInterner) error {
	*f = Family{Ops: f.Ops[:0], Groups: f.Groups[:0]}
	s := core.ScanAttrs(attrs)
	for s.Next() {
		switch s.Type() {
		case unix.CTRL_ATTR_FAMILY_ID:
			f.ID = s.Uint16()
		case unix.CTRL_ATTR_FAMILY_NAME:
			f.Name = in.string(s.Attr().StringBytes())
		case unix.CTRL_ATTR_VERSION:
			f.Version = s.Uint32()
		case unix.CTRL_ATTR_HDRSIZE:
			f.HeaderSize = s.Uint32()
		case unix.CTRL_ATTR_MAXATTR:
			f.MaxAttr = s.Uint32()
		case unix.CTRL_ATTR_OPS:
			s.Fail(familyDecodeOps(s.Attr().Data, &f.Ops))
		case unix.CTRL_ATTR_MCAST_GROUPS:
			s.Fail(familyDecodeGroups(s.Attr().Data, &f.Groups, in))
		}
	}
	if err := s.Err(); err != nil {
		return err
	}
	if f.ID == 0 && f.Name == "" {
		return &core.ParseError{What: "family (no CTRL_ATTR_FAMILY_ID or _NAME)", Len: len(attrs), Want: core.AttrHeaderLen}
	}
	return nil
}

func familyDecodeOps(b []byte, ops *[]Op) error {
	*ops = slices.Grow(*ops, familyCount(b))
	s := core.ScanAttrs(b)
	for s.Next() {
		var o Op
		n := s.Nested()
		for n.Next() {
			switch n.Type() {
			case unix.CTRL_ATTR_OP_ID:
				o.ID = n.Uint32()
			case unix.CTRL_ATTR_OP_FLAGS:
				o.Flags = n.Uint32()
			}
		}
		if err := n.Err(); err != nil {
			return err
		}
		*ops = append(*ops, o)
	}
	return s.Err()
}

func familyDecodeGroups(b []byte, groups *[]Group, in *familyInterner) error {
	*groups = slices.Grow(*groups, familyCount(b))
	s := core.ScanAttrs(b)
	for s.Next() {
		var g Group
		n := s.Nested()
		for n.Next() {
			switch n.Type() {
			case unix.CTRL_ATTR_MCAST_GRP_ID:
				g.ID = n.Uint32()
			case unix.CTRL_ATTR_MCAST_GRP_NAME:
				g.Name = in.string(n.Attr().StringBytes())
			}
		}
		if err := n.Err(); err != nil {
			return err
		}
		*groups = append(*groups, g)
	}
	return s.Err()
}

// familyCount counts the attributes of a well-formed stream, so a slice
// can be sized once.
func familyCount(b []byte) int {
	n := 0
	s := core.ScanAttrs(b)
	for s.Next() {
		n++
	}
	return n
}
