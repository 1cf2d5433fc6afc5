module github.com/nlkit/nlkit/genl

go 1.26.8
