package cli

import (
	"context"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// Interruptible returns a context that ends with ctx or on SIGINT or
// SIGTERM: the context of a verb that runs until interrupted (a watch,
// a packet loop), whose interruption is its normal end. stop releases
// the signals.
func Interruptible(ctx context.Context) (_ context.Context, stop context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, unix.SIGTERM)
}
