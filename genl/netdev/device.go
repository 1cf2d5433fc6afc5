package netdev

import (
	"fmt"
	"strings"

	"github.com/nlkit/nlkit/core"
)

// Device is what dev-get says of a network device: what XDP and AF_XDP
// can do on it.
type Device struct {
	// Ifindex is the interface index.
	Ifindex uint32 `json:"ifindex"`
	// XDPFeatures are the XDP actions and modes the driver supports.
	XDPFeatures XDPFeatures `json:"xdp-features"`
	// XDPZCMaxSegs is the most fragments AF_XDP zero-copy takes (0 when
	// the device has no zero-copy).
	XDPZCMaxSegs uint32 `json:"xdp-zc-max-segs,omitempty"`
	// XDPRXMetadata are the receive metadata XDP programs can read.
	XDPRXMetadata XDPRXMetadata `json:"xdp-rx-metadata-features"`
	// XSKFeatures are the AF_XDP features.
	XSKFeatures XSKFeatures `json:"xsk-features"`
}

// Unmarshal decodes a dev-get reply or dev-*-ntf payload: genlmsghdr,
// then attributes.
func (d *Device) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return d.unmarshalAttrs(a)
}

func (d *Device) unmarshalAttrs(data []byte) error {
	*d = Device{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case attrDevIfindex:
			d.Ifindex = s.Uint32()
		case attrDevXDPFeatures:
			d.XDPFeatures = XDPFeatures(s.Uint())
		case attrDevXDPZCMaxSegs:
			d.XDPZCMaxSegs = s.Uint32()
		case attrDevXDPRXMetadataFeatures:
			d.XDPRXMetadata = XDPRXMetadata(s.Uint())
		case attrDevXSKFeatures:
			d.XSKFeatures = XSKFeatures(s.Uint())
		}
	}
	return s.Err()
}

// Marshal appends a dev-get request for d.Ifindex: the device's settings
// are read-only, so a request is all there is to encode.
func (d *Device) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw(genlHeader(b, CmdDevGet))
	e.Uint32(attrDevIfindex, d.Ifindex)
	return e.Bytes(), nil
}

// Equal reports whether d and o are the same.
func (d *Device) Equal(o *Device) bool { return *d == *o }

// Diff names the fields that differ.
func (d *Device) Diff(o *Device) []string {
	var df diffs
	df.add("ifindex", d.Ifindex != o.Ifindex)
	df.add("xdp-features", d.XDPFeatures != o.XDPFeatures)
	df.add("xdp-zc-max-segs", d.XDPZCMaxSegs != o.XDPZCMaxSegs)
	df.add("xdp-rx-metadata-features", d.XDPRXMetadata != o.XDPRXMetadata)
	df.add("xsk-features", d.XSKFeatures != o.XSKFeatures)
	return df
}

// String prints one line: "ifindex 2 xdp-features basic,redirect,rx-sg
// xdp-rx-metadata none xsk-features none".
func (d *Device) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "ifindex %d xdp-features %s", d.Ifindex, listOrNone(d.XDPFeatures.List()))
	if d.XDPZCMaxSegs != 0 {
		fmt.Fprintf(&s, " xdp-zc-max-segs %d", d.XDPZCMaxSegs)
	}
	fmt.Fprintf(&s, " xdp-rx-metadata %s xsk-features %s", listOrNone(d.XDPRXMetadata.List()), listOrNone(d.XSKFeatures.List()))
	return s.String()
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ",")
}

// genlHeader is the genlmsghdr Marshal writes: command, version, reserved.
func genlHeader(b []byte, cmd uint8) []byte {
	return append(b, cmd, FamilyVersion, 0, 0)
}

// skipGenl strips the genlmsghdr from a message payload for Unmarshal.
func skipGenl(data []byte) ([]byte, error) {
	if len(data) < 4 {
		return nil, &core.ParseError{What: "genlmsghdr", Len: len(data), Want: 4}
	}
	return data[4:], nil
}

// diffs collects the names of the fields that differ.
type diffs []string

func (d *diffs) add(name string, differ bool) {
	if differ {
		*d = append(*d, name)
	}
}
