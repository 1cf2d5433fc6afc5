package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/netfilter/nflog"
	"github.com/spf13/cobra"
)

// logRecord is one logged packet as `nlkit log -j` prints it.
type logRecord struct {
	Group     uint16    `json:"group"`
	Family    uint8     `json:"family"`
	Prefix    string    `json:"prefix"`
	Hook      string    `json:"hook"`
	HWProto   uint16    `json:"hwproto"`
	InDev     string    `json:"indev,omitempty"`
	OutDev    string    `json:"outdev,omitempty"`
	PhysIn    string    `json:"physindev,omitempty"`
	PhysOut   string    `json:"physoutdev,omitempty"`
	Mark      *uint32   `json:"mark,omitempty"`
	UID       *uint32   `json:"uid,omitempty"`
	GID       *uint32   `json:"gid,omitempty"`
	Seq       *uint32   `json:"seq,omitempty"`
	SeqGlobal *uint32   `json:"seq_global,omitempty"`
	HWAddr    string    `json:"hwaddr,omitempty"`
	Time      time.Time `json:"timestamp,omitzero"`
	Len       int       `json:"len"`
	Summary   string    `json:"summary,omitempty"`
}

func newLogCommand(env *cli.Env) *cobra.Command {
	var (
		family, copyMode string
		group            uint16
		count, rng       int
		qthresh          uint32
	)
	cmd := &cobra.Command{
		Use:   "log --group N",
		Short: "Print the packets NFLOG rules log to a group",
		Long: `Print the packets netfilter's NFLOG target logs to a group (nfnetlink_log),
one line each, like libnl's nf-log: prefix, devices, mark, payload length
and summary. Runs until --count packets or Ctrl-C.

  iptables-legacy -A INPUT -p udp -j NFLOG --nflog-group 3 --nflog-prefix in
  nlkit log --family inet --group 3 --count 10`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			fam, err := logFamily(family)
			if err != nil {
				return err
			}
			cfg := &nflog.Config{Family: fam, QThresh: qthresh, CopyRange: uint32(rng), Flags: nflog.Seq | nflog.SeqGlobal}
			switch copyMode {
			case "packet":
				cfg.CopyMode = nflog.CopyPacket
			case "meta", "none":
				cfg.CopyMode = nflog.CopyMeta
			default:
				return fmt.Errorf("--copy %q: packet, meta or none", copyMode)
			}
			if cfg.NetNS, err = env.Namespace(); err != nil {
				return err
			}
			l, err := nflog.Open(group, cfg)
			if err != nil {
				return err
			}
			defer l.Close()
			ctx, stop := cli.Interruptible(c.Context())
			defer stop()
			return logRun(ctx, env, l, &logIfNames{env: env}, count)
		},
	}
	f := cmd.Flags()
	f.StringVar(&family, "family", "inet", "protocol family: inet, inet6, bridge, arp")
	f.Uint16Var(&group, "group", 0, "log group")
	f.StringVar(&copyMode, "copy", "packet", "what to copy: packet, meta or none")
	f.IntVar(&rng, "range", 0, "bytes of payload to copy (0: all)")
	f.Uint32Var(&qthresh, "qthresh", 1, "packets the kernel gathers per message")
	f.IntVar(&count, "count", 0, "stop after this many packets (0: run until interrupted)")
	return cmd
}

func logRun(ctx context.Context, env *cli.Env, l *nflog.Log, names *logIfNames, count int) error {
	return logStream(ctx, env, "log", l.Packets(ctx), count, func(p *nflog.Packet) (bool, error) {
		r := logRecord{Group: p.Group, Family: p.Family, Prefix: p.Prefix, Hook: p.Hook.String(), HWProto: p.HWProtocol,
			InDev: names.name(p.InDev), OutDev: names.name(p.OutDev), PhysIn: names.name(p.PhysInDev), PhysOut: names.name(p.PhysOutDev),
			Mark: logOptional(p.HasMark, &p.Mark), UID: logOptional(p.HasUID, &p.UID), GID: logOptional(p.HasGID, &p.GID),
			Seq: logOptional(p.HasSeq, &p.Seq), SeqGlobal: logOptional(p.HasSeqGlobal, &p.SeqGlobal),
			Time: p.Timestamp, Len: len(p.Payload), Summary: logPayloadSummary(p.Payload)}
		if len(p.HWAddr) > 0 {
			r.HWAddr = p.HWAddr.String()
		}
		return p.Remaining == 0, logEmit(env, r, func() string { return logText(&r) })
	}, nil)
}

// logText prints a record like libnl's nf-log.
func logText(r *logRecord) string {
	l := logLine{b: fmt.Appendf(nil, "group=%d prefix=%q hook=%s", r.Group, r.Prefix, r.Hook)}
	l.str("IN=", r.InDev)
	l.str("OUT=", r.OutDev)
	l.str("PHYSIN=", r.PhysIn)
	l.str("PHYSOUT=", r.PhysOut)
	l.str("MAC=", r.HWAddr)
	l.num("MARK=", r.Mark, 16)
	l.num("UID=", r.UID, 10)
	l.num("GID=", r.GID, 10)
	l.num("SEQ=", r.Seq, 10)
	l.num("SEQ_GLOBAL=", r.SeqGlobal, 10)
	l.payload(r.Len, r.Summary)
	return string(l.b)
}
