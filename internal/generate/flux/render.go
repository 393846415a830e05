// Package flux renders the Flux tree of an instance: per region,
// clusters/<region>/ holds the layered Kustomizations (crds →
// infrastructure → platform → products) and, under
// clusters/<region>/<layer>/<component>/, each component's sources,
// HelmReleases, manifests and the objects the platform adds to it
// (databases, credentials, replication, policies). A component's files live
// only under directories named after it, so upgrading one blueprint
// changes only its files and the lock. It also renders the bootstrap
// bundle (bootstrap/<cluster>/), README.md, CODEOWNERS and the lock.
//
// Pure: the catalog's files are read through its fs.FS, nothing else.
package flux

import (
	"fmt"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/instance"
)

// ClustersDir holds one directory per region.
const ClustersDir = "clusters"

// Render adds the Flux tree, the bootstrap bundles, README.md, CODEOWNERS
// and the lock of a defaulted, validated instance to t. source is
// instance.yaml as written, which the bootstrap bundle carries.
func Render(in *instance.Instance, source []byte, cat *catalog.Catalog, t *filetree.Tree) error {
	p, err := newPlan(&in.Spec, cat)
	if err != nil {
		return err
	}
	p.source = source
	for _, r := range p.regions {
		files, err := p.regionFiles(r)
		if err != nil {
			return fmt.Errorf("region %s: %w", r.Name, err)
		}
		if err := addAll(t, files); err != nil {
			return err
		}
		bundle, err := p.bundle(r)
		if err != nil {
			return fmt.Errorf("bootstrap bundle of %s: %w", r.Cluster, err)
		}
		if err := addAll(t, bundle); err != nil {
			return err
		}
	}
	return addAll(t, p.docs())
}

func addAll(t *filetree.Tree, files map[string][]byte) error {
	for _, path := range sortedKeys(files) {
		if err := t.Add(path, files[path]); err != nil {
			return err
		}
	}
	return nil
}
