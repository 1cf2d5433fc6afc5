// Command nlkit talks netlink from the command line: the nlkit SDK's
// counterpart of libnl's nl-*, genl-* and nf-* tools and of the parts of
// iproute2, ethtool and conntrack they cover. Text output is one line an
// object; -j prints JSON.
//
//	nlkit demo                       show the SDK at work in a throwaway namespace
//	nlkit link list|show|add|set|del|stats|enslave|release|ifindex2name|name2ifindex
//	nlkit addr list|add|replace|del
//	nlkit route list|get|add|del|flush
//	nlkit neigh list|add|replace|del     nlkit neightbl list|change
//	nlkit rule list|add|del              nlkit nexthop list|add|replace|del
//	nlkit netconf list                   nlkit nsid list|get|set
//	nlkit monitor [link addr route neigh rule nexthop netconf nsid ...]
//	nlkit genl list|show|policy|monitor
//	nlkit ethtool show|features|set-features|rings|channels ...
//	nlkit netdev ...                     (the netdev generic netlink family)
//	nlkit ct list|get|add|update|del|flush|events|stats|count
//	nlkit exp list|add|del               nlkit nf monitor
//	nlkit log --family inet --group N    nlkit queue --family inet --num N
//	nlkit version                    print the version
//
// Global flags: --netns NAME|PATH, -j/--json, -d/--details, --debug.
package main

import "os"

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
