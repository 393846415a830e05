// Package browser drives the wizard in a real headless Chromium (Debian's
// chromium package) through chromedp: the whole journey to an export, and
// a validation error shown next to its field. Screenshots are kept in
// $ARTIFACTS_DIR (default test/browser/artifacts/).
package browser

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/wizard"
	wizhttp "github.com/openova-io/openova/internal/wizard/http"
	"github.com/openova-io/openova/internal/wizard/secrets"
	"github.com/openova-io/openova/internal/wizard/sqlite"
)

const password = "correct-horse-battery"

func chromium(t *testing.T) string {
	for _, n := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is not installed: run hack/setup.sh (apt-get install -y chromium)")
	return ""
}

// wizardServer serves the real wizard on loopback with a fresh SQLite,
// whose store it returns too.
func wizardServer(t *testing.T) (string, *catalog.Catalog, wizard.Store) {
	t.Helper()
	store, cat, sealer := wizardParts(t)
	h, err := wizhttp.New(wizhttp.Config{Store: store, Catalog: cat, Sealer: sealer, Now: time.Now, Random: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, cat, store
}

// browser starts a headless Chromium for the test; extra flags come last.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1600),
	)
	opts = append(opts, extra...)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// A hung browser fails the test instead of the whole run.
	ctx, cancel3 := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

func artifacts(t *testing.T) string {
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = "artifacts"
	}
	dir = filepath.Join(dir, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func shot(dir string, n *int, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		img, err := chromedp.FullScreenshot(90)(ctx, t) // JPEG below quality 100
		if err != nil {
			return err
		}
		*n++
		return os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d-%s.jpg", *n, name)), img, 0o644)
	})
}

func login(base string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#new-bootstrap")),
	)
}

// step types values into inputs by id, selects options and ticks boxes,
// then submits and waits for the next step's form.
func step(dir string, n *int, name string, typed map[string]string, selects map[string]string, checks []string, next string) chromedp.Action[chromedp.Void] {
	var ts []chromedp.Action[chromedp.Void]
	ts = append(ts, chromedp.WaitVisible(chromedp.CSS(`form[data-step="`+name+`"]`)))
	for id, v := range typed {
		ts = append(ts, chromedp.SendKeys(chromedp.CSS("#"+id), v)) // a fresh bootstrap's fields are empty
	}
	for id, v := range selects {
		ts = append(ts, chromedp.SetValue(chromedp.CSS("#"+id), v))
	}
	for _, v := range checks {
		ts = append(ts, chromedp.Click(chromedp.CSS(`input[value="`+v+`"]`)))
	}
	ts = append(ts, shot(dir, n, name),
		chromedp.Click(chromedp.CSS(`form[data-step="`+name+`"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(next)))
	return chromedp.Steps(ts...)
}

// TestWholeWizardToExport: a person's whole journey, ending with the
// archive the browser downloads being catalyst generate's tree.
func TestWholeWizardToExport(t *testing.T) {
	base, cat, _ := wizardServer(t)
	ctx := browser(t)
	dir := artifacts(t)
	n := 0
	err := chromedp.Do(ctx,
		login(base),
		shot(dir, &n, "home"),
		chromedp.Click(chromedp.CSS("#new-bootstrap")),
		step(dir, &n, "organisation", map[string]string{"tenant": "acme", "domain": "acme.example.com"}, nil, nil, `form[data-step="cloud"]`),
		step(dir, &n, "cloud", map[string]string{"r0-name": "fsn", "r0-location": "fsn1", "r0-cpcount": "1"}, nil, nil, `form[data-step="networking"]`),
		step(dir, &n, "networking", nil, map[string]string{"lb": "cloud", "dns": "cloudflare"}, nil, `form[data-step="storage"]`),
		step(dir, &n, "storage", map[string]string{"endpoint": "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com", "bucket": "acme-archive"},
			map[string]string{"arch": "cloudflare-r2"}, nil, `form[data-step="components"]`),
		step(dir, &n, "components", nil, nil, []string{"fingate"}, `form[data-step="options"]`),
		step(dir, &n, "options", nil, nil, nil, `form[data-credentials]`),
		chromedp.Click(chromedp.CSS(`button[data-generate="state-passphrase"]`)),
		chromedp.WaitVisible(chromedp.CSS("#generated-state-passphrase")),
		chromedp.Click(chromedp.CSS(`button[data-generate="k3s-token"]`)),
		chromedp.WaitVisible(chromedp.CSS("#generated-k3s-token")),
		// Networks that open SSH to the world are refused next to the field.
		chromedp.SendKeys(chromedp.CSS("#c-admin-cidrs"), "0.0.0.0/0"),
		chromedp.Click(chromedp.CSS(`form[data-credentials] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-field="credentials.admin-cidrs"] .field-error`)),
		shot(dir, &n, "credentials"),
		chromedp.Click(chromedp.CSS(`form[data-credentials] a`)), // skip: export only
		chromedp.WaitVisible(chromedp.CSS("#summary")),
		shot(dir, &n, "review"),
		// The review page is long; follow the link rather than click at
		// coordinates a full-page screenshot may have shifted.
		chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("table a")),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			href, err := chromedp.Evaluate[string](`document.querySelector("table a").getAttribute("href").replace("/organisation", "/export")`)(ctx, t)
			if err != nil {
				return err
			}
			_, err = chromedp.Navigate(base+href)(ctx, t)
			return err
		}),
		chromedp.WaitVisible(chromedp.CSS("#export")),
		shot(dir, &n, "export"),
	)
	if err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, dir)
	}
	exported, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const href = document.querySelector("#export").getAttribute("href");
		const buf = new Uint8Array(await (await fetch(href)).arrayBuffer());
		let s = ""; for (const b of buf) s += String.fromCharCode(b);
		return btoa(s);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("download the export: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("button[data-complete]")),
		chromedp.WaitVisible(chromedp.CSS("#completion")),
		shot(dir, &n, "completed"),
	)
	if err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, dir)
	}
	// Item 7 of the journey: where the portal will be, how to delete the wizard.
	done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#completion")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"https://catalyst.acme.example.com", "Stop catalyst bootstrap", "Delete its data directory"} {
		if !strings.Contains(done, want) {
			t.Errorf("the completion section does not say %q:\n%s", want, done)
		}
	}
	// The audit trail, reached from the header: newest first.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`header a.nav`)),
		chromedp.WaitVisible(chromedp.CSS("#audit")),
		shot(dir, &n, "audit"),
	)
	if err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, dir)
	}
	newest, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#audit tbody tr:first-child")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(newest, "bootstrap.complete") || !strings.Contains(newest, "admin") {
		t.Errorf("the audit trail's newest entry = %q, want admin's bootstrap.complete", newest)
	}
	archive, err := base64.StdEncoding.DecodeString(exported)
	if err != nil {
		t.Fatal(err)
	}
	files, err := wizard.Unarchive(archive, "acme-instance")
	if err != nil {
		t.Fatal(err)
	}
	spec := files[generate.SpecFile]
	if !bytes.Contains(spec, []byte("fingate")) {
		t.Fatalf("exported instance.yaml lacks the chosen product:\n%s", spec)
	}
	tree, err := generate.Generate(spec, cat)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != tree.Len() {
		t.Fatalf("downloaded archive has %d files, catalyst generate %d", len(files), tree.Len())
	}
	for _, p := range tree.Paths() {
		w, _ := tree.Get(p)
		if !bytes.Equal(files[p], w) {
			t.Errorf("%s differs from catalyst generate's", p)
		}
	}
	t.Logf("screenshots: %s", dir)
}

// TestValidationErrorNextToField: a bad tenant's error is shown inside the
// tenant field's block, in catalyst validate's words.
func TestValidationErrorNextToField(t *testing.T) {
	base, _, _ := wizardServer(t)
	ctx := browser(t)
	dir := artifacts(t)
	n := 0
	err := chromedp.Do(ctx,
		login(base),
		chromedp.Click(chromedp.CSS("#new-bootstrap")),
		chromedp.WaitVisible(chromedp.CSS(`form[data-step="organisation"]`)),
		chromedp.SendKeys(chromedp.CSS("#tenant"), "Acme_Bank"),
		chromedp.SendKeys(chromedp.CSS("#domain"), "acme.example.com"),
		chromedp.Click(chromedp.CSS(`form[data-step="organisation"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-field="tenant"] .field-error`)),
		shot(dir, &n, "tenant-error"),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-field="tenant"] .field-error`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg, `spec.tenant: Invalid value: "Acme_Bank": use at most 20 lowercase letters`) {
		t.Fatalf("error next to the tenant field = %q", msg)
	}
	domainErrs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-field="domain"] .field-error').length`))
	if err != nil {
		t.Fatal(err)
	}
	if domainErrs != 0 {
		t.Fatalf("the valid domain field shows %d error(s)", domainErrs)
	}
}

// wizardParts are a wizard's fresh SQLite store (with the local admin of
// organisation acme), the embedded catalog and a sealer with a new key.
func wizardParts(t *testing.T) (wizard.Store, *catalog.Catalog, *secrets.Sealer) {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wizard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := wizard.AddLocalUser(ctx, store, "acme", "admin", password, time.Now()); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(openova.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, secrets.KeySize)
	rand.Read(key)
	sealer, _ := secrets.New(key, rand.Reader)
	return store, cat, sealer
}
