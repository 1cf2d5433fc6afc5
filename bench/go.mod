module github.com/nlkit/nlkit/bench

go 1.26.8

require (
	github.com/mdlayher/netlink v1.11.2
	github.com/nlkit/nlkit/core v0.0.0
	github.com/stretchr/testify v1.12.1
	golang.org/x/sys v0.49.0
)

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/mdlayher/socket v0.6.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.53.0 // indirect
	golang.org/x/sync v0.20.0 // indirect
)

replace github.com/nlkit/nlkit/core => ../core
