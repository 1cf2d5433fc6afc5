// Package netfilter is nlkit's netfilter family library. It is being built: see the
// project's issues for its scope. It builds on github.com/nlkit/nlkit/core.
package netfilter
