package manager

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// lockFile is openova.lock, as the flux generator writes it.
type lockFile struct {
	Components map[string]struct {
		Blueprint  string `json:"blueprint"`
		AppVersion string `json:"appVersion"`
	} `json:"components"`
}

// BlueprintLabel marks every generated object with its blueprint.
const BlueprintLabel = "catalog.openova.io/blueprint"

// InstanceFromTree builds the PlatformInstance of one cluster from a
// generated instance tree: components and versions from openova.lock, and
// each component's HelmReleases under clusters/<cluster>/ with the chart
// version and values digest the tree gives them. Drift is judged against
// exactly this.
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
	pi := &platformv1.PlatformInstance{
		TypeMeta:   metav1.TypeMeta{APIVersion: platformv1.GroupVersion.String(), Kind: "PlatformInstance"},
		ObjectMeta: metav1.ObjectMeta{Name: tenant},
		Spec:       platformv1.PlatformInstanceSpec{Tenant: tenant, Regions: regions},
	}
	names := make([]string, 0, len(lock.Components))
	for name := range lock.Components {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		c := lock.Components[name]
		pi.Spec.Components = append(pi.Spec.Components, platformv1.InstalledComponent{
			Name: name, BlueprintVersion: c.Blueprint, AppVersion: c.AppVersion, Releases: releases[name]})
	}
	return pi, nil
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
			var hr struct {
				APIVersion string            `json:"apiVersion"`
				Kind       string            `json:"kind"`
				Metadata   metav1.ObjectMeta `json:"metadata"`
				Spec       struct {
					Chart struct {
						Spec struct {
							Version string `json:"version"`
						} `json:"spec"`
					} `json:"chart"`
					Values map[string]any `json:"values"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal(doc, &hr); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if hr.Kind != "HelmRelease" || hr.APIVersion != HelmReleaseGVK.GroupVersion().String() {
				continue
			}
			bp := hr.Metadata.Labels[BlueprintLabel]
			if bp == "" {
				return fmt.Errorf("%s: HelmRelease %s has no %s label; regenerate the tree", p, hr.Metadata.Name, BlueprintLabel)
			}
			digest, err := ValuesDigest(hr.Spec.Values)
			if err != nil {
				return fmt.Errorf("%s: HelmRelease %s: spec.values: %w", p, hr.Metadata.Name, err)
			}
			out[bp] = append(out[bp], platformv1.ReleaseRef{Kind: platformv1.KindHelmRelease, Name: hr.Metadata.Name,
				Namespace: hr.Metadata.Namespace, ChartVersion: hr.Spec.Chart.Spec.Version, ValuesDigest: digest})
		}
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such directory in the instance tree (is the cluster name right?)", dir)
	}
	return out, err
}
