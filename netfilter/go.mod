module github.com/nlkit/nlkit/netfilter

go 1.26.8
