package flux

import "fmt"

// Namespaces whose workloads the generated default-deny policies leave
// alone: the cluster's own machinery, which must keep running to fix a
// broken policy.
var policyExempt = []any{"kube-system", "kube-public", "kube-node-lease", "flux-system", "kyverno"}

// ImageVerification is Kyverno's failure action for signature checks:
// Audit reports unsigned images, Enforce refuses them.
type ImageVerification string

// Image verification modes.
const (
	VerifyAudit   ImageVerification = "Audit"
	VerifyEnforce ImageVerification = "Enforce"
)

func init() { features = append(features, policies) }

// policies are Kyverno's ClusterPolicies: PodDisruptionBudgets for
// replicated workloads, default-deny NetworkPolicies per namespace, and
// cosign signature verification (audit by default).
func policies(p *plan, r *region) []unit {
	if !p.has("kyverno") {
		return nil
	}
	return []unit{
		{"kyverno", "pod-disruption-budgets.yaml", []obj{pdbPolicy()}},
		{"kyverno", "network-policies.yaml", []obj{netpolPolicy()}},
		{"kyverno", "verify-images.yaml", []obj{p.verifyImages()}},
	}
}

func clusterPolicy(name, description string, spec obj) obj {
	o := newObj("kyverno.io/v1", "ClusterPolicy", name, "")
	meta(o)["annotations"] = obj{"policies.kyverno.io/description": description}
	setLabels(o, map[string]string{"app.kubernetes.io/part-of": "openova", "app.kubernetes.io/managed-by": "catalyst"})
	o["spec"] = spec
	return o
}

// pdbPolicy gives every Deployment and StatefulSet with more than one
// replica a PodDisruptionBudget allowing one pod down at a time.
func pdbPolicy() obj {
	rule := func(kind string) obj {
		return obj{
			"name":          "pdb-for-" + kind,
			"match":         obj{"any": []any{obj{"resources": obj{"kinds": []any{kind}}}}},
			"exclude":       obj{"any": []any{obj{"resources": obj{"namespaces": policyExempt}}}},
			"preconditions": obj{"all": []any{obj{"key": "{{ request.object.spec.replicas || `1` }}", "operator": "GreaterThan", "value": int64(1)}}},
			"generate": obj{
				"apiVersion":       "policy/v1",
				"kind":             "PodDisruptionBudget",
				"name":             "{{ request.object.metadata.name }}",
				"namespace":        "{{ request.object.metadata.namespace }}",
				"synchronize":      true,
				"generateExisting": true,
				"data": obj{
					"metadata": obj{"labels": obj{"app.kubernetes.io/managed-by": "kyverno"}},
					"spec": obj{
						"maxUnavailable": int64(1),
						"selector":       "{{ request.object.spec.selector }}",
					},
				},
			},
		}
	}
	return clusterPolicy("openova-generate-pdb",
		"Every Deployment and StatefulSet with more than one replica gets a PodDisruptionBudget allowing one pod down at a time, so node drains never take a replicated service down.",
		obj{"background": true, "rules": []any{rule("Deployment"), rule("StatefulSet")}})
}

// netpolPolicy gives every namespace a default-deny NetworkPolicy for
// ingress with traffic allowed from inside the namespace; components add
// their own allow rules.
func netpolPolicy() obj {
	rule := obj{
		"name":    "default-deny-ingress",
		"match":   obj{"any": []any{obj{"resources": obj{"kinds": []any{"Namespace"}}}}},
		"exclude": obj{"any": []any{obj{"resources": obj{"names": policyExempt}}}},
		"generate": obj{
			"apiVersion":       "networking.k8s.io/v1",
			"kind":             "NetworkPolicy",
			"name":             "default-deny-ingress",
			"namespace":        "{{ request.object.metadata.name }}",
			"synchronize":      true,
			"generateExisting": true,
			"data": obj{
				"metadata": obj{"labels": obj{"app.kubernetes.io/managed-by": "kyverno"}},
				"spec": obj{
					"podSelector": obj{},
					"policyTypes": []any{"Ingress"},
					"ingress":     []any{obj{"from": []any{obj{"podSelector": obj{}}}}},
				},
			},
		},
	}
	return clusterPolicy("openova-default-deny",
		"Every namespace denies ingress from outside itself unless a NetworkPolicy allows it.",
		obj{"background": true, "rules": []any{rule}})
}

// verifyImages checks cosign signatures of OpenOva's images (key from
// the openova-cosign Secret) and of images in the tenant's Harbor (key
// from harbor-cosign), both public keys delivered by External Secrets.
func (p *plan) verifyImages() obj {
	rule := func(name string, images []any, secret string) obj {
		return obj{
			"name":  name,
			"match": obj{"any": []any{obj{"resources": obj{"kinds": []any{"Pod"}}}}},
			"verifyImages": []any{obj{
				"imageReferences": images,
				"failureAction":   string(p.imageVerification),
				"mutateDigest":    false,
				"verifyDigest":    false,
				"attestors": []any{obj{"entries": []any{obj{"keys": obj{
					"publicKeys": "k8s://kyverno/" + secret,
					"rekor":      obj{"ignoreTlog": true},
					"ctlog":      obj{"ignoreSCT": true},
				}}}}},
			}},
		}
	}
	return clusterPolicy("openova-verify-images",
		fmt.Sprintf("Cosign signatures of OpenOva's images and of images signed into Harbor (%s mode; offline: no transparency log).", p.imageVerification),
		obj{"background": false, "webhookTimeoutSeconds": int64(30), "rules": []any{
			rule("openova-images", []any{p.registry + "/openova-io/*", "ghcr.io/openova-io/*"}, "openova-cosign"),
			rule("harbor-images", []any{"harbor." + p.spec.Domain + "/*"}, "harbor-cosign"),
		}})
}
