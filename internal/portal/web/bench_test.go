package portalweb

import (
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/openova-io/openova/internal/portal"
	"github.com/openova-io/openova/internal/portal/portaltest"
)

// BenchmarkFormPage renders cnpg's request form with errors beside two
// fields, as a refused submit does: schema → fields → template.
func BenchmarkFormPage(b *testing.B) {
	cat := portaltest.Catalog(b)
	var o portal.Offering
	for _, x := range portal.Offerings(cat) {
		if x.Blueprint == "cnpg" {
			o = x
		}
	}
	pages, err := parsePages()
	if err != nil {
		b.Fatal(err)
	}
	teams := portal.Teams{{Name: "a", Groups: []string{"a"}, Namespaces: []string{"a-dev", "a-prod"}}}
	h := &handler{cfg: Config{Service: &portal.Service{Catalog: cat, Teams: teams}, Logger: slog.New(slog.DiscardHandler)}, prefix: "/portal", pages: pages}
	s := &session{Email: "a@bank.example", Groups: []string{"a"}, CSRF: "t"}
	sent := url.Values{"name": {"orders-db"}, "namespace": {"a-dev"}, "tier": {"tier-1"}, "size": {"L"}, "storage": {"50GB"}, "ha": {"true"}}
	req := httptest.NewRequest("POST", "/portal/offerings/cnpg", nil)
	b.ReportAllocs()
	for b.Loop() {
		values, errs := Values(o.Schema, sent)
		errs = append(errs, portal.Validate(cat, teams, portal.Request{Blueprint: "cnpg", Name: "orders-db", Namespace: "a-dev",
			Values: values, RequestedBy: s.User(), Groups: s.Groups})...)
		w := httptest.NewRecorder()
		h.renderForm(w, req, s, 422, o, sent, errs)
		if w.Code != 422 {
			b.Fatal(w.Code)
		}
	}
}
