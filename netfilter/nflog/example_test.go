package nflog_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/nlkit/nlkit/netfilter/nflog"
)

// Print what the rules log to group 1, each packet at once.
func ExampleLog_Packets() {
	l, err := nflog.Open(1, &nflog.Config{QThresh: 1, CopyRange: 64, Flags: nflog.Seq})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for p, err := range l.Packets(ctx) {
		if err != nil {
			log.Print(err) // an overrun: packets were lost, the stream goes on
			continue
		}
		fmt.Printf("%s seq=%d in=%d out=%d len=%d\n", p.Prefix, p.Seq, p.InDev, p.OutDev, len(p.Payload))
	}
}
