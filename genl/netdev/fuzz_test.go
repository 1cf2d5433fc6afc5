package netdev

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// seed adds every captured payload and the encoder's own bytes.
func seed(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.hex"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		f.Add(testdata(f, strings.TrimSuffix(filepath.Base(file), ".hex")))
	}
	f.Add(pagePoolReply())
	f.Add(pagePoolStatsReply())
	f.Add(qstatsReply())
	for _, m := range []interface{ Marshal([]byte) ([]byte, error) }{
		&NAPI{ID: 1, DeferHardIRQs: 2, HasThreaded: true}, &Queue{Ifindex: 1}, &Qstats{Ifindex: 2, HasQueue: true},
	} {
		b, err := m.Marshal(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
}

type object interface {
	Unmarshal([]byte) error
	Marshal([]byte) ([]byte, error)
	String() string
}

// fuzzObject decodes data into v; what decodes must print, encode as
// JSON and marshal without panicking.
func fuzzObject(t *testing.T, v object, data []byte) {
	if v.Unmarshal(data) != nil {
		return
	}
	_ = v.String()
	if _, err := json.Marshal(v); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Marshal(nil); err != nil {
		t.Fatal(err)
	}
}

func FuzzDevice(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzObject(t, new(Device), data) })
}

func FuzzQueue(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzObject(t, new(Queue), data) })
}

func FuzzNAPI(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzObject(t, new(NAPI), data) })
}

func FuzzPagePool(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzObject(t, new(PagePool), data) })
}

func FuzzPagePoolStats(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzObject(t, new(PagePoolStats), data) })
}

func FuzzQstats(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var q Qstats
		fuzzObject(t, &q, data)
		_ = q.Counters()
		_ = q.Diff(&q)
	})
}

func FuzzEvent(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev Event
		if ev.Unmarshal(data) == nil {
			_ = ev.String()
			if _, err := json.Marshal(&ev); err != nil {
				t.Fatal(err)
			}
		}
	})
}
