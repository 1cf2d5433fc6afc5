// Package nstest gives each test a fresh network namespace of its own, so
// tests that change links, routes or firewall state run in parallel and
// never touch the host.
//
// A test that is not run as root skips, saying why; with
// NLKIT_REQUIRE_NETNS=1 in the environment (CI sets it) the skip becomes a
// failure, so a run where namespace tests did not run cannot pass.
package nstest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
)

// RequireEnv is the environment variable that turns a skip into a failure.
const RequireEnv = "NLKIT_REQUIRE_NETNS"

// Require skips t (or fails it under NLKIT_REQUIRE_NETNS=1) unless the
// process may create network namespaces.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "network namespace tests need root (run `make test` as root)")
	}
}

func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s, and %s=1 forbids skipping", why, RequireEnv)
	}
	t.Skip(why)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// New creates a fresh named network namespace for t (/run/netns/nlkit-...,
// so `ip -n NAME` reaches it) and deletes it when the test ends. Its
// loopback is brought up.
func New(t testing.TB) *core.NetNS {
	t.Helper()
	Require(t)
	name := Name(t)
	ns, err := core.NewNamedNetNS(name)
	if err != nil {
		unavailable(t, "cannot create a network namespace: "+err.Error())
	}
	t.Cleanup(func() {
		if err := ns.Delete(); err != nil {
			t.Errorf("delete namespace %s: %v", name, err)
		}
	})
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Logf("bring lo up in %s: %v: %s", name, err, out)
	}
	return ns
}

// Name makes a unique namespace name from the test's name.
func Name(t testing.TB) string {
	b := make([]byte, 4)
	rand.Read(b)
	base := unsafeChars.ReplaceAllString(t.Name(), "-")
	if len(base) > 40 {
		base = base[len(base)-40:]
	}
	return "nlkit-" + strings.Trim(base, "-") + "-" + hex.EncodeToString(b)
}

// Cmd runs a command inside ns (`ip netns exec NAME ...`) and returns its
// combined output, failing the test if it fails.
func Cmd(t testing.TB, ns *core.NetNS, name string, args ...string) string {
	t.Helper()
	out, err := CmdErr(ns, name, args...)
	if err != nil {
		t.Fatalf("%s %s in %s: %v\n%s", name, strings.Join(args, " "), ns, err, out)
	}
	return out
}

// CmdErr runs a command inside ns and returns its output and error.
func CmdErr(ns *core.NetNS, name string, args ...string) (string, error) {
	full := append([]string{"netns", "exec", ns.Name(), name}, args...)
	out, err := exec.Command("ip", full...).CombinedOutput()
	return string(out), err
}

// CheckLeaks records the open file descriptors and goroutines now and, when
// the test ends, fails it if there are more (after giving exiting
// goroutines a moment). Call it first in the test, before anything that
// opens a socket.
func CheckLeaks(t testing.TB) {
	t.Helper()
	fds := countFDs()
	gs := runtime.NumGoroutine()
	t.Cleanup(func() {
		var nf, ng int
		for i := 0; i < 50; i++ {
			nf, ng = countFDs(), runtime.NumGoroutine()
			if nf <= fds && ng <= gs {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		if nf > fds {
			t.Errorf("file descriptors leaked: %d open at start, %d at end", fds, nf)
		}
		if ng > gs {
			t.Errorf("goroutines leaked: %d at start, %d at end", gs, ng)
		}
	})
}

func countFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}
