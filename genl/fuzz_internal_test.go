package genl

import (
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// FuzzParseMessage feeds parseMessage (the genlmsghdr and family-header
// split every received message goes through) any payload and header size.
func FuzzParseMessage(f *testing.F) {
	f.Add([]byte{1, 2, 0, 0, 8, 0, 1, 0, 'e', 't', 'h', 0}, uint32(0))
	f.Add([]byte{1, 2, 0, 0, 7, 0, 0, 0}, uint32(4))
	f.Add([]byte{1, 2}, uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, hdr uint32) {
		hdr %= 64
		m, err := parseMessage(core.Message{Data: b}, hdr)
		if err != nil {
			require.Less(t, len(b), HeaderLen+int(hdr))
			return
		}
		require.Equal(t, int(hdr), len(m.FamilyHeader))
		require.Equal(t, len(b)-HeaderLen-int(hdr), len(m.Data))
		require.Equal(t, b[0], m.Genl.Command)
	})
}

// FuzzWatchEvent feeds the family watcher any controller announcement: it
// never panics, and forgets at most the family it names.
func FuzzWatchEvent(f *testing.F) {
	var e core.AttrEncoder
	e.Raw([]byte{unix.CTRL_CMD_DELFAMILY, 2, 0, 0})
	e.String(unix.CTRL_ATTR_FAMILY_NAME, "demo")
	e.Uint16(unix.CTRL_ATTR_FAMILY_ID, 20)
	f.Add(append([]byte(nil), e.Bytes()...))
	f.Add([]byte{unix.CTRL_CMD_NEWFAMILY, 2, 0, 0, 5, 0, 2, 0, 'x'})
	f.Fuzz(func(t *testing.T, b []byte) {
		var fc familyCache
		fc.put(&Family{ID: 20, Name: "demo"})
		fc.put(&Family{ID: 21, Name: "other"})
		watchEvent(core.Message{Header: core.Header{Type: unix.GENL_ID_CTRL}, Data: b}, &fc)
		require.True(t, fc.get("demo") != nil || fc.get("other") != nil, "one announcement forgets one family")
	})
}
