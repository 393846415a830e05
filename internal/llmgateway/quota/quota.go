// Package quota is the arithmetic of limits: how many tokens and how much
// budget a call reserves before it runs, the windows counters live in, and
// how long a refused caller should wait. Pure; valkey.go holds it atomically
// in Valkey.
package quota

import (
	"math"
	"time"
)

// Tokens is a call's estimate before it runs.
type Tokens struct{ Prompt, Completion int64 }

func (t Tokens) Total() int64 { return t.Prompt + t.Completion }

// Estimate bounds a call's tokens from its body size and max_tokens.
// bytesPerToken 1 never under-estimates the prompt for byte-level BPE
// tokenizers (each token is at least one byte; the JSON framing the body
// adds covers the chat template's special tokens); larger values reserve
// less and admit more concurrent calls at the risk of a small overshoot,
// settled after the call. With no max_tokens, defaultMax is reserved.
func Estimate(bodyBytes, bytesPerToken int, maxTokens *int64, defaultMax int64) Tokens {
	if bytesPerToken < 1 {
		bytesPerToken = 1
	}
	t := Tokens{Prompt: int64((bodyBytes + bytesPerToken - 1) / bytesPerToken), Completion: defaultMax}
	if maxTokens != nil && *maxTokens >= 0 {
		t.Completion = *maxTokens
	}
	return t
}

// Cost is micro-USD for the tokens at prices in USD per million tokens,
// rounded up so budgets are never under-charged.
func Cost(inPerMTok, outPerMTok float64, prompt, completion int64) int64 {
	return int64(math.Ceil(inPerMTok*float64(prompt) + outPerMTok*float64(completion)))
}

// Windows are the counters a call counts in: the current minute for RPM
// and TPM, the current UTC month for the budget.
type Windows struct {
	Minute string // e.g. 2026-11-25T21:04
	Month  string // e.g. 2026-11
	// MinuteLeft and MonthLeft are whole seconds until each window ends,
	// at least 1: the Retry-After of a refusal.
	MinuteLeft, MonthLeft int64
}

// WindowsAt returns the windows at now.
func WindowsAt(now time.Time) Windows {
	now = now.UTC()
	minEnd := now.Truncate(time.Minute).Add(time.Minute)
	y, m, _ := now.Date()
	monthEnd := time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
	return Windows{
		Minute:     now.Format("2006-01-02T15:04"),
		Month:      now.Format("2006-01"),
		MinuteLeft: ceilSeconds(minEnd.Sub(now)),
		MonthLeft:  ceilSeconds(monthEnd.Sub(now)),
	}
}

func ceilSeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		return 1
	}
	return s
}

// Limits of one key; zero means unlimited.
type Limits struct {
	RPM int64 `json:"rpm,omitempty"`
	TPM int64 `json:"tpm,omitempty"`
	// MonthlyBudget is micro-USD per UTC month.
	MonthlyBudget int64 `json:"monthlyBudget,omitempty"`
}

// Refusal says which limit refused a call and when to come back.
type Refusal struct {
	Limit      string // rpm, tpm, budget
	RetryAfter int64
}

// Check is the admission rule Valkey runs atomically: with the counters as
// they are, may a call reserving tokens and cost go ahead? A call larger
// than a whole TPM window can never fit and is refused until the window
// after. It is here, pure, so the Lua script has a tested reference.
func Check(l Limits, w Windows, requests, tokens, spent int64, wantTokens, wantCost int64) *Refusal {
	switch {
	case l.RPM > 0 && requests+1 > l.RPM:
		return &Refusal{Limit: "rpm", RetryAfter: w.MinuteLeft}
	case l.TPM > 0 && tokens+wantTokens > l.TPM:
		return &Refusal{Limit: "tpm", RetryAfter: w.MinuteLeft}
	case l.MonthlyBudget > 0 && spent+wantCost > l.MonthlyBudget:
		return &Refusal{Limit: "budget", RetryAfter: w.MonthLeft}
	}
	return nil
}
