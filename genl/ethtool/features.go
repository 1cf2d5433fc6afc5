package ethtool

import (
	"sort"
	"strings"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// Features is what ETHTOOL_MSG_FEATURES_GET says of a device's netdev
// features (offloads): four bit sets over the features the kernel knows,
// named by string set ETH_SS_FEATURES.
type Features struct {
	// Dev is the device.
	Dev Device
	// HW holds the features the driver lets the user change (the mask
	// covers every feature the kernel knows).
	HW Bitset
	// Wanted holds the features the user asked for.
	Wanted Bitset
	// Active holds the features in effect.
	Active Bitset
	// NoChange holds the features no one may change.
	NoChange Bitset
}

// Feature is one feature of a device, as ethtool -k shows it.
type Feature struct {
	// Name is the kernel's name ("tx-checksum-ip-generic").
	Name string `json:"name"`
	// Active is whether it is on.
	Active bool `json:"active"`
	// Requested is whether the user asked for it.
	Requested bool `json:"requested"`
	// Fixed is whether it cannot be changed on this device.
	Fixed bool `json:"fixed"`
}

// String prints "name: on", with " [fixed]" or " [requested on]" as
// ethtool -k does.
func (f Feature) String() string {
	s := f.Name + ": " + onOff(f.Active)
	switch {
	case f.Fixed:
		s += " [fixed]"
	case f.Requested != f.Active:
		s += " [requested " + onOff(f.Requested) + "]"
	}
	return s
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// Unmarshal decodes a FEATURES_GET_REPLY or FEATURES_NTF payload:
// genlmsghdr, then attributes, bit sets compact or verbose.
func (f *Features) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return f.unmarshalAttrs(a)
}

func (f *Features) unmarshalAttrs(data []byte) error {
	f.Dev = Device{}
	f.HW.Reset()
	f.Wanted.Reset()
	f.Active.Reset()
	f.NoChange.Reset()
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.ETHTOOL_A_FEATURES_HEADER:
			s.Fail(f.Dev.unmarshalHeader(s.Bytes()))
		case unix.ETHTOOL_A_FEATURES_HW:
			s.Fail(f.HW.Unmarshal(s.Bytes()))
		case unix.ETHTOOL_A_FEATURES_WANTED:
			s.Fail(f.Wanted.Unmarshal(s.Bytes()))
		case unix.ETHTOOL_A_FEATURES_ACTIVE:
			s.Fail(f.Active.Unmarshal(s.Bytes()))
		case unix.ETHTOOL_A_FEATURES_NOCHANGE:
			s.Fail(f.NoChange.Unmarshal(s.Bytes()))
		}
	}
	return s.Err()
}

// SetNames names the bits of the four sets with names (the string set
// ETH_SS_FEATURES), keeping names a verbose reply carried.
func (f *Features) SetNames(names []string) {
	for _, b := range []*Bitset{&f.HW, &f.Wanted, &f.Active, &f.NoChange} {
		if len(b.Names) == 0 {
			b.Names = names
		}
	}
}

// names returns the best table of names the sets carry.
func (f *Features) names() []string {
	best := f.HW.Names
	for _, b := range []*Bitset{&f.Wanted, &f.Active, &f.NoChange} {
		if len(b.Names) > len(best) {
			best = b.Names
		}
	}
	return best
}

// size is the number of features the sets speak of.
func (f *Features) size() uint32 {
	return max(f.HW.Size, f.Wanted.Size, f.Active.Size, f.NoChange.Size)
}

// Fixed reports whether feature bit i cannot be changed: the driver does
// not offer it, or no one may change it.
func (f *Features) Fixed(i uint32) bool {
	return !f.HW.IsSet(i) || f.NoChange.IsSet(i)
}

func (f *Features) feature(i uint32, names []string) Feature {
	name := ""
	if int(i) < len(names) {
		name = names[i]
	}
	if name == "" {
		name = "bit " + itoa(uint64(i))
	}
	return Feature{Name: name, Active: f.Active.IsSet(i), Requested: f.Wanted.IsSet(i), Fixed: f.Fixed(i)}
}

// List returns every feature the kernel knows, in bit order. When the
// names are known, the bits without one (unused feature bits) are left
// out, as ethtool -k leaves them out.
func (f *Features) List() []Feature {
	names := f.names()
	n := f.size()
	out := make([]Feature, 0, n)
	for i := uint32(0); i < n; i++ {
		if len(names) > 0 && (int(i) >= len(names) || names[i] == "") {
			continue
		}
		out = append(out, f.feature(i, names))
	}
	return out
}

// Get finds a feature by its kernel name.
func (f *Features) Get(name string) (Feature, bool) {
	names := f.names()
	for i, n := range names {
		if n == name && uint32(i) < f.size() {
			return f.feature(uint32(i), names), true
		}
	}
	return Feature{}, false
}

// ActiveNames lists the features that are on, sorted.
func (f *Features) ActiveNames() []string {
	var out []string
	for _, ft := range f.List() {
		if ft.Active {
			out = append(out, ft.Name)
		}
	}
	sort.Strings(out)
	return out
}

// Marshal appends a FEATURES_SET request for f.Dev asking for the wanted
// features f.Wanted holds: with a mask, the bits in it are set to their
// values and the rest left alone; without, every feature is set as the
// list says. The bit set goes in the compact form.
func (f *Features) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw(genlHeader(b, unix.ETHTOOL_MSG_FEATURES_SET))
	if err := featuresEncodeSet(&e, f.Dev, 0, &f.Wanted); err != nil {
		return b, err
	}
	return e.Bytes(), nil
}

// featuresEncodeSet appends the attributes of a FEATURES_SET request.
func featuresEncodeSet(e *core.AttrEncoder, dev Device, flags uint32, wanted *Bitset) error {
	if err := appendHeader(e, unix.ETHTOOL_A_FEATURES_HEADER, dev, flags); err != nil {
		return err
	}
	return wanted.AppendCompact(e, unix.ETHTOOL_A_FEATURES_WANTED)
}

// Equal reports whether f and o hold the same features.
func (f *Features) Equal(o *Features) bool { return len(f.Diff(o)) == 0 }

// Diff names the fields that differ: "dev", "hw", "wanted", "active",
// "nochange".
func (f *Features) Diff(o *Features) []string {
	var d diffs
	d.add("dev", f.Dev != o.Dev)
	d.add("hw", !f.HW.Equal(&o.HW))
	d.add("wanted", !f.Wanted.Equal(&o.Wanted))
	d.add("active", !f.Active.Equal(&o.Active))
	d.add("nochange", !f.NoChange.Equal(&o.NoChange))
	return d
}

// String prints one line: the device and the active features.
func (f *Features) String() string {
	return f.Dev.String() + " features " + strings.Join(f.ActiveNames(), ",")
}

// MarshalJSON prints the device and the features as a list.
func (f *Features) MarshalJSON() ([]byte, error) {
	return jsonMarshal(struct {
		Dev      Device    `json:"dev"`
		Features []Feature `json:"features"`
	}{f.Dev, f.List()})
}

// FeatureChange is the kernel's answer to a FEATURES_SET request
// (FEATURES_SET_REPLY): what did not come out as asked, and what changed.
type FeatureChange struct {
	// Dev is the device.
	Dev Device
	// Wanted has in its mask the features whose result differs from the
	// request, with the values that were requested.
	Wanted Bitset
	// Active has in its mask the features that changed, with their new
	// values.
	Active Bitset
}

// Unmarshal decodes a FEATURES_SET_REPLY payload: genlmsghdr, then
// attributes.
func (c *FeatureChange) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return c.unmarshalAttrs(a)
}

func (c *FeatureChange) unmarshalAttrs(data []byte) error {
	*c = FeatureChange{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.ETHTOOL_A_FEATURES_HEADER:
			s.Fail(c.Dev.unmarshalHeader(s.Bytes()))
		case unix.ETHTOOL_A_FEATURES_WANTED:
			s.Fail(c.Wanted.Unmarshal(s.Bytes()))
		case unix.ETHTOOL_A_FEATURES_ACTIVE:
			s.Fail(c.Active.Unmarshal(s.Bytes()))
		}
	}
	return s.Err()
}

// Changed maps each feature that changed to its new value.
func (c *FeatureChange) Changed() map[string]bool {
	return maskedValues(&c.Active)
}

// NotApplied maps each feature that did not come out as requested to the
// value that was requested.
func (c *FeatureChange) NotApplied() map[string]bool {
	return maskedValues(&c.Wanted)
}

func maskedValues(b *Bitset) map[string]bool {
	out := map[string]bool{}
	if b.Mask == nil {
		return out
	}
	for _, i := range b.MaskBits() {
		out[b.Name(i)] = testBit(b.Value, i)
	}
	return out
}
