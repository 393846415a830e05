package actuator

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WireGate adds the gate Service as a weight-0 backendRef to every rule of
// the HTTPRoute that does not reference it yet. Weight 0 means the gateway
// never sends it traffic; it is there only so that k8gb — configured with
// a Gslb whose spec.serviceHealthPolicy is All — counts the gate's
// readiness among the route's backends. Idempotent; stamped with epoch.
func WireGate(ctx context.Context, c client.Client, routeNS, route, gateNS, gateService string, epoch uint64) error {
	obj := newUnstructured(httpRouteGVK, routeNS, route)
	_, err := guardedUpdate(ctx, c, obj, epoch, func(o client.Object) error {
		u := o.(*unstructured.Unstructured)
		rules, found, err := unstructured.NestedSlice(u.Object, "spec", "rules")
		if err != nil {
			return fmt.Errorf("HTTPRoute %s/%s: spec.rules: %w", routeNS, route, err)
		}
		if !found || len(rules) == 0 {
			return fmt.Errorf("HTTPRoute %s/%s has no spec.rules to gate; add a rule with its backends first", routeNS, route)
		}
		for i, r := range rules {
			rule, ok := r.(map[string]any)
			if !ok {
				return fmt.Errorf("HTTPRoute %s/%s: spec.rules[%d] is not an object", routeNS, route, i)
			}
			refs, _, _ := unstructured.NestedSlice(rule, "backendRefs")
			if hasGateRef(refs, routeNS, gateNS, gateService) {
				continue
			}
			ref := map[string]any{"name": gateService, "port": int64(gatePort), "weight": int64(0)}
			if gateNS != routeNS {
				ref["namespace"] = gateNS
			}
			rule["backendRefs"] = append(refs, ref)
			rules[i] = rule
		}
		return unstructured.SetNestedSlice(u.Object, rules, "spec", "rules")
	})
	return err
}

func hasGateRef(refs []any, routeNS, gateNS, gateService string) bool {
	for _, r := range refs {
		ref, ok := r.(map[string]any)
		if !ok {
			continue
		}
		kind, _ := ref["kind"].(string)
		group, _ := ref["group"].(string)
		ns, _ := ref["namespace"].(string)
		if ns == "" {
			ns = routeNS
		}
		if ref["name"] == gateService && ns == gateNS && (kind == "" || kind == "Service") && group == "" {
			return true
		}
	}
	return false
}
