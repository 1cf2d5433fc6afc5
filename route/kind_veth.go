package route

import (
	"github.com/nlkit/nlkit/core"
)

// vethInfoPeer is VETH_INFO_PEER (linux/veth.h).
const vethInfoPeer = 1

// VethInfo is the data of a veth link: its peer, which a request creates
// together with the link (the peer's own ifinfomsg and attributes, nested
// in VETH_INFO_PEER). The kernel does not report the peer in dumps: read
// the peer's index from Link.ParentIndex instead.
type VethInfo struct {
	// Peer is the other end: at least its Name; nil lets the kernel name
	// it (vethN).
	Peer *Link `json:"peer,omitempty"`
}

// Kind returns "veth".
func (*VethInfo) Kind() string { return "veth" }

// EncodeInfo writes VETH_INFO_PEER.
func (v *VethInfo) EncodeInfo(e *core.AttrEncoder) error {
	if v.Peer == nil {
		return nil
	}
	n := e.NestStart(vethInfoPeer)
	if err := v.Peer.encode(e); err != nil {
		e.NestCancel(n)
		return err
	}
	return e.NestEnd(n)
}

// DecodeInfo reads VETH_INFO_PEER.
func (v *VethInfo) DecodeInfo(data []byte) error {
	v.Peer = nil
	s := core.ScanAttrs(data)
	for s.Next() {
		if s.Type() == vethInfoPeer {
			p := &Link{}
			if err := p.Unmarshal(s.Bytes()); err != nil {
				return err
			}
			v.Peer = p
		}
	}
	return s.Err()
}

// IFBInfo is the (empty) data of an ifb link, the intermediate functional
// block used to shape ingress traffic.
type IFBInfo struct{}

// Kind returns "ifb".
func (*IFBInfo) Kind() string { return "ifb" }

// EncodeInfo writes nothing.
func (*IFBInfo) EncodeInfo(*core.AttrEncoder) error { return nil }

// DecodeInfo ignores data.
func (*IFBInfo) DecodeInfo([]byte) error { return nil }

// DummyInfo is the (empty) data of a dummy link.
type DummyInfo struct{}

// Kind returns "dummy".
func (*DummyInfo) Kind() string { return "dummy" }

// EncodeInfo writes nothing.
func (*DummyInfo) EncodeInfo(*core.AttrEncoder) error { return nil }

// DecodeInfo ignores data.
func (*DummyInfo) DecodeInfo([]byte) error { return nil }
