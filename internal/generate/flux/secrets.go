package flux

import "fmt"

const (
	esoV1         = "external-secrets.io/v1"
	esoV1alpha1   = "external-secrets.io/v1alpha1"
	generatorsAPI = "generators.external-secrets.io/v1alpha1"
	openbaoNS     = "openbao"
	// BaoMount is the KV v2 mount of platform credentials in OpenBao.
	BaoMount = "platform"
)

// credential is an in-cluster admin credential: generated once in the
// cluster by an External Secrets Password generator, never in Git, and
// pushed to OpenBao in every region.
type credential struct {
	component, namespace, secret string
	// keys maps each Secret key to a template over the generated password.
	keys map[string]string
}

func (p *plan) credentials() []credential {
	t := p.spec.Tenant
	all := []credential{
		{"grafana", "observability", t + "-grafana-admin", map[string]string{"admin-user": "admin", "admin-password": "{{ .password }}"}},
		{"harbor", "harbor", t + "-harbor-admin", map[string]string{"HARBOR_ADMIN_PASSWORD": "{{ .password }}"}},
		{"minio", "minio", t + "-minio-root", map[string]string{"rootUser": "admin", "rootPassword": "{{ .password }}"}},
	}
	if len(p.regions) == 2 && p.has("strimzi") {
		all = append(all, credential{"strimzi", kafkaNS, p.kafkaMirrorSecret(), map[string]string{"password": "{{ .password }}"}})
	}
	var out []credential
	for _, c := range all {
		if p.has(c.component) {
			out = append(out, c)
		}
	}
	return out
}

func init() { features = append(features, secretStores, generatedCredentials) }

// storeName is the ClusterSecretStore of a region's OpenBao.
func storeName(r *region) string { return SecretStoreName(r.Name) }

// SecretStoreName is the ClusterSecretStore of the OpenBao of the region
// named region, in every cluster that reaches it.
func SecretStoreName(region string) string { return "openbao-" + region }

// secretStores: one ClusterSecretStore per OpenBao this region writes to
// (its own, and its peer's, reached over Cluster Mesh through the global
// Service openbao-<peer>), authenticated with Kubernetes auth mounted per
// client cluster.
func secretStores(p *plan, r *region) []unit {
	if !p.has("openbao") || !p.has("external-secrets") {
		return nil
	}
	targets := []*region{r}
	if r.Peer != nil {
		targets = append(targets, r.Peer)
	}
	var objs []obj
	for _, tr := range targets {
		s := newObj(esoV1, "ClusterSecretStore", storeName(tr), "")
		s["spec"] = obj{"provider": obj{"vault": obj{
			"server":  fmt.Sprintf("http://openbao-%s.%s.svc:8200", tr.Name, openbaoNS),
			"path":    BaoMount,
			"version": "v2",
			"auth": obj{"kubernetes": obj{
				"mountPath":         "kubernetes-" + r.Cluster,
				"role":              "external-secrets",
				"serviceAccountRef": obj{"name": "external-secrets", "namespace": "external-secrets"},
			}},
		}}}
		objs = append(objs, s)
	}
	objs = append(objs, p.openbaoServices(r)...)
	return []unit{{"openbao", "secret-stores.yaml", objs}}
}

// openbaoServices name each region's OpenBao openbao-<region> in every
// cluster; as Cilium global Services, openbao-<peer> resolves to the
// peer's pods (only they carry the peer's region label).
func (p *plan) openbaoServices(r *region) []obj {
	regions := []*region{r}
	if r.Peer != nil {
		regions = append(regions, r.Peer)
	}
	var out []obj
	for _, tr := range regions {
		s := newObj("v1", "Service", "openbao-"+tr.Name, openbaoNS)
		if r.Peer != nil {
			meta(s)["annotations"] = obj{"service.cilium.io/global": "true", "service.cilium.io/shared": "true"}
		}
		s["spec"] = obj{
			"selector": obj{"app.kubernetes.io/name": "openbao", "component": "server", "openova.io/region": tr.Name},
			"ports":    []any{obj{"name": "http", "port": int64(8200), "targetPort": int64(8200)}},
		}
		out = append(out, s)
	}
	return out
}

// generatedCredentials: Password generator → ExternalSecret (generated
// once: refreshInterval 0) → PushSecret to every region's OpenBao.
func generatedCredentials(p *plan, r *region) []unit {
	if !p.has("external-secrets") {
		return nil
	}
	var out []unit
	for _, c := range p.credentials() {
		gen := newObj(generatorsAPI, "Password", c.secret, c.namespace)
		gen["spec"] = obj{"length": int64(32), "digits": int64(6), "symbols": int64(0), "noUpper": false, "allowRepeat": true}
		es := newObj(esoV1, "ExternalSecret", c.secret, c.namespace)
		data := obj{}
		for k, v := range c.keys {
			data[k] = v
		}
		es["spec"] = obj{
			"refreshInterval": "0",
			"target":          obj{"name": c.secret, "creationPolicy": "Owner", "deletionPolicy": "Retain", "template": obj{"data": data}},
			"dataFrom":        []any{obj{"sourceRef": obj{"generatorRef": obj{"apiVersion": generatorsAPI, "kind": "Password", "name": c.secret}}}},
		}
		objs := []obj{gen, es}
		if p.has("openbao") {
			objs = append(objs, p.pushSecret(r, c.namespace, c.secret))
		}
		out = append(out, unit{c.component, "credentials.yaml", objs})
	}
	if p.has("openbao") && p.has("gitea") {
		// Gitea's admin Secret is created by `catalyst seed`; it is
		// pushed like the generated ones.
		out = append(out, unit{"gitea", "credentials.yaml", []obj{p.pushSecret(r, "gitea", p.spec.Tenant+"-gitea-admin")}})
	}
	return out
}

// pushSecret copies a Secret to OpenBao at <cluster>/<namespace>/<secret>
// in every region.
func (p *plan) pushSecret(r *region, ns, secret string) obj {
	return p.pushSecretTo(r, ns, secret, CredentialKey(r.Cluster, ns, secret))
}

// CredentialKey is the OpenBao entry of a Secret the cluster named
// cluster generated and pushed: <cluster>/<namespace>/<secret>.
func CredentialKey(cluster, ns, secret string) string {
	return fmt.Sprintf("%s/%s/%s", cluster, ns, secret)
}

// pushSecretTo copies every key of a Secret to the OpenBao entry remoteKey
// in every region.
func (p *plan) pushSecretTo(r *region, ns, secret, remoteKey string) obj {
	return pushSecretObj(ns, secret, remoteKey, pushStores(r))
}

// pushStores are the ClusterSecretStores of every region's OpenBao, as
// region r reaches them: its own first.
func pushStores(r *region) []string {
	stores := []string{storeName(r)}
	if r.Peer != nil {
		stores = append(stores, storeName(r.Peer))
	}
	return stores
}

// pushSecretObj copies every key of a Secret to the OpenBao entry
// remoteKey behind each of the ClusterSecretStores stores.
func pushSecretObj(ns, secret, remoteKey string, stores []string) obj {
	ps := newObj(esoV1alpha1, "PushSecret", secret, ns)
	var refs []any
	for _, s := range stores {
		refs = append(refs, obj{"name": s, "kind": "ClusterSecretStore"})
	}
	ps["spec"] = obj{
		"refreshInterval": "1h",
		"deletionPolicy":  "None",
		"secretStoreRefs": refs,
		"selector":        obj{"secret": obj{"name": secret}},
		"data":            []any{obj{"match": obj{"remoteRef": obj{"remoteKey": remoteKey}}}},
	}
	return ps
}
