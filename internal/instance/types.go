// Package instance is the instance spec (instance.yaml): one customer's
// choices, loaded strictly, defaulted and validated. It is pure: no I/O
// beyond reading the file in Load, no clock.
package instance

// APIVersion and Kind of instance.yaml.
const (
	APIVersion = "instance.openova.io/v1alpha1"
	Kind       = "Instance"
)

// Instance is instance.yaml.
type Instance struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       Spec   `json:"spec"`
}

// Spec is every choice made for one customer (OPENOVA.md §2).
type Spec struct {
	// Tenant names the customer everywhere: DNS labels, namespaces, cloud
	// resource names. A lowercase RFC 1123 label of at most 20 characters.
	Tenant string `json:"tenant"`
	// Domain is the tenant's base domain; k8gb serves gslb.<domain>.
	Domain       string       `json:"domain"`
	Cloud        Cloud        `json:"cloud"`
	Regions      []Region     `json:"regions"`
	LoadBalancer LoadBalancer `json:"loadBalancer"`
	DNS          DNS          `json:"dns"`
	Secrets      Secrets      `json:"secrets"`
	Archival     Archival     `json:"archival"`
	// Components are à la carte components by catalog name; the mandatory
	// ones are always installed (naming them is allowed and changes nothing).
	Components []string `json:"components,omitempty"`
	// Products are product bundles by catalog name.
	Products []string `json:"products,omitempty"`
	Failover Failover `json:"failover,omitempty"`
	Git      Git      `json:"git,omitempty"`
	// Mirror points every artefact download at the customer's own mirror,
	// for air-gapped installations. Empty fields mean upstream.
	Mirror Mirror `json:"mirror,omitempty"`
	// Overrides are Helm values merged over the blueprints' defaults in
	// every region (see Overrides).
	Overrides   Overrides   `json:"overrides,omitempty"`
	SupplyChain SupplyChain `json:"supplyChain,omitempty"`
}

// Overrides are Helm values by component name, then by the Helm release
// name of one of its charts (a blueprint may ship several charts, e.g.
// grafana's loki and tempo): overrides.valkey.valkey.replica.replicas: 2.
// Values merge map by map; anything else replaces the default.
type Overrides map[string]map[string]map[string]any

// ImageVerification is what Kyverno does with an image whose cosign
// signature does not verify.
type ImageVerification string

// Image verification modes.
const (
	VerifyAudit   ImageVerification = "audit"   // report it (default)
	VerifyEnforce ImageVerification = "enforce" // refuse the Pod
)

// SupplyChain is how strictly the clusters check what they run.
type SupplyChain struct {
	ImageVerification ImageVerification `json:"imageVerification,omitempty"`
}

// Cloud is the cloud provider.
type Cloud string

// Clouds. Only Hetzner is generated today; the others are named so that
// cloud-bound choices (Route53, a cloud secret manager) get a precise error.
const (
	CloudHetzner Cloud = "hetzner"
	CloudAWS     Cloud = "aws"
	CloudGCP     Cloud = "gcp"
	CloudAzure   Cloud = "azure"
	CloudHuawei  Cloud = "huawei"
	CloudOCI     Cloud = "oci"
)

// Region is one independent cluster.
type Region struct {
	// Name is short (at most 12 characters): it is part of every cloud
	// resource name (<tenant>-<region>-...).
	Name string `json:"name"`
	// Location is the Hetzner location, e.g. fsn1, nbg1, hel1, ash, hil, sin.
	Location string `json:"location"`
	// NetworkZone is the location's Hetzner network zone; defaulted from
	// the location, and an error when it disagrees with it.
	NetworkZone  string       `json:"networkZone,omitempty"`
	ControlPlane ControlPlane `json:"controlPlane"`
	WorkerPools  []WorkerPool `json:"workerPools,omitempty"`
	// Overrides are merged over spec.overrides for this region only.
	Overrides Overrides `json:"overrides,omitempty"`
}

// ControlPlane is the k3s server nodes of a region.
type ControlPlane struct {
	// Count is 1 or 3 (an etcd quorum), or 5; defaults to 3.
	Count      int    `json:"count,omitempty"`
	ServerType string `json:"serverType,omitempty"`
}

// WorkerPool is a group of identical k3s agent nodes.
type WorkerPool struct {
	Name       string            `json:"name"`
	ServerType string            `json:"serverType"`
	Count      int               `json:"count"`
	Labels     map[string]string `json:"labels,omitempty"`
}

// LoadBalancerType is how external traffic reaches a cluster.
type LoadBalancerType string

// Load balancer options (OPENOVA.md §2).
const (
	LBCloud    LoadBalancerType = "cloud"     // the cloud's load balancer (recommended)
	LBK8gbDNS  LoadBalancerType = "k8gb-dns"  // DNS-based over node IPs (free)
	LBCiliumL2 LoadBalancerType = "cilium-l2" // Cilium L2 announcements (free, one subnet)
)

// LoadBalancer is the load balancer option.
type LoadBalancer struct {
	Type LoadBalancerType `json:"type,omitempty"`
	// HetznerType is the Hetzner load balancer type (lb11, lb21, lb31) when
	// Type is cloud.
	HetznerType string `json:"hetznerType,omitempty"`
}

// DNSProvider hosts the tenant's base domain.
type DNSProvider string

// DNS providers.
const (
	DNSCloudflare DNSProvider = "cloudflare"
	DNSHetzner    DNSProvider = "hetzner"
	DNSRoute53    DNSProvider = "route53"
	DNSCloudDNS   DNSProvider = "clouddns"
	DNSAzureDNS   DNSProvider = "azuredns"
)

// DNS is the DNS provider of the base domain.
type DNS struct {
	Provider DNSProvider `json:"provider"`
}

// SecretsBackend stores the platform's secrets.
type SecretsBackend string

// Secrets backends.
const (
	SecretsOpenBao            SecretsBackend = "openbao"
	SecretsCloudSecretManager SecretsBackend = "cloud-secret-manager"
)

// Secrets is the secrets backend.
type Secrets struct {
	Backend SecretsBackend `json:"backend,omitempty"`
}

// ArchivalProvider is an S3-compatible object store for backups and tiering.
type ArchivalProvider string

// Archival S3 providers.
const (
	ArchivalCloudflareR2 ArchivalProvider = "cloudflare-r2"
	ArchivalAWSS3        ArchivalProvider = "aws-s3"
	ArchivalGCS          ArchivalProvider = "gcs"
	ArchivalAzureBlob    ArchivalProvider = "azure-blob"
	ArchivalOCI          ArchivalProvider = "oci-object-storage"
	ArchivalHuaweiOBS    ArchivalProvider = "huawei-obs"
)

// Archival is the archival S3 store (Velero, Harbor, MinIO tiering, and
// the encrypted OpenTofu state).
type Archival struct {
	Provider ArchivalProvider `json:"provider"`
	Endpoint string           `json:"endpoint"` // https URL
	Bucket   string           `json:"bucket"`
	Region   string           `json:"region,omitempty"` // signing region; "auto" for R2
}

// SigningRegion is the region S3 requests are signed for: Region, or
// "auto", which R2 and most S3-compatible stores accept (AWS S3 does not:
// validation asks for its region).
func (a Archival) SigningRegion() string {
	if a.Region == "" {
		return "auto"
	}
	return a.Region
}

// FailoverMode is how the Failover Controller acts (OPENOVA.md §5).
type FailoverMode string

// Failover modes.
const (
	FailoverAutomatic     FailoverMode = "automatic"
	FailoverSemiAutomatic FailoverMode = "semi-automatic"
	FailoverManual        FailoverMode = "manual"
)

// Failover configures the Failover Controller; only meaningful with two
// regions.
type Failover struct {
	Mode    FailoverMode `json:"mode,omitempty"`
	Witness Witness      `json:"witness,omitempty"`
}

// Witness is the lease authority at a third site (OPENOVA.md §5): the
// Cloudflare Worker or the self-hosted witness server.
type Witness struct {
	// URL is the witness's https base URL; defaults to https://witness.<domain>.
	URL string `json:"url,omitempty"`
}

// Git names the instance repository in the cluster's Gitea.
type Git struct {
	Org        string `json:"org,omitempty"`        // defaults to the tenant
	Repository string `json:"repository,omitempty"` // defaults to <tenant>-private
}

// Mirror is the artefact mirror of an air-gapped customer.
type Mirror struct {
	// Registry replaces every container registry host, e.g.
	// harbor.acme.internal/mirror (no scheme).
	Registry string `json:"registry,omitempty"`
	// Charts replaces every Helm repository (https:// or oci:// URL).
	Charts string `json:"charts,omitempty"`
	// Binaries replaces binary downloads (k3s): an https URL under which
	// the upstream release paths are mirrored.
	Binaries string `json:"binaries,omitempty"`
}

// Cluster returns the cluster name of a region: <tenant>-<region>.
func (s *Spec) Cluster(r Region) string { return s.Tenant + "-" + r.Name }

// SharedNetwork reports whether the regions can share one Hetzner Cloud
// network (both in the same network zone); otherwise two regions are
// joined by a WireGuard mesh.
func (s *Spec) SharedNetwork() bool {
	return len(s.Regions) == 2 && s.Regions[0].NetworkZone == s.Regions[1].NetworkZone
}
