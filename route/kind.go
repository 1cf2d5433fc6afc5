package route

import (
	"sort"

	"github.com/nlkit/nlkit/core"
)

// LinkInfo is the kind-specific part of a link: the IFLA_INFO_KIND string
// and the attributes nested in IFLA_INFO_DATA (or, for a port's data
// about its master, IFLA_INFO_SLAVE_KIND and IFLA_INFO_SLAVE_DATA).
//
// The package implements it for the kinds it knows (*VethInfo,
// *BridgeInfo, *BridgePortInfo, *MacvlanInfo, *VxlanInfo, ...) and keeps
// any other kind as *RawLinkInfo. To teach it a new kind, implement
// LinkInfo and register a constructor in a Kinds registry (see Kinds).
type LinkInfo interface {
	// Kind is the IFLA_INFO_KIND (or IFLA_INFO_SLAVE_KIND) string.
	Kind() string
	// EncodeInfo appends the attributes that go inside IFLA_INFO_DATA.
	// Appending nothing leaves IFLA_INFO_DATA out.
	EncodeInfo(e *core.AttrEncoder) error
	// DecodeInfo reads the attributes of IFLA_INFO_DATA, replacing every
	// field (the value may be reused from an earlier link). data aliases
	// the message: copy what is kept. It must not panic on any input.
	DecodeInfo(data []byte) error
}

// Kinds is a registry of link kinds: which LinkInfo type decodes the
// IFLA_INFO_DATA of each IFLA_INFO_KIND, and of each IFLA_INFO_SLAVE_KIND.
// A registry is a plain value with no shared state: DefaultKinds returns a
// fresh one holding the built-in kinds each time, and a program adds its
// own kinds to its copy. Pass it in LinkFilter.Kinds, to
// Link.UnmarshalKinds, or to Resolve after any other call.
//
// A Kinds is safe for concurrent reads; do not Register while it is in use.
type Kinds struct {
	kinds  map[string]func() LinkInfo
	slaves map[string]func() LinkInfo
}

// NewKinds returns an empty registry: every kind decodes as *RawLinkInfo.
func NewKinds() *Kinds {
	return &Kinds{kinds: map[string]func() LinkInfo{}, slaves: map[string]func() LinkInfo{}}
}

// DefaultKinds returns a new registry holding the built-in kinds.
func DefaultKinds() *Kinds {
	k := NewKinds()
	for _, b := range linkBuiltinKinds {
		k.kinds[b.kind] = b.new
	}
	for _, b := range linkBuiltinSlaveKinds {
		k.slaves[b.kind] = b.new
	}
	return k
}

// Register makes kind decode through the values newInfo returns,
// replacing any earlier entry for kind.
func (k *Kinds) Register(kind string, newInfo func() LinkInfo) { k.kinds[kind] = newInfo }

// RegisterSlave is Register for IFLA_INFO_SLAVE_KIND.
func (k *Kinds) RegisterSlave(kind string, newInfo func() LinkInfo) { k.slaves[kind] = newInfo }

// Names lists the registered kinds, sorted.
func (k *Kinds) Names() []string {
	out := make([]string, 0, len(k.kinds))
	for n := range k.kinds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// New returns a zero LinkInfo for kind, or nil when kind is not
// registered.
func (k *Kinds) New(kind string) LinkInfo {
	if fn := k.kinds[kind]; fn != nil {
		return fn()
	}
	return nil
}

// NewSlave is New for IFLA_INFO_SLAVE_KIND.
func (k *Kinds) NewSlave(kind string) LinkInfo {
	if fn := k.slaves[kind]; fn != nil {
		return fn()
	}
	return nil
}

// Resolve decodes l's *RawLinkInfo data (a kind the decoder did not know)
// with the kinds of k, so a link read by any call can be looked at through
// a registry of the caller's.
func (k *Kinds) Resolve(l *Link) error {
	if r, ok := l.Info.(*RawLinkInfo); ok {
		if v := k.New(r.Name); v != nil {
			if err := v.DecodeInfo(r.Data); err != nil {
				return err
			}
			l.Info = v
		}
	}
	if r, ok := l.SlaveInfo.(*RawLinkInfo); ok {
		if v := k.NewSlave(r.Name); v != nil {
			if err := v.DecodeInfo(r.Data); err != nil {
				return err
			}
			l.SlaveInfo = v
		}
	}
	return nil
}

// newInfo makes a LinkInfo for kind from k, or from the built-in kinds
// when k is nil.
func (k *Kinds) newInfo(kind string, slave bool) LinkInfo {
	if k != nil {
		if slave {
			return k.NewSlave(kind)
		}
		return k.New(kind)
	}
	list := linkBuiltinKinds[:]
	if slave {
		list = linkBuiltinSlaveKinds[:]
	}
	for _, b := range list {
		if b.kind == kind {
			return b.new()
		}
	}
	return nil
}

// linkKindEntry is one built-in kind.
type linkKindEntry struct {
	kind string
	new  func() LinkInfo
}

// linkBuiltinKinds are the kinds every DefaultKinds registry holds (a
// read-only table).
var linkBuiltinKinds = [...]linkKindEntry{
	{"veth", func() LinkInfo { return &VethInfo{} }},
	{"bridge", func() LinkInfo { return &BridgeInfo{} }},
	{"macvlan", func() LinkInfo { return &MacvlanInfo{} }},
	{"macvtap", func() LinkInfo { return &MacvlanInfo{Tap: true} }},
	{"vxlan", func() LinkInfo { return &VxlanInfo{} }},
	{"ifb", func() LinkInfo { return &IFBInfo{} }},
	{"dummy", func() LinkInfo { return &DummyInfo{} }},
	{"tun", func() LinkInfo { return &TunInfo{} }},
	{"vlan", func() LinkInfo { return &VlanInfo{} }},
	{"bond", func() LinkInfo { return &BondInfo{} }},
	{"gre", func() LinkInfo { return &GreInfo{Name: "gre"} }},
	{"gretap", func() LinkInfo { return &GreInfo{Name: "gretap"} }},
	{"ip6gre", func() LinkInfo { return &GreInfo{Name: "ip6gre"} }},
	{"ip6gretap", func() LinkInfo { return &GreInfo{Name: "ip6gretap"} }},
	{"ipip", func() LinkInfo { return &IPTunInfo{Name: "ipip"} }},
	{"sit", func() LinkInfo { return &IPTunInfo{Name: "sit"} }},
	{"ip6tnl", func() LinkInfo { return &IPTunInfo{Name: "ip6tnl"} }},
	{"vrf", func() LinkInfo { return &VrfInfo{} }},
	{"geneve", func() LinkInfo { return &GeneveInfo{} }},
	{"macsec", func() LinkInfo { return &MacsecInfo{} }},
	{"ipvlan", func() LinkInfo { return &IPVlanInfo{} }},
	{"ipvtap", func() LinkInfo { return &IPVlanInfo{Tap: true} }},
}

// linkBuiltinSlaveKinds are the built-in IFLA_INFO_SLAVE_KIND decoders.
var linkBuiltinSlaveKinds = [...]linkKindEntry{
	{"bridge", func() LinkInfo { return &BridgePortInfo{} }},
}

// RawLinkInfo is the IFLA_INFO_DATA of a kind no registry knows, kept as
// its raw attribute bytes; encoding writes them back unchanged.
type RawLinkInfo struct {
	// Name is the IFLA_INFO_KIND string.
	Name string `json:"info_kind"`
	// Data is the payload of IFLA_INFO_DATA (attributes, not parsed).
	Data []byte `json:"info_data,omitempty"`
}

// Kind returns Name.
func (r *RawLinkInfo) Kind() string { return r.Name }

// EncodeInfo appends Data as is (padded to 4 bytes).
func (r *RawLinkInfo) EncodeInfo(e *core.AttrEncoder) error {
	e.Raw(r.Data)
	if pad := core.Align(len(r.Data)) - len(r.Data); pad > 0 {
		e.Raw(make([]byte, pad))
	}
	return nil
}

// DecodeInfo copies data.
func (r *RawLinkInfo) DecodeInfo(data []byte) error {
	r.Data = append(r.Data[:0], data...)
	return nil
}
