package portal_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/portal"
	"github.com/openova-io/openova/internal/portal/render"
	"github.com/openova-io/openova/internal/testenv"
)

func group(ns, region, peer string, state failoverv1.State, holder string) failoverv1.FailoverGroup {
	return failoverv1.FailoverGroup{
		ObjectMeta: metav1.ObjectMeta{Name: "acme-" + region, Namespace: ns},
		Spec: failoverv1.FailoverGroupSpec{Region: region, PeerRegion: peer,
			Witness: failoverv1.WitnessSpec{URL: "https://witness.example.net", LeaseName: "acme",
				CredentialsSecretRef: failoverv1.SecretKeyRef{Name: "witness"}}},
		Status: failoverv1.FailoverGroupStatus{State: state, Holder: holder},
	}
}

func TestActiveRegion(t *testing.T) {
	regions := []string{"fsn", "hel"}
	for _, tc := range []struct {
		name    string
		groups  []failoverv1.FailoverGroup
		want    string
		wantErr string
	}{
		{name: "no FailoverGroup: instance order", want: ""},
		{name: "active here", groups: []failoverv1.FailoverGroup{group("x", "hel", "fsn", failoverv1.StateActive, "hel")}, want: "hel"},
		{name: "standby here, peer holds the lease", groups: []failoverv1.FailoverGroup{group("x", "fsn", "hel", failoverv1.StateStandby, "hel")}, want: "hel"},
		{name: "fenced here after a failover", groups: []failoverv1.FailoverGroup{group("x", "fsn", "hel", failoverv1.StateFenced, "hel")}, want: "hel"},
		{name: "standby with no holder yet: no answer", groups: []failoverv1.FailoverGroup{group("x", "fsn", "hel", failoverv1.StateStandby, "")}, want: ""},
		{name: "a group of other regions is ignored", groups: []failoverv1.FailoverGroup{group("x", "nbg", "ash", failoverv1.StateActive, "nbg")}, want: ""},
		{name: "two groups agree", groups: []failoverv1.FailoverGroup{
			group("x", "fsn", "hel", failoverv1.StateStandby, "hel"), group("y", "hel", "fsn", failoverv1.StateActive, "hel")}, want: "hel"},
		{name: "two groups disagree", groups: []failoverv1.FailoverGroup{
			group("x", "fsn", "hel", failoverv1.StateActive, "fsn"), group("y", "hel", "fsn", failoverv1.StateActive, "hel")},
			wantErr: "disagree on the active region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := portal.ActiveRegion(regions, tc.groups)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ActiveRegion = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// After a failover to the second region, a new Tier-1 request is rendered
// with that region as primary: the FailoverGroup is read from a real
// kube-apiserver, as the controller writes it (status subresource).
func TestTargetFollowsTheActiveRegion(t *testing.T) {
	ctx := context.Background()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(filepath.Join(root, "examples", "two-region.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	snap := map[string][]byte{generate.SpecFile: spec}
	svc := &portal.Service{Kube: env.Client}
	primaryOf := func(t *testing.T) (render.Target, map[string]map[string]any) {
		t.Helper()
		target, err := svc.Target(ctx, snap)
		if err != nil {
			t.Fatal(err)
		}
		kind, _ := render.Lookup("PostgresClaim")
		res, err := kind.Render(target, render.Claim{Name: "orders-db", Namespace: "payments",
			Values: map[string]any{"tier": "tier-1", "ha": true, "backup": "continuous", "networkProfile": "namespace",
				"size": "M", "version": "17", "storage": "20Gi", "deletionProtection": true}})
		if err != nil {
			t.Fatal(err)
		}
		clusters := map[string]map[string]any{}
		for region, objs := range res.Objects {
			for _, o := range objs {
				if o["kind"] == "Cluster" {
					clusters[region] = o["spec"].(map[string]any)
				}
			}
		}
		return target, clusters
	}

	if target, _ := primaryOf(t); target.Regions[0] != "fsn" {
		t.Fatalf("no FailoverGroup: regions %v, want instance.yaml's order (fsn first)", target.Regions)
	}

	if err := env.EnsureNamespace(ctx, "openova-system"); err != nil {
		t.Fatal(err)
	}
	fg := group("openova-system", "fsn", "hel", failoverv1.StateFenced, "hel")
	st := fg.Status
	if err := env.Client.Create(ctx, &fg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), &fg) })
	fg.Status = st
	if err := env.Client.Status().Update(ctx, &fg); err != nil {
		t.Fatal(err)
	}

	target, clusters := primaryOf(t)
	if target.Regions[0] != "hel" {
		t.Fatalf("after failover to hel: regions %v, want hel first", target.Regions)
	}
	hel, fsn := clusters["hel"], clusters["fsn"]
	if hel["replica"].(map[string]any)["primary"] != "orders-db-hel" || fsn["replica"].(map[string]any)["primary"] != "orders-db-hel" {
		t.Errorf("spec.replica.primary: hel %v, fsn %v; want orders-db-hel in both", hel["replica"], fsn["replica"])
	}
	if _, ok := hel["bootstrap"].(map[string]any)["initdb"]; !ok {
		t.Errorf("hel (active) bootstrap = %v, want initdb", hel["bootstrap"])
	}
	if src := fsn["bootstrap"].(map[string]any)["pg_basebackup"]; src == nil || src.(map[string]any)["source"] != "orders-db-hel" {
		t.Errorf("fsn (standby) bootstrap = %v, want pg_basebackup from orders-db-hel", fsn["bootstrap"])
	}
}
