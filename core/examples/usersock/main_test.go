package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

// runAsProgram makes the test binary behave as the usersock program when
// started with this variable set, so the test can run server and client as
// real, separate processes.
const runAsProgram = "NLKIT_USERSOCK_EXAMPLE"

func TestMain(m *testing.M) {
	if os.Getenv(runAsProgram) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func program(ctx context.Context, t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), runAsProgram+"=1")
	if os.Getenv("GORACE") == "" {
		// A -race binary otherwise sleeps a second when it exits.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	return cmd
}

// A server and two clients, each its own process, in one fresh namespace:
// a unicast exchange on port 888 and a multicast one through group 3. The
// server sees each client's port and process ID; each client gets the
// answer from the server's port.
func TestServeAndSend(t *testing.T) {
	ns := nstest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	server := program(ctx, t, "-netns", ns.Name(), "-serve", "-group", "3", "-count", "2")
	stdout, err := server.StdoutPipe()
	require.NoError(t, err)
	var serverErr bytes.Buffer
	server.Stderr = &serverErr
	require.NoError(t, server.Start())
	t.Cleanup(func() { server.Process.Kill(); server.Wait() })
	lines := make(chan string, 16)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	next := func() string {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				err := server.Wait()
				t.Fatalf("the server ended early: %v\n%s", err, serverErr.String())
			}
			return l
		case <-ctx.Done():
			t.Fatal("no line from the server")
			return ""
		}
	}
	require.Equal(t, "listening on port 888 and group 3", next())

	client := func(args ...string) (pid int, port uint32, answer string) {
		t.Helper()
		cmd := program(ctx, t, append([]string{"-netns", ns.Name()}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		pid = cmd.ProcessState.Pid()
		rest, ok := strings.CutPrefix(string(out), "sent ")
		require.True(t, ok, "%s", out)
		first, second, _ := strings.Cut(rest, "\n")
		_, err = fmt.Sscanf(first[strings.LastIndex(first, " from port ")+1:], "from port %d", &port)
		require.NoError(t, err, "%s", out)
		return pid, port, strings.TrimSpace(second)
	}

	pid, port, answer := client("-send", "hello")
	require.Equal(t, "answer from port 888: ack: hello", answer)
	require.Equal(t, fmt.Sprintf("from port %d pid %d uid %d: hello", port, pid, os.Getuid()), next())

	pid, port, answer = client("-send", "hello group", "-group", "3")
	require.Equal(t, "answer from port 888: ack: hello group", answer)
	require.Equal(t, fmt.Sprintf("from port %d pid %d uid %d via group 3: hello group", port, pid, os.Getuid()), next())

	err = server.Wait()
	require.NoError(t, err, "the server exits after -count messages: %s", serverErr.String())
}

// With no server, the kernel refuses the message: the client says so.
func TestSendWithoutServer(t *testing.T) {
	ns := nstest.New(t)
	var out, errOut bytes.Buffer
	code := run([]string{"-netns", ns.Name(), "-send", "anyone?"}, &out, &errOut)
	require.Equal(t, 1, code)
	require.Contains(t, errOut.String(), "connection refused")
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-serve", "-send", "x"}, {"-send", "x", "extra"}, {"-serve", "-group", "33"}} {
		require.Equal(t, 2, run(args, io.Discard, io.Discard), "%q", args)
	}
}
