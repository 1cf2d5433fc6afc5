package cli

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func listTestRun(t *testing.T, json bool, seq func(yield func(int, error) bool)) (string, error) {
	t.Helper()
	var out bytes.Buffer
	env := NewEnv(&out, &bytes.Buffer{})
	env.JSON = json
	err := PrintList(env, seq,
		func(b []byte, v int) []byte { return strconv.AppendInt(append(b, "n "...), int64(v), 10) },
		func(v int) (any, error) { return map[string]int{"n": v}, nil })
	require.NoError(t, env.Out.Flush())
	return out.String(), err
}

func TestPrintList(t *testing.T) {
	seq := func(yield func(int, error) bool) {
		for _, v := range []int{1, 2, 3} {
			if !yield(v, nil) {
				return
			}
		}
	}
	out, err := listTestRun(t, false, seq)
	require.NoError(t, err)
	require.Equal(t, "n 1\nn 2\nn 3\n", out)

	out, err = listTestRun(t, true, Filter(seq, func(v int) bool { return v != 2 }))
	require.NoError(t, err)
	require.Equal(t, "[\n  {\n    \"n\": 1\n  },\n  {\n    \"n\": 3\n  }\n]\n", out)

	out, err = listTestRun(t, true, Filter(seq, func(int) bool { return false }))
	require.NoError(t, err)
	require.Equal(t, "[]\n", out)

	out, err = listTestRun(t, false, One(7, nil))
	require.NoError(t, err)
	require.Equal(t, "n 7\n", out)

	boom := errors.New("boom")
	_, err = listTestRun(t, false, One(0, boom))
	require.ErrorIs(t, err, boom)
}

func TestPrintListNilJSON(t *testing.T) {
	var out bytes.Buffer
	env := NewEnv(&out, &bytes.Buffer{})
	env.JSON = true
	require.NoError(t, PrintList(env, One("x", nil), nil, nil))
	require.NoError(t, env.Out.Flush())
	require.Equal(t, "[\n  \"x\"\n]\n", out.String())
}
