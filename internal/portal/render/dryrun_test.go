package render

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

// noCRD are the kinds rendered here whose CRD no test can install: they are
// named, and dry-run as soon as their CRD is added to the test API server.
var noCRD = map[schema.GroupKind]string{
	{Group: "barmancloud.cnpg.io", Kind: "ObjectStore"}: "the Barman Cloud plugin's CRD is not among /work/shared/crds (CNPG v1.30.0 ships Cluster, Backup, ScheduledBackup, Pooler, Database only)",
}

// Every object of every golden case is accepted by a real kube-apiserver
// with the CNPG v1.30.0, External Secrets and core schemas: server-side
// apply in dry-run mode, the same validation Flux meets.
func TestEveryRenderedObjectIsAccepted(t *testing.T) {
	ctx := context.Background()
	checked := map[string]int{}
	for name, tc := range cases {
		res, err := renderPostgres(tc.target, tc.claim)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.EnsureNamespace(ctx, tc.claim.Namespace); err != nil {
			t.Fatal(err)
		}
		for region, objs := range res.Objects {
			for _, o := range objs {
				u := &unstructured.Unstructured{Object: o}
				gvk := u.GroupVersionKind()
				if _, err := env.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); meta.IsNoMatchError(err) {
					why, known := noCRD[gvk.GroupKind()]
					if !known {
						t.Errorf("%s/%s: %s has no CRD in the test API server and is not listed in noCRD", name, region, gvk)
					}
					t.Logf("%s/%s: %s %s not dry-run: %s", name, region, gvk.Kind, u.GetName(), why)
					continue
				}
				if err := env.ServerSideDryRun(ctx, u); err != nil {
					t.Errorf("%s/%s: %v", name, region, err)
				}
				checked[gvk.Kind]++
			}
		}
	}
	for _, k := range []string{"Cluster", "ScheduledBackup", "ExternalSecret", "NetworkPolicy", "Service"} {
		if checked[k] == 0 {
			t.Errorf("no %s was dry-run", k)
		}
	}
	t.Logf("dry-run accepted: %v", checked)
}

// The dry-run refuses what CNPG would: a misspelt field and a bad value.
func TestDryRunBites(t *testing.T) {
	ctx := context.Background()
	for name, edit := range map[string]func(spec map[string]any){
		"unknown field": func(s map[string]any) { s["instancez"] = int64(3) },
		"bad enum": func(s map[string]any) {
			s["postgresql"] = map[string]any{"synchronous": map[string]any{"method": "all", "number": int64(1)}}
		},
	} {
		res, err := renderPostgres(oneRegion, cases["tier2-daily-cluster"].claim)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.EnsureNamespace(ctx, "risk"); err != nil {
			t.Fatal(err)
		}
		c := find(t, res.Objects["fsn"], "Cluster")
		edit(c["spec"].(map[string]any))
		if err := env.ServerSideDryRun(ctx, &unstructured.Unstructured{Object: c}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
