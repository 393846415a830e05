package portalweb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/portal/web/webtest"
	"github.com/openova-io/openova/internal/testenv"
	"github.com/openova-io/openova/internal/wizard/oidctest"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

var alice = oidctest.User{Subject: "u-alice", Email: "alice@bank.example", EmailVerified: true, Groups: []string{"everyone", "team-a"}}

// browser is a person's browser: it keeps cookies and follows redirects
// across the portal and the identity provider.
type browser struct {
	t    *testing.T
	p    *webtest.Portal
	http *http.Client
	csrf string
}

func newBrowser(t *testing.T, p *webtest.Portal) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, p: p, http: &http.Client{Jar: jar}}
}

func (b *browser) do(method, path string, body io.Reader, header map[string]string) (int, string, *http.Response) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.p.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if strings.Contains(string(data), webtest.ClientSecret) {
		b.t.Fatalf("%s %s shows the OIDC client secret", method, path)
	}
	return res.StatusCode, string(data), res
}

func (b *browser) get(path string) (int, string) {
	code, body, _ := b.do("GET", path, nil, nil)
	return code, body
}

// signIn goes through the provider and keeps the CSRF token.
func (b *browser) signIn() {
	b.t.Helper()
	if code, page := b.get("/portal/"); code != 200 || !strings.Contains(page, "Catalog") {
		b.t.Fatalf("sign-in = %d\n%s", code, page)
	}
	code, data := b.get("/portal/api/v1/session")
	if code != 200 {
		b.t.Fatalf("session = %d %s", code, data)
	}
	var s struct{ CSRFToken string }
	json.Unmarshal([]byte(data), &s)
	b.csrf = s.CSRFToken
}

func (b *browser) postForm(path string, v url.Values) (int, string) {
	v.Set("csrf", b.csrf)
	code, body, _ := b.do("POST", path, strings.NewReader(v.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	return code, body
}

func (b *browser) postJSON(path string, v any) (int, string) {
	data, _ := json.Marshal(v)
	code, body, _ := b.do("POST", path, bytes.NewReader(data), map[string]string{"Content-Type": "application/json", "X-CSRF-Token": b.csrf})
	return code, body
}

func goodForm(name, namespace string) url.Values {
	return url.Values{"name": {name}, "namespace": {namespace}, "tier": {"tier-2"}, "size": {"S"}, "ha": {"true"},
		"backup": {"daily"}, "deletionProtection": {"true"}, "networkProfile": {"namespace"}, "version": {"17"}, "storage": {"10Gi"}}
}

// options are the values of a select, as the page offers them.
func options(t *testing.T, page, id string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<select id="` + id + `"[^>]*>(.*?)</select>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no select #%s in\n%s", id, page)
	}
	var out []string
	for _, o := range regexp.MustCompile(`<option value="([^"]*)"`).FindAllStringSubmatch(m[1], -1) {
		out = append(out, o[1])
	}
	return out
}

// errorOf is the text shown beside a field.
func errorOf(page, name string) string {
	m := regexp.MustCompile(`<p class="error" id="e-` + name + `"[^>]*>([^<]*)</p>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestTeamSeesOnlyItsNamespaces(t *testing.T) {
	p := webtest.Start(t, env, alice)
	b := newBrowser(t, p)
	b.signIn()
	_, page := b.get("/portal/")
	for _, want := range []string{`id="offering-cnpg"`, "PostgresClaim", `<h2 id="cat-data">data</h2>`, `href="/portal/offerings/cnpg"`} {
		if !strings.Contains(page, want) {
			t.Errorf("catalog lacks %s", want)
		}
	}
	code, form := b.get("/portal/offerings/cnpg")
	if code != 200 {
		t.Fatalf("form = %d", code)
	}
	if got := options(t, form, "f-namespace"); !slices.Equal(got, []string{"team-a-dev", "team-a-prod"}) {
		t.Fatalf("namespaces offered = %v, want team-a's only", got)
	}
	for _, want := range []string{`<label for="f-storage">Storage</label>`, `pattern="^[1-9][0-9]*(Gi|Ti)$"`, `<label for="f-deletionProtection">Deletion protection</label>`} {
		if !strings.Contains(form, want) {
			t.Errorf("form lacks %s", want)
		}
	}
	if got := options(t, form, "f-size"); !slices.Equal(got, []string{"S", "M", "L", "XL"}) {
		t.Fatalf("size options = %v", got)
	}
	_, data := b.get("/portal/api/v1/session")
	var s struct {
		User       string
		Teams      []string
		Namespaces []string
		Groups     []string
	}
	json.Unmarshal([]byte(data), &s)
	if s.User != alice.Email || !slices.Equal(s.Teams, []string{"team-a"}) || !slices.Equal(s.Groups, []string{"team-a"}) {
		t.Fatalf("session = %+v (groups outside the teams file are not kept)", s)
	}
	if code, _ := b.get("/portal/offerings/cert-manager"); code != http.StatusNotFound {
		t.Fatalf("a blueprint without a claim = %d, want 404", code)
	}
}

func TestAnotherTeamsNamespaceIsForbidden(t *testing.T) {
	p := webtest.Start(t, env, alice)
	b := newBrowser(t, p)
	b.signIn()
	if code, page := b.postForm("/portal/offerings/cnpg", goodForm("sneaky", "team-b-dev")); code != http.StatusForbidden || !strings.Contains(page, "team-b-dev") {
		t.Fatalf("form into team-b-dev = %d\n%s", code, page)
	}
	code, body := b.postJSON("/portal/api/v1/requests", map[string]any{"blueprint": "cnpg", "name": "sneaky", "namespace": "team-b-dev",
		"values": map[string]any{"tier": "tier-2", "size": "S"}})
	if code != http.StatusForbidden {
		t.Fatalf("API into team-b-dev = %d %s", code, body)
	}
	if n := len(p.Requests(t)); n != 0 {
		t.Fatalf("%d PortalRequests were made", n)
	}
	if prs := p.PullRequests(t); len(prs) != 0 {
		t.Fatalf("%d pull requests were opened", len(prs))
	}
}

func TestBadValueShownBesideItsField(t *testing.T) {
	p := webtest.Start(t, env, alice)
	b := newBrowser(t, p)
	b.signIn()
	v := goodForm("orders-db", "team-a-dev")
	v.Set("storage", "20GB")
	v.Set("advanced", "- not\n- a mapping\n")
	code, page := b.postForm("/portal/offerings/cnpg", v)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad storage = %d\n%s", code, page)
	}
	if e := errorOf(page, "storage"); e == "" {
		t.Fatalf("no error beside storage:\n%s", page)
	}
	if e := errorOf(page, "advanced"); !strings.Contains(e, "not a YAML mapping") {
		t.Fatalf("beside the Advanced lane: %q", e)
	}
	if e := errorOf(page, "size"); e != "" {
		t.Fatalf("an error beside a good field: %q", e)
	}
	for _, kept := range []string{`value="20GB"`, `value="orders-db"`, `<option value="S" selected>`, `<option value="team-a-dev" selected>`} {
		if !strings.Contains(page, kept) {
			t.Errorf("the submitted %s was not kept", kept)
		}
	}
	code, body := b.postJSON("/portal/api/v1/requests", map[string]any{"blueprint": "cnpg", "name": "orders-db", "namespace": "team-a-dev",
		"values": map[string]any{"tier": "tier-2", "size": "S", "storage": "20GB"}})
	var answer struct {
		Error  string
		Fields []struct{ Field, Message string }
	}
	json.Unmarshal([]byte(body), &answer)
	if code != http.StatusUnprocessableEntity || len(answer.Fields) == 0 || answer.Fields[0].Field != "values.storage" {
		t.Fatalf("API bad storage = %d %s", code, body)
	}
	if len(p.Requests(t)) != 0 || len(p.PullRequests(t)) != 0 {
		t.Fatal("an invalid request reached the cluster or Gitea")
	}
}

func TestGoodRequestOpensPullRequest(t *testing.T) {
	p := webtest.Start(t, env, alice)
	b := newBrowser(t, p)
	b.signIn()
	b.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form := goodForm("orders-db", "team-a-dev")
	form.Set("advanced", "postgresql:\n  parameters:\n    max_connections: \"300\"\n")
	code, _, res := b.do("POST", "/portal/offerings/cnpg", strings.NewReader(withCSRF(form, b.csrf)),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	b.http.CheckRedirect = nil
	if code != http.StatusSeeOther {
		t.Fatalf("submit = %d", code)
	}
	where := res.Header.Get("Location")
	reqs := p.Requests(t)
	if len(reqs) != 1 || where != "/portal/requests/"+reqs[0].Name {
		t.Fatalf("redirected to %q; requests %v", where, reqs)
	}
	pr := reqs[0]
	if pr.Status.PullRequest == nil || pr.Spec.RequestedBy != alice.Email {
		t.Fatalf("request = %+v", pr)
	}
	_, page := b.get(where)
	if !strings.Contains(page, `id="pull-request" href="`+pr.Status.PullRequest.URL+`"`) || !strings.Contains(page, ">Open<") {
		t.Fatalf("request page does not link the pull request:\n%s", page)
	}

	// The pull request is real, open, and carries the claim.
	got, err := p.Forge.PullRequest(context.Background(), p.Repo, pr.Status.PullRequest.Number)
	if err != nil || got.State != forge.PROpen || got.URL != pr.Status.PullRequest.URL {
		t.Fatalf("Gitea has %+v, %v", got, err)
	}
	files := p.ChangedFiles(t, got.Branch)
	if len(files) == 0 {
		t.Fatalf("pull request on %s changes no file", got.Branch)
	}
	var claim string
	for path, data := range files {
		if strings.Contains(string(data), "name: orders-db\n") && strings.Contains(string(data), "namespace: team-a-dev") &&
			strings.Contains(string(data), `max_connections: "300"`) {
			claim = path
		}
	}
	if claim == "" {
		t.Fatalf("no changed file holds orders-db in team-a-dev with the Advanced lane's max_connections: %v", keys(files))
	}

	// My requests lists it; once Ready its connection Secret is named,
	// never shown.
	if _, list := b.get("/portal/requests"); !strings.Contains(list, `href="/portal/requests/`+pr.Name+`"`) {
		t.Fatalf("my requests lacks %s:\n%s", pr.Name, list)
	}
	const value = "s3cr3t-password-NEVER-SHOWN"
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "orders-db-app", Namespace: "team-a-dev"}, StringData: map[string]string{"password": value}}
	if err := p.Kube.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	pr.Status.Phase, pr.Status.ConnectionSecret = platformv1.PhaseReady, "orders-db-app"
	if err := p.Kube.Status().Update(context.Background(), &pr); err != nil {
		t.Fatal(err)
	}
	_, page = b.get(where)
	if !strings.Contains(page, "<code>orders-db-app</code>") || strings.Contains(page, value) || !strings.Contains(page, `data-final="true"`) {
		t.Fatalf("ready request page:\n%s", page)
	}
	_, data := b.get("/portal/api/v1/requests/" + pr.Name)
	if !strings.Contains(data, `"connectionSecret": "orders-db-app"`) || strings.Contains(data, value) {
		t.Fatalf("API request = %s", data)
	}
}

func withCSRF(v url.Values, token string) string { v.Set("csrf", token); return v.Encode() }

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestAnotherTeamSeesNothingOfTeamA(t *testing.T) {
	p := webtest.Start(t, env, alice)
	a := newBrowser(t, p)
	a.signIn()
	if code, page := a.postForm("/portal/offerings/cnpg", goodForm("orders-db", "team-a-prod")); code != 200 || !strings.Contains(page, "Request orders-db") {
		t.Fatalf("team-a request = %d\n%s", code, page)
	}
	reqs := p.Requests(t)
	if len(reqs) != 1 {
		t.Fatalf("requests = %v", reqs)
	}

	p.OP.SetUser(oidctest.User{Subject: "u-bob", Email: "bob@bank.example", EmailVerified: true, Groups: []string{"team-b"}})
	bob := newBrowser(t, p)
	bob.signIn()
	if _, list := bob.get("/portal/api/v1/requests"); strings.Contains(list, reqs[0].Name) {
		t.Fatalf("team-b lists team-a's request: %s", list)
	}
	if code, _ := bob.get("/portal/requests/" + reqs[0].Name); code != http.StatusNotFound && code != http.StatusForbidden {
		t.Fatalf("team-b reading team-a's request = %d", code)
	}
}

func TestSignInAndSessionRules(t *testing.T) {
	p := webtest.Start(t, env, oidctest.User{Subject: "u-eve", Email: "eve@bank.example", Groups: []string{"everyone"}})
	t.Run("no team", func(t *testing.T) {
		code, page := newBrowser(t, p).get("/portal/")
		if code != http.StatusForbidden || !strings.Contains(page, "in no team") {
			t.Fatalf("sign-in of a person in no team = %d\n%s", code, page)
		}
	})
	p.OP.SetUser(alice)
	t.Run("signed out", func(t *testing.T) {
		b := newBrowser(t, p)
		b.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		code, _, res := b.do("GET", "/portal/requests", nil, nil)
		if code != http.StatusSeeOther || res.Header.Get("Location") != "/portal/login?next=%2Fportal%2Frequests" {
			t.Fatalf("page without a session = %d %s", code, res.Header.Get("Location"))
		}
		if code, _ := b.get("/portal/api/v1/offerings"); code != http.StatusUnauthorized {
			t.Fatalf("API without a session = %d", code)
		}
	})
	t.Run("cookies", func(t *testing.T) {
		b := newBrowser(t, p)
		// Follow the sign-in up to the portal's callback and keep its answer.
		b.http.CheckRedirect = func(_ *http.Request, via []*http.Request) error {
			if strings.HasSuffix(via[len(via)-1].URL.Path, "/portal/callback") {
				return http.ErrUseLastResponse
			}
			return nil
		}
		res, err := b.http.Get(p.URL + "/portal/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		var session *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == "catalyst_portal" && c.Value != "" {
				session = c
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/portal/" {
			t.Fatalf("session cookie = %+v", session)
		}
	})
	t.Run("CSRF", func(t *testing.T) {
		b := newBrowser(t, p)
		b.signIn()
		b.csrf = "forged"
		if code, _ := b.postForm("/portal/offerings/cnpg", goodForm("x", "team-a-dev")); code != http.StatusForbidden {
			t.Fatalf("form with a forged token = %d", code)
		}
		if code, _ := b.postJSON("/portal/api/v1/requests", map[string]any{"blueprint": "cnpg"}); code != http.StatusForbidden {
			t.Fatalf("API with a forged token = %d", code)
		}
		if len(p.Requests(t)) != 0 {
			t.Fatal("a forged post made a request")
		}
	})
	t.Run("sign out", func(t *testing.T) {
		b := newBrowser(t, p)
		b.signIn()
		// The session carries the ID token (sealed) for sign-out: it must
		// stay under the 4096 bytes browsers keep of a cookie.
		u, _ := url.Parse(p.URL + "/portal/")
		for _, c := range b.http.Jar.Cookies(u) {
			n := len(c.Name) + len(c.Value)
			if n > 3800 {
				t.Errorf("cookie %s is %d bytes", c.Name, n)
			}
			t.Logf("cookie %s: %d bytes", c.Name, n)
		}
		// The sign-out form's redirect to the provider is a form action.
		if _, _, res := b.do("GET", "/portal/", nil, nil); !strings.Contains(res.Header.Get("Content-Security-Policy"), "form-action 'self' "+p.OP.Issuer) {
			t.Errorf("CSP %q does not let the sign-out form reach the provider", res.Header.Get("Content-Security-Policy"))
		}
		ended := len(p.OP.Ended())
		if code, page := b.postForm("/portal/logout", url.Values{}); code != 200 || !strings.Contains(page, `id="signed-out-provider"`) {
			t.Fatalf("sign out = %d\n%s", code, page)
		}
		if code, _ := b.get("/portal/api/v1/session"); code != http.StatusUnauthorized {
			t.Fatalf("session after sign-out = %d", code)
		}
		// RP-initiated logout: the provider ended its session for this
		// person and client.
		if got := p.OP.Ended(); len(got) != ended+1 || !strings.HasSuffix(got[ended], " portal") {
			t.Fatalf("sessions ended at the provider: %v", got)
		}
	})
	t.Run("expired ID token", func(t *testing.T) {
		p.OP.MintExpired()
		defer p.OP.Reset()
		code, page := newBrowser(t, p).get("/portal/")
		if code != http.StatusUnauthorized || !strings.Contains(page, "token has expired") {
			t.Fatalf("expired token = %d\n%s", code, page)
		}
	})
}
