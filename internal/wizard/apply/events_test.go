package apply

import (
	"strings"
	"testing"
	"time"
)

type feed []Event

func (f *feed) Append(e Event) error { *f = append(*f, e); return nil }

// TestLineWriter: tofu's output becomes one event per line, partial
// writes joined, the last line flushed, secret values replaced.
func TestLineWriter(t *testing.T) {
	var f feed
	now := func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	w := &LineWriter{Feed: &f, Secrets: []string{"hunter2-secret-value", "abc"}, Now: now, Step: func() Step { return StepPlan }}
	w.Write([]byte("Plan: token=hunter2-secret-value abc\npartial"))
	w.Write([]byte(" line\nlast"))
	w.Flush()
	var got []string
	for _, e := range f {
		if e.Kind != EventLine || e.Step != StepPlan {
			t.Fatalf("event %+v: want a log line of the plan step", e)
		}
		got = append(got, e.Text)
	}
	// Secrets shorter than 6 characters are not replaced: they would
	// blank ordinary words.
	want := "Plan: token=(sensitive) abc|partial line|last"
	if strings.Join(got, "|") != want {
		t.Fatalf("lines = %s\nwant    %s", strings.Join(got, "|"), want)
	}
}
