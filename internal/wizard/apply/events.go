package apply

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// EventsFile is the append-only feed of an apply (steps, status, log
// lines) beside the journal. Event IDs are line numbers, so a browser that
// reconnects with Last-Event-ID, even to a restarted wizard, gets exactly
// what it missed.
const EventsFile = ".catalyst-events.jsonl"

// Event kinds.
const (
	EventStep   = "step"   // a step completed (Step, By)
	EventStatus = "status" // the run's state changed (Text: running, awaiting-approval, done, failed: ...)
	EventLine   = "log"    // one line of tofu's output, secrets redacted
)

// Event is one entry of the feed.
type Event struct {
	ID   int       `json:"id"`
	Kind string    `json:"kind"`
	Step Step      `json:"step,omitempty"`
	By   string    `json:"by,omitempty"`
	Text string    `json:"text,omitempty"`
	At   time.Time `json:"at"`
}

// EventLog appends to and reads one directory's feed. One EventLog per
// directory per process; waiters are woken on every append.
type EventLog struct {
	mu     sync.Mutex
	path   string
	last   int
	notify chan struct{}
	// torn: the file ends without a newline (a crash mid-append); the next
	// append starts a new line so it is not glued to the torn one.
	torn bool
}

// OpenEventLog opens dir's feed, counting what is already there.
func OpenEventLog(dir string) (*EventLog, error) {
	l := &EventLog{path: filepath.Join(dir, EventsFile), notify: make(chan struct{})}
	evs, err := l.read(0)
	if err != nil {
		return nil, err
	}
	if len(evs) > 0 {
		l.last = evs[len(evs)-1].ID
	}
	if data, err := os.ReadFile(l.path); err == nil && len(data) > 0 && data[len(data)-1] != '\n' {
		l.torn = true
	}
	return l, nil
}

// Append writes one event and wakes the waiters.
func (l *EventLog) Append(e Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.ID = l.last + 1
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if l.torn {
		data = append([]byte{'\n'}, data...)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	l.last, l.torn = e.ID, false
	close(l.notify)
	l.notify = make(chan struct{})
	return nil
}

// Since returns the events after id and a channel closed at the next
// append, so a reader can wait without polling.
func (l *EventLog) Since(id int) ([]Event, <-chan struct{}, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs, err := l.read(id)
	return evs, l.notify, err
}

func (l *EventLog) read(after int) ([]Event, error) {
	f, err := os.Open(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue // a line torn by a crash mid-write
		}
		if e.ID > after {
			out = append(out, e)
		}
	}
	return out, sc.Err()
}

// LineWriter turns tofu's output into log events, one per line, with every
// secret value replaced: tofu masks sensitive variables, this is the second
// guard.
type LineWriter struct {
	Log     *EventLog
	Secrets []string
	Now     func() time.Time
	Step    func() Step
	buf     []byte
}

func (w *LineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if err := w.emit(line); err != nil {
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
	return w.emit(line)
}

func (w *LineWriter) emit(line string) error {
	for _, s := range w.Secrets {
		if len(s) >= 6 {
			line = strings.ReplaceAll(line, s, "(sensitive)")
		}
	}
	var step Step
	if w.Step != nil {
		step = w.Step()
	}
	return w.Log.Append(Event{Kind: EventLine, Step: step, Text: line, At: w.Now()})
}
