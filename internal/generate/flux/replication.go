package flux

import (
	"fmt"
	"strings"
)

// Images of the replication Jobs, pulled through the registry mirror.
const (
	MCImage   = "minio/mc:RELEASE.2025-08-13T08-35-41Z"
	CurlImage = "curlimages/curl:8.11.1"
)

// replicated is a service whose data the primary region copies to the
// standby through the service's own mechanism, configured by a Job.
type replicated struct {
	component, namespace string
	selector             obj   // the chart's pod labels, without the region
	port, target         int64 // global Service port and pod port
}

func (p *plan) replicatedServices() []replicated {
	all := []replicated{
		{"minio", "minio", obj{"app": "minio", "release": "minio"}, 9000, 9000},
		{"harbor", "harbor", obj{"app": "harbor", "component": "core"}, 80, 8080},
		{"gitea", "gitea", obj{"app.kubernetes.io/name": "gitea", "app.kubernetes.io/instance": "gitea"}, 3000, 3000},
	}
	var out []replicated
	for _, s := range all {
		if p.has(s.component) {
			out = append(out, s)
		}
	}
	return out
}

func init() { features = append(features, replication) }

// replicationPodLabels lets <component>-<region> select one region's pods
// across Cluster Mesh (chart keys: minio podLabels, harbor core.podLabels,
// gitea deployment.labels).
func replicationPodLabels(component string, r *region) map[string]map[string]any {
	l := map[string]any{"openova.io/region": r.Name}
	switch component {
	case "minio":
		return map[string]map[string]any{"minio": {"podLabels": l}}
	case "harbor":
		return map[string]map[string]any{"harbor": {"core": map[string]any{"podLabels": l}}}
	case "gitea":
		return map[string]map[string]any{"gitea": {"deployment": map[string]any{"labels": l}}}
	}
	return nil
}

// replication: in both regions the global Services <component>-<region>;
// in the primary region a Job per service configuring replication to the
// standby, idempotently (a re-run finds the rule and changes nothing).
// The admin credentials of the local side are the cluster's own Secrets;
// the peer's come from this region's OpenBao, where the peer pushed them.
// Replication runs primary → standby as installed; after a failover the
// direction is reversed by hand (see README).
func replication(p *plan, r *region) []unit {
	if r.Peer == nil {
		return nil
	}
	var out []unit
	for _, s := range p.replicatedServices() {
		var objs []obj
		for _, m := range p.regions {
			svc := newObj("v1", "Service", s.component+"-"+m.Name, s.namespace)
			meta(svc)["annotations"] = obj{"service.cilium.io/global": "true", "service.cilium.io/shared": "true"}
			sel := obj{"openova.io/region": m.Name}
			for k, v := range s.selector {
				sel[k] = v
			}
			svc["spec"] = obj{"selector": sel, "ports": []any{obj{"name": "http", "port": s.port, "targetPort": s.target}}}
			objs = append(objs, svc)
		}
		if r.Primary() && p.has("external-secrets") && p.has("openbao") {
			objs = append(objs, p.replicationJob(s, r)...)
		}
		out = append(out, unit{s.component, "replication.yaml", objs})
	}
	return out
}

// peerSecret brings the peer's admin Secret (pushed by the peer to this
// region's OpenBao) into the namespace as <secret>-<peer>.
func (p *plan) peerSecret(r *region, ns, secret string, keys ...string) obj {
	name := secret + "-" + r.Peer.Name
	es := newObj(esoV1, "ExternalSecret", name, ns)
	var data []any
	for _, k := range keys {
		data = append(data, obj{"secretKey": k, "remoteRef": obj{"key": fmt.Sprintf("%s/%s/%s", r.Peer.Cluster, ns, secret), "property": k}})
	}
	es["spec"] = obj{
		"refreshInterval": "1h",
		"secretStoreRef":  obj{"name": storeName(r), "kind": "ClusterSecretStore"},
		"target":          obj{"name": name, "creationPolicy": "Owner"},
		"data":            data,
	}
	return es
}

func envFrom(name, secret, key string) obj {
	return obj{"name": name, "valueFrom": obj{"secretKeyRef": obj{"name": secret, "key": key}}}
}

func (p *plan) replicationJob(s replicated, r *region) []obj {
	t, peer := p.spec.Tenant, r.Peer
	peerURL := fmt.Sprintf("http://%s-%s.%s.svc:%d", s.component, peer.Name, s.namespace, s.port)
	var image, script string
	var env []any
	var secret obj
	switch s.component {
	case "minio":
		root := t + "-minio-root"
		secret = p.peerSecret(r, s.namespace, root, "rootUser", "rootPassword")
		env = []any{envFrom("SRC_USER", root, "rootUser"), envFrom("SRC_PASSWORD", root, "rootPassword"),
			envFrom("DST_USER", root+"-"+peer.Name, "rootUser"), envFrom("DST_PASSWORD", root+"-"+peer.Name, "rootPassword")}
		image, script = MCImage, minioScript(p.minioBuckets(), peerURL)
	case "harbor":
		admin := t + "-harbor-admin"
		secret = p.peerSecret(r, s.namespace, admin, "HARBOR_ADMIN_PASSWORD")
		env = []any{envFrom("SRC_PASSWORD", admin, "HARBOR_ADMIN_PASSWORD"), envFrom("DST_PASSWORD", admin+"-"+peer.Name, "HARBOR_ADMIN_PASSWORD")}
		image, script = CurlImage, harborScript(fmt.Sprintf("http://harbor-%s.%s.svc:%d", r.Name, s.namespace, s.port), peerURL, peer.Name)
	case "gitea":
		admin := t + "-gitea-admin"
		secret = p.peerSecret(r, s.namespace, admin, "username", "password")
		env = []any{envFrom("SRC_USER", admin, "username"), envFrom("SRC_PASSWORD", admin, "password"),
			envFrom("DST_USER", admin+"-"+peer.Name, "username"), envFrom("DST_PASSWORD", admin+"-"+peer.Name, "password")}
		image, script = CurlImage, giteaScript(giteaHTTP, peerURL, p.spec.Git.Org, p.spec.Git.Repository)
	}
	job := newObj("batch/v1", "Job", s.component+"-replication", s.namespace)
	// Jobs are immutable: Flux recreates this one when its spec changes.
	meta(job)["annotations"] = obj{"kustomize.toolkit.fluxcd.io/force": "enabled"}
	setLabels(job, map[string]string{"app.kubernetes.io/part-of": "openova", "app.kubernetes.io/name": s.component + "-replication"})
	job["spec"] = obj{
		"backoffLimit": int64(30),
		"template": obj{"spec": obj{
			"restartPolicy":                "OnFailure",
			"automountServiceAccountToken": false,
			"securityContext":              obj{"runAsNonRoot": true, "runAsUser": int64(65532), "seccompProfile": obj{"type": "RuntimeDefault"}},
			"containers": []any{obj{
				"name": "configure", "image": p.registry + "/" + image,
				"command": []any{"/bin/sh", "-ec", script},
				"env":     env,
				"securityContext": obj{"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
					"capabilities": obj{"drop": []any{"ALL"}}},
				"resources":    obj{"requests": obj{"cpu": "50m", "memory": "64Mi"}, "limits": obj{"memory": "256Mi"}},
				"volumeMounts": []any{obj{"name": "home", "mountPath": "/tmp"}},
			}},
			"volumes": []any{obj{"name": "home", "emptyDir": obj{}}},
		}},
	}
	return []obj{secret, job}
}

// minioBuckets are the buckets the MinIO blueprint creates, but Harbor's:
// Harbor replicates its artefacts itself, keeping its database in step.
func (p *plan) minioBuckets() []string {
	var out []string
	for _, b := range p.comps {
		if b.Name() != "minio" {
			continue
		}
		for _, h := range b.Spec.Delivery.Helm {
			list, _ := h.Values["buckets"].([]any)
			for _, x := range list {
				m, _ := x.(map[string]any)
				if n, _ := m["name"].(string); n != "" && n != "harbor" {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// minioScript: server-side bucket replication (mc replicate add) from
// each bucket here to the same bucket in the peer, with versioning on
// both sides (MinIO requires it), deletes and existing objects included.
// Credentials reach mc through MC_HOST_* variables, never a command
// line (generated passwords are alphanumeric, safe in a URL).
func minioScript(buckets []string, peerURL string) string {
	return `export HOME=/tmp MC_CONFIG_DIR=/tmp/.mc
export MC_HOST_src="http://$SRC_USER:$SRC_PASSWORD@minio.minio.svc:9000"
export MC_HOST_dst="http://$DST_USER:$DST_PASSWORD@` + strings.TrimPrefix(peerURL, "http://") + `"
for b in ` + strings.Join(buckets, " ") + `; do
  mc mb --ignore-existing "src/$b" "dst/$b"
  mc version enable "src/$b"
  mc version enable "dst/$b"
  if mc replicate ls "src/$b" --json | grep -q '` + strings.TrimPrefix(peerURL, "http://") + `'; then
    echo "$b: replication rule already in place"
  else
    mc replicate add "src/$b" --remote-bucket "dst/$b" --replicate "delete,delete-marker,existing-objects" --priority 1
  fi
done
`
}

// harborScript: the peer as a registry endpoint and an event-based push
// replication policy of every repository to it (Harbor API v2.0),
// each created only if missing. Credentials go to curl in a config file
// on the emptyDir (printf is a shell builtin), never on a command line.
func harborScript(local, peerURL, peer string) string {
	return `api=` + local + `/api/v2.0
printf 'user = "admin:%s"\n' "$SRC_PASSWORD" > /tmp/curl.cfg
reg=harbor-` + peer + `
if ! curl -fsS -K /tmp/curl.cfg "$api/registries?q=name%3D$reg" | grep -q "\"name\":\"$reg\""; then
  printf '{"name":"%s","type":"harbor","url":"` + peerURL + `","insecure":false,"credential":{"type":"basic","access_key":"admin","access_secret":"%s"}}' "$reg" "$DST_PASSWORD" |
    curl -fsS -K /tmp/curl.cfg -H 'Content-Type: application/json' --data-binary @- "$api/registries"
fi
id=$(curl -fsS -K /tmp/curl.cfg "$api/registries?q=name%3D$reg" | sed -n 's/^\[{.*"id":\([0-9]*\).*/\1/p')
test -n "$id"
if ! curl -fsS -K /tmp/curl.cfg "$api/replication/policies?q=name%3Dto-` + peer + `" | grep -q '"name":"to-` + peer + `"'; then
  printf '{"name":"to-` + peer + `","dest_registry":{"id":%s},"filters":[{"type":"name","value":"**"}],"trigger":{"type":"event_based"},"enabled":true,"override":true,"deletion":true}' "$id" |
    curl -fsS -K /tmp/curl.cfg -H 'Content-Type: application/json' --data-binary @- "$api/replication/policies"
fi
echo "harbor: replication to ` + peer + ` in place"
`
}

// giteaScript: a push mirror of the instance repository to the peer's
// Gitea (POST /repos/{owner}/{repo}/push_mirrors, synced on every commit),
// unless one to that address exists.
func giteaScript(local, peerURL, org, repo string) string {
	remote := peerURL + "/" + org + "/" + repo + ".git"
	return `api=` + local + `/api/v1/repos/` + org + `/` + repo + `
printf 'user = "%s:%s"\n' "$SRC_USER" "$SRC_PASSWORD" > /tmp/curl.cfg
if curl -fsS -K /tmp/curl.cfg "$api/push_mirrors" | grep -q '"remote_address":"` + remote + `"'; then
  echo "gitea: push mirror already in place"
else
  printf '{"remote_address":"` + remote + `","remote_username":"%s","remote_password":"%s","interval":"10m0s","sync_on_commit":true}' "$DST_USER" "$DST_PASSWORD" |
    curl -fsS -K /tmp/curl.cfg -H 'Content-Type: application/json' --data-binary @- "$api/push_mirrors"
fi
`
}
