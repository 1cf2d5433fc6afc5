package main

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// logSpray sends UDP datagrams to 127.0.0.1:port inside ns every 20 ms
// until stop is closed (before the verb binds, packets are not seen).
func logSpray(t *testing.T, ns *core.NetNS, port int, payload string, stop <-chan struct{}) {
	t.Helper()
	var c *net.UDPConn
	require.NoError(t, ns.Do(func() error {
		var err error
		c, err = net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		return err
	}))
	go func() {
		defer c.Close()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			c.Write([]byte(payload)) // errors expected: nobody listens, or a drop verdict
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
}

func TestLogVerb(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "iptables-legacy", "-A", "OUTPUT", "-p", "udp", "--dport", "6000", "-j", "NFLOG",
		"--nflog-group", "3", "--nflog-prefix", "cli-test")
	stop := make(chan struct{})
	defer close(stop)
	logSpray(t, ns, 6000, "hello", stop)

	var out, errb bytes.Buffer
	code := run([]string{"--netns", ns.Name(), "log", "--family", "inet", "--group", "3", "--count", "2", "-j"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2)
	for _, l := range lines {
		var r logRecord
		require.NoError(t, json.Unmarshal([]byte(l), &r), l)
		require.Equal(t, "cli-test", r.Prefix)
		require.Equal(t, "lo", r.OutDev)
		require.Equal(t, "OUTPUT", r.Hook)
		require.Equal(t, 28+5, r.Len)
		require.Contains(t, r.Summary, "udp 127.0.0.1:")
		require.Contains(t, r.Summary, "> 127.0.0.1:6000")
		require.NotNil(t, r.Seq)
	}

	out.Reset()
	code = run([]string{"--netns", ns.Name(), "log", "--group", "3", "--count", "1", "--copy", "meta"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	require.Regexp(t, `^group=3 prefix="cli-test" hook=OUTPUT OUT=lo .*LEN=0\n$`, out.String())
}

func TestLogVerbErrors(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	require.NotEqual(t, 0, run([]string{"log", "--copy", "all"}, &out, &errb))
	require.Contains(t, errb.String(), "packet, meta or none")
	errb.Reset()
	require.NotEqual(t, 0, run([]string{"log", "--family", "ipx"}, &out, &errb))
	require.Contains(t, errb.String(), "unknown family")
}
