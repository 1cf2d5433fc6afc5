module github.com/nlkit/nlkit/bench

go 1.26.8
