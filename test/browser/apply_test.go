package browser

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/tofutest"
	"github.com/openova-io/openova/internal/wizard"
	wizhttp "github.com/openova-io/openova/internal/wizard/http"
	"github.com/openova-io/openova/internal/wizard/secrets"
	"github.com/openova-io/openova/internal/wizard/sqlite"
)

// applyTF stands in for the generated terraform/ (its hcloud provider
// cannot be downloaded here): OpenTofu's built-in terraform_data only.
const applyTF = `
variable "hcloud_token" {
  type      = string
  sensitive = true
}
resource "terraform_data" "network" {
  input = "net"
}
resource "terraform_data" "cluster" {
  input = "cluster-on-${terraform_data.network.output}"
}
`

// applyServer is a wizard with managed apply on, holding one complete
// bootstrap (examples/one-region.yaml) and its credentials.
func applyServer(t *testing.T) (string, string) {
	t.Helper()
	tofu := tofutest.Bin(t)
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "wizard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := wizard.AddLocalUser(ctx, store, "acme", "admin", password, time.Now()); err != nil {
		t.Fatal(err)
	}
	org, _ := store.OrgByName(ctx, "acme")
	data, err := os.ReadFile("../../examples/one-region.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in, err := instance.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	b := &wizard.Bootstrap{ID: "b0000000000000a1", OrgID: org.ID, Instance: *in, Status: wizard.StatusDraft, Created: time.Now(), Updated: time.Now()}
	if err := store.CreateBootstrap(ctx, b); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, secrets.KeySize)
	rand.Read(key)
	sealer, _ := secrets.New(key, rand.Reader)
	for name, v := range map[string]string{"state-passphrase": "a-generated-passphrase-0123456789", "hcloud-token": strings.Repeat("hZ9", 21) + "q"} {
		box, _ := sealer.Seal([]byte(v), b.OrgID+"/"+b.ID+"/"+name)
		if err := store.PutCredential(ctx, b.OrgID, b.ID, name, box); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := catalog.Load(openova.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	h, err := wizhttp.New(wizhttp.Config{Store: store, Catalog: cat, Sealer: sealer, Now: time.Now, Random: rand.Reader,
		Tofu: tofu, ApplyDir: filepath.Join(dir, "apply"),
		ApplyConfig: func(*wizard.Bootstrap, *filetree.Tree) (map[string][]byte, error) {
			return map[string][]byte{"main.tf": []byte(applyTF)}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { h.Close(); srv.Close() })
	return srv.URL, b.ID
}

// waitStatus polls the page until the live status line reads want (or a
// failure), and returns it.
func waitStatus(want string) string {
	return `(async () => {
		for (;;) {
			const s = document.querySelector("#apply-status").textContent;
			if (s === "` + want + `" || s.startsWith("failed")) return s;
			await new Promise(r => setTimeout(r, 100));
		}
	})()`
}

// TestManagedApplyPage: the apply page starts a plan, shows it with an
// approve button, and streams the log live until the apply is done.
func TestManagedApplyPage(t *testing.T) {
	base, id := applyServer(t)
	ctx := browser(t)
	dir := artifacts(t)
	n := 0
	err := chromedp.Do(ctx,
		login(base),
		chromedp.Navigate(base+"/b/"+id+"/apply"),
		chromedp.WaitVisible(chromedp.CSS("#apply-start")),
		shot(dir, &n, "apply-page"),
		chromedp.Click(chromedp.CSS("#apply-start")),
	)
	if err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, dir)
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[string](waitStatus("awaiting-approval"), chromedp.EvalAwaitPromise))
	if err != nil || st != "awaiting-approval" {
		t.Fatalf("status after plan = %q, %v", st, err)
	}
	err = chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#plan")), shot(dir, &n, "plan"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#plan-text").textContent`))
	if err != nil || !strings.Contains(plan, "2 to add") {
		t.Fatalf("plan shown = %q, %v", plan, err)
	}
	log, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#apply-log").textContent`))
	if !strings.Contains(log, "Initializing") {
		t.Fatalf("live log lacks tofu init's output:\n%s", log)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#apply-approve"))); err != nil {
		t.Fatal(err)
	}
	st, err = chromedp.Run(ctx, chromedp.Evaluate[string](waitStatus("done"), chromedp.EvalAwaitPromise))
	if err != nil || st != "done" {
		t.Fatalf("status after approval = %q, %v", st, err)
	}
	if err := chromedp.Do(ctx, shot(dir, &n, "applied")); err != nil {
		t.Fatal(err)
	}
	log, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#apply-log").textContent`))
	steps, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#apply-steps").textContent`))
	if !strings.Contains(log, "Apply complete") || !strings.Contains(steps, "approve by admin") {
		t.Fatalf("after apply: steps %q, log:\n%s", steps, log)
	}
}
