package route

import (
	"fmt"
	"os"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// TunConfig says how TunCreate makes a tun or tap device.
type TunConfig struct {
	// Name is the device name; "" lets the kernel pick (tunN, tapN).
	Name string
	// Tap makes an Ethernet (tap) device instead of an IP (tun) one.
	Tap bool
	// NetNS is the namespace to create the device in; nil is the
	// caller's. The device belongs to the namespace /dev/net/tun was
	// opened in.
	NetNS *core.NetNS
	// PI keeps the 4-byte packet information header (IFF_NO_PI unset).
	PI bool
	// VnetHdr adds the virtio-net header (IFF_VNET_HDR).
	VnetHdr bool
	// MultiQueue makes a multi-queue device (IFF_MULTI_QUEUE).
	MultiQueue bool
	// Persist keeps the device after the file is closed (TUNSETPERSIST):
	// delete it with LinkDel.
	Persist bool
	// Owner and Group, when HasOwner and HasGroup, are the user and group
	// allowed to attach (TUNSETOWNER, TUNSETGROUP).
	Owner    uint32
	HasOwner bool
	Group    uint32
	HasGroup bool
}

// TunCreate opens /dev/net/tun and makes a tun or tap device as cfg says
// (TUNSETIFF, then TUNSETOWNER, TUNSETGROUP, TUNSETPERSIST). It returns
// the open queue file, which reads and writes packets, and the device's
// name. Closing the file removes a device that is not persistent. Read
// the device back with Conn.LinkByName: its Info is a *TunInfo.
func TunCreate(cfg *TunConfig) (*os.File, string, error) {
	if cfg == nil {
		cfg = &TunConfig{}
	}
	op := "tun create " + cfg.Name
	if len(cfg.Name) >= unix.IFNAMSIZ {
		return nil, "", &core.OpError{Op: op, Err: fmt.Errorf("name %q longer than 15 bytes", cfg.Name)}
	}
	var fd int
	err := cfg.NetNS.Do(func() error {
		var err error
		fd, err = unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, "", &core.OpError{Op: op, Err: &os.PathError{Op: "open", Path: "/dev/net/tun", Err: err}}
	}
	ifr, err := unix.NewIfreq(cfg.Name)
	if err != nil {
		unix.Close(fd)
		return nil, "", &core.OpError{Op: op, Err: err}
	}
	flags := uint16(unix.IFF_TUN)
	if cfg.Tap {
		flags = unix.IFF_TAP
	}
	if !cfg.PI {
		flags |= unix.IFF_NO_PI
	}
	if cfg.VnetHdr {
		flags |= unix.IFF_VNET_HDR
	}
	if cfg.MultiQueue {
		flags |= unix.IFF_MULTI_QUEUE
	}
	ifr.SetUint16(flags)
	fail := func(what string, err error) (*os.File, string, error) {
		unix.Close(fd)
		return nil, "", &core.OpError{Op: op, Err: os.NewSyscallError(what, err)}
	}
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		return fail("TUNSETIFF", err)
	}
	name := ifr.Name()
	if cfg.HasOwner {
		if err := tunIoctl(fd, unix.TUNSETOWNER, uintptr(cfg.Owner)); err != nil {
			return fail("TUNSETOWNER", err)
		}
	}
	if cfg.HasGroup {
		if err := tunIoctl(fd, unix.TUNSETGROUP, uintptr(cfg.Group)); err != nil {
			return fail("TUNSETGROUP", err)
		}
	}
	if cfg.Persist {
		if err := tunIoctl(fd, unix.TUNSETPERSIST, 1); err != nil {
			return fail("TUNSETPERSIST", err)
		}
	}
	return os.NewFile(uintptr(fd), "/dev/net/tun:"+name), name, nil
}

// tunIoctl passes v by value, as the TUNSET* integer ioctls take it.
func tunIoctl(fd int, req uint, v uintptr) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), v)
	if e != 0 {
		return e
	}
	return nil
}
