package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// countingWriter counts the writes that reach the file.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func TestOutputBuffersWrites(t *testing.T) {
	var w countingWriter
	o := NewOutput(&w)
	const n = 100_000
	for i := range n {
		o.Printf("%d: link%d\n", i, i)
	}
	total := w.Len() // what has reached w so far
	require.NoError(t, o.Flush())
	lines := strings.Count(w.String(), "\n")
	require.Equal(t, n, lines)
	require.Less(t, total, w.Len(), "the tail is only written by Flush")
	max := w.Len()/outputBuffer + 1
	require.LessOrEqual(t, w.writes, max, "%d lines made %d writes", n, w.writes)

	// Small output: nothing is written until Flush.
	var w2 countingWriter
	o2 := NewOutput(&w2)
	o2.Println("hello")
	require.Zero(t, w2.writes)
	require.NoError(t, o2.Flush())
	require.Equal(t, 1, w2.writes)
	require.Equal(t, "hello\n", w2.String())
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestOutputStickyError(t *testing.T) {
	o := NewOutput(failingWriter{})
	o.Println("a")
	require.ErrorIs(t, o.Flush(), errDiskFull)
	_, err := o.WriteString("b")
	require.ErrorIs(t, err, errDiskFull)
	require.ErrorIs(t, o.Flush(), errDiskFull)
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	o := NewOutput(&b)
	require.NoError(t, o.JSON(map[string]any{"a": 1, "b": []string{"x"}}))
	require.NoError(t, o.Flush())
	require.Equal(t, "{\n  \"a\": 1,\n  \"b\": [\n    \"x\"\n  ]\n}\n", b.String())
}

func TestJSONList(t *testing.T) {
	type item struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	for _, items := range [][]item{nil, {{"lo", 1}}, {{"lo", 1}, {"veth0", 2}, {"br0", 3}}} {
		var b bytes.Buffer
		o := NewOutput(&b)
		l := o.JSONList()
		for _, it := range items {
			require.NoError(t, l.Add(it))
		}
		require.NoError(t, l.Close())
		require.NoError(t, o.Flush())
		var got []item
		require.NoError(t, json.Unmarshal(b.Bytes(), &got), b.String())
		if items == nil {
			require.Equal(t, "[]\n", b.String())
			require.Empty(t, got)
			continue
		}
		require.Equal(t, items, got)
	}
	require.Error(t, NewOutput(&bytes.Buffer{}).JSONList().Add(make(chan int)))
}
