package conntrack

import (
	"testing"

	"github.com/nlkit/nlkit/core"
)

var ctFlowSeeds = []string{"flow_tcp_ftp", "flow_udp6", "expect_ftp", "stats_cpu", "stats_global", "stats_exp_cpu"}

func FuzzFlowUnmarshal(f *testing.F) {
	for _, n := range ctFlowSeeds {
		f.Add(ctCapture(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fl Flow
		if fl.Unmarshal(b) == nil {
			_ = fl.String()
			if _, err := fl.MarshalJSON(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzExpectUnmarshal(f *testing.F) {
	for _, n := range ctFlowSeeds {
		f.Add(ctCapture(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var x Expect
		if x.Unmarshal(b) == nil {
			_ = x.String()
			if _, err := x.MarshalJSON(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzStatsUnmarshal(f *testing.F) {
	for _, n := range ctFlowSeeds {
		f.Add(ctCapture(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s CPUStats
		if s.Unmarshal(b) == nil {
			_ = s.String()
		}
		var g GlobalStats
		_ = g.Unmarshal(b)
		var e ExpectStats
		_ = e.Unmarshal(b)
	})
}

func FuzzEventUnmarshal(f *testing.F) {
	for _, n := range []string{"event_new", "event_update", "event_destroy", "event_exp_new", "event_exp_destroy"} {
		f.Add(ctCapture(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, _ := core.ParseMessages(b)
		var fl Flow
		var x Expect
		for _, m := range msgs {
			var ev Event
			if ok, err := ev.Unmarshal(m, &fl, &x); ok && err == nil {
				_ = ev.String()
			}
		}
	})
}
