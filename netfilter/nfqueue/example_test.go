package nfqueue_test

import (
	"context"
	"fmt"
	"log"

	"github.com/nlkit/nlkit/netfilter/nfqueue"
)

// Accept every packet of queue 0, batching the verdicts: one write when
// the socket is drained.
func ExampleQueue_Packets() {
	q, err := nfqueue.Open(0, &nfqueue.Config{CopyRange: 128})
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	v := q.NewVerdicts()
	for p, err := range q.Packets(context.Background()) {
		if err != nil {
			log.Print(err) // an overrun or a refused verdict: the stream goes on
			continue
		}
		v.Add(p.ID, nfqueue.Accept)
		if p.Remaining == 0 {
			if err := v.Flush(); err != nil {
				log.Fatal(err)
			}
		}
	}
}

// Mark a packet and its connection, and let it pass.
func ExampleQueue_SetDecision() {
	q, err := nfqueue.Open(1, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	for p, err := range q.Packets(context.Background()) {
		if err != nil {
			continue
		}
		d := nfqueue.Decision{ID: p.ID, Verdict: nfqueue.Accept, SetMark: true, Mark: 0x2a}
		if err := q.SetDecision(&d); err != nil {
			log.Fatal(err)
		}
	}
}

func ExampleQueueTo() {
	fmt.Println(nfqueue.QueueTo(5))
	// Output: queue 5
}
