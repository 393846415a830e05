package portalweb_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/portal/web/webtest"
)

// The portal offers Valkey with a form generated from ValkeyClaim's
// schema; a rule across fields is refused beside its field in validate's
// words, and a good request opens a pull request with the HelmRelease.
func TestValkeyOffered(t *testing.T) {
	p := webtest.Start(t, env, alice)
	b := newBrowser(t, p)
	b.signIn()
	_, page := b.get("/portal/")
	for _, want := range []string{`id="offering-valkey"`, "ValkeyClaim", `href="/portal/offerings/valkey"`} {
		if !strings.Contains(page, want) {
			t.Errorf("catalog lacks %s", want)
		}
	}
	code, form := b.get("/portal/offerings/valkey")
	if code != 200 {
		t.Fatalf("form = %d", code)
	}
	if got := options(t, form, "f-evictionPolicy"); !slices.Equal(got, []string{"", "noeviction", "allkeys-lru", "volatile-lru"}) {
		t.Errorf("evictionPolicy options = %v", got)
	}
	if got := options(t, form, "f-backup"); !slices.Equal(got, []string{"", "rdb", "none"}) {
		t.Errorf("backup options = %v", got)
	}

	bad := url.Values{"name": {"sessions"}, "namespace": {"team-a-dev"}, "tier": {"tier-1"}, "size": {"S"},
		"backup": {"rdb"}, "networkProfile": {"namespace"}, "evictionPolicy": {"noeviction"}} // ha unchecked
	code, page = b.postForm("/portal/offerings/valkey", bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(errorOf(page, "ha"), "set ha: true or choose tier-2") {
		t.Fatalf("tier-1 without ha = %d, beside ha: %q", code, errorOf(page, "ha"))
	}
	if len(p.PullRequests(t)) != 0 {
		t.Fatal("a refused request opened a pull request")
	}

	good := url.Values{"name": {"sessions"}, "namespace": {"team-a-dev"}, "tier": {"tier-2"}, "size": {"M"}, "ha": {"true"},
		"backup": {"none"}, "networkProfile": {"cluster"}, "evictionPolicy": {"allkeys-lru"}}
	code, page = b.postForm("/portal/offerings/valkey", good)
	if code != 200 || !strings.Contains(page, "Request sessions") {
		t.Fatalf("submit = %d\n%s", code, page)
	}
	prs := p.PullRequests(t)
	if len(prs) != 1 || !strings.Contains(prs[0].Body, "sessions-valkey-users") {
		t.Fatalf("%d pull requests; the description names the connection Secret: %+v", len(prs), prs)
	}
	files := p.ChangedFiles(t, prs[0].Head.Ref)
	m := string(files["clusters/fsn/requests/team-a-dev/sessions/manifests.yaml"])
	for _, want := range []string{"kind: HelmRelease", "maxmemory-policy allkeys-lru", "usersExistingSecret: sessions-valkey-users", "kind: Password"} {
		if !strings.Contains(m, want) {
			t.Errorf("the pull request's manifests lack %q:\n%s", want, m)
		}
	}
}
