// Package bench holds nlkit's side-by-side benchmarks: a raw
// golang.org/x/sys/unix receive loop (the floor), the core, and peer
// libraries, doing the same netlink work against the real kernel in
// throwaway network namespaces.
//
// Run them with `make bench` (see docs/performance.md for the table and how
// to read it). Plain `go test` runs only the cheap checks, such as the
// zero-allocation assertions for the attribute scanner and encoder; the
// namespaces with 100,000 routes and 4,000 links are built only when a
// benchmark that needs them runs, once per process.
package bench
