package giteatest

import (
	"net/http"
	"testing"
	"time"
)

// A fresh server answers as the admin with its token, refuses anonymous
// API reads (sign-in required) and has the reviewer. The start time is
// logged: it is what a package pays per Start.
func TestStartCost(t *testing.T) {
	began := time.Now()
	s := Start(t)
	t.Logf("gitea %s started in %s", Version, time.Since(began).Round(time.Millisecond))
	var me struct {
		Login   string `json:"login"`
		IsAdmin bool   `json:"is_admin"`
	}
	if err := s.call("", "", s.AdminToken, http.MethodGet, "/user", nil, &me); err != nil || me.Login != s.AdminUser || !me.IsAdmin {
		t.Fatalf("admin token: %+v %v", me, err)
	}
	if err := s.call("", "", s.reviewerToken, http.MethodGet, "/user", nil, &me); err != nil || me.Login != ReviewerUser || !me.IsAdmin {
		t.Fatalf("reviewer token: %+v %v", me, err)
	}
	resp, err := http.Get(s.URL + "/api/v1/repos/search")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		t.Fatalf("anonymous API read: %s, want it refused", resp.Status)
	}
}
