// Package openova embeds OpenOva's blueprint catalog in every binary built
// from this repository, so that catalyst works air-gapped with no checkout.
package openova

import (
	"embed"
	"io/fs"
)

//go:embed all:platform all:products schemas
var catalogFiles embed.FS

// Catalog is the embedded catalog root: platform/<name>/ (52 component
// blueprints and our own charts), products/<name>/ (the products) and
// schemas/ (the published JSON Schemas), in the layout catalog.Load reads.
var Catalog fs.FS = catalogFiles
