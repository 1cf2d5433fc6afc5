package main

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

func TestQueueVerb(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "iptables-legacy", "-A", "OUTPUT", "-p", "udp", "--dport", "6001", "-j", "NFQUEUE", "--queue-num", "2")
	var rx *net.UDPConn
	require.NoError(t, ns.Do(func() error {
		var err error
		rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6001})
		return err
	}))
	defer rx.Close()
	stop := make(chan struct{})
	defer close(stop)
	logSpray(t, ns, 6001, "queued", stop)

	// Dropped: nothing arrives while the verb runs.
	var out, errb bytes.Buffer
	code := run([]string{"--netns", ns.Name(), "queue", "--family", "inet", "--num", "2", "--verdict", "drop", "--count", "3", "-j"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3)
	for _, l := range lines {
		var r queueRecord
		require.NoError(t, json.Unmarshal([]byte(l), &r), l)
		require.Equal(t, uint16(2), r.Queue)
		require.Equal(t, "drop", r.Verdict)
		require.Equal(t, "lo", r.OutDev)
		require.Equal(t, 28+6, r.Len)
	}
	rx.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := rx.Read(make([]byte, 64))
	require.Error(t, err, "a dropped packet arrived")

	// Accepted with a mark: they arrive.
	out.Reset()
	code = run([]string{"--netns", ns.Name(), "queue", "--num", "2", "--verdict", "accept", "--mark", "7", "--count", "2"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	require.Regexp(t, `^queue=2 id=\d+ hook=OUTPUT hwproto=0x0800 OUT=lo .*LEN=34 udp 127.0.0.1:\d+ > 127.0.0.1:6001 verdict=accept set-mark=0x7\n`, out.String())
	rx.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := rx.Read(make([]byte, 64))
	require.NoError(t, err)
	require.Equal(t, 6, n)
}

func TestQueueVerbBusy(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	done := make(chan int)
	go func() {
		var out, errb bytes.Buffer
		done <- run([]string{"--netns", ns.Name(), "queue", "--num", "4", "--count", "1"}, &out, &errb)
	}()
	time.Sleep(300 * time.Millisecond)
	var out, errb bytes.Buffer
	require.NotEqual(t, 0, run([]string{"--netns", ns.Name(), "queue", "--num", "4"}, &out, &errb))
	require.Contains(t, errb.String(), "bound by another socket")
	// Let the first one finish: queue a packet for it.
	nstest.Cmd(t, ns, "iptables-legacy", "-A", "OUTPUT", "-p", "udp", "--dport", "6002", "-j", "NFQUEUE", "--queue-num", "4")
	stop := make(chan struct{})
	defer close(stop)
	logSpray(t, ns, 6002, "x", stop)
	select {
	case code := <-done:
		require.Equal(t, 0, code)
	case <-time.After(5 * time.Second):
		t.Fatal("the first queue verb did not end")
	}
}
