package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/genl/ethtool"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func newEthtoolCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ethtool",
		Short: "Device settings, features, rings and channels (the ethtool family)",
		Long: `ethtool reads and changes what ethtool(8) does, over the ethtool generic
netlink family: link settings and state (show), features (features,
set-features), DMA ring sizes (rings, set-rings) and channel counts
(channels, set-channels), and prints the ethtool notifications (monitor).
Text output follows ethtool(8)'s; -j prints JSON.`,
	}
	cmd.AddCommand(newEthtoolShowCommand(env), newEthtoolFeaturesCommand(env), newEthtoolSetFeaturesCommand(env),
		newEthtoolRingsCommand(env), newEthtoolSetRingsCommand(env), newEthtoolChannelsCommand(env),
		newEthtoolSetChannelsCommand(env), newEthtoolMonitorCommand(env))
	return cmd
}

// ethtoolDial opens an ethtool Client as the global options say; the
// caller closes it.
func ethtoolDial(env *cli.Env) (*ethtool.Client, error) {
	cfg, err := env.Config(unix.NETLINK_GENERIC)
	if err != nil {
		return nil, err
	}
	return ethtool.Dial(cfg)
}

// ethtoolRun dials and runs fn with the client.
func ethtoolRun(env *cli.Env, fn func(c *ethtool.Client) error) error {
	c, err := ethtoolDial(env)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

func newEthtoolShowCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "show DEV",
		Short: "Show a device's link settings and state, as ethtool DEV does",
		Long: `show prints DEV's link modes (supported, advertised, and those its link
partner advertises), speed, duplex, lanes, autonegotiation, port, PHY
address, transceiver, MDI-X and whether the link is up, as ethtool DEV
does. Settings the driver does not report are left out. -j prints
{"ifname", "linkinfo", "linkmodes", "linkstate"}.`,
		Args: cli.Args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ethtoolRun(env, func(c *ethtool.Client) error {
				return ethtoolShow(cmd.Context(), env, c, args[0])
			})
		},
	}
}

// ethtoolOptional turns "the driver does not do that" into nothing, as
// ethtool(8) leaves such settings out.
func ethtoolOptional(err error) error {
	if errors.Is(err, unix.EOPNOTSUPP) {
		return nil
	}
	return err
}

func ethtoolShow(ctx context.Context, env *cli.Env, c *ethtool.Client, dev string) error {
	li, err := c.LinkInfo(ctx, dev)
	if err = ethtoolOptional(err); err != nil {
		return err
	}
	lm, err := c.LinkModes(ctx, dev)
	if err = ethtoolOptional(err); err != nil {
		return err
	}
	ls, err := c.LinkState(ctx, dev)
	if err = ethtoolOptional(err); err != nil {
		return err
	}
	if env.JSON {
		return env.Out.JSON(struct {
			Ifname    string             `json:"ifname"`
			LinkInfo  *ethtool.LinkInfo  `json:"linkinfo,omitempty"`
			LinkModes *ethtool.LinkModes `json:"linkmodes,omitempty"`
			LinkState *ethtool.LinkState `json:"linkstate,omitempty"`
		}{dev, li, lm, ls})
	}
	var b strings.Builder
	b.WriteString("Settings for " + dev + ":\n")
	if lm != nil {
		ethtoolModes(&b, "Supported link modes:", lm.Supported())
		ethtoolModes(&b, "Advertised link modes:", lm.Advertised())
		if peer := lm.PeerAdvertised(); len(peer) > 0 {
			ethtoolModes(&b, "Link partner advertised link modes:", peer)
		}
		b.WriteString("\tSpeed: " + lm.SpeedString() + "\n")
		b.WriteString("\tDuplex: " + lm.Duplex.String() + "\n")
		if lm.Lanes != 0 {
			b.WriteString("\tLanes: " + strconv.FormatUint(uint64(lm.Lanes), 10) + "\n")
		}
		b.WriteString("\tAuto-negotiation: " + ethtoolOnOff(lm.Autoneg) + "\n")
	}
	if li != nil {
		b.WriteString("\tPort: " + li.Port.String() + "\n")
		b.WriteString("\tPHYAD: " + strconv.Itoa(int(li.PHYAddr)) + "\n")
		b.WriteString("\tTransceiver: " + li.Transceiver.String() + "\n")
		mdix := li.TPMDIX.String()
		if li.TPMDIXCtrl == ethtool.MDIXAuto {
			mdix += " (auto)"
		}
		b.WriteString("\tMDI-X: " + mdix + "\n")
	}
	if ls != nil {
		if ls.HasSQI {
			fmt.Fprintf(&b, "\tSQI: %d/%d\n", ls.SQI, ls.SQIMax)
		}
		if ls.HasExtState {
			fmt.Fprintf(&b, "\tLink Down Reason: %s (substate %d)\n", ls.ExtState, ls.ExtSubstate)
		}
		if ls.HasLink {
			b.WriteString("\tLink detected: " + ls.LinkString() + "\n")
		}
	}
	env.Out.WriteString(b.String())
	return nil
}

// ethtoolModes prints a list of link modes as ethtool(8) does: the first
// on the label's line, "Not reported" when there are none.
func ethtoolModes(b *strings.Builder, label string, modes []string) {
	fmt.Fprintf(b, "\t%-23s ", label)
	if len(modes) == 0 {
		b.WriteString("Not reported\n")
		return
	}
	b.WriteString(strings.Join(modes, "\n\t                        ") + "\n")
}

func ethtoolOnOff(v bool) string {
	if v {
		return "on"
	}
	return "off"
}

func newEthtoolFeaturesCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "features DEV",
		Short: "Show a device's features (offloads), as ethtool -k does",
		Long: `features prints each feature the kernel knows, by its kernel name, with
its state: "name: on", "[fixed]" when the device does not let it change,
"[requested on]" when it is off though asked for. -j prints
{"dev": {...}, "features": [{"name", "active", "requested", "fixed"}]}.`,
		Args: cli.Args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ethtoolRun(env, func(c *ethtool.Client) error {
				f, err := c.Features(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if env.JSON {
					return env.Out.JSON(f)
				}
				var b strings.Builder
				b.WriteString("Features for " + args[0] + ":\n")
				for _, ft := range f.List() {
					b.WriteString(ft.String() + "\n")
				}
				env.Out.WriteString(b.String())
				return nil
			})
		},
	}
}

// ethtoolParseOnOff reads "on" or "off".
func ethtoolParseOnOff(s string) (bool, error) {
	switch s {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, cli.Usagef("want on or off, not %q", s)
}

func newEthtoolSetFeaturesCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "set-features DEV NAME on|off [NAME on|off]...",
		Short: "Turn features on or off, as ethtool -K does",
		Long: `set-features turns DEV's features on or off. NAME is a kernel feature name
(rx-gro, tx-checksum-ip-generic) or one of ethtool(8)'s (gro, gso, tso, sg,
rx, tx, lro, rxvlan, txvlan, ntuple, rxhash). An unknown name or a change
to a fixed feature is refused before anything is sent. When the kernel
changed more or less than asked (features depend on each other), the
actual changes are printed, as ethtool -K does. -j prints
{"changed": {...}, "not_applied": {...}}.`,
		Args: cli.Args(func(cmd *cobra.Command, args []string) error {
			if len(args) < 3 || len(args)%2 != 1 {
				return fmt.Errorf("want DEV and NAME on|off pairs")
			}
			return nil
		}),
		RunE: func(cmd *cobra.Command, args []string) error {
			want := map[string]bool{}
			for i := 1; i < len(args); i += 2 {
				on, err := ethtoolParseOnOff(args[i+1])
				if err != nil {
					return err
				}
				want[args[i]] = on
			}
			return ethtoolRun(env, func(c *ethtool.Client) error {
				ch, err := c.SetFeatures(cmd.Context(), args[0], want)
				if ch == nil {
					return err
				}
				if env.JSON {
					if jerr := env.Out.JSON(map[string]map[string]bool{"changed": ch.Changed(), "not_applied": ch.NotApplied()}); jerr != nil {
						return jerr
					}
					return err
				}
				ethtoolPrintChanges(env, want, ch)
				return err
			})
		},
	}
}

// ethtoolPrintChanges prints "Actual changes:" and the features that
// changed, when that is not just what was asked for: a feature changed
// that the request did not name (directly or through an alias such as
// "tso"), or changed the other way.
func ethtoolPrintChanges(env *cli.Env, want map[string]bool, ch *ethtool.FeatureChange) {
	asked := map[string]bool{}
	for n, v := range want {
		asked[n] = v
		if members, ok := ethtool.FeatureAlias(n); ok {
			for _, m := range members {
				asked[m] = v
			}
		}
	}
	changed := ch.Changed()
	same := true
	for n, v := range changed {
		if av, ok := asked[n]; !ok || av != v {
			same = false
		}
	}
	if same {
		return
	}
	names := make([]string, 0, len(changed))
	for n := range changed {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Actual changes:\n")
	for _, n := range names {
		b.WriteString(n + ": " + ethtoolOnOff(changed[n]) + "\n")
	}
	env.Out.WriteString(b.String())
}

// ethtoolValue prints a count as ethtool(8) does: "n/a" when the maximum
// says the kind is not supported.
func ethtoolValue(v, max uint32) string {
	if max == 0 {
		return "n/a"
	}
	return strconv.FormatUint(uint64(v), 10)
}

// ethtoolTable prints the two sections of ethtool -g and -l.
func ethtoolTable(env *cli.Env, title string, rows [][3]any) {
	var b strings.Builder
	b.WriteString(title + "\nPre-set maximums:\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s\t%s\n", r[0], ethtoolValue(r[2].(uint32), r[2].(uint32)))
	}
	b.WriteString("Current hardware settings:\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s\t%s\n", r[0], ethtoolValue(r[1].(uint32), r[2].(uint32)))
	}
	env.Out.WriteString(b.String())
}

func newEthtoolRingsCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "rings DEV",
		Short: "Show a device's DMA ring sizes, as ethtool -g does",
		Long: `rings prints DEV's ring sizes: the maximums, then the current sizes ("n/a"
where the driver has no such ring). -j prints the Rings object.`,
		Args: cli.Args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ethtoolRun(env, func(c *ethtool.Client) error {
				r, err := c.Rings(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if env.JSON {
					return env.Out.JSON(r)
				}
				ethtoolTable(env, "Ring parameters for "+args[0]+":", [][3]any{
					{"RX:\t", r.RX, r.RXMax}, {"RX Mini:", r.RXMini, r.RXMiniMax},
					{"RX Jumbo:", r.RXJumbo, r.RXJumboMax}, {"TX:\t", r.TX, r.TXMax},
				})
				return nil
			})
		},
	}
}

// ethtoolKeywords reads "KEYWORD N" pairs into the fields named.
func ethtoolKeywords(args []string, fields map[string]*uint32) error {
	if len(args)%2 != 0 {
		return cli.Usagef("want KEYWORD VALUE pairs")
	}
	if len(args) == 0 {
		return cli.Usagef("nothing to set")
	}
	for i := 0; i < len(args); i += 2 {
		p, ok := fields[args[i]]
		if !ok {
			keys := make([]string, 0, len(fields))
			for k := range fields {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return cli.Usagef("unknown keyword %q (want %s)", args[i], strings.Join(keys, ", "))
		}
		v, err := strconv.ParseUint(args[i+1], 10, 32)
		if err != nil {
			return cli.Usagef("%s: %q is not a count", args[i], args[i+1])
		}
		*p = uint32(v)
	}
	return nil
}

func newEthtoolSetRingsCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "set-rings DEV [rx N] [rx-mini N] [rx-jumbo N] [tx N]",
		Short: "Change a device's DMA ring sizes, as ethtool -G does",
		Long: `set-rings reads DEV's ring sizes, changes those given, and sends them back.
The kernel refuses sizes past the maximums, with its own explanation.`,
		Args: cli.Args(cobra.MinimumNArgs(3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ethtoolRun(env, func(c *ethtool.Client) error {
				r, err := c.Rings(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := ethtoolKeywords(args[1:], map[string]*uint32{
					"rx": &r.RX, "rx-mini": &r.RXMini, "rx-jumbo": &r.RXJumbo, "tx": &r.TX,
				}); err != nil {
					return err
				}
				return c.SetRings(cmd.Context(), args[0], r)
			})
		},
	}
}

func newEthtoolChannelsCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "channels DEV",
		Short: "Show a device's channel counts, as ethtool -l does",
		Long: `channels prints DEV's channel counts (receive, transmit, other, combined):
the maximums, then the current counts ("n/a" where the device has no such
channels). -j prints the Channels object.`,
		Args: cli.Args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ethtoolRun(env, func(c *ethtool.Client) error {
				ch, err := c.Channels(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if env.JSON {
					return env.Out.JSON(ch)
				}
				ethtoolTable(env, "Channel parameters for "+args[0]+":", [][3]any{
					{"RX:\t", ch.RX, ch.RXMax}, {"TX:\t", ch.TX, ch.TXMax},
					{"Other:\t", ch.Other, ch.OtherMax}, {"Combined:", ch.Combined, ch.CombinedMax},
				})
				return nil
			})
		},
	}
}

func newEthtoolSetChannelsCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "set-channels DEV [rx N] [tx N] [other N] [combined N]",
		Short: "Change a device's channel counts, as ethtool -L does",
		Long: `set-channels reads DEV's channel counts, changes those given, and sends
them back. The kernel refuses counts past the maximums, with its own
explanation.`,
		Args: cli.Args(cobra.MinimumNArgs(3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ethtoolRun(env, func(c *ethtool.Client) error {
				ch, err := c.Channels(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := ethtoolKeywords(args[1:], map[string]*uint32{
					"rx": &ch.RX, "tx": &ch.TX, "other": &ch.Other, "combined": &ch.Combined,
				}); err != nil {
					return err
				}
				return c.SetChannels(cmd.Context(), args[0], ch)
			})
		},
	}
}

func newEthtoolMonitorCommand(env *cli.Env) *cobra.Command {
	var count int
	cmd := &cobra.Command{
		Use:   "monitor",
		Short: "Print the ethtool notifications, as ethtool --monitor does",
		Long: `monitor prints one line per ethtool notification: which setting of which
device changed, and its new state. -j prints one JSON object a line. It
runs until interrupted, or until --count events were printed.`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if count < 0 {
				return cli.Usagef("--count must not be negative")
			}
			ctx, stop := cli.Interruptible(cmd.Context())
			defer stop()
			return ethtoolRun(env, func(c *ethtool.Client) error {
				return cli.PrintEvents(ctx, env, c.Monitor(ctx), count,
					func(ev *ethtool.Event) error { return cli.PrintEvent(env, ev) })
			})
		},
	}
	cmd.Flags().IntVarP(&count, "count", "c", 0, "exit after `N` events (0: run until interrupted)")
	return cmd
}
