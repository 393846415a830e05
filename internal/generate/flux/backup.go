package flux

import "fmt"

// Names of the Barman Cloud plugin (the cnpg blueprint's cnpg-barman-cloud
// release) and its object-store API.
const (
	BarmanPlugin = "barman-cloud.cloudnative-pg.io"
	barmanAPI    = "barmancloud.cnpg.io/v1"
)

// PostgresBackup is the archival backup of one CNPG cluster in one region:
// WAL and base backups through the Barman Cloud plugin to the archival
// bucket, with the key read from the region's OpenBao (ArchivalKey). It is
// the one description of a database backup, shared by the platform's own
// databases and the portal's claimed ones.
type PostgresBackup struct {
	// Cluster and Namespace name the CNPG Cluster.
	Cluster, Namespace string
	// Region names the region whose OpenBao the key is read from.
	Region string
	// KubeCluster is the region's Kubernetes cluster (<tenant>-<region>):
	// each region archives under its own prefix, so the two members of a
	// replica topology never write into one another's archive.
	KubeCluster string
	// Endpoint and Bucket are the archival store (instance.yaml
	// spec.archival).
	Endpoint, Bucket string
	// Continuous archives WAL too (point-in-time recovery); otherwise
	// only the daily base backups are taken.
	Continuous bool
	// Labels go on every object.
	Labels map[string]string
}

// SecretName is the Secret with the archival key in the Cluster's
// namespace, created by ExternalSecret.
func (b PostgresBackup) SecretName() string { return b.Cluster + "-archival-s3" }

// ObjectStoreName is the Barman Cloud ObjectStore of the Cluster.
func (b PostgresBackup) ObjectStoreName() string { return b.Cluster + "-archive" }

// Plugin is the Cluster's spec.plugins entry that archives to the
// ObjectStore.
func (b PostgresBackup) Plugin() map[string]any {
	return obj{"name": BarmanPlugin, "isWALArchiver": b.Continuous, "parameters": obj{"barmanObjectName": b.ObjectStoreName()}}
}

// ExternalSecret reads the archival key from OpenBao into the Cluster's
// namespace; the key itself never passes through Git.
func (b PostgresBackup) ExternalSecret() map[string]any {
	o := b.newObj(esoV1, "ExternalSecret", b.SecretName())
	o["spec"] = obj{
		"refreshInterval": "1h",
		"secretStoreRef":  obj{"kind": "ClusterSecretStore", "name": SecretStoreName(b.Region)},
		"target":          obj{"name": b.SecretName(), "creationPolicy": "Owner"},
		"data":            []any{archivalRef("ACCESS_KEY_ID", "accessKeyId"), archivalRef("ACCESS_SECRET_KEY", "secretAccessKey")},
	}
	return o
}

// ObjectStore is where the plugin writes WAL and base backups: the
// archival bucket, under cnpg/<kube cluster>/<namespace>/<cluster>.
func (b PostgresBackup) ObjectStore() map[string]any {
	o := b.newObj(barmanAPI, "ObjectStore", b.ObjectStoreName())
	o["spec"] = obj{
		"retentionPolicy": "30d",
		"configuration": obj{
			"destinationPath": fmt.Sprintf("s3://%s/cnpg/%s/%s/%s", b.Bucket, b.KubeCluster, b.Namespace, b.Cluster),
			"endpointURL":     b.Endpoint,
			"s3Credentials": obj{
				"accessKeyId":     obj{"name": b.SecretName(), "key": "ACCESS_KEY_ID"},
				"secretAccessKey": obj{"name": b.SecretName(), "key": "ACCESS_SECRET_KEY"},
			},
			"wal":  obj{"compression": "gzip"},
			"data": obj{"compression": "gzip"},
		},
	}
	return o
}

// ScheduledBackup takes the daily base backup (02:00, CNPG's six-field
// cron) through the plugin, and one as soon as the cluster exists.
func (b PostgresBackup) ScheduledBackup() map[string]any {
	o := b.newObj(cnpgAPI, "ScheduledBackup", b.Cluster+"-daily")
	o["spec"] = obj{
		"schedule":             "0 0 2 * * *",
		"immediate":            true,
		"backupOwnerReference": "self",
		"cluster":              obj{"name": b.Cluster},
		"method":               "plugin",
		"pluginConfiguration":  obj{"name": BarmanPlugin},
	}
	return o
}

func (b PostgresBackup) newObj(apiVersion, kind, name string) obj {
	o := newObj(apiVersion, kind, name, b.Namespace)
	if len(b.Labels) > 0 {
		setLabels(o, b.Labels)
	}
	return o
}

// archivalRef is one property of the archival key in OpenBao.
func archivalRef(secretKey, property string) obj {
	return obj{"secretKey": secretKey, "remoteRef": obj{"key": ArchivalKey, "property": property}}
}

// postgresBackup is the backup of a platform database in region r:
// continuous, since Gitea's, Harbor's and Keycloak's metadata are what a
// restore needs to the minute. Without OpenBao and External Secrets there
// is no key to back up with, and none is rendered.
func (p *plan) postgresBackup(db database, r *region) (PostgresBackup, bool) {
	if !p.has("openbao") || !p.has("external-secrets") {
		return PostgresBackup{}, false
	}
	return PostgresBackup{Cluster: db.cluster, Namespace: db.namespace, Region: r.Name, KubeCluster: r.Cluster,
		Endpoint: p.spec.Archival.Endpoint, Bucket: p.spec.Archival.Bucket, Continuous: true}, true
}
