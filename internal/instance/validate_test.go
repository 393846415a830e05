package instance

import (
	"strings"
	"testing"
)

const baseSpec = `
apiVersion: instance.openova.io/v1alpha1
kind: Instance
spec:
  tenant: acme
  domain: acme.example.com
  cloud: hetzner
  regions:
    - name: fsn
      location: fsn1
    - name: hel
      location: hel1
  dns:
    provider: cloudflare
  archival:
    provider: cloudflare-r2
    endpoint: https://example.r2.cloudflarestorage.com
    bucket: acme-archive
  components: [cnpg, valkey]
  products: [fingate]
`

func base(t *testing.T) *Instance {
	t.Helper()
	in, err := Parse([]byte(baseSpec))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestValidateBaseIsValid(t *testing.T) {
	in := base(t)
	SetDefaults(in)
	if errs := Validate(in, testCatalog()); len(errs) != 0 {
		t.Fatalf("base spec should be valid, got %v", errs.ToAggregate())
	}
	if in.Spec.Failover.Mode != FailoverSemiAutomatic || in.Spec.Git.Repository != "acme-private" || in.Spec.Regions[0].NetworkZone != "eu-central" {
		t.Fatalf("defaults not applied: %+v", in.Spec)
	}
	if in.Spec.Failover.Witness.URL != "https://witness.acme.example.com" || in.Spec.SupplyChain.ImageVerification != VerifyAudit {
		t.Fatalf("failover and supply-chain defaults not applied: %+v %+v", in.Spec.Failover, in.Spec.SupplyChain)
	}
	if !in.Spec.SharedNetwork() {
		t.Fatal("fsn1 and hel1 share the eu-central zone")
	}
}

// One row per rule: the mutation, the field path the error must name, and
// a word of the fix it must give.
func TestValidateRules(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Spec)
		field  string
		fix    string
	}{
		{"unknown component", func(s *Spec) { s.Components = []string{"cnpgg"} }, "spec.components[0]", "did you mean cnpg?"},
		{"removed component", func(s *Spec) { s.Components = []string{"mongodb"} }, "spec.components[0]", "ferretdb"},
		{"duplicate component", func(s *Spec) { s.Components = []string{"cnpg", "cnpg"} }, "spec.components[1]", "Duplicate"},
		{"unknown product", func(s *Spec) { s.Products = []string{"cortexx"} }, "spec.products[0]", "supported values"},
		{"no regions", func(s *Spec) { s.Regions = nil }, "spec.regions", "1 or 2 regions"},
		{"three regions", func(s *Spec) {
			s.Regions = append(s.Regions, Region{Name: "nbg", Location: "nbg1", NetworkZone: "eu-central",
				ControlPlane: ControlPlane{Count: 3, ServerType: "cpx31"}})
		}, "spec.regions", "1 or 2 regions"},
		{"cilium l2 with two regions", func(s *Spec) { s.LoadBalancer = LoadBalancer{Type: LBCiliumL2} }, "spec.loadBalancer.type", "use cloud or k8gb-dns"},
		{"route53 on hetzner", func(s *Spec) { s.DNS.Provider = DNSRoute53 }, "spec.dns.provider", "only available with cloud aws"},
		{"unknown dns provider", func(s *Spec) { s.DNS.Provider = "godaddy" }, "spec.dns.provider", "supported values"},
		{"bad tenant", func(s *Spec) { s.Tenant = "Acme_Bank" }, "spec.tenant", "lowercase"},
		{"long tenant", func(s *Spec) { s.Tenant = strings.Repeat("a", 21) }, "spec.tenant", "at most 20"},
		{"missing tenant", func(s *Spec) { s.Tenant = "" }, "spec.tenant", "Required"},
		{"missing domain", func(s *Spec) { s.Domain = "" }, "spec.domain", "base domain"},
		{"bad domain", func(s *Spec) { s.Domain = "https://acme.example.com" }, "spec.domain", "without a scheme"},
		{"unknown location", func(s *Spec) { s.Regions[1].Location = "fra1"; s.Regions[1].NetworkZone = "" }, "spec.regions[1].location", "fsn1"},
		{"wrong network zone", func(s *Spec) { s.Regions[1].NetworkZone = "us-east" }, "spec.regions[1].networkZone", "eu-central"},
		{"duplicate region names", func(s *Spec) { s.Regions[1].Name = "fsn" }, "spec.regions[1].name", "Duplicate"},
		{"same location twice", func(s *Spec) { s.Regions[1].Location = "fsn1" }, "spec.regions[1].location", "no disaster recovery"},
		{"bad region name", func(s *Spec) { s.Regions[0].Name = "frankfurt-main-1" }, "spec.regions[0].name", "at most 12"},
		{"even control plane", func(s *Spec) { s.Regions[0].ControlPlane.Count = 2 }, "spec.regions[0].controlPlane.count", "odd number"},
		{"bad server type", func(s *Spec) { s.Regions[0].ControlPlane.ServerType = "m5.large" }, "spec.regions[0].controlPlane.serverType", "cpx31"},
		{"duplicate worker pool", func(s *Spec) {
			s.Regions[0].WorkerPools = append(s.Regions[0].WorkerPools, s.Regions[0].WorkerPools[0])
		}, "spec.regions[0].workerPools[1].name", "Duplicate"},
		{"bad worker label", func(s *Spec) { s.Regions[0].WorkerPools[0].Labels = map[string]string{"bad key!": "x"} }, "spec.regions[0].workerPools[0].labels[bad key!]", "qualified"},
		{"cloud secret manager on hetzner", func(s *Spec) { s.Secrets.Backend = SecretsCloudSecretManager }, "spec.secrets.backend", "use openbao"},
		{"other cloud", func(s *Spec) { s.Cloud = CloudAWS }, "spec.cloud", "hetzner"},
		{"axon behind a mirror", func(s *Spec) {
			s.Products = []string{"cortex", "axon"}
			s.Mirror.Registry = "harbor.acme.internal/mirror"
		}, "spec.products[1]", "remove spec.mirror"},
		{"unknown lb type", func(s *Spec) { s.LoadBalancer.Type = "metallb" }, "spec.loadBalancer.type", "supported values"},
		{"bad hetzner lb type", func(s *Spec) { s.LoadBalancer.HetznerType = "lb99" }, "spec.loadBalancer.hetznerType", "lb11"},
		{"archival provider missing", func(s *Spec) { s.Archival.Provider = "" }, "spec.archival.provider", "cloudflare-r2"},
		{"archival endpoint scheme", func(s *Spec) { s.Archival.Endpoint = "s3.example.com" }, "spec.archival.endpoint", "https URL"},
		{"archival bad bucket", func(s *Spec) { s.Archival.Bucket = "Acme_Archive" }, "spec.archival.bucket", "S3 bucket name"},
		{"archival aws-s3 without region", func(s *Spec) { s.Archival.Provider = ArchivalAWSS3; s.Archival.Region = "" }, "spec.archival.region", "eu-central-1"},
		{"archival aws-s3 region auto", func(s *Spec) { s.Archival.Provider = ArchivalAWSS3; s.Archival.Region = "auto" }, "spec.archival.region", "bucket's region"},
		{"failover with one region", func(s *Spec) { s.Regions = s.Regions[:1] }, "spec.failover.mode", "needs two regions"},
		{"unknown failover mode", func(s *Spec) { s.Failover.Mode = "yolo" }, "spec.failover.mode", "semi-automatic"},
		{"bad git repository", func(s *Spec) { s.Git.Repository = "acme.git" }, "spec.git.repository", ".git"},
		{"mirror registry with scheme", func(s *Spec) { s.Mirror.Registry = "https://harbor.acme.internal" }, "spec.mirror.registry", "without a scheme"},
		{"override of an unknown component", func(s *Spec) {
			s.Overrides = Overrides{"valkeyy": {"valkey": {"replicas": 1}}}
		}, "spec.overrides[valkeyy]", "did you mean valkey?"},
		{"override of an unknown release", func(s *Spec) {
			s.Overrides = Overrides{"grafana": {"lokii": {"replicas": 1}}}
		}, "spec.overrides[grafana][lokii]", `"loki"`},
		{"override of a manifests-only component", func(s *Spec) {
			s.Overrides = Overrides{"ferretdb": {"ferretdb": {"replicas": 1}}}
		}, "spec.overrides[ferretdb]", "no values to override"},
		{"empty override", func(s *Spec) { s.Overrides = Overrides{"valkey": {"valkey": {}}} }, "spec.overrides[valkey][valkey]", "Required"},
		{"region override of an unknown component", func(s *Spec) {
			s.Regions[1].Overrides = Overrides{"redis": {"redis": {"replicas": 1}}}
		}, "spec.regions[1].overrides[redis]", "unknown component"},
		{"unknown image verification", func(s *Spec) { s.SupplyChain.ImageVerification = "Enforce" }, "spec.supplyChain.imageVerification", `"enforce"`},
		{"witness over http", func(s *Spec) { s.Failover.Witness.URL = "http://witness.acme.example.com" }, "spec.failover.witness.url", "https URL"},
		{"witness with one region", func(s *Spec) {
			s.Regions = s.Regions[:1]
			s.Failover.Mode = ""
		}, "spec.failover.witness.url", "add a second region"},
		{"mirror charts scheme", func(s *Spec) { s.Mirror.Charts = "ftp://charts.acme.internal" }, "spec.mirror.charts", "https or oci"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := base(t)
			SetDefaults(in)
			tc.mutate(&in.Spec)
			errs := Validate(in, testCatalog())
			for _, e := range errs {
				if e.Field == tc.field && strings.Contains(e.Error(), tc.fix) {
					return
				}
			}
			t.Fatalf("want an error on %s mentioning %q, got %v", tc.field, tc.fix, errs.ToAggregate())
		})
	}
}

func TestValidateNeverEchoesURLCredentials(t *testing.T) {
	in := base(t)
	SetDefaults(in)
	in.Spec.Archival.Endpoint = "https://AKIASECRET:hunter2@s3.example.com"
	errs := Validate(in, testCatalog())
	if len(errs) != 1 || strings.Contains(errs.ToAggregate().Error(), "hunter2") {
		t.Fatalf("want one redacted error, got %v", errs.ToAggregate())
	}
}

func TestValidateWrongAPIVersion(t *testing.T) {
	in := base(t)
	in.APIVersion, in.Kind = "v1", "Cluster"
	SetDefaults(in)
	errs := Validate(in, testCatalog())
	if len(errs) != 2 || errs[0].Field != "apiVersion" || errs[1].Field != "kind" {
		t.Fatalf("got %v", errs.ToAggregate())
	}
}

func TestParseRejectsUnknownField(t *testing.T) {
	_, err := Parse([]byte(strings.Replace(baseSpec, "  domain:", "  domian:", 1)))
	if err == nil || !strings.Contains(err.Error(), `"domian"`) {
		t.Fatalf("want an error naming the misspelt field, got %v", err)
	}
}

func TestParseEmpty(t *testing.T) {
	if _, err := Parse([]byte("  \n")); err == nil || !strings.Contains(err.Error(), "catalyst init") {
		t.Fatalf("got %v", err)
	}
}
