package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// genlCtrlFamily is what `genl ctrl list` says about one family.
type genlCtrlFamily struct {
	Name                      string
	ID, Version, HdrSize, Max uint64
	Ops                       []uint64
	Groups                    map[string]uint64
}

var (
	genlCLINameRE  = regexp.MustCompile(`^Name: (\S+)`)
	genlCLIIDRE    = regexp.MustCompile(`ID: (0x[0-9a-f]+)\s+Version: (0x[0-9a-f]+)\s+header size: (\d+)\s+max attribs: (\d+)`)
	genlCLIGroupRE = regexp.MustCompile(`^#\d+:\s+ID-(0x[0-9a-f]+)\s+name: (\S+)`)
	genlCLIOpRE    = regexp.MustCompile(`^#\d+:\s+ID-(0x[0-9a-f]+)\s*$`)
)

func parseGenlCtrl(t *testing.T, out string) []genlCtrlFamily {
	num := func(s string) uint64 {
		v, err := strconv.ParseUint(s, 0, 64)
		require.NoError(t, err)
		return v
	}
	var fams []genlCtrlFamily
	groups := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if m := genlCLINameRE.FindStringSubmatch(line); m != nil {
			fams = append(fams, genlCtrlFamily{Name: m[1], Groups: map[string]uint64{}})
			groups = false
			continue
		}
		if len(fams) == 0 {
			continue
		}
		f := &fams[len(fams)-1]
		if m := genlCLIIDRE.FindStringSubmatch(line); m != nil {
			f.ID, f.Version, f.HdrSize, f.Max = num(m[1]), num(m[2]), num(m[3]), num(m[4])
		} else if strings.HasPrefix(line, "multicast groups:") {
			groups = true
		} else if m := genlCLIGroupRE.FindStringSubmatch(line); groups && m != nil {
			f.Groups[m[2]] = num(m[1])
		} else if m := genlCLIOpRE.FindStringSubmatch(line); m != nil && !groups {
			f.Ops = append(f.Ops, num(m[1]))
		}
	}
	return fams
}

func TestGenlListMatchesGenlCtrl(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	want := parseGenlCtrl(t, nstest.Cmd(t, ns, "genl", "ctrl", "list"))
	require.NotEmpty(t, want)

	out, errOut, code := nlkit(t, "--netns", ns.Name(), "-j", "genl", "list")
	require.Zero(t, code, errOut)
	var got []struct {
		ID      uint64 `json:"id"`
		Name    string `json:"name"`
		Version uint64 `json:"version"`
		HdrSize uint64 `json:"hdrsize"`
		MaxAttr uint64 `json:"maxattr"`
		Ops     []struct {
			ID   uint64   `json:"id"`
			Caps []string `json:"caps"`
		} `json:"ops"`
		Groups []struct {
			ID   uint64 `json:"id"`
			Name string `json:"name"`
		} `json:"mcast_groups"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	require.Len(t, got, len(want))
	for i, w := range want {
		g := got[i]
		require.Equal(t, w.Name, g.Name)
		require.Equal(t, w.ID, g.ID, w.Name)
		require.Equal(t, w.Version, g.Version, w.Name)
		require.Equal(t, w.HdrSize, g.HdrSize, w.Name)
		require.Equal(t, w.Max, g.MaxAttr, w.Name)
		var ops []uint64
		for _, o := range g.Ops {
			ops = append(ops, o.ID)
		}
		require.Equal(t, w.Ops, ops, w.Name)
		groups := map[string]uint64{}
		for _, gr := range g.Groups {
			groups[gr.Name] = gr.ID
		}
		require.Equal(t, w.Groups, groups, w.Name)
	}

	// The text form: one line per family, the same names and IDs.
	out, errOut, code = nlkit(t, "--netns", ns.Name(), "genl", "list")
	require.Zero(t, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(want))
	for i, w := range want {
		require.True(t, strings.HasPrefix(lines[i], w.Name+" id 0x"+strconv.FormatUint(w.ID, 16)+" "), lines[i])
	}
}

func TestGenlShowPolicyAndErrors(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	out, errOut, code := nlkit(t, "--netns", ns.Name(), "genl", "show", "nlctrl")
	require.Zero(t, code, errOut)
	require.Equal(t, `nlctrl id 0x10 version 2 hdrsize 0 maxattr 0
    op 3 (0x3) <do,dump,has-policy>
    op 10 (0xa) <dump,has-policy>
    group notify id 16 (0x10)
`, out)
	out2, _, code := nlkit(t, "--netns", ns.Name(), "genl", "show", "0x10")
	require.Zero(t, code)
	require.Equal(t, out, out2)

	out, errOut, code = nlkit(t, "--netns", ns.Name(), "genl", "policy", "nlctrl", "3")
	require.Zero(t, code, errOut)
	require.Equal(t, `op 3: do policy 0 dump policy 0
policy 0 maxtype 2
  1: u16 range [0, 65535]
  2: nul-string max-len 15
`, out)
	out, errOut, code = nlkit(t, "--netns", ns.Name(), "-j", "genl", "policy", "ethtool")
	require.Zero(t, code, errOut)
	var d struct {
		Ops      []struct{ Op uint32 } `json:"ops"`
		Policies []struct {
			Attrs []struct {
				Type uint16 `json:"type"`
				Kind string `json:"kind"`
			} `json:"attrs"`
		} `json:"policies"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &d))
	require.NotEmpty(t, d.Ops)
	require.NotEmpty(t, d.Policies)

	_, errOut, code = nlkit(t, "--netns", ns.Name(), "genl", "show", "nosuch")
	require.Equal(t, 1, code)
	require.Equal(t, "nlkit: genl: family \"nosuch\" not found\n", errOut)
	_, errOut, code = nlkit(t, "--netns", ns.Name(), "genl", "policy", "nlctrl", "x")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `OP "x" is not a command number`)
	_, errOut, code = nlkit(t, "--netns", ns.Name(), "genl", "monitor", "ethtool", "nosuch")
	require.Equal(t, 1, code)
	require.Equal(t, "nlkit: genl: family \"ethtool\" has no multicast group \"nosuch\"\n", errOut)
}

func TestGenlMonitorEthtool(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		for i := 0; ctx.Err() == nil; i++ {
			nstest.CmdErr(ns, "ethtool", "-K", "veth0", "tx-checksumming", []string{"off", "on"}[i%2])
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	out, errOut, code := nlkit(t, "--netns", ns.Name(), "-j", "genl", "monitor", "ethtool", "monitor", "-c", "1")
	cancel()
	require.Zero(t, code, errOut)
	var ev struct {
		Family, Group string
		Cmd           int
		Data          string
	}
	require.NoError(t, json.Unmarshal([]byte(out), &ev), out)
	require.Equal(t, "ethtool", ev.Family)
	require.Equal(t, "monitor", ev.Group)
	require.NotZero(t, ev.Cmd)
	require.NotEmpty(t, ev.Data)
}
