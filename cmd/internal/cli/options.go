// Package cli is the plumbing every nlkit verb shares: the global flags,
// dialling netlink with them, a buffered output, JSON or text, and the way
// errors are printed.
//
// A verb is a func(*cli.Env) *cobra.Command. Its RunE uses env.Dial to
// open sockets (in --netns, traced under --debug), env.Out to print, and
// env.JSON (or env.JSONList for long listings) under -j; it returns its
// error, which Run prints on stderr with exit code 1. PrintList prints a
// listing (a line an object, or a JSON array), PrintEvents a stream of
// events (a line or a JSON object each, flushed as they come), and
// Interruptible gives a streaming verb the context Ctrl-C ends.
package cli

import "github.com/spf13/pflag"

// Options are the global flags.
type Options struct {
	// NetNS is --netns: a namespace name under /run/netns, or a path
	// (anything with a '/') to a namespace file.
	NetNS string
	// JSON is -j/--json: print JSON instead of text.
	JSON bool
	// Details is -d/--details: print more.
	Details bool
	// Debug is --debug: print every netlink message sent and received on
	// stderr, decoded.
	Debug bool
}

// Register adds the global flags to fs (the root command's persistent
// flags, so every verb has them).
func (o *Options) Register(fs *pflag.FlagSet) {
	fs.StringVar(&o.NetNS, "netns", "", "work in the network namespace `NAME|PATH` (a name under /run/netns, or a path such as /proc/PID/ns/net)")
	fs.BoolVarP(&o.JSON, "json", "j", false, "print JSON")
	fs.BoolVarP(&o.Details, "details", "d", false, "print more details")
	fs.BoolVar(&o.Debug, "debug", false, "print every netlink message sent and received, decoded, on stderr")
}
