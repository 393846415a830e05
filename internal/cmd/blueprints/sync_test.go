package blueprints

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/blueprintsync"
	"github.com/openova-io/openova/internal/catalog/catalogtest"
	"github.com/openova-io/openova/internal/cmd/cmdutil"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/giteatest"
	"github.com/openova-io/openova/internal/iostreams"
)

func TestFlags(t *testing.T) {
	var got *SyncOptions
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdSync(&factory.Factory{IOStreams: ios}, func(o *SyncOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--gitea-url=https://gitea.bank.internal", "--token-file=/run/t", "--json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Org != blueprintsync.DefaultOrg || got.GiteaURL != "https://gitea.bank.internal" || got.TokenFile != "/run/t" || !got.JSON || got.Dir != "" {
		t.Fatalf("parsed %+v", got)
	}
}

// --dry-run needs no server and no token: it prints the plan.
func TestDryRunPrintsThePlan(t *testing.T) {
	t.Setenv(TokenEnv, "")
	ios, _, out, _ := iostreams.Test()
	o := &SyncOptions{IO: ios, Org: "openova", Embedded: openova.Catalog, DryRun: true, JSON: true}
	if err := syncRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	var plan []planJSON
	if err := json.Unmarshal(out.Bytes(), &plan); err != nil || len(plan) != 61 {
		t.Fatalf("plan: %d repositories, %v", len(plan), err)
	}
	if plan[0].Repository != "openova/"+plan[0].Source[len("platform/"):] || plan[0].Tag == "" {
		t.Fatalf("first entry %+v", plan[0])
	}
}

func TestMissingURLOrTokenSaysWhatToDo(t *testing.T) {
	t.Setenv(TokenEnv, "")
	for want, o := range map[string]*SyncOptions{
		"--gitea-url":  {Org: "openova"},
		"--token-file": {Org: "openova", GiteaURL: "http://127.0.0.1:1"},
		"empty":        {Org: "openova", GiteaURL: "http://127.0.0.1:1", TokenFile: emptyFile(t)},
	} {
		o.IO, _, _, _ = iostreams.Test()
		o.Embedded, o.Timeout = openova.Catalog, time.Second
		if err := syncRun(context.Background(), o); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
}

// End to end against a real Gitea with a small checkout: the first run
// creates, the second reports every repository unchanged; a blueprint
// changed without a version bump fails the command (exit 3) naming it.
func TestSyncAgainstRealGitea(t *testing.T) {
	srv := giteatest.Start(t)
	dir := catalogtest.Checkout(t, "platform/cilium", "platform/llm-gateway", "products/axon")
	t.Setenv(TokenEnv, srv.AdminToken)
	run := func() (string, error) {
		ios, _, out, _ := iostreams.Test()
		err := syncRun(context.Background(), &SyncOptions{IO: ios, GiteaURL: srv.URL, Org: "mirror", Dir: dir, Timeout: time.Minute})
		return out.String(), err
	}
	first, err := run()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first, "3 repositories: 3 created, 0 updated, 0 unchanged, 0 failed; tags: 2 created, 0 present") {
		t.Fatalf("first run:\n%s", first)
	}
	second, err := run()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(second, "3 repositories: 0 created, 0 updated, 3 unchanged, 0 failed; tags: 0 created, 2 present") {
		t.Fatalf("second run:\n%s", second)
	}
	if strings.Contains(first+second, srv.AdminToken) {
		t.Fatal("the token was printed")
	}
	p := filepath.Join(dir, "platform", "cilium", "blueprint.yaml")
	data, _ := os.ReadFile(p)
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), "purpose: The CNI", "purpose: Still the CNI", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	third, err := run()
	var failed *cmdutil.FailedError
	if !errors.As(err, &failed) || !strings.Contains(err.Error(), "bump spec.version in platform/cilium/blueprint.yaml") {
		t.Fatalf("unbumped change: %v", err)
	}
	if !strings.Contains(third, "1 failed") {
		t.Fatalf("third run:\n%s", third)
	}
}

func emptyFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
