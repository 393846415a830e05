package apply

import (
	"bytes"
	"strings"
	"time"
)

// Event kinds of an apply's feed.
const (
	EventStep   = "step"   // a step completed (Step, By)
	EventStatus = "status" // the run's state changed (Text: running, awaiting-approval, done, destroyed, failed: ...)
	EventLine   = "log"    // one line of tofu's output, secrets redacted
)

// Event is one entry of the feed. IDs count up per apply, so a browser
// that reconnects with Last-Event-ID, to any replica, gets exactly what it
// missed.
type Event struct {
	ID   int64     `json:"id"`
	Kind string    `json:"kind"`
	Step Step      `json:"step,omitempty"`
	By   string    `json:"by,omitempty"`
	Text string    `json:"text,omitempty"`
	At   time.Time `json:"at"`
}

// Feed stores an apply's events (the wizard's is its Store, bounded), in
// order, all of one call at once.
type Feed interface {
	Append(...Event) error
}

// LineWriter turns tofu's output into log events, one per line, with every
// secret value replaced: tofu masks sensitive variables, this is the second
// guard.
type LineWriter struct {
	Feed    Feed
	Secrets []string
	Now     func() time.Time
	Step    func() Step
	buf     []byte
}

// Write emits the complete lines of p as one batch: tofu's output that
// arrived while the previous batch was being stored goes in one write.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	var batch []Event
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		batch = append(batch, w.event(string(w.buf[:i])))
		w.buf = w.buf[i+1:]
	}
	if len(batch) > 0 {
		if err := w.Feed.Append(batch...); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush emits a last line without a newline.
func (w *LineWriter) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	line := string(w.buf)
	w.buf = nil
	return w.Feed.Append(w.event(line))
}

func (w *LineWriter) event(line string) Event {
	for _, s := range w.Secrets {
		if len(s) >= 6 {
			line = strings.ReplaceAll(line, s, "(sensitive)")
		}
	}
	var step Step
	if w.Step != nil {
		step = w.Step()
	}
	return Event{Kind: EventLine, Step: step, Text: line, At: w.Now()}
}
