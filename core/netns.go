package core

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// NetNSDir is where named network namespaces live, as `ip netns` keeps them.
const NetNSDir = "/run/netns"

// NetNS is a handle on a network namespace: an open file descriptor for its
// nsfs inode. Pass it in Config.NetNS to Dial a socket inside it; nothing in
// the program changes namespace for longer than that socket() call.
type NetNS struct {
	fd   int
	name string // set for named namespaces (/run/netns/NAME)
	path string
}

// CurrentNetNS returns a handle on the calling thread's network namespace,
// which for a Go program that never changes namespace is the process's.
func CurrentNetNS() (*NetNS, error) {
	return openNetNS("/proc/thread-self/ns/net", "")
}

// NetNSByPath opens the namespace bound at path (a /run/netns file, a
// /proc/PID/ns/net link, any nsfs bind mount).
func NetNSByPath(path string) (*NetNS, error) { return openNetNS(path, "") }

// NetNSByName opens the named namespace /run/netns/NAME, as `ip netns add`
// makes them.
func NetNSByName(name string) (*NetNS, error) {
	if err := checkNSName(name); err != nil {
		return nil, err
	}
	return openNetNS(filepath.Join(NetNSDir, name), name)
}

// NetNSByPID opens the network namespace of process pid.
func NetNSByPID(pid int) (*NetNS, error) {
	return openNetNS("/proc/"+strconv.Itoa(pid)+"/ns/net", "")
}

// NetNSFromNameOrPath opens name as a path when it holds a '/', else as a
// name under /run/netns: the rule of the CLI's --netns flag.
func NetNSFromNameOrPath(s string) (*NetNS, error) {
	if strings.ContainsRune(s, '/') {
		return NetNSByPath(s)
	}
	return NetNSByName(s)
}

func openNetNS(path, name string) (*NetNS, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open network namespace", Path: path, Err: err}
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err == nil && st.Type != unix.NSFS_MAGIC && st.Type != unix.PROC_SUPER_MAGIC {
		unix.Close(fd)
		return nil, &os.PathError{Op: "open network namespace", Path: path, Err: errors.New("not a namespace file")}
	}
	return &NetNS{fd: fd, name: name, path: path}, nil
}

// NewNetNS creates a new anonymous network namespace. It lives while the
// handle (or a socket made in it) is open.
func NewNetNS() (*NetNS, error) {
	var ns *NetNS
	err := onLockedThread(func() (bool, error) {
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return true, err
		}
		defer unix.Close(orig)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return true, fmt.Errorf("create network namespace: %w", err)
		}
		n, openErr := openNetNS("/proc/thread-self/ns/net", "")
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			if n != nil {
				n.Close()
			}
			return false, fmt.Errorf("return to the original network namespace: %w", err)
		}
		ns = n
		return true, openErr
	})
	return ns, err
}

// NewNamedNetNS creates a new network namespace and binds it at
// /run/netns/NAME, where `ip netns` and `ip -n NAME` find it. Delete
// removes it.
func NewNamedNetNS(name string) (*NetNS, error) {
	if err := checkNSName(name); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(NetNSDir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(NetNSDir, name)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return nil, fmt.Errorf("create network namespace %q: %w", name, err)
	}
	f.Close()
	ns, err := NewNetNS()
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	src := "/proc/self/fd/" + strconv.Itoa(ns.fd)
	if err := unix.Mount(src, path, "none", unix.MS_BIND, ""); err != nil {
		ns.Close()
		os.Remove(path)
		return nil, fmt.Errorf("bind network namespace %q: %w", name, err)
	}
	ns.name, ns.path = name, path
	return ns, nil
}

func checkNSName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return fmt.Errorf("invalid network namespace name %q", name)
	}
	return nil
}

// Name is the namespace's name under /run/netns, or "" when it has none.
func (n *NetNS) Name() string { return n.name }

// Path is the file the handle was opened from ("" for an anonymous one).
func (n *NetNS) Path() string { return n.path }

// FD is the namespace file descriptor, valid until Close.
func (n *NetNS) FD() int { return n.fd }

// String names the namespace for messages.
func (n *NetNS) String() string {
	switch {
	case n == nil:
		return "current"
	case n.name != "":
		return n.name
	case n.path != "":
		return n.path
	}
	return "fd " + strconv.Itoa(n.fd)
}

// Close releases the handle. An anonymous namespace with nothing else in
// it (no socket, no process, no bind mount) then disappears.
func (n *NetNS) Close() error {
	if n == nil || n.fd < 0 {
		return nil
	}
	err := unix.Close(n.fd)
	n.fd = -1
	return err
}

// Delete closes the handle and, for a named namespace, unmounts and removes
// /run/netns/NAME as `ip netns del` does.
func (n *NetNS) Delete() error {
	err := n.Close()
	if n.name == "" {
		return err
	}
	if uerr := unix.Unmount(n.path, unix.MNT_DETACH); uerr != nil && !errors.Is(uerr, unix.EINVAL) {
		return fmt.Errorf("unmount network namespace %q: %w", n.name, uerr)
	}
	if rerr := os.Remove(n.path); rerr != nil {
		return rerr
	}
	return err
}

// Do runs fn on an OS thread switched into the namespace, then switches the
// thread back. If it cannot be switched back, the thread is thrown away
// rather than returned to the Go scheduler. Keep fn short: Dial uses it for
// the socket() call alone.
func (n *NetNS) Do(fn func() error) error {
	if n == nil {
		return fn()
	}
	var ferr error
	err := onLockedThread(func() (bool, error) {
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return true, err
		}
		defer unix.Close(orig)
		if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
			return true, fmt.Errorf("enter network namespace %s: %w", n, err)
		}
		ferr = fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			return false, fmt.Errorf("return from network namespace %s: %w", n, err)
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	return ferr
}

// onLockedThread runs fn on a fresh goroutine locked to its OS thread. When
// fn reports the thread unclean (false), the goroutine exits still locked,
// and the runtime terminates the thread.
func onLockedThread(fn func() (clean bool, err error)) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		clean, err := fn()
		if clean {
			runtime.UnlockOSThread()
		}
		done <- err
	}()
	return <-done
}
