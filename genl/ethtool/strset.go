package ethtool

import (
	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// maxStrings bounds the strings of one set a decoder accepts.
const maxStrings = MaxBits

// StringSet is one of the kernel's ethtool string sets (ETH_SS_*): the
// names of the bits of the bit sets that use it.
type StringSet struct {
	// ID is the set (StringSetFeatures, StringSetLinkModes, ...).
	ID uint32 `json:"id"`
	// Strings are the names by index.
	Strings []string `json:"strings"`
}

// StringSets is a STRSET_GET reply: the sets asked for.
type StringSets struct {
	// Dev is the device, when the request named one.
	Dev Device `json:"dev"`
	// Sets are the string sets.
	Sets []StringSet `json:"sets"`
}

// Unmarshal decodes a STRSET_GET_REPLY payload: genlmsghdr, then
// attributes.
func (ss *StringSets) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return ss.unmarshalAttrs(a)
}

func (ss *StringSets) unmarshalAttrs(data []byte) error {
	*ss = StringSets{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.ETHTOOL_A_STRSET_HEADER:
			s.Fail(ss.Dev.unmarshalHeader(s.Bytes()))
		case unix.ETHTOOL_A_STRSET_STRINGSETS:
			sets := s.Nested()
			for sets.Next() {
				if sets.Type() != unix.ETHTOOL_A_STRINGSETS_STRINGSET {
					continue
				}
				var set StringSet
				if err := set.unmarshal(sets.Bytes()); err != nil {
					return err
				}
				ss.Sets = append(ss.Sets, set)
			}
			s.Fail(sets.Err())
		}
	}
	return s.Err()
}

// unmarshal reads one ETHTOOL_A_STRINGSETS_STRINGSET nest.
func (set *StringSet) unmarshal(data []byte) error {
	var count uint32
	var strs []byte
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case unix.ETHTOOL_A_STRINGSET_ID:
			set.ID = s.Uint32()
		case unix.ETHTOOL_A_STRINGSET_COUNT:
			count = s.Uint32()
		case unix.ETHTOOL_A_STRINGSET_STRINGS:
			strs = s.Bytes()
		}
	}
	if err := s.Err(); err != nil {
		return err
	}
	if count > maxStrings {
		return bitsetErr("string set %d has %d strings, more than %d", set.ID, count, maxStrings)
	}
	set.Strings = make([]string, count)
	ls := core.ScanAttrs(strs)
	for ls.Next() {
		if ls.Type() != unix.ETHTOOL_A_STRINGS_STRING {
			continue
		}
		var idx uint32
		var val string
		haveIdx := false
		one := ls.Nested()
		for one.Next() {
			switch one.Type() {
			case unix.ETHTOOL_A_STRING_INDEX:
				idx, haveIdx = one.Uint32(), true
			case unix.ETHTOOL_A_STRING_VALUE:
				val = one.String()
			}
		}
		if err := one.Err(); err != nil {
			return err
		}
		if !haveIdx || idx >= count {
			return bitsetErr("string set %d: string %q has index %d of %d", set.ID, val, idx, count)
		}
		set.Strings[idx] = val
	}
	return ls.Err()
}

// Marshal appends a STRSET_GET request for the sets in ss (their IDs),
// about ss.Dev when it names one (some sets are per device).
func (ss *StringSets) Marshal(b []byte) ([]byte, error) {
	b = genlHeader(b, unix.ETHTOOL_MSG_STRSET_GET)
	var e core.AttrEncoder
	e.Raw(b)
	if err := strsetRequest(&e, ss.Dev, ss.ids()); err != nil {
		return b, err
	}
	return e.Bytes(), nil
}

func (ss *StringSets) ids() []uint32 {
	ids := make([]uint32, len(ss.Sets))
	for i, s := range ss.Sets {
		ids[i] = s.ID
	}
	return ids
}

// strsetRequest encodes the attributes of a STRSET_GET request.
func strsetRequest(e *core.AttrEncoder, dev Device, ids []uint32) error {
	if err := appendHeader(e, unix.ETHTOOL_A_STRSET_HEADER, dev, 0); err != nil {
		return err
	}
	sets := e.NestStart(unix.ETHTOOL_A_STRSET_STRINGSETS | core.AttrNested)
	for _, id := range ids {
		one := e.NestStart(unix.ETHTOOL_A_STRINGSETS_STRINGSET | core.AttrNested)
		e.Uint32(unix.ETHTOOL_A_STRINGSET_ID, id)
		if err := e.NestEnd(one); err != nil {
			return err
		}
	}
	return e.NestEnd(sets)
}
