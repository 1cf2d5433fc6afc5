module github.com/nlkit/nlkit/cmd

go 1.26.8
