package portalweb_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/portal/web/webtest"
	"github.com/openova-io/openova/internal/wizard/oidctest"
)

// stream is an open Server-Sent Events response.
type stream struct {
	t   *testing.T
	res *http.Response
	r   *bufio.Reader
}

func (b *browser) events(path string) *stream {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.p.URL+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { res.Body.Close() })
	return &stream{t: b.t, res: res, r: bufio.NewReader(res.Body)}
}

// next reads up to the next "request" event and decodes its data; ok is
// false when the stream ended.
func (s *stream) next() (view map[string]any, ok bool) {
	s.t.Helper()
	event := ""
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return nil, false
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "request":
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &view); err != nil {
				s.t.Fatalf("event data %q: %v", line, err)
			}
			return view, true
		}
	}
}

// The request page's events: pushed by a watch on the PortalRequest as
// the tracker moves it, ending once it is Ready; another team and a
// person signed out get nothing.
func TestRequestEventsFollowTheRequest(t *testing.T) {
	p := webtest.Start(t, env, alice)
	b := newBrowser(t, p)
	b.signIn()
	if code, _ := b.postForm("/portal/offerings/cnpg", goodForm("orders-db", "team-a-dev")); code != 200 {
		t.Fatalf("submit = %d", code)
	}
	pr := p.Requests(t)[0]
	_, page := b.get("/portal/requests/" + pr.Name)
	if !strings.Contains(page, `data-events="/portal/requests/`+pr.Name+`/events"`) {
		t.Fatalf("the request page does not name its event stream:\n%s", page)
	}

	s := b.events("/portal/requests/" + pr.Name + "/events")
	if s.res.StatusCode != 200 || !strings.HasPrefix(s.res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events = %d %s", s.res.StatusCode, s.res.Header.Get("Content-Type"))
	}
	if v, ok := s.next(); !ok || v["phase"] != "Open" || v["final"] != false {
		t.Fatalf("first event %v", v)
	}
	ctx := context.Background()
	move := func(phase platformv1.RequestPhase, msg string) {
		t.Helper()
		orig := pr.DeepCopy()
		pr.Status.Phase, pr.Status.Message = phase, msg
		if phase == platformv1.PhaseReady {
			pr.Status.ConnectionSecret = "orders-db-app"
		}
		if err := p.Kube.Status().Patch(ctx, &pr, client.MergeFrom(orig)); err != nil {
			t.Fatal(err)
		}
	}
	move(platformv1.PhaseMerged, "merged; waiting for Flux")
	if v, ok := s.next(); !ok || v["phase"] != "Merged" || v["message"] != "merged; waiting for Flux" {
		t.Fatalf("after the merge: %v", v)
	}
	move(platformv1.PhaseReady, "ready")
	if v, ok := s.next(); !ok || v["phase"] != "Ready" || v["final"] != true || v["connectionSecret"] != "orders-db-app" {
		t.Fatalf("once ready: %v", v)
	}
	done := make(chan bool)
	go func() { _, ok := s.next(); done <- ok }()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("an event after Ready")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stream stays open after Ready")
	}

	p.OP.SetUser(oidctest.User{Subject: "u-bob", Email: "bob@bank.example", EmailVerified: true, Groups: []string{"team-b"}})
	bob := newBrowser(t, p)
	bob.signIn()
	if s := bob.events("/portal/requests/" + pr.Name + "/events"); s.res.StatusCode != http.StatusForbidden {
		t.Errorf("another team's request events = %d, want 403", s.res.StatusCode)
	}
	anon := newBrowser(t, p)
	if s := anon.events("/portal/requests/" + pr.Name + "/events"); s.res.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed out = %d, want 401", s.res.StatusCode)
	}
}
