module github.com/nlkit/nlkit/route

go 1.26.8
