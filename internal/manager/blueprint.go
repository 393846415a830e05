package manager

import (
	"encoding/json"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
