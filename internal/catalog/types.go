// Package catalog is OpenOva's blueprint catalog: the platform components
// under platform/<name>/blueprint.yaml and the products under
// products/<name>/product.yaml, loaded, validated and resolved.
package catalog

// APIVersion is the apiVersion of blueprint.yaml and product.yaml.
const APIVersion = "catalog.openova.io/v1alpha1"

// Kinds of catalog documents.
const (
	KindBlueprint = "Blueprint"
	KindProduct   = "Product"
)

// Tier says whether a component is always installed.
type Tier string

// Tiers.
const (
	TierMandatory Tier = "mandatory"
	TierAlaCarte  Tier = "alacarte"
)

// DRMethod is how a component's state survives the loss of a region
// (OPENOVA.md §4).
type DRMethod string

// Disaster-recovery methods.
const (
	DRNone                   DRMethod = "none"                     // stateless, or state re-created from Git
	DRCNPGReplicaCluster     DRMethod = "cnpg-replica-cluster"     // WAL streaming to a replica cluster
	DRViaCNPG                DRMethod = "via-cnpg"                 // state lives in a CNPG cluster (FerretDB)
	DRGiteaMirror            DRMethod = "gitea-mirror"             // bidirectional mirror + CNPG metadata
	DRKafkaMirrorMaker2      DRMethod = "kafka-mirrormaker2"       // Strimzi MirrorMaker 2
	DRValkeyReplicaOf        DRMethod = "valkey-replicaof"         // async REPLICAOF
	DRMinIOBucketReplication DRMethod = "minio-bucket-replication" // bucket replication
	DRHarborReplication      DRMethod = "harbor-replication"       // registry replication
	DROpenBaoPushSecret      DRMethod = "openbao-pushsecret"       // one per cluster, ESO PushSecret to both
	DRVeleroBackup           DRMethod = "velero-backup"            // Velero backup to archival S3
)

// DRMethods lists every valid DR method, in documentation order.
var DRMethods = []DRMethod{
	DRNone, DRCNPGReplicaCluster, DRViaCNPG, DRGiteaMirror, DRKafkaMirrorMaker2,
	DRValkeyReplicaOf, DRMinIOBucketReplication, DRHarborReplication,
	DROpenBaoPushSecret, DRVeleroBackup,
}

// Metadata names a catalog document.
type Metadata struct {
	Name string `json:"name"`
}

// Blueprint is platform/<name>/blueprint.yaml.
type Blueprint struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	Metadata   Metadata      `json:"metadata"`
	Spec       BlueprintSpec `json:"spec"`

	// Dir is the blueprint's directory relative to the catalog root
	// (platform/<name>); set by the loader, never serialised.
	Dir string `json:"-"`
}

// Name returns the blueprint's name.
func (b *Blueprint) Name() string { return b.Metadata.Name }

// BlueprintSpec is everything a blueprint declares.
type BlueprintSpec struct {
	// Version is the blueprint's own semver, bumped on every change.
	Version   string            `json:"version"`
	Changelog []ChangelogEntry  `json:"changelog"`
	Category  string            `json:"category"`
	Tier      Tier              `json:"tier"`
	Purpose   string            `json:"purpose"`
	Upstream  Upstream          `json:"upstream"`
	Delivery  Delivery          `json:"delivery"`
	Namespace string            `json:"namespace"`
	DependsOn []string          `json:"dependsOn,omitempty"`
	DR        DR                `json:"dr"`
	Resources *Resources        `json:"resources,omitempty"`
	Claim     *Claim            `json:"claim,omitempty"`
	Support   []SupportRange    `json:"support"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// ChangelogEntry is one released blueprint version.
type ChangelogEntry struct {
	Version string   `json:"version"`
	Date    string   `json:"date"` // YYYY-MM-DD
	Changes []string `json:"changes"`
}

// Upstream is the open-source project a blueprint packages.
type Upstream struct {
	Project string `json:"project"` // project home page (https URL)
	Source  string `json:"source"`  // source repository (https URL)
	License string `json:"license"` // SPDX expression, e.g. Apache-2.0, AGPL-3.0-only
	// AppVersion is the upstream application version the pinned delivery
	// installs; the support matrix is judged against it.
	AppVersion string `json:"appVersion"`
}

// Delivery is how a component reaches a cluster; at least one of the fields
// is set.
type Delivery struct {
	Helm      []HelmChart `json:"helm,omitempty"`
	Manifests []string    `json:"manifests,omitempty"` // files relative to the blueprint dir
	Tool      *Tool       `json:"tool,omitempty"`
	Model     *Model      `json:"model,omitempty"`
}

// HelmChart is one pinned chart. Exactly one of Repository (https:// or
// oci://) and Path (a chart inside this repository, relative to the
// blueprint directory) is set.
type HelmChart struct {
	Release    string `json:"release"` // Helm release name
	Repository string `json:"repository,omitempty"`
	Path       string `json:"path,omitempty"`
	Chart      string `json:"chart"`
	Version    string `json:"version"` // exact chart version
	// Values are the production defaults; strings may carry placeholders
	// (see Placeholders).
	Values map[string]any `json:"values,omitempty"`
}

// Tool is a pinned command-line tool used rather than deployed.
type Tool struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Source  string   `json:"source"` // where the pinned release comes from
	Usage   string   `json:"usage"`
	Extra   []Tool   `json:"extra,omitempty"` // companion tools (syft + grype)
	Uses    []string `json:"uses,omitempty"`
}

// Model is a model served by other components.
type Model struct {
	Name     string   `json:"name"`     // e.g. BAAI/bge-m3
	Revision string   `json:"revision"` // exact model revision
	ServedBy []string `json:"servedBy"` // component names, e.g. kserve, vllm
	Purpose  string   `json:"purpose"`
}

// DR declares the disaster-recovery method.
type DR struct {
	Method DRMethod `json:"method"`
	Notes  string   `json:"notes,omitempty"`
}

// Resources are default requests and limits for the main workload.
type Resources struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

// Claim is the thin claim of an à la carte data service: a small JSON
// Schema for the Standard lane, plus the Advanced escape hatch.
type Claim struct {
	// Kind names the claim in the portal, e.g. PostgresClaim.
	Kind string `json:"kind"`
	// Schema is a JSON Schema (draft 2020-12) of type object with at most
	// 10 properties.
	Schema map[string]any `json:"schema"`
	// Advanced documents the escape hatch: raw operator values passed
	// through unchanged.
	Advanced Advanced `json:"advanced"`
}

// Advanced is the escape hatch of a claim.
type Advanced struct {
	Description string `json:"description"`
	// Target is what the raw values are merged into, e.g. the CNPG
	// Cluster spec.
	Target string `json:"target"`
}

// SupportStatus is how OpenOva supports a running upstream version.
type SupportStatus string

// Support statuses.
const (
	SupportSupported   SupportStatus = "supported"
	SupportBestEffort  SupportStatus = "best-effort"
	SupportUnsupported SupportStatus = "unsupported"
)

// SupportRange is one row of the support matrix: a semver constraint on the
// upstream app version and its status. Versions matching no row are
// unsupported.
type SupportRange struct {
	Versions string        `json:"versions"` // semver constraint, e.g. ">=1.19.0 <1.20.0"
	Status   SupportStatus `json:"status"`
}

// Product is products/<name>/product.yaml.
type Product struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   Metadata    `json:"metadata"`
	Spec       ProductSpec `json:"spec"`

	Dir string `json:"-"`
}

// Name returns the product's name.
func (p *Product) Name() string { return p.Metadata.Name }

// ProductSpec bundles components by reference and lists our own services.
type ProductSpec struct {
	DisplayName string `json:"displayName"`
	Description string `json:"description"`
	// AllComponents marks the Core product: every catalog component (the
	// mandatory ones always, à la carte as chosen).
	AllComponents bool `json:"allComponents,omitempty"`
	// Components are required platform components, by name.
	Components []string `json:"components,omitempty"`
	// OptionalComponents may be added to the product, by name.
	OptionalComponents []string  `json:"optionalComponents,omitempty"`
	Services           []Service `json:"services,omitempty"`
}

// ServiceState says whether one of our services exists yet.
type ServiceState string

// Service states.
const (
	ServicePlanned   ServiceState = "planned"
	ServiceAvailable ServiceState = "available"
)

// Service is one of our own programs that a product includes.
type Service struct {
	Name        string       `json:"name"`
	State       ServiceState `json:"state"`
	Description string       `json:"description"`
	// Component is the platform component that deploys it, when there is one.
	Component string `json:"component,omitempty"`
}

// Placeholders are the tokens a blueprint's values may carry; the instance
// generator fills them. Any other <word> token in values is a lint error.
var Placeholders = []string{
	"<tenant>",          // tenant name, DNS- and Kubernetes-safe
	"<domain>",          // the tenant's base domain
	"<region>",          // region name of the cluster
	"<cluster>",         // cluster name (<tenant>-<region>)
	"<peer-region>",     // the other region, or empty with one region
	"<namespace>",       // the component's namespace
	"<registry>",        // container registry base (a mirror when air-gapped)
	"<archival-s3>",     // archival S3 endpoint URL
	"<archival-bucket>", // archival S3 bucket
	"<archival-region>", // archival S3 signing region ("auto" for R2)
}
