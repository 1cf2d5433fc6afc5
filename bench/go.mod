module github.com/nlkit/nlkit/bench

go 1.26.8

require (
	github.com/mdlayher/netlink v1.11.2
	github.com/nlkit/nlkit/core v0.0.0
	github.com/stretchr/testify v1.12.1
	golang.org/x/sys v0.49.0
)

require (
	github.com/florianl/go-nflog/v2 v2.3.0
	github.com/florianl/go-nfqueue/v2 v2.0.3
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/jsimonetti/rtnetlink/v2 v2.0.2
	github.com/mdlayher/genetlink v1.4.0
	github.com/mdlayher/socket v0.6.0 // indirect
	github.com/nlkit/nlkit/genl v0.0.0
	github.com/nlkit/nlkit/netfilter v0.0.0
	github.com/nlkit/nlkit/route v0.0.0
	github.com/pkg/errors v0.9.1 // indirect
	github.com/ti-mo/conntrack v0.6.0
	github.com/ti-mo/netfilter v0.5.3 // indirect
	github.com/vishvananda/netlink v1.3.1
	github.com/vishvananda/netns v0.0.5
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.53.0 // indirect
	golang.org/x/sync v0.20.0 // indirect
)

replace github.com/nlkit/nlkit/core => ../core

replace (
	github.com/nlkit/nlkit/genl => ../genl
	github.com/nlkit/nlkit/netfilter => ../netfilter
	github.com/nlkit/nlkit/route => ../route
)
