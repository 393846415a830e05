package catalystchart_test

import (
	"context"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/openova-io/openova/internal/manager"
)

// The chart's ServiceAccount may list and watch every kind whose health
// the manager judges: without it a kind's cache never syncs and its
// objects are silently left out of health. Asked of the API server's own
// authorizer (SubjectAccessReview), so it is RBAC that answers.
func TestChartRBACCoversHealthKinds(t *testing.T) {
	ctx := context.Background()
	asServiceAccount(t, nil) // applies the chart's RBAC
	type res struct{ group, resource string }
	kinds := []res{{"apps", "deployments"}, {"apps", "statefulsets"}, {"apps", "daemonsets"}, {"batch", "jobs"}, {"batch", "cronjobs"}}
	for _, k := range manager.ReadyKinds {
		kinds = append(kinds, res{k.Group, k.Resource})
	}
	for _, k := range kinds {
		for _, verb := range []string{"list", "watch"} {
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User:               "system:serviceaccount:catalyst:catalyst",
				ResourceAttributes: &authorizationv1.ResourceAttributes{Group: k.group, Resource: k.resource, Verb: verb}}}
			if err := env.Client.Create(ctx, sar); err != nil {
				t.Fatal(err)
			}
			if !sar.Status.Allowed {
				t.Errorf("the chart's ServiceAccount may not %s %s.%s: add it to templates/rbac.yaml", verb, k.resource, k.group)
			}
		}
	}
	// Read only: never a write of what it judges.
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:               "system:serviceaccount:catalyst:catalyst",
		ResourceAttributes: &authorizationv1.ResourceAttributes{Group: "postgresql.cnpg.io", Resource: "clusters", Verb: "patch"}}}
	if err := env.Client.Create(ctx, sar); err != nil || sar.Status.Allowed {
		t.Errorf("the chart's ServiceAccount may patch CNPG Clusters (%v)", err)
	}
}
