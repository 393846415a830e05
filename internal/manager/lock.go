package manager

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/platforminstance"
)

// lockFile is openova.lock, as the flux generator writes it.
type lockFile struct {
	Components map[string]struct {
		Blueprint  string `json:"blueprint"`
		AppVersion string `json:"appVersion"`
	} `json:"components"`
}

// BlueprintLabel marks every generated object with its blueprint.
const BlueprintLabel = platforminstance.BlueprintLabel

// InstanceFromTree builds the PlatformInstance of one cluster from a
// generated instance tree: components and versions from openova.lock, and
// each component's HelmReleases under clusters/<cluster>/ with the chart
// version and values digest the tree gives them. Drift is judged against
// exactly this (the flux renderer writes the same object into the tree).
func InstanceFromTree(tree fs.FS, cluster, tenant string, regions []string) (*platformv1.PlatformInstance, error) {
	raw, err := fs.ReadFile(tree, "openova.lock")
	if err != nil {
		return nil, fmt.Errorf("read the instance lock: %w (run catalyst generate first)", err)
	}
	var lock lockFile
	if err := yaml.Unmarshal(raw, &lock); err != nil {
		return nil, fmt.Errorf("openova.lock: %w", err)
	}
	releases, err := treeReleases(tree, path.Join("clusters", cluster))
	if err != nil {
		return nil, err
	}
	comps := make([]platforminstance.Component, 0, len(lock.Components))
	for name, c := range lock.Components {
		comps = append(comps, platforminstance.Component{Name: name, BlueprintVersion: c.Blueprint, AppVersion: c.AppVersion})
	}
	return platforminstance.New(tenant, regions, comps, releases), nil
}

// treeReleases reads every HelmRelease under dir, by blueprint label.
func treeReleases(tree fs.FS, dir string) (map[string][]platformv1.ReleaseRef, error) {
	out := map[string][]platformv1.ReleaseRef{}
	err := fs.WalkDir(tree, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		raw, err := fs.ReadFile(tree, p)
		if err != nil {
			return err
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			var o map[string]any
			if err := yaml.Unmarshal(doc, &o); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			bp, ref, ok, err := platforminstance.Release(o)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if ok {
				out[bp] = append(out[bp], ref)
			}
		}
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such directory in the instance tree (is the cluster name right?)", dir)
	}
	return out, err
}
