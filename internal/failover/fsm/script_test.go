package fsm

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.txt with the actual output")

// TestScripts runs the scenario scripts in testdata/. Each block is one
// command, a "----" line and the machine's actions and status after it;
// -update regenerates the expected output (read the diff before committing).
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runScript(t, f) })
	}
}

func runScript(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m *Machine
	var rewritten strings.Builder
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			rewritten.WriteString(line + "\n")
			continue
		}
		if i+1 >= len(lines) || lines[i+1] != "----" {
			t.Fatalf("%s:%d: command %q must be followed by a ---- line", path, i+1, line)
		}
		var want []string
		j := i + 2
		for ; j < len(lines) && lines[j] != ""; j++ {
			want = append(want, lines[j])
		}
		got := runCommand(t, &m, line)
		if *update {
			fmt.Fprintf(&rewritten, "%s\n----\n%s\n", line, got)
		} else if exp := strings.Join(want, "\n"); got != exp {
			t.Errorf("%s:%d: %s\n got:\n%s\nwant:\n%s", path, i+1, line, got, exp)
		}
		i = j - 1
	}
	if *update {
		if err := os.WriteFile(path+".tmp", []byte(rewritten.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
}

func runCommand(t *testing.T, m **Machine, line string) string {
	t.Helper()
	f := strings.Fields(line)
	args := map[string]string{}
	var pos []string
	for _, a := range f[1:] {
		if k, v, ok := strings.Cut(a, "="); ok {
			args[k] = v
		} else {
			pos = append(pos, a)
		}
	}
	if f[0] == "config" {
		cfg := Config{Region: args["region"], Mode: Mode(args["mode"]),
			RenewInterval: dur(t, args["renew"]), TTL: dur(t, args["ttl"]), RetryTimeout: dur(t, args["retry"]),
			FenceMargin: dur(t, args["margin"]), MaxLag: dur(t, args["maxlag"])}
		if d, ok := args["drift"]; ok {
			cfg.MaxClockDrift, _ = strconv.ParseFloat(d, 64)
		}
		var err error
		if *m, err = New(cfg); err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("ok budget=%s", (*m).budget)
	}
	if *m == nil {
		t.Fatalf("%q before config", line)
	}
	if len(pos) == 0 {
		t.Fatalf("%q: the first argument is the time", line)
	}
	now := dur(t, pos[0])
	var ev Event
	switch f[0] {
	case "tick":
		ev = Tick{}
	case "reply":
		seq, _ := strconv.ParseUint(strings.TrimPrefix(pos[1], "#"), 10, 64)
		r := Reply{Seq: seq, Outcome: outcome(t, pos[2])}
		r.Lease.Holder = args["holder"]
		r.Lease.Epoch, _ = strconv.ParseUint(args["epoch"], 10, 64)
		r.Lease.ExpiresIn = dur(t, args["expires-in"])
		r.Lease.Held = len(pos) > 3 && pos[3] == "held"
		ev = r
	case "lag":
		if pos[1] == "unknown" {
			ev = Lag{Unknown: true}
		} else {
			ev = Lag{Lag: dur(t, pos[1])}
		}
	case "done":
		op := map[string]ActuatorOp{"activate": Activate, "deactivate": Deactivate, "fence": Fence}[pos[1]]
		e, _ := strconv.ParseUint(args["epoch"], 10, 64)
		ev = ActuatorsDone{Op: op, Epoch: e}
	case "approve", "deny":
		e, _ := strconv.ParseUint(args["epoch"], 10, 64)
		if f[0] == "approve" {
			ev = Approve{Epoch: e, By: args["by"]}
		} else {
			ev = Deny{Epoch: e, By: args["by"]}
		}
	case "switchover":
		ev = Switchover{By: args["by"]}
	default:
		t.Fatalf("unknown command %q", f[0])
	}
	var b strings.Builder
	for _, a := range (*m).Step(now, ev) {
		fmt.Fprintf(&b, "%v\n", a)
	}
	s := (*m).Status()
	fmt.Fprintf(&b, "= %s epoch=%d holder=%s", s.State, s.Epoch, orNone(s.Holder))
	if s.State.Holding() {
		fmt.Fprintf(&b, " deadline=%s", s.Deadline)
	}
	if s.Proposal != 0 {
		fmt.Fprintf(&b, " proposal=%d", s.Proposal)
	}
	if w := (*m).NextWakeup(); w == math.MaxInt64 {
		b.WriteString(" wake=never")
	} else {
		fmt.Fprintf(&b, " wake=%s", w)
	}
	return b.String()
}

func dur(t *testing.T, s string) time.Duration {
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("duration %q: %v", s, err)
	}
	return d
}

func outcome(t *testing.T, s string) Outcome {
	for o := OK; o <= Unavailable; o++ {
		if o.String() == s {
			return o
		}
	}
	t.Fatalf("unknown outcome %q", s)
	return 0
}
