package flux_test

import (
	"bytes"
	"strings"
	"testing"
)

// Values merge as blueprint defaults ← spec.overrides ← the region's
// overrides ← the generator's wiring (which must agree with terraform).
func TestOverridesMergeOrder(t *testing.T) {
	spec := append(readExample(t, "two-region"), []byte(`  overrides:
    valkey:
      valkey:
        replica:
          replicas: 4
        commonLabels: {team: payments}
    cilium:
      cilium:
        cluster: {id: 99}
        hubble: {enabled: false}
`)...)
	spec = bytes.Replace(spec, []byte("      location: hel1\n"), []byte(`      location: hel1
      overrides:
        valkey:
          valkey:
            replica: {replicas: 1}
`), 1)
	files := render(t, spec, realCatalog(t))
	for region, want := range map[string]string{"fsn": "replicas: 4", "hel": "replicas: 1"} {
		v := yamlOf(docsOf(t, files, "clusters/"+region+"/products/valkey/release.yaml", "HelmRelease")["spec"].(map[string]any)["values"])
		if !strings.Contains(v, want) || !strings.Contains(v, "team: payments") {
			t.Errorf("%s: valkey values want %q and the instance's label:\n%s", region, want, v)
		}
		// Blueprint defaults the overrides did not touch stay.
		if !strings.Contains(v, "replicationUser: replication") {
			t.Errorf("%s: valkey lost a blueprint default:\n%s", region, v)
		}
		c := yamlOf(docsOf(t, files, "clusters/"+region+"/crds/cilium/release.yaml", "HelmRelease")["spec"].(map[string]any)["values"])
		if strings.Contains(c, "id: 99") || !strings.Contains(c, "enabled: false") {
			t.Errorf("%s: the generator's cluster id must win over an override, other keys merge:\n%s", region, c)
		}
	}
}

func TestOverrideOfAComponentNotInstalled(t *testing.T) {
	spec := append(readExample(t, "one-region"), []byte("  overrides:\n    milvus:\n      milvus: {cluster: {enabled: false}}\n")...)
	_, err := generateErr(spec)
	if err == nil || !strings.Contains(err.Error(), "spec.overrides[milvus]") || !strings.Contains(err.Error(), "spec.components") {
		t.Fatalf("want an error naming spec.overrides[milvus] and the fix, got %v", err)
	}
}

func TestImageVerificationAndWitnessFromTheSpec(t *testing.T) {
	two := readExample(t, "two-region")
	files := render(t, two, realCatalog(t))
	policy := yamlOf(docsOf(t, files, "clusters/fsn/infrastructure/kyverno/verify-images.yaml", "ClusterPolicy"))
	if !strings.Contains(policy, "failureAction: Audit") {
		t.Errorf("default must be audit:\n%s", policy)
	}
	fg := yamlOf(docsOf(t, files, "clusters/fsn/platform/failover-controller/failover-group.yaml", "FailoverGroup"))
	if !strings.Contains(fg, "url: https://witness.bank.example.com") {
		t.Errorf("default witness URL:\n%s", fg)
	}
	spec := append(append([]byte{}, two...), []byte("  supplyChain:\n    imageVerification: enforce\n")...)
	spec = bytes.Replace(spec, []byte("  failover:\n"), []byte("  failover:\n    witness:\n      url: https://witness.ops.example.net\n"), 1)
	files = render(t, spec, realCatalog(t))
	policy = yamlOf(docsOf(t, files, "clusters/fsn/infrastructure/kyverno/verify-images.yaml", "ClusterPolicy"))
	if !strings.Contains(policy, "failureAction: Enforce") {
		t.Errorf("enforce not wired:\n%s", policy)
	}
	fg = yamlOf(docsOf(t, files, "clusters/hel/platform/failover-controller/failover-group.yaml", "FailoverGroup"))
	if !strings.Contains(fg, "url: https://witness.ops.example.net") {
		t.Errorf("witness URL not wired:\n%s", fg)
	}
}
