package http_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/wizard"
)

// TestSignInLimitHoldsAcrossReplicas: two wizard replicas on one real
// PostgreSQL. Five wrong passwords on replica A lock the user out on
// replica B, even with the right password (429, Retry-After, audited as
// login.refused by B); the lockout lasts fifteen minutes from the last
// failure by the injected clock; then the right password works on B and
// clears the user's counter. The counters table holds no typed name or
// password.
func TestSignInLimitHoldsAcrossReplicas(t *testing.T) {
	dsn, sealer, now := hosted(t)
	a := replica(t, dsn, sealer, "", "replica-a", now)
	b := replica(t, dsn, sealer, "", "replica-b", now)
	advance := func(d time.Duration) {
		for _, h := range []*harness{a, b} {
			h.now.set(h.now.get().Add(d))
		}
	}
	if _, err := wizard.AddLocalUser(context.Background(), a.store, "acme", "admin", adminPassword, now.get()); err != nil {
		t.Fatal(err)
	}
	onA, onB := a.client(), b.client()
	for i := 1; i <= 5; i++ {
		if code := onA.login("admin", "guessed-password-LEAKCHECK"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password #%d on A = %d, want 401", i, code)
		}
		advance(time.Minute)
	}
	res, body := postLogin(t, b, "admin", adminPassword)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "try again in 14 minutes") || res.Header.Get("Retry-After") != "840" {
		t.Fatalf("right password on B after 5 failures on A = %d %q (Retry-After %q), want 429, 14 minutes, 840",
			res.StatusCode, body, res.Header.Get("Retry-After"))
	}

	advance(14*time.Minute - time.Second) // a second before the lockout ends
	if code := onB.login("admin", adminPassword); code != http.StatusTooManyRequests {
		t.Fatalf("right password on B a second before the lockout ends = %d, want 429", code)
	}
	advance(time.Second)
	onB.mustLogin("admin", adminPassword)

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT throttle_key FROM login_failures`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
		if strings.Contains(k, "admin") || strings.Contains(k, "LEAKCHECK") {
			t.Errorf("counter key %q holds what was typed", k)
		}
	}
	if len(keys) != 1 || keys[0] != "ip:127.0.0.1" {
		t.Fatalf("counters after a successful sign-in = %q, want only the client address's (the user's is reset)", keys)
	}

	_, data := onB.do("GET", "/api/v1/audit", nil)
	count := map[string]int{}
	for _, e := range decode[auditPage](t, data).Events {
		count[e.Action]++
	}
	if count["login.failed"] != 5 || count["login.refused"] != 2 || count["login"] != 1 {
		t.Fatalf("trail = %s; want 5 login.failed (A), 2 login.refused (B), 1 login", data)
	}
}

// postLogin signs in by the API without a cookie jar, for the headers.
func postLogin(t *testing.T, h *harness, user, pw string) (*http.Response, string) {
	t.Helper()
	c := h.client()
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/login", strings.NewReader(`{"username":"`+user+`","password":"`+pw+`"}`))
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, res.Body)
	return res, b.String()
}

// TestSignInBurstAcrossReplicas: twenty wrong passwords for one user sent
// at once, half to each replica, get exactly five password checks (401);
// the rest are refused (429) before any check, and only the five are
// audited as failures.
func TestSignInBurstAcrossReplicas(t *testing.T) {
	a, b := twoReplicas(t, "")
	const n = 20
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		url := []string{a.srv.URL, b.srv.URL}[i%2] + "/api/v1/login"
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := http.Post(url, "application/json", strings.NewReader(`{"username":"admin","password":"guessed-password-LEAKCHECK"}`))
			if err != nil {
				codes <- 0
				return
			}
			res.Body.Close()
			codes <- res.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusUnauthorized] != 5 || count[http.StatusTooManyRequests] != n-5 {
		t.Fatalf("answers to a burst of %d = %v; want 5×401 and %d×429", n, count, n-5)
	}

	a.now.set(a.now.get().Add(15 * time.Minute))
	c := a.client().mustLogin("admin", adminPassword)
	_, data := c.do("GET", "/api/v1/audit", nil)
	actions := map[string]int{}
	for _, e := range decode[auditPage](t, data).Events {
		actions[e.Action]++
	}
	if actions["login.failed"] != 5 || actions["login.refused"] != n-5 {
		t.Fatalf("trail = %s; want 5 login.failed, %d login.refused", data, n-5)
	}
}

// TestAddressBudgetSpansNames: every failed sign-in from one address
// counts against it whatever name it tries: five wrong passwords for five
// different names lock the address out (429, Retry-After), even for the
// right password of a sixth name, across a restart (the count is in the
// store). Successful sign-ins never use the address's budget.
func TestAddressBudgetSpansNames(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 8; i++ {
		h.client().mustLogin("admin", adminPassword)
	}
	for i := 0; i < 5; i++ {
		if code := h.client().login(fmt.Sprintf("guess-%d", i), "guessed-password"); code != http.StatusUnauthorized {
			t.Fatalf("wrong sign-in #%d = %d, want 401", i+1, code)
		}
		h.now.set(h.now.get().Add(time.Minute))
	}
	res, body := postLogin(t, h, "admin", adminPassword)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "840" || !strings.Contains(body, "try again in 14 minutes") {
		t.Fatalf("a sixth name from the address = %d %q (Retry-After %q); want 429, 840 s", res.StatusCode, body, res.Header.Get("Retry-After"))
	}
	h.restart()
	if code := h.client().login("admin", adminPassword); code != http.StatusTooManyRequests {
		t.Fatalf("after a restart = %d, want 429", code)
	}
	h.now.set(h.now.get().Add(14 * time.Minute))
	h.client().mustLogin("admin", adminPassword)
}

// TestAddressBurstAcrossNames: twenty sign-ins from one address, each
// with another name, sent at once half to each of two replicas on one
// PostgreSQL: exactly five check a password (401), fifteen are refused
// before any check (429 with Retry-After).
func TestAddressBurstAcrossNames(t *testing.T) {
	a, b := twoReplicas(t, "")
	const n = 20
	type answer struct {
		code       int
		retryAfter string
	}
	answers := make(chan answer, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		url := []string{a.srv.URL, b.srv.URL}[i%2] + "/api/v1/login"
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := http.Post(url, "application/json", strings.NewReader(fmt.Sprintf(`{"username":"name-%d","password":"guessed-password"}`, i)))
			if err != nil {
				answers <- answer{}
				return
			}
			res.Body.Close()
			answers <- answer{res.StatusCode, res.Header.Get("Retry-After")}
		}()
	}
	wg.Wait()
	close(answers)
	count := map[int]int{}
	for a := range answers {
		count[a.code]++
		if a.code == http.StatusTooManyRequests && a.retryAfter != "900" {
			t.Errorf("429 with Retry-After %q, want 900", a.retryAfter)
		}
	}
	if count[http.StatusUnauthorized] != 5 || count[http.StatusTooManyRequests] != n-5 {
		t.Fatalf("a burst of %d names from one address = %v; want 5×401 and %d×429", n, count, n-5)
	}
	if code := b.client().login("admin", adminPassword); code != http.StatusTooManyRequests {
		t.Fatalf("the right password from the locked address = %d, want 429", code)
	}
}
