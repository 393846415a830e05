package flux

import (
	"fmt"
	"path"
)

// SeedTag is the catalyst image tag of the seed Job: the release whose
// embedded catalog generated this tree.
const SeedTag = "v0.1.0"

// RequiredApprovals on the protected main branch of the instance
// repository (four eyes: the author and one approver).
const RequiredApprovals = 1

// seed is the one-shot Job of the bundle. `catalyst seed`
// regenerates the tree from instance.yaml, applies this region's crds
// layer and Gitea's directory once (Gitea must run before Flux can follow
// it), creates the organisation and repository, pushes the tree, protects
// main (required approvals, CODEOWNERS approval, no force push) and exits.
// Gitea's admin password is generated in the cluster into
// <tenant>-gitea-admin and never leaves it; the external-secrets tree
// later pushes it to OpenBao.
func (p *plan) seed(r *region) ([]byte, error) {
	const ns = "gitea"
	labels := map[string]string{"app.kubernetes.io/part-of": "openova", "app.kubernetes.io/name": "openova-seed"}
	nsObj := newObj("v1", "Namespace", ns, "")
	cm := newObj("v1", "ConfigMap", "openova-instance", ns)
	cm["data"] = obj{"instance.yaml": string(p.source)}
	sa := newObj("v1", "ServiceAccount", "openova-seed", ns)
	// Applying the crds layer and Gitea needs broad rights once; the
	// binding is removed by the seed when it finishes (and pruned by Flux,
	// since it is not in the tree).
	crb := newObj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "openova-seed", "")
	crb["roleRef"] = obj{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}
	crb["subjects"] = []any{obj{"kind": "ServiceAccount", "name": "openova-seed", "namespace": ns}}
	job := newObj("batch/v1", "Job", "openova-seed", ns)
	args := []any{"seed",
		"--instance=/etc/openova/instance.yaml",
		"--region=" + r.Name,
		"--gitea=" + giteaHTTP,
		"--repository=" + p.spec.Git.Org + "/" + p.spec.Git.Repository,
		"--admin-secret=" + ns + "/" + p.spec.Tenant + "-gitea-admin",
		fmt.Sprintf("--required-approvals=%d", RequiredApprovals),
		"--apply=" + path.Join(ClustersDir, r.Name, LayerCRDs.String()),
		"--apply=" + path.Join(ClustersDir, r.Name, p.layer["gitea"].String(), "gitea"),
	}
	job["spec"] = obj{
		"backoffLimit": int64(20),
		"template": obj{
			"metadata": obj{"labels": toObj(labels)},
			"spec": obj{
				"serviceAccountName": "openova-seed",
				"restartPolicy":      "OnFailure",
				"securityContext":    obj{"runAsNonRoot": true, "runAsUser": int64(65532), "seccompProfile": obj{"type": "RuntimeDefault"}},
				"containers": []any{obj{
					"name":  "seed",
					"image": p.registry + "/" + SeedImage + ":" + SeedTag,
					"args":  args,
					"securityContext": obj{"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
						"capabilities": obj{"drop": []any{"ALL"}}},
					"resources":    obj{"requests": obj{"cpu": "100m", "memory": "128Mi"}, "limits": obj{"memory": "512Mi"}},
					"volumeMounts": []any{obj{"name": "instance", "mountPath": "/etc/openova", "readOnly": true}, obj{"name": "work", "mountPath": "/tmp"}},
				}},
				"volumes": []any{
					obj{"name": "instance", "configMap": obj{"name": "openova-instance"}},
					obj{"name": "work", "emptyDir": obj{}},
				},
			},
		},
	}
	for _, o := range []obj{nsObj, cm, sa, crb, job} {
		setLabels(o, labels)
	}
	return marshalDocs([]obj{nsObj, cm, sa, crb, job})
}

func toObj(m map[string]string) obj {
	o := obj{}
	for k, v := range m {
		o[k] = v
	}
	return o
}
