module github.com/nlkit/nlkit/cmd

go 1.26.8

require (
	github.com/nlkit/nlkit/core v0.0.0
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	github.com/stretchr/testify v1.12.1
	golang.org/x/sys v0.49.0
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/nlkit/nlkit/genl v0.0.0
	github.com/nlkit/nlkit/netfilter v0.0.0
	github.com/nlkit/nlkit/route v0.0.0
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

replace github.com/nlkit/nlkit/core => ../core

replace (
	github.com/nlkit/nlkit/genl => ../genl
	github.com/nlkit/nlkit/netfilter => ../netfilter
	github.com/nlkit/nlkit/route => ../route
)
