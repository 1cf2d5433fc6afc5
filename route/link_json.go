package route

import "encoding/json"

// linkJSONLinkInfo is the "linkinfo" object of `ip -j -d link`.
type linkJSONLinkInfo struct {
	Kind      string   `json:"info_kind,omitempty"`
	Data      LinkInfo `json:"info_data,omitempty"`
	SlaveKind string   `json:"info_slave_kind,omitempty"`
	SlaveData LinkInfo `json:"info_slave_data,omitempty"`
}

// MarshalJSON prints l with the field names of `ip -j -d link show`:
// ifindex, ifname, flags, mtu, qdisc, operstate, linkmode, group, txqlen,
// link_type, address, broadcast, master and link (as indexes), linkinfo
// {info_kind, info_data, info_slave_kind, info_slave_data},
// inet6_addr_gen_mode, stats64 (when the kernel sent it), xdp (when a
// program is attached) and the rest.
func (l *Link) MarshalJSON() ([]byte, error) {
	type plain Link
	v := struct {
		*plain
		Flags       []string          `json:"flags"`
		Address     string            `json:"address,omitempty"`
		Broadcast   string            `json:"broadcast,omitempty"`
		PermAddress string            `json:"permaddr,omitempty"`
		LinkInfo    *linkJSONLinkInfo `json:"linkinfo,omitempty"`
		AddrGenMode string            `json:"inet6_addr_gen_mode,omitempty"`
		Stats       *LinkStats        `json:"stats64,omitempty"`
		XDP         *LinkXDP          `json:"xdp,omitempty"`
		InetConf    []uint32          `json:"inet_conf,omitempty"`
		Inet6       *LinkInet6        `json:"inet6,omitempty"`
	}{plain: (*plain)(l), Flags: l.ipFlags()}
	if len(l.Address) > 0 {
		v.Address = l.Address.String()
	}
	if len(l.Broadcast) > 0 {
		v.Broadcast = l.Broadcast.String()
	}
	if len(l.PermAddress) > 0 {
		v.PermAddress = l.PermAddress.String()
	}
	if l.Info != nil || l.SlaveInfo != nil {
		li := &linkJSONLinkInfo{Data: l.Info, SlaveData: l.SlaveInfo}
		if l.Info != nil {
			li.Kind = l.Info.Kind()
			if linkInfoEmpty(l.Info) {
				li.Data = nil
			}
		}
		if l.SlaveInfo != nil {
			li.SlaveKind = l.SlaveInfo.Kind()
		}
		v.LinkInfo = li
	}
	if in6 := l.Inet6; in6 != nil {
		if in6.HasAddrGenMode {
			v.AddrGenMode = AddrGenModeName(in6.AddrGenMode)
		}
		if in6.Flags != 0 || len(in6.Conf) > 0 || in6.Token.IsValid() {
			v.Inet6 = in6
		}
	}
	v.Stats = l.Stats
	if l.XDP != nil && l.XDP.Attached != 0 {
		v.XDP = l.XDP
	}
	if l.Inet != nil {
		v.InetConf = l.Inet.Conf
	}
	return json.Marshal(v)
}

// linkInfoEmpty reports whether info has no data to print (veth without
// a peer, ifb, dummy).
func linkInfoEmpty(info LinkInfo) bool {
	switch v := info.(type) {
	case *VethInfo:
		return v.Peer == nil
	case *IFBInfo, *DummyInfo:
		return true
	case *RawLinkInfo:
		return len(v.Data) == 0
	}
	return false
}

// ipFlags names the flags as `ip link` prints them: RUNNING left out,
// NO-CARRIER added for a link that is up without carrier.
func (l *Link) ipFlags() []string {
	var out []string
	if l.Flags&LinkUp != 0 && l.Flags&LinkLowerUp == 0 {
		out = append(out, "NO-CARRIER")
	}
	out = append(out, (l.Flags &^ LinkRunning).Names()...)
	if out == nil {
		out = []string{}
	}
	return out
}

// MarshalJSON prints the VF with its MAC address as text.
func (vf LinkVF) MarshalJSON() ([]byte, error) {
	type plain LinkVF
	v := struct {
		plain
		MAC string `json:"address,omitempty"`
	}{plain: plain(vf)}
	if len(vf.MAC) > 0 {
		v.MAC = vf.MAC.String()
	}
	return json.Marshal(v)
}
