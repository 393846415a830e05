package testenv

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/yaml"
)

var env *Env

func TestMain(m *testing.M) { Main(m, func(e *Env) { env = e }) }

func object(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

// The upstream CRDs are installed and enforced: a valid HelmRelease passes
// the dry-run and one with a wrongly typed field is rejected by the schema.
func TestUpstreamCRDsEnforceTheirSchemas(t *testing.T) {
	ctx := context.Background()
	if err := env.EnsureNamespace(ctx, "flux-system"); err != nil {
		t.Fatal(err)
	}
	good := object(t, `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: cert-manager, namespace: flux-system}
spec:
  interval: 10m
  chart:
    spec:
      chart: cert-manager
      version: v1.19.2
      sourceRef: {kind: HelmRepository, name: jetstack}
`)
	if err := env.ServerSideDryRun(ctx, good); err != nil {
		t.Fatalf("valid HelmRelease rejected: %v", err)
	}
	bad := good.DeepCopy()
	if err := unstructured.SetNestedField(bad.Object, int64(10), "spec", "interval"); err != nil {
		t.Fatal(err)
	}
	err := env.ServerSideDryRun(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "spec.interval") {
		t.Fatalf("HelmRelease with a numeric interval: want a schema error naming spec.interval, got %v", err)
	}
}

func TestEveryUpstreamCRDIsServed(t *testing.T) {
	disco, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, gv := range []string{
		"helm.toolkit.fluxcd.io/v2", "source.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io/v1",
		"gateway.networking.k8s.io/v1", "postgresql.cnpg.io/v1", "k8gb.io/v1beta1",
		"external-secrets.io/v1", "kyverno.io/v1", "cert-manager.io/v1", "kafka.strimzi.io/v1",
		"apiextensions.crossplane.io/v1",
	} {
		if _, err := disco.ServerResourcesForGroupVersion(gv); err != nil {
			t.Errorf("%s not served: %v", gv, err)
		}
	}
}
