module github.com/nlkit/nlkit/genl

go 1.26.8

require (
	github.com/nlkit/nlkit/core v0.0.0
	github.com/stretchr/testify v1.12.1
	golang.org/x/sys v0.49.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect

replace github.com/nlkit/nlkit/core => ../core
