package quota

import (
	"testing"
	"time"
)

func TestEstimate(t *testing.T) {
	hundred := int64(100)
	if got := Estimate(1000, 1, &hundred, 4096); got != (Tokens{1000, 100}) {
		t.Fatalf("got %+v", got)
	}
	if got := Estimate(1001, 4, nil, 4096); got != (Tokens{251, 4096}) {
		t.Fatalf("default max_tokens not reserved: %+v", got)
	}
}

func TestCostRoundsUp(t *testing.T) {
	// 0.15 USD/M prompt, 0.6 USD/M completion: 3 prompt + 1 completion = 1.05 micro-USD.
	if got := Cost(0.15, 0.6, 3, 1); got != 2 {
		t.Fatalf("got %d", got)
	}
	if got := Cost(0, 0, 1e6, 1e6); got != 0 {
		t.Fatalf("free model cost %d", got)
	}
}

func TestWindows(t *testing.T) {
	w := WindowsAt(time.Date(2026, 12, 31, 23, 59, 30, 500, time.UTC))
	if w.Minute != "2026-12-31T23:59" || w.Month != "2026-12" || w.MinuteLeft != 30 || w.MonthLeft != 30 {
		t.Fatalf("got %+v", w)
	}
}

func TestCheck(t *testing.T) {
	w := Windows{MinuteLeft: 12, MonthLeft: 3600}
	l := Limits{RPM: 2, TPM: 100, MonthlyBudget: 50}
	if r := Check(l, w, 1, 50, 10, 50, 40); r != nil {
		t.Fatalf("fits exactly, refused: %+v", r)
	}
	for _, c := range []struct {
		req, tok, spent, want, cost int64
		limit                       string
		after                       int64
	}{
		{2, 0, 0, 1, 0, "rpm", 12},
		{0, 60, 0, 41, 0, "tpm", 12},
		{0, 0, 45, 1, 6, "budget", 3600},
	} {
		r := Check(l, w, c.req, c.tok, c.spent, c.want, c.cost)
		if r == nil || r.Limit != c.limit || r.RetryAfter != c.after {
			t.Errorf("%+v: got %+v", c, r)
		}
	}
	if r := Check(Limits{}, w, 1e9, 1e9, 1e9, 1e9, 1e9); r != nil {
		t.Fatal("zero limits mean unlimited")
	}
}
