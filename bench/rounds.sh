#!/bin/sh
# rounds.sh: run every benchmark once per round, ROUNDS rounds (default 6),
# from one compiled test binary, and print all rounds' results for
# benchstat. Interleaving the rounds spreads a burst of load from other
# processes over all the variants instead of landing on one of them, which
# on a small, shared machine is what makes the ratios comparable.
#
#   sh rounds.sh > /tmp/rounds.txt && go run golang.org/x/perf/cmd/benchstat@latest /tmp/rounds.txt
#
# Extra arguments go to the test binary (e.g. -test.bench 'Dump').
set -e
cd "$(dirname "$0")"
bin=$(mktemp -d)/bench.test
go test -c -o "$bin" .
i=0
while [ "$i" -lt "${ROUNDS:-6}" ]; do
	"$bin" -test.run '^$' -test.bench . -test.benchmem -test.count 1 -test.timeout 30m "$@"
	i=$((i + 1))
done
rm -rf "$(dirname "$bin")"
