package apply

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEventLogResumesAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	now := func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	l, err := OpenEventLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	evs, wake, _ := l.Since(0)
	if len(evs) != 0 {
		t.Fatalf("new feed has %v", evs)
	}
	l.Append(Event{Kind: EventStatus, Text: "running", At: now()})
	select {
	case <-wake:
	default:
		t.Fatal("an append did not wake the waiters")
	}
	w := &LineWriter{Log: l, Secrets: []string{"hunter2-secret-value"}, Now: now, Step: func() Step { return StepPlan }}
	w.Write([]byte("Plan: token=hunter2-secret-value\npartial"))
	w.Write([]byte(" line\nlast"))
	w.Flush()

	// A crash tears the last line; a new process counts on from the rest.
	f, _ := os.OpenFile(filepath.Join(dir, EventsFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":5,"kind":"lo`)
	f.Close()
	l2, err := OpenEventLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	l2.Append(Event{Kind: EventStep, Step: StepPlan, At: now()})
	all, _, err := l2.Since(0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, e := range all {
		if e.ID != i+1 {
			t.Fatalf("event %d has id %d", i, e.ID)
		}
		got = append(got, e.Kind+":"+e.Text)
	}
	want := "status:running|log:Plan: token=(sensitive)|log:partial line|log:last|step:"
	if strings.Join(got, "|") != want {
		t.Fatalf("feed = %s\nwant   %s", strings.Join(got, "|"), want)
	}
	if all[1].Step != StepPlan {
		t.Fatalf("log line step = %q", all[1].Step)
	}
	after, _, _ := l2.Since(3)
	if len(after) != 2 || after[0].ID != 4 {
		t.Fatalf("Since(3) = %+v", after)
	}
}
