package regen

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/catalog"
)

// pinned returns cat with every component of the lock except those in
// moving rendered at its locked versions (blueprint, app, chart, tool and
// model), so regenerating moves nothing the edit does not name. The
// catalog carries only each blueprint's newest content; a pinned blueprint
// is that content at the locked versions, which is what the old one was
// as long as blueprint changes bump the version (catalog lint's rule).
func pinned(cat *catalog.Catalog, lock *Lock, moving map[string]bool) (*catalog.Catalog, error) {
	over := map[string][]byte{}
	for name, lc := range lock.Components {
		b, ok := cat.Blueprint(name)
		if !ok || moving[name] || !needsPin(b, lc) {
			continue
		}
		p, err := pin(b, lc)
		if err != nil {
			return nil, err
		}
		raw, err := yaml.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		over[path.Join(b.Dir, catalog.BlueprintFile)] = raw
	}
	if len(over) == 0 {
		return cat, nil
	}
	out, err := catalog.Load(overlay{base: cat.FS(), files: over})
	if err != nil {
		return nil, fmt.Errorf("render the catalog at the locked versions: %w", err)
	}
	return out, nil
}

func needsPin(b *catalog.Blueprint, lc LockedComponent) bool {
	if b.Spec.Version != lc.Blueprint || b.Spec.Upstream.AppVersion != lc.AppVersion {
		return true
	}
	for _, h := range b.Spec.Delivery.Helm {
		if c, ok := lockedChart(lc, h.Release); !ok || c.Version != h.Version {
			return true
		}
	}
	return false
}

func lockedChart(lc LockedComponent, release string) (LockedChart, bool) {
	for _, c := range lc.Charts {
		if c.Release == release {
			return c, true
		}
	}
	return LockedChart{}, false
}

// pin copies b at the versions of its lock entry. Charts the locked
// version did not have are left out; a locked chart the blueprint no
// longer has cannot be rendered and is an error naming the fix.
func pin(b *catalog.Blueprint, lc LockedComponent) (*catalog.Blueprint, error) {
	p := *b
	p.Spec.Version = lc.Blueprint
	p.Spec.Upstream.AppVersion = lc.AppVersion
	p.Spec.Delivery.Helm = nil
	for _, h := range b.Spec.Delivery.Helm {
		c, ok := lockedChart(lc, h.Release)
		if !ok {
			continue
		}
		h.Version = c.Version
		if h.Repository != "" && (strings.HasPrefix(c.Source, "https://") || strings.HasPrefix(c.Source, "oci://")) {
			h.Repository = c.Source
		}
		p.Spec.Delivery.Helm = append(p.Spec.Delivery.Helm, h)
	}
	for _, c := range lc.Charts {
		if _, ok := lockedChart(LockedComponent{Charts: chartsOf(p)}, c.Release); !ok {
			return nil, fmt.Errorf("%s: the locked Helm release %s (chart %s %s) is gone from blueprint %s; upgrade %s first",
				b.Name(), c.Release, c.Chart, c.Version, b.Spec.Version, b.Name())
		}
	}
	if t := b.Spec.Delivery.Tool; t != nil && lc.Tool != nil {
		tc := *t
		tc.Version = lc.Tool.Version
		p.Spec.Delivery.Tool = &tc
	}
	if m := b.Spec.Delivery.Model; m != nil && lc.Model != nil {
		mc := *m
		mc.Revision = lc.Model.Revision
		p.Spec.Delivery.Model = &mc
	}
	return &p, nil
}

func chartsOf(b catalog.Blueprint) []LockedChart {
	out := make([]LockedChart, 0, len(b.Spec.Delivery.Helm))
	for _, h := range b.Spec.Delivery.Helm {
		out = append(out, LockedChart{Release: h.Release})
	}
	return out
}

// overlay is base with some files replaced.
type overlay struct {
	base  fs.FS
	files map[string][]byte
}

func (o overlay) Open(name string) (fs.File, error) {
	if b, ok := o.files[name]; ok {
		return &memFile{name: path.Base(name), r: bytes.NewReader(b), size: int64(len(b))}, nil
	}
	return o.base.Open(name)
}

func (o overlay) ReadFile(name string) ([]byte, error) {
	if b, ok := o.files[name]; ok {
		return bytes.Clone(b), nil
	}
	return fs.ReadFile(o.base, name)
}

type memFile struct {
	name string
	r    *bytes.Reader
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *memFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *memFile) Close() error               { return nil }
func (f *memFile) Name() string               { return f.name }
func (f *memFile) Size() int64                { return f.size }
func (f *memFile) Mode() fs.FileMode          { return 0o444 }
func (f *memFile) ModTime() time.Time         { return time.Time{} }
func (f *memFile) IsDir() bool                { return false }
func (f *memFile) Sys() any                   { return nil }
