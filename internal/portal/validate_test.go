package portal

import (
	"slices"
	"strings"
	"testing"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/portal/render"
)

func testCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load(openova.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func testTeams(t testing.TB) Teams {
	t.Helper()
	ts, err := LoadTeams([]byte(teamsYAML))
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestOfferings(t *testing.T) {
	os := Offerings(testCatalog(t))
	var got []string
	for _, o := range os {
		got = append(got, o.Blueprint+" "+o.ClaimKind+" "+o.Title)
		if o.Schema["properties"] == nil || o.Advanced.Target == "" {
			t.Errorf("offering lacks its schema or Advanced target: %+v", o)
		}
	}
	if want := []string{"cnpg PostgresClaim PostgreSQL", "valkey ValkeyClaim Valkey"}; !slices.Equal(got, want) {
		t.Fatalf("offerings = %v; want the renderable claims %v", got, want)
	}
}

func tier1() Request {
	return Request{Blueprint: "cnpg", Name: "orders-db", Namespace: "payments", RequestedBy: "alice@bank.example",
		Groups: []string{"payments-devs"}, Values: map[string]any{"tier": "tier-1", "size": "M", "backup": "continuous"}}
}

func TestValidateAcceptsTier1Postgres(t *testing.T) {
	if errs := Validate(testCatalog(t), testTeams(t), tier1()); len(errs) > 0 {
		t.Fatal(errs)
	}
}

// One rule per row: the path the UI shows the error next to, and the words
// that tell the user how to fix it.
func TestValidateRules(t *testing.T) {
	cat, teams := testCatalog(t), testTeams(t)
	for name, tc := range map[string]struct {
		edit       func(*Request)
		path, want string
	}{
		"unknown blueprint":   {func(r *Request) { r.Blueprint = "oracle" }, "blueprint", `supported values: "cnpg"`},
		"claimless blueprint": {func(r *Request) { r.Blueprint = "grafana" }, "blueprint", "Unsupported value"},
		"name missing":        {func(r *Request) { r.Name = "" }, "name", "name the resource"},
		"name not a label":    {func(r *Request) { r.Name = "Orders_DB" }, "name", "lowercase letters"},
		"name too long":       {func(r *Request) { r.Name = strings.Repeat("a", 41) }, "name", "at most 40"},
		"namespace missing":   {func(r *Request) { r.Namespace = "" }, "namespace", "payments, payments-staging"},
		"namespace of another team": {func(r *Request) { r.Namespace = "risk" }, "namespace",
			"not a namespace of your teams; choose one of payments, payments-staging"},
		"no team":               {func(r *Request) { r.Groups = nil }, "namespace", "you belong to no team"},
		"unknown field":         {func(r *Request) { r.Values["replicas"] = 3 }, "values.replicas", "Advanced lane"},
		"required field":        {func(r *Request) { delete(r.Values, "size") }, "values.size", "Compute per instance"},
		"enum":                  {func(r *Request) { r.Values["tier"] = "gold" }, "values.tier", `"tier-1", "tier-2", "tier-3"`},
		"type":                  {func(r *Request) { r.Values["ha"] = "yes" }, "values.ha", "want boolean"},
		"pattern":               {func(r *Request) { r.Values["storage"] = "20G" }, "values.storage", "e.g. 20Gi"},
		"tier-1 without ha":     {func(r *Request) { r.Values["ha"] = false }, "values.ha", "set ha: true or choose tier-2"},
		"tier-1 without backup": {func(r *Request) { r.Values["backup"] = "none" }, "values.backup", "choose continuous or daily"},
	} {
		t.Run(name, func(t *testing.T) {
			req := tier1()
			tc.edit(&req)
			errs := Validate(cat, teams, req)
			if len(errs) != 1 {
				t.Fatalf("want exactly one error at %s, got %v", tc.path, errs)
			}
			if errs[0].Field != tc.path || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("got %q at %s, want %q at %s", errs[0].Error(), errs[0].Field, tc.want, tc.path)
			}
		})
	}
}

func TestValidateReturnsEveryProblemAtOnce(t *testing.T) {
	req := tier1()
	req.Name, req.Namespace, req.Values["tier"], req.Values["storage"] = "", "risk", "gold", "x"
	errs := Validate(testCatalog(t), testTeams(t), req)
	var paths []string
	for _, e := range errs {
		paths = append(paths, e.Field)
	}
	if got := strings.Join(paths, " "); got != "name namespace values.storage values.tier" && got != "name namespace values.tier values.storage" {
		t.Fatalf("paths = %s", got)
	}
}

// The renderer's NetworkPolicy names the operator's and the scraper's
// namespaces; they must be the catalog's.
func TestRenderNamespacesAreTheCatalogs(t *testing.T) {
	cat := testCatalog(t)
	for name, want := range map[string]string{"cnpg": render.OperatorNamespace, "grafana": render.MonitoringNamespace} {
		b, ok := cat.Blueprint(name)
		if !ok || b.Spec.Namespace != want {
			t.Errorf("blueprint %s namespace is not %s", name, want)
		}
	}
}
