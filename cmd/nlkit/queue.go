package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/netfilter/nfqueue"
	"github.com/spf13/cobra"
)

// queueRecord is one queued packet as `nlkit queue -j` prints it.
type queueRecord struct {
	Queue   uint16    `json:"queue"`
	ID      uint32    `json:"id"`
	Family  uint8     `json:"family"`
	Hook    string    `json:"hook"`
	HWProto uint16    `json:"hwproto"`
	InDev   string    `json:"indev,omitempty"`
	OutDev  string    `json:"outdev,omitempty"`
	Mark    *uint32   `json:"mark,omitempty"`
	UID     *uint32   `json:"uid,omitempty"`
	GID     *uint32   `json:"gid,omitempty"`
	HWAddr  string    `json:"hwaddr,omitempty"`
	Time    time.Time `json:"timestamp,omitzero"`
	Len     int       `json:"len"`
	Summary string    `json:"summary,omitempty"`
	Verdict string    `json:"verdict"`
	SetMark *uint32   `json:"set_mark,omitempty"`
}

func newQueueCommand(env *cli.Env) *cobra.Command {
	var (
		family, verdict string
		num             uint16
		count, rng      int
		mark            uint32
		failOpen        bool
	)
	cmd := &cobra.Command{
		Use:   "queue --num N",
		Short: "Take the packets NFQUEUE rules queue and give them a verdict",
		Long: `Bind an NFQUEUE queue (nfnetlink_queue), print each packet on one line like
libnl's nf-queue, and give it a verdict (accept or drop), optionally with a
new packet mark. Runs until --count packets or Ctrl-C; packets still queued
when it ends are dropped by the kernel.

  iptables-legacy -A INPUT -p udp --dport 4000 -j NFQUEUE --queue-num 1
  nlkit queue --family inet --num 1 --verdict drop --count 5`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			fam, err := logFamily(family)
			if err != nil {
				return err
			}
			var v nfqueue.Verdict
			switch verdict {
			case "accept":
				v = nfqueue.Accept
			case "drop":
				v = nfqueue.Drop
			default:
				return fmt.Errorf("--verdict %q: accept or drop", verdict)
			}
			cfg := &nfqueue.Config{Family: fam, CopyRange: uint32(rng), Flags: nfqueue.UIDGID}
			if failOpen {
				cfg.Flags |= nfqueue.FailOpen
			}
			if cfg.NetNS, err = env.Namespace(); err != nil {
				return err
			}
			q, err := nfqueue.Open(num, cfg)
			if err != nil {
				return err
			}
			defer q.Close()
			ctx, stop := cli.Interruptible(c.Context())
			defer stop()
			d := nfqueue.Decision{Verdict: v, Mark: mark, SetMark: c.Flags().Changed("mark")}
			return queueRun(ctx, env, q, &logIfNames{env: env}, d, count)
		},
	}
	f := cmd.Flags()
	f.StringVar(&family, "family", "inet", "protocol family: inet, inet6, bridge")
	f.Uint16Var(&num, "num", 0, "queue number")
	f.StringVar(&verdict, "verdict", "accept", "verdict for every packet: accept or drop")
	f.Uint32Var(&mark, "mark", 0, "set this packet mark with the verdict")
	f.IntVar(&rng, "range", 0, "bytes of payload to copy (0: all)")
	f.BoolVar(&failOpen, "fail-open", false, "let packets pass when the queue is full")
	f.IntVar(&count, "count", 0, "stop after this many packets (0: run until interrupted)")
	return cmd
}

func queueRun(ctx context.Context, env *cli.Env, q *nfqueue.Queue, names *logIfNames, d nfqueue.Decision, count int) error {
	vs := q.NewVerdicts()
	return logStream(ctx, env, "queue", q.Packets(ctx), count, func(p *nfqueue.Packet) (bool, error) {
		d.ID = p.ID
		if err := vs.AddDecision(&d); err != nil {
			return false, err
		}
		r := queueRecord{Queue: p.Queue, ID: p.ID, Family: p.Family, Hook: p.Hook.String(), HWProto: p.HWProtocol,
			InDev: names.name(p.InDev), OutDev: names.name(p.OutDev),
			Mark: logOptional(p.HasMark, &p.Mark), UID: logOptional(p.HasUID, &p.UID), GID: logOptional(p.HasGID, &p.GID),
			Time: p.Timestamp, Len: len(p.Payload), Summary: logPayloadSummary(p.Payload),
			Verdict: d.Verdict.String(), SetMark: logOptional(d.SetMark, &d.Mark)}
		if len(p.HWAddr) > 0 {
			r.HWAddr = p.HWAddr.String()
		}
		return p.Remaining == 0, logEmit(env, r, func() string { return queueText(&r) })
	}, vs.Flush)
}

func queueText(r *queueRecord) string {
	l := logLine{b: fmt.Appendf(nil, "queue=%d id=%d hook=%s hwproto=0x%04x", r.Queue, r.ID, r.Hook, r.HWProto)}
	l.str("IN=", r.InDev)
	l.str("OUT=", r.OutDev)
	l.str("MAC=", r.HWAddr)
	l.num("MARK=", r.Mark, 16)
	l.num("UID=", r.UID, 10)
	l.payload(r.Len, r.Summary)
	l.b = append(l.b, " verdict="+r.Verdict...)
	l.num("set-mark=", r.SetMark, 16)
	return string(l.b)
}
