// Command nlkit talks netlink from the command line: the nlkit SDK's
// counterpart of libnl's nl-* tools and a little of iproute2.
//
//	nlkit demo              show the SDK at work in a throwaway namespace
//	nlkit version           print the version
//
// Global flags: --netns NAME|PATH, -j/--json, -d/--details, --debug.
package main

import "os"

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
