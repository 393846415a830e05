package flux

import (
	"fmt"

	"github.com/openova-io/openova/internal/instance"
)

// The archival S3 key reaches each cluster once, at boot: OpenTofu renders
// it from its sensitive variables into the first control-plane node's
// user-data, which writes the Secret ArchivalBootSecret (see
// internal/generate/terraform). From there a PushSecret copies it to
// OpenBao, the key's home afterwards, and ExternalSecrets bring it to
// whoever backs up: Velero and every CNPG cluster.
const (
	// ArchivalKey is the OpenBao entry (mount BaoMount) with the archival
	// key, properties accessKeyId and secretAccessKey.
	ArchivalKey = "archival-s3"
	// ArchivalBootNamespace and ArchivalBootSecret name the Secret the
	// first node writes at boot (keys accessKeyId, secretAccessKey).
	ArchivalBootNamespace = "kube-system"
	ArchivalBootSecret    = "openova-archival-s3"
)

// VeleroArchivalSecret is the Secret Velero's chart mounts
// (credentials.existingSecret in platform/velero/blueprint.yaml).
func VeleroArchivalSecret(tenant string) string { return tenant + "-velero-archival-s3" }

// checkArchival refuses an archival store the generated tree cannot back
// up to, rather than rendering backups that silently never work.
func checkArchival(s *instance.Spec) error {
	if s.Archival.Provider == instance.ArchivalAzureBlob {
		return fmt.Errorf("spec.archival.provider: azure-blob is not supported yet: Azure Blob Storage has no S3 API, and Velero's blueprint ships only the S3 (AWS) plugin and Barman Cloud is configured for S3; choose an S3-compatible store (cloudflare-r2, aws-s3, gcs with HMAC keys, oci-object-storage, huawei-obs)")
	}
	return nil
}

func init() { features = append(features, archivalKey) }

// archivalKey: the boot Secret pushed to the OpenBao of every region at
// ArchivalKey, and Velero's credentials file read back from the region's
// own OpenBao.
//
// The push only creates the entry (updatePolicy IfNotExists): after
// bootstrap OpenBao is the key's home, and a key rotated there is never
// overwritten by the boot Secret, which k3s re-applies from the node's
// manifests at every restart.
func archivalKey(p *plan, r *region) []unit {
	if !p.has("openbao") || !p.has("external-secrets") {
		return nil
	}
	ps := p.pushSecretTo(r, ArchivalBootNamespace, ArchivalBootSecret, ArchivalKey)
	ps["spec"].(obj)["updatePolicy"] = "IfNotExists"
	out := []unit{{"openbao", "archival-s3.yaml", []obj{ps}}}
	if v, ok := p.cat.Blueprint("velero"); ok && p.has("velero") {
		out = append(out, unit{"velero", "archival-s3.yaml", []obj{p.veleroCredentials(r, v.Spec.Namespace)}})
	}
	return out
}

// veleroCredentials is the AWS shared-credentials file (key "cloud") that
// the velero chart mounts and the AWS plugin reads.
func (p *plan) veleroCredentials(r *region, ns string) obj {
	name := VeleroArchivalSecret(p.spec.Tenant)
	es := newObj(esoV1, "ExternalSecret", name, ns)
	es["spec"] = obj{
		"refreshInterval": "1h",
		"secretStoreRef":  obj{"kind": "ClusterSecretStore", "name": storeName(r)},
		"target": obj{"name": name, "creationPolicy": "Owner", "template": obj{
			"engineVersion": "v2",
			"data": obj{"cloud": "[default]\n" +
				"aws_access_key_id={{ .accessKeyId }}\n" +
				"aws_secret_access_key={{ .secretAccessKey }}\n"},
		}},
		"data": []any{archivalRef("accessKeyId", "accessKeyId"), archivalRef("secretAccessKey", "secretAccessKey")},
	}
	return es
}

// readmeArchival says where the archival key comes from and how to rotate
// it.
func (p *plan) readmeArchival(w func(string, ...any)) {
	if !p.has("openbao") || !p.has("external-secrets") {
		return
	}
	both := ""
	if len(p.regions) == 2 {
		both = " in both regions"
	}
	w("## Archival S3 key\n\n")
	w("Backups go to the bucket `%s` at %s.\n", p.spec.Archival.Bucket, p.spec.Archival.Endpoint)
	w("Its key is the OpenTofu variables `archival_access_key_id` and `archival_secret_access_key` (the key the state\n")
	w("backend uses too). It reaches each cluster once, at first boot: the first\n")
	w("control-plane node's user-data writes the Secret `%s/%s`, and a PushSecret copies it to OpenBao at\n", ArchivalBootNamespace, ArchivalBootSecret)
	w("`%s/%s`%s, only if that entry does not exist yet. From then on OpenBao is its home: External Secrets bring it,\n", BaoMount, ArchivalKey, both)
	w("refreshed hourly, to Velero (`%s`, an AWS credentials file) and to the backup of every CNPG cluster\n", VeleroArchivalSecret(p.spec.Tenant))
	w("(`<cluster>-archival-s3` beside it; WAL and daily base backups under `cnpg/<cluster of the region>/<namespace>/<name>`).\n\n")
	w("Rotate it in OpenBao, not with OpenTofu: the servers ignore user-data changes and the push never overwrites the entry.\n")
	w("Do it once after bootstrap too, because the first key stays in the servers' user-data.\n\n")
	w("1. Create a new key for the bucket at the storage provider.\n")
	w("2. In each region's OpenBao, with a token allowed to write `%s/`, the secret on standard input (never in a command line):\n", BaoMount)
	w("   `kubectl -n openbao exec -i openbao-0 -- bao kv put -mount=%s %s accessKeyId=<new id> secretAccessKey=-`\n", BaoMount, ArchivalKey)
	w("3. Within an hour the Secrets follow (or `kubectl annotate externalsecret --all -A force-sync=$(date +%%s) --overwrite`);\n")
	w("   restart Velero (`kubectl -n velero rollout restart deployment/velero`), then check `velero backup-location get` shows\n")
	w("   `Available` and each CNPG Cluster's `ContinuousArchiving` condition is `True`.\n")
	w("4. Revoke the old key at the provider. Pass the new one to OpenTofu's next run (`TF_VAR_archival_*` and the state backend's\n")
	w("   `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`); it reaches only servers created from then on.\n\n")
}
