package route

import (
	"bufio"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
)

// readHexLines reads a testdata capture: one hex string a line, '#' lines
// and blank lines skipped.
func readHexLines(tb testing.TB, name string) [][]byte {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(tb, err)
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b, err := hex.DecodeString(line)
		require.NoError(tb, err)
		out = append(out, b)
	}
	require.NoError(tb, sc.Err())
	return out
}

// readHexMessages reads a testdata capture whose lines are whole netlink
// messages (one or more a line).
func readHexMessages(tb testing.TB, name string) []core.Message {
	tb.Helper()
	var out []core.Message
	for _, b := range readHexLines(tb, name) {
		ms, err := core.ParseMessages(b)
		require.NoError(tb, err)
		out = append(out, ms...)
	}
	return out
}
