package flux_test

import (
	"bytes"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/generate/flux"
)

func nested(o map[string]any, keys ...string) any {
	var v any = o
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// Each region pushes its boot Secret to the archival entry of every
// region's OpenBao, creating it only (a key rotated in OpenBao is never
// overwritten), and Velero reads its credentials file from the region's
// own OpenBao into exactly the Secret its HelmRelease mounts.
func TestArchivalKeyReachesOpenBaoAndVelero(t *testing.T) {
	files := render(t, readExample(t, "two-region"), realCatalog(t))
	for _, region := range []string{"fsn", "hel"} {
		ps := find(t, files, "clusters/"+region+"/infrastructure/openbao/archival-s3.yaml", "PushSecret", flux.ArchivalBootSecret)
		if ns := nested(ps, "metadata", "namespace"); ns != flux.ArchivalBootNamespace {
			t.Errorf("%s: PushSecret in %v, want %s (beside the boot Secret)", region, ns, flux.ArchivalBootNamespace)
		}
		if got := nested(ps, "spec", "updatePolicy"); got != "IfNotExists" {
			t.Errorf("%s: updatePolicy %v: the boot Secret would overwrite a key rotated in OpenBao", region, got)
		}
		stores := map[string]bool{}
		for _, s := range nested(ps, "spec", "secretStoreRefs").([]any) {
			stores[s.(map[string]any)["name"].(string)] = true
		}
		if !stores[flux.SecretStoreName("fsn")] || !stores[flux.SecretStoreName("hel")] {
			t.Errorf("%s: pushes to %v, want both regions' OpenBao", region, stores)
		}
		data := nested(ps, "spec", "data").([]any)
		if len(data) != 1 || nested(data[0].(map[string]any), "match", "remoteRef", "remoteKey") != flux.ArchivalKey {
			t.Errorf("%s: PushSecret data %v, want the whole Secret at %s", region, data, flux.ArchivalKey)
		}

		hr := find(t, files, "clusters/"+region+"/platform/velero/release.yaml", "HelmRelease", "velero")
		mounted := nested(hr, "spec", "values", "credentials", "existingSecret")
		es := find(t, files, "clusters/"+region+"/platform/velero/archival-s3.yaml", "ExternalSecret", flux.VeleroArchivalSecret("bank"))
		if target := nested(es, "spec", "target", "name"); target != mounted {
			t.Errorf("%s: ExternalSecret creates %v, Velero mounts %v", region, target, mounted)
		}
		if store := nested(es, "spec", "secretStoreRef", "name"); store != flux.SecretStoreName(region) {
			t.Errorf("%s: Velero reads the key from %v, want its own region's OpenBao", region, store)
		}
		cloud, _ := nested(es, "spec", "target", "template", "data", "cloud").(string)
		if !strings.HasPrefix(cloud, "[default]\n") || !strings.Contains(cloud, "aws_access_key_id={{ .accessKeyId }}\n") ||
			!strings.Contains(cloud, "aws_secret_access_key={{ .secretAccessKey }}\n") {
			t.Errorf("%s: key cloud is not an AWS shared-credentials file:\n%s", region, cloud)
		}
	}
}

// Every platform database is backed up: in its file, the ExternalSecret
// and ObjectStore come before the Cluster that names them, the Cluster
// archives WAL to that ObjectStore, and a daily ScheduledBackup follows;
// each region archives under its own prefix.
func TestPlatformDatabasesAreBackedUp(t *testing.T) {
	files := render(t, readExample(t, "two-region"), realCatalog(t))
	n := 0
	prefixes := map[string]string{}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if path.Base(p) != "database.yaml" || !bytes.Contains(files[p], []byte("\nkind: Cluster\n")) {
			continue
		}
		n++
		objs := docs(t, files[p])
		at := map[string]int{}
		for i, o := range objs {
			at[o["kind"].(string)] = i
		}
		for _, k := range []string{"ExternalSecret", "ObjectStore", "Cluster", "ScheduledBackup"} {
			if _, ok := at[k]; !ok {
				t.Fatalf("%s: no %s", p, k)
			}
		}
		if !(at["ExternalSecret"] < at["Cluster"] && at["ObjectStore"] < at["Cluster"] && at["Cluster"] < at["ScheduledBackup"]) {
			t.Errorf("%s: order %v: the ObjectStore and its Secret must precede the Cluster", p, at)
		}
		es, store, cluster := objs[at["ExternalSecret"]], objs[at["ObjectStore"]], objs[at["Cluster"]]
		plugins, _ := nested(cluster, "spec", "plugins").([]any)
		if len(plugins) != 1 || nested(plugins[0].(map[string]any), "parameters", "barmanObjectName") != nested(store, "metadata", "name") ||
			nested(plugins[0].(map[string]any), "isWALArchiver") != true {
			t.Errorf("%s: Cluster plugins %v do not archive WAL to ObjectStore %v", p, plugins, nested(store, "metadata", "name"))
		}
		if nested(store, "spec", "configuration", "s3Credentials", "accessKeyId", "name") != nested(es, "spec", "target", "name") {
			t.Errorf("%s: the ObjectStore's credentials are not the ExternalSecret's Secret", p)
		}
		region := strings.Split(p, "/")[1]
		if nested(es, "spec", "secretStoreRef", "name") != flux.SecretStoreName(region) {
			t.Errorf("%s: key read from %v, want its region's OpenBao", p, nested(es, "spec", "secretStoreRef", "name"))
		}
		dest := nested(store, "spec", "configuration", "destinationPath").(string)
		if !strings.HasPrefix(dest, "s3://bank-archive/cnpg/bank-"+region+"/") {
			t.Errorf("%s: destination %s, want under s3://bank-archive/cnpg/bank-%s/", p, dest, region)
		}
		if other, dup := prefixes[dest]; dup {
			t.Errorf("%s and %s archive to one prefix %s", p, other, dest)
		}
		prefixes[dest] = p
	}
	if n < 10 {
		t.Fatalf("only %d database files in the two-region example", n)
	}
}

// Azure Blob has no S3 API: refused with the field and the choices, not
// rendered into backups that never work.
func TestAzureBlobArchivalIsRefused(t *testing.T) {
	spec := bytes.Replace(readExample(t, "one-region"), []byte("provider: cloudflare-r2"), []byte("provider: azure-blob"), 1)
	spec = bytes.Replace(spec, []byte("https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com"), []byte("https://acmearchive.blob.core.windows.net"), 1)
	_, err := generateErr(spec)
	if err == nil || !strings.Contains(err.Error(), "spec.archival.provider") || !strings.Contains(err.Error(), "cloudflare-r2") {
		t.Fatalf("want an error naming spec.archival.provider and the S3-compatible choices, got %v", err)
	}
}

// Velero signs for the archival store's region: "auto" for R2 (the
// example), the bucket's region for AWS S3, which refuses "auto".
func TestVeleroSignsForTheArchivalRegion(t *testing.T) {
	r2 := readExample(t, "one-region")
	aws := strings.Replace(strings.Replace(string(r2), "provider: cloudflare-r2", "provider: aws-s3", 1),
		"bucket: acme-archive", "bucket: acme-archive\n    region: eu-central-1", 1)
	for spec, want := range map[string]string{string(r2): "auto", aws: "eu-central-1"} {
		files := render(t, []byte(spec), realCatalog(t))
		var hr map[string]any
		for name := range files {
			if strings.HasSuffix(name, "/platform/velero/release.yaml") {
				hr = find(t, files, name, "HelmRelease", "velero")
			}
		}
		if hr == nil {
			t.Fatal("no Velero HelmRelease in the one-region example")
		}
		bsl := nested(hr, "spec", "values", "configuration", "backupStorageLocation").([]any)
		if got := nested(bsl[0].(map[string]any), "config", "region"); got != want {
			t.Errorf("Velero's backup location signs for %v, want %s", got, want)
		}
	}
}
