package ethtool

import (
	"errors"
	"sort"
	"strconv"
	"strings"
)

// errNoReply is the cause when the kernel acknowledged a GET without
// answering it.
var errNoReply = errors.New("ethtool: the kernel sent no reply")

// FeatureProblem is one feature a FeatureError is about.
type FeatureProblem struct {
	// Name is the feature (or alias) as given.
	Name string
	// Value is the value requested (for Fixed: also the one the
	// feature is stuck at is its opposite).
	Value bool
}

// FeatureError says why SetFeatures refused a request, or what the kernel
// did not apply.
type FeatureError struct {
	// Op is what was being done ("ethtool set features veth0").
	Op string
	// Unknown are names that are neither a kernel feature nor an alias.
	Unknown []string
	// Fixed are features asked to change that this device does not let
	// change.
	Fixed []FeatureProblem
	// NotApplied are features the kernel did not set as requested.
	NotApplied []FeatureProblem
}

// Error prints every problem: `ethtool set features veth0: feature
// "loopback" is fixed off on this device, cannot turn it on`.
func (e *FeatureError) Error() string {
	var parts []string
	for _, n := range e.Unknown {
		parts = append(parts, "unknown feature "+strconv.Quote(n))
	}
	for _, p := range e.Fixed {
		parts = append(parts, "feature "+strconv.Quote(p.Name)+" is fixed "+onOff(!p.Value)+
			" on this device, cannot turn it "+onOff(p.Value))
	}
	if len(e.NotApplied) > 0 {
		var names []string
		for _, p := range e.NotApplied {
			names = append(names, strconv.Quote(p.Name)+" (requested "+onOff(p.Value)+")")
		}
		parts = append(parts, "the kernel did not apply "+strings.Join(names, ", "))
	}
	s := strings.Join(parts, "; ")
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// request builds the WANTED bit set (value and mask) that sets want on f,
// or the FeatureError refusing it.
func (f *Features) request(want map[string]bool) (*Bitset, *FeatureError) {
	names := f.names()
	index := make(map[string]uint32, len(names))
	for i, n := range names {
		if n != "" {
			index[n] = uint32(i)
		}
	}
	req := NewBitset(uint32(len(names)), true)
	fe := &FeatureError{}
	for _, name := range sortedKeys(want) {
		on := want[name]
		if i, ok := index[name]; ok {
			if f.Fixed(i) {
				if f.Active.IsSet(i) != on {
					fe.Fixed = append(fe.Fixed, FeatureProblem{Name: name, Value: on})
				}
				continue
			}
			req.Set(i, on)
			continue
		}
		members, ok := featureAliases[name]
		if !ok {
			fe.Unknown = append(fe.Unknown, name)
			continue
		}
		changeable, differs := 0, false
		for _, m := range members {
			i, ok := index[m]
			if !ok {
				continue
			}
			if f.Active.IsSet(i) != on {
				differs = true
			}
			if !f.Fixed(i) {
				req.Set(i, on)
				changeable++
			}
		}
		if changeable == 0 && differs {
			fe.Fixed = append(fe.Fixed, FeatureProblem{Name: name, Value: on})
		}
	}
	if len(fe.Unknown) > 0 || len(fe.Fixed) > 0 {
		return nil, fe
	}
	return req, nil
}
