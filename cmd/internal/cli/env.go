package cli

import (
	"errors"
	"io"

	"github.com/nlkit/nlkit/cmd/internal/decode"
	"github.com/nlkit/nlkit/core"
)

// Env is what a verb runs with: the global options, the output, and the
// handles it opened (closed by Close, which Run calls at the end).
type Env struct {
	Options
	// Version is the program's version string.
	Version string
	// Out is standard output, buffered: it is flushed once, at the end.
	Out *Output
	// Err is standard error, unbuffered (trace and error messages).
	Err io.Writer

	ns    *core.NetNS
	conns []*core.Conn
}

// NewEnv returns an Env printing to stdout and stderr.
func NewEnv(stdout, stderr io.Writer) *Env {
	return &Env{Out: NewOutput(stdout), Err: stderr}
}

// Namespace opens the --netns namespace (once) and returns it; nil when
// the flag is not set, meaning the current namespace.
func (e *Env) Namespace() (*core.NetNS, error) {
	if e.NetNS == "" {
		return nil, nil
	}
	if e.ns == nil {
		ns, err := core.NetNSFromNameOrPath(e.NetNS)
		if err != nil {
			return nil, err
		}
		e.ns = ns
	}
	return e.ns, nil
}

// Config returns the socket configuration the global options ask for:
// the --netns namespace, and with --debug a trace of every message on
// stderr, decoded with attribute names. Change it before Dial as a verb
// needs (groups, buffer sizes, another namespace).
func (e *Env) Config(protocol int) (*core.Config, error) {
	ns, err := e.Namespace()
	if err != nil {
		return nil, err
	}
	cfg := &core.Config{NetNS: ns}
	if e.Debug {
		cfg.Trace = e.Err
		cfg.Formatter = decode.Formatter(protocol)
	}
	return cfg, nil
}

// Dial opens a netlink socket for protocol as the global options say. The
// Env closes it in Close; a verb may close it earlier.
func (e *Env) Dial(protocol int) (*core.Conn, error) {
	cfg, err := e.Config(protocol)
	if err != nil {
		return nil, err
	}
	return e.DialConfig(protocol, cfg)
}

// DialConfig opens a netlink socket for protocol with cfg (usually from
// Config, changed) and closes it in Close.
func (e *Env) DialConfig(protocol int, cfg *core.Config) (*core.Conn, error) {
	c, err := core.Dial(protocol, cfg)
	if err != nil {
		return nil, err
	}
	e.conns = append(e.conns, c)
	return c, nil
}

// Close closes every socket Dial opened and the namespace handle.
func (e *Env) Close() error {
	var errs []error
	for _, c := range e.conns {
		if err := c.Close(); err != nil && !errors.Is(err, core.ErrClosed) {
			errs = append(errs, err)
		}
	}
	e.conns = nil
	if e.ns != nil {
		errs = append(errs, e.ns.Close())
		e.ns = nil
	}
	return errors.Join(errs...)
}
