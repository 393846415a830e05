package apply

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// feed records each Append call as one batch.
type feed struct {
	events  []Event
	batches []int
}

func (f *feed) Append(evs ...Event) error {
	f.events = append(f.events, evs...)
	f.batches = append(f.batches, len(evs))
	return nil
}

// TestLineWriter: tofu's output becomes one event per line, partial
// writes joined, the last line flushed, secret values replaced.
func TestLineWriter(t *testing.T) {
	var f feed
	now := func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	w := &LineWriter{Feed: &f, Secrets: []string{"hunter2-secret-value", "abc"}, Now: now, Step: func() Step { return StepPlan }}
	w.Write([]byte("Plan: token=hunter2-secret-value abc\nsecond\npartial"))
	w.Write([]byte(" line\nlast"))
	w.Flush()
	var got []string
	for _, e := range f.events {
		if e.Kind != EventLine || e.Step != StepPlan {
			t.Fatalf("event %+v: want a log line of the plan step", e)
		}
		got = append(got, e.Text)
	}
	// Secrets shorter than 6 characters are not replaced: they would
	// blank ordinary words.
	want := "Plan: token=(sensitive) abc|second|partial line|last"
	if strings.Join(got, "|") != want {
		t.Fatalf("lines = %s\nwant    %s", strings.Join(got, "|"), want)
	}
	if fmt.Sprint(f.batches) != "[2 1 1]" {
		t.Fatalf("batches = %v, want [2 1 1]: the complete lines of one write go together", f.batches)
	}
}
