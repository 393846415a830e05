package manager

import (
	"context"
	"encoding/json"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/catalog"
)

// BlueprintObject is a catalog blueprint as the Blueprint custom resource
// published to a cluster (what a blueprint sync will apply).
func BlueprintObject(b *catalog.Blueprint) (*platformv1.Blueprint, error) {
	out := &platformv1.Blueprint{
		TypeMeta:   metav1.TypeMeta{APIVersion: platformv1.GroupVersion.String(), Kind: "Blueprint"},
		ObjectMeta: metav1.ObjectMeta{Name: b.Name(), Labels: map[string]string{"app.kubernetes.io/part-of": "openova"}},
		Spec: platformv1.BlueprintSpec{
			Version:    b.Spec.Version,
			AppVersion: b.Spec.Upstream.AppVersion,
			Tier:       string(b.Spec.Tier),
		},
	}
	for _, c := range b.Spec.Changelog {
		out.Spec.Changelog = append(out.Spec.Changelog, platformv1.ChangelogEntry{Version: c.Version, Date: c.Date, Changes: c.Changes})
	}
	for _, s := range b.Spec.Support {
		out.Spec.Support = append(out.Spec.Support, platformv1.SupportRange{Versions: s.Versions, Status: platformv1.Support(s.Status)})
	}
	if b.Spec.Claim != nil {
		raw, err := json.Marshal(b.Spec.Claim.Schema)
		if err != nil {
			return nil, fmt.Errorf("%s: spec.claim.schema: %w", b.Dir, err)
		}
		out.Spec.Claim = &platformv1.Claim{Kind: b.Spec.Claim.Kind, Schema: apiextensionsv1.JSON{Raw: raw}}
	}
	return out, nil
}

// FieldManager is the lifecycle manager's server-side apply identity.
const FieldManager = "catalyst-manager"

// PublishBlueprints server-side applies a Blueprint per catalog blueprint
// (spec and labels only; status is the reconciler's): a newer Catalyst
// release, or a catalog synced into an air-gapped cluster, announces its
// blueprint versions this way.
func PublishBlueprints(ctx context.Context, c client.Client, cat *catalog.Catalog) (int, error) {
	n := 0
	for _, b := range cat.Blueprints {
		obj, err := BlueprintObject(b)
		if err != nil {
			return n, err
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return n, err
		}
		u := &unstructured.Unstructured{Object: m}
		unstructured.RemoveNestedField(u.Object, "status")
		unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
		if err := c.Patch(ctx, u, client.Apply, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
			return n, fmt.Errorf("apply Blueprint %s: %w", b.Name(), err)
		}
		n++
	}
	return n, nil
}
