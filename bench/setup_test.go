package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"golang.org/x/sys/unix"
)

// Sizes of the benchmark namespaces.
const (
	bulkRoutes = 100_000 // /32 routes in 198.18.0.0/15
	vethPairs  = 2_000   // 4,000 links
)

// nsPrefix names the namespaces this package makes: nlkit-bench-KIND-PID.
const nsPrefix = "nlkit-bench-"

// routesEnv is the namespace holding the bulk routes.
type routesEnv struct {
	ns   *core.NetNS
	msgs int // messages one IPv4 route dump returns (bulk routes and the kernel's own)
	took time.Duration
}

// linksEnv is the namespace holding the veth pairs.
type linksEnv struct {
	ns   *core.NetNS
	msgs int // messages one link dump returns (lo and the veths)
	took time.Duration
}

// envs is built once per process, the first time a benchmark asks, and
// torn down by TestMain. Plain `go test` never builds it.
var envs struct {
	mu        sync.Mutex
	routes    *routesEnv
	routesErr error
	links     *linksEnv
	linksErr  error
	vethMsg   []byte
	vethErr   error
	made      []*core.NetNS
}

func TestMain(m *testing.M) {
	code := m.Run()
	envs.mu.Lock()
	for _, ns := range envs.made {
		if err := ns.Delete(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: delete namespace %s: %v\n", ns, err)
			code = 1
		}
	}
	envs.made = nil
	envs.mu.Unlock()
	os.Exit(code)
}

// routesNS returns the namespace with the bulk routes, building it on first
// use. Not root: the benchmark skips, saying why.
func routesNS(b *testing.B) *routesEnv {
	b.Helper()
	// Printed, not logged, so `make bench` shows it; no "key:" form,
	// which benchstat would read as a configuration line.
	return setupOnce(b, "routes namespace", &envs.routes, &envs.routesErr, setupRoutes, func(e *routesEnv) {
		fmt.Printf("# setup of the routes namespace took %v (%d routes added, a dump returns %d messages)\n",
			e.took.Round(time.Millisecond), bulkRoutes, e.msgs)
	})
}

// linksNS returns the namespace with the veth pairs, building it on first
// use.
func linksNS(b *testing.B) *linksEnv {
	b.Helper()
	return setupOnce(b, "links namespace", &envs.links, &envs.linksErr, setupLinks, func(e *linksEnv) {
		fmt.Printf("# setup of the links namespace took %v (%d veth pairs added, a dump returns %d messages)\n",
			e.took.Round(time.Millisecond), vethPairs, e.msgs)
	})
}

// setupOnce returns *env, building it with setup (under envs.mu) the first
// time, when ready (if not nil) is told of it; a failed setup, kept in
// *errp, fails every benchmark that asks. Not root: the benchmark skips.
func setupOnce[E any](b *testing.B, what string, env **E, errp *error, setup func() (*E, error), ready func(*E)) *E {
	b.Helper()
	nstest.Require(b)
	envs.mu.Lock()
	defer envs.mu.Unlock()
	if *env == nil && *errp == nil {
		*env, *errp = setup()
		if *errp == nil && ready != nil {
			ready(*env)
		}
	}
	if *errp != nil {
		b.Fatalf("setup of the %s: %v", what, *errp)
	}
	return *env
}

// newBenchNS makes /run/netns/nlkit-bench-KIND-PID, first deleting any
// namespace of ours left behind by a run that died (its PID is gone).
func newBenchNS(kind string) (*core.NetNS, error) {
	sweepStale()
	ns, err := core.NewNamedNetNS(nsPrefix + kind + "-" + strconv.Itoa(os.Getpid()))
	if err != nil {
		return nil, err
	}
	envs.made = append(envs.made, ns)
	return ns, nil
}

func sweepStale() {
	ents, _ := os.ReadDir(core.NetNSDir)
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, nsPrefix) {
			continue
		}
		pid, err := strconv.Atoi(name[strings.LastIndexByte(name, '-')+1:])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
			continue // its run is still going
		}
		if ns, err := core.NetNSByName(name); err == nil {
			_ = ns.Delete()
		}
	}
}

// dialSetup opens a core Conn in ns with room for large batches of ACKs.
func dialSetup(ns *core.NetNS) (*core.Conn, error) {
	return core.Dial(unix.NETLINK_ROUTE, &core.Config{NetNS: ns, ReadBuffer: 8 << 20, BatchSize: 256})
}

// setupNS makes the namespace of a kind (see newBenchNS) and a dialSetup
// Conn in it, with setupGateway's links and address if gateway.
func setupNS(kind string, gateway bool) (*core.NetNS, *core.Conn, error) {
	ns, err := newBenchNS(kind)
	if err != nil {
		return nil, nil, err
	}
	c, err := dialSetup(ns)
	if err != nil {
		return nil, nil, err
	}
	if gateway {
		if err := setupGateway(context.Background(), c); err != nil {
			c.Close()
			return nil, nil, err
		}
	}
	return ns, c, nil
}

func setupRoutes() (*routesEnv, error) {
	start := time.Now()
	ns, c, err := setupNS("routes", true)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ctx := context.Background()

	// The bulk routes, encoded into one arena and sent in batches.
	var e core.AttrEncoder
	msgs := make([]core.Message, bulkRoutes)
	var arena []byte
	offs := make([]int, bulkRoutes+1)
	base := bulkBase.As4()
	first := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	for i := range bulkRoutes {
		v := first + uint32(i)
		dst := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		e.Reset()
		encodeRoute(&e, dst, gwAddr, gwIndex)
		arena = append(arena, e.Bytes()...)
		offs[i+1] = len(arena)
	}
	for i := range msgs {
		msgs[i] = core.Message{
			Header: core.Header{Type: unix.RTM_NEWROUTE, Flags: core.FlagCreate | core.FlagExcl},
			Data:   arena[offs[i]:offs[i+1]:offs[i+1]],
		}
	}
	if err := c.ExecuteBatch(ctx, msgs, nil); err != nil {
		return nil, fmt.Errorf("add %d routes: %w", bulkRoutes, err)
	}
	n, err := countDump(ns, wire(routeDumpRequest(), 1))
	if err != nil {
		return nil, fmt.Errorf("count routes: %w", err)
	}
	if n < bulkRoutes {
		return nil, fmt.Errorf("a route dump returned %d messages, want at least %d", n, bulkRoutes)
	}
	return &routesEnv{ns: ns, msgs: n, took: time.Since(start)}, nil
}

func setupLinks() (*linksEnv, error) {
	start := time.Now()
	ns, c, err := setupNS("links", false)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	msgs := make([]core.Message, vethPairs)
	var e core.AttrEncoder
	for i := range msgs {
		e.Reset()
		encodeVethPair(&e, "va"+strconv.Itoa(i), "vb"+strconv.Itoa(i), 0, 0)
		msgs[i] = core.Message{
			Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagCreate | core.FlagExcl},
			Data:   append([]byte(nil), e.Bytes()...),
		}
	}
	if err := c.ExecuteBatch(context.Background(), msgs, nil); err != nil {
		return nil, fmt.Errorf("add %d veth pairs: %w", vethPairs, err)
	}
	n, err := countDump(ns, wire(linkDumpRequest(), 1))
	if err != nil {
		return nil, fmt.Errorf("count links: %w", err)
	}
	if n != 2*vethPairs+1 {
		return nil, fmt.Errorf("a link dump returned %d messages, want %d (lo and the veths)", n, 2*vethPairs+1)
	}
	return &linksEnv{ns: ns, msgs: n, took: time.Since(start)}, nil
}

// setupGateway adds bench0 (192.0.2.1/24) and its peer bench1, both up:
// the routes point at 192.0.2.2 out of bench0.
func setupGateway(ctx context.Context, c *core.Conn) error {
	var e core.AttrEncoder
	encodeVethPair(&e, "bench0", "bench1", gwIndex, gwPeerIdx)
	if _, err := c.Execute(ctx, core.Message{
		Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagCreate | core.FlagExcl},
		Data:   e.Bytes(),
	}); err != nil {
		return fmt.Errorf("add veth bench0: %w", err)
	}
	if err := c.ExecuteBatch(ctx, []core.Message{setLinkUp(gwIndex), setLinkUp(gwPeerIdx)}, nil); err != nil {
		return fmt.Errorf("bring bench0 and bench1 up: %w", err)
	}
	e.Reset()
	var ifa [unix.SizeofIfAddrmsg]byte // struct ifaddrmsg
	ifa[0], ifa[1], ifa[3] = unix.AF_INET, 24, unix.RT_SCOPE_UNIVERSE
	binary.NativeEndian.PutUint32(ifa[4:], gwIndex)
	e.Raw(ifa[:])
	e.Addr(unix.IFA_LOCAL, gwLocal)
	e.Addr(unix.IFA_ADDRESS, gwLocal)
	if _, err := c.Execute(ctx, core.Message{
		Header: core.Header{Type: unix.RTM_NEWADDR, Flags: core.FlagCreate | core.FlagExcl},
		Data:   e.Bytes(),
	}); err != nil {
		return fmt.Errorf("add %v to bench0: %w", gwLocal, err)
	}
	return nil
}

// countDump runs a dump with the raw loop and counts its data messages.
func countDump(ns *core.NetNS, req []byte) (int, error) {
	r, err := dialRaw(ns, 32<<10, recvPlain)
	if err != nil {
		return 0, err
	}
	defer r.close()
	return r.exchange(req, endDone, nil)
}

// kernelVethMessage returns the payload (ifinfomsg and attributes) of a
// veth's RTM_NEWLINK as the kernel here sends it in a link dump, captured
// once per process from a small namespace of its own.
func kernelVethMessage(b *testing.B) []byte {
	b.Helper()
	nstest.Require(b)
	envs.mu.Lock()
	defer envs.mu.Unlock()
	if envs.vethMsg == nil && envs.vethErr == nil {
		envs.vethMsg, envs.vethErr = captureVethMessage()
	}
	if envs.vethErr != nil {
		b.Fatalf("capture a veth message: %v", envs.vethErr)
	}
	return envs.vethMsg
}

func captureVethMessage() ([]byte, error) {
	ns, err := core.NewNetNS()
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	c, err := core.Dial(unix.NETLINK_ROUTE, &core.Config{NetNS: ns})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ctx := context.Background()
	var e core.AttrEncoder
	encodeVethPair(&e, "va0", "vb0", 0, 0)
	if _, err := c.Execute(ctx, core.Message{
		Header: core.Header{Type: unix.RTM_NEWLINK, Flags: core.FlagCreate | core.FlagExcl},
		Data:   e.Bytes(),
	}); err != nil {
		return nil, err
	}
	links, err := c.DumpAll(ctx, linkDumpRequest(), 2)
	if err != nil {
		return nil, err
	}
	for _, m := range links {
		if len(m.Data) < unix.SizeofIfInfomsg {
			continue
		}
		s := core.ScanAttrs(m.Data[unix.SizeofIfInfomsg:])
		for s.Next() {
			if s.Type() == unix.IFLA_IFNAME && string(s.Attr().StringBytes()) == "va0" {
				return m.Data, nil
			}
		}
	}
	return nil, errors.New("va0 not found in the link dump")
}
