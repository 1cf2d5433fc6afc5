package ethtool

import (
	"encoding/json"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestLinkModesNamed decodes link modes as a NIC with modes sends them
// (veth has none): supported in the mask, advertised in the value.
func TestLinkModesNamed(t *testing.T) {
	names := []string{"10baseT/Half", "10baseT/Full", "100baseT/Half", "100baseT/Full", "1000baseT/Half", "1000baseT/Full"}
	ours := NewBitset(uint32(len(names)), true)
	for i := range names {
		ours.Set(uint32(i), i%2 == 1) // all supported, the full-duplex ones advertised
	}
	peer := NewBitset(uint32(len(names)), false)
	peer.Set(5, true)
	var e core.AttrEncoder
	e.Raw([]byte{unix.ETHTOOL_MSG_LINKMODES_GET_REPLY, 1, 0, 0})
	appendHeader(&e, unix.ETHTOOL_A_LINKMODES_HEADER, Device{Index: 2, Name: "eth0"}, 0)
	e.Uint8(unix.ETHTOOL_A_LINKMODES_AUTONEG, 1)
	require.NoError(t, ours.AppendCompact(&e, unix.ETHTOOL_A_LINKMODES_OURS))
	require.NoError(t, peer.AppendCompact(&e, unix.ETHTOOL_A_LINKMODES_PEER))
	e.Uint32(unix.ETHTOOL_A_LINKMODES_SPEED, 1000)
	e.Uint8(unix.ETHTOOL_A_LINKMODES_DUPLEX, uint8(DuplexFull))
	e.Uint32(unix.ETHTOOL_A_LINKMODES_LANES, 1)

	var m LinkModes
	require.NoError(t, m.Unmarshal(e.Bytes()))
	m.Ours.Names, m.Peer.Names = names, names
	require.Equal(t, names, m.Supported())
	require.Equal(t, []string{"10baseT/Full", "100baseT/Full", "1000baseT/Full"}, m.Advertised())
	require.Equal(t, []string{"1000baseT/Full"}, m.PeerAdvertised())
	require.Equal(t, "eth0 speed 1000Mb/s duplex Full autoneg on lanes 1 supported "+
		"10baseT/Half,10baseT/Full,100baseT/Half,100baseT/Full,1000baseT/Half,1000baseT/Full "+
		"advertised 10baseT/Full,100baseT/Full,1000baseT/Full peer 1000baseT/Full", m.String())
	b, err := json.Marshal(&m)
	require.NoError(t, err)
	require.Contains(t, string(b), `"advertised_link_modes":["10baseT/Full","100baseT/Full","1000baseT/Full"]`)
	require.Contains(t, string(b), `"speed":1000`)
	require.Contains(t, string(b), `"duplex":"Full"`)

	// Its SET request carries autoneg and the advertised modes.
	req, err := m.Marshal(nil)
	require.NoError(t, err)
	var back LinkModes
	require.NoError(t, back.Unmarshal(req))
	back.Ours.Names = names
	require.True(t, back.Autoneg)
	require.Equal(t, m.Advertised(), back.Advertised())
	require.Equal(t, []string{"speed", "duplex", "peer_advertised"}, m.Diff(&back), "a SET with autoneg on carries no speed or duplex")
}

// TestMarshalDecodes: each SET request decodes, as the kernel reads it,
// to the settings it carries.
func TestMarshalDecodes(t *testing.T) {
	ch := Channels{Dev: Device{Name: "veth0"}, RXMax: 4, TXMax: 4, RX: 2, TX: 3}
	b, err := ch.Marshal(nil)
	require.NoError(t, err)
	require.Equal(t, byte(unix.ETHTOOL_MSG_CHANNELS_SET), b[0])
	var ch2 Channels
	require.NoError(t, ch2.Unmarshal(b))
	require.Equal(t, Channels{Dev: Device{Name: "veth0"}, RX: 2, TX: 3}, ch2)
	require.Equal(t, []string{"rx_max", "tx_max"}, ch.Diff(&ch2))

	r := Rings{Dev: Device{Index: 3}, RX: 512, TX: 256, RXMax: 4096, TXPush: 1}
	b, err = r.Marshal(nil)
	require.NoError(t, err)
	var r2 Rings
	require.NoError(t, r2.Unmarshal(b))
	require.Equal(t, Rings{Dev: Device{Index: 3}, RX: 512, TX: 256, TXPush: 1}, r2)

	li := LinkInfo{Dev: Device{Name: "eth0"}, Port: PortFibre, PHYAddr: 3, TPMDIXCtrl: MDIXAuto}
	b, err = li.Marshal(nil)
	require.NoError(t, err)
	var li2 LinkInfo
	require.NoError(t, li2.Unmarshal(b))
	require.True(t, li.Equal(&li2))
	require.Equal(t, "eth0 port FIBRE phyad 3 transceiver internal mdix Unknown (auto)", li2.String())

	ls := LinkState{Dev: Device{Name: "eth0"}}
	b, err = ls.Marshal(nil)
	require.NoError(t, err)
	require.Equal(t, byte(unix.ETHTOOL_MSG_LINKSTATE_GET), b[0])

	ss := StringSets{Sets: []StringSet{{ID: StringSetFeatures}, {ID: StringSetLinkModes}}}
	b, err = ss.Marshal(nil)
	require.NoError(t, err)
	require.Equal(t, byte(unix.ETHTOOL_MSG_STRSET_GET), b[0])
}
