package catalog

// The contract of OPENOVA.md §1, in one place. Lint holds the catalog to it.

// MandatorySet is the 25 components always installed (OPENOVA.md §1).
var MandatorySet = []string{
	"opentofu", "crossplane",
	"flux", "gitea",
	"cilium", "external-dns", "k8gb",
	"cert-manager", "external-secrets", "openbao", "trivy", "falco", "sigstore", "syft-grype", "coraza",
	"kyverno",
	"grafana", "opensearch",
	"vpa", "keda",
	"reloader",
	"minio", "velero",
	"harbor",
	"failover-controller",
}

// Removed are components taken out of the catalog for good; they may not
// reappear as a component, a dependency or a product member.
var Removed = []string{
	"backstage", "mongodb", "activemq", "vitess", "airflow", "camel", "dapr",
	"superset", "searxng", "langserve", "trino", "lago", "rabbitmq",
}

// PulledIn records, by decision, the à la carte components that mandatory
// ones depend on and that the mandatory set therefore always installs.
// Decision (OPENOVA.md §4: "Gitea — bidirectional mirror + CNPG for
// metadata"): Gitea keeps its metadata in a CNPG cluster, so cnpg stays
// à la carte in the catalog (it is a product choice for application data)
// but is installed whenever Gitea is, i.e. always. Resolution includes
// it, `catalyst catalog list` and `show --closure` show it as pulled in,
// and Lint refuses any other mandatory → à la carte dependency until it is
// reviewed and recorded here. Harbor keeps its registry metadata in CNPG
// for the same reason (its chart's bundled PostgreSQL is not for
// production), which adds nothing beyond what Gitea already pulls in.
var PulledIn = map[string][]string{
	"gitea":  {"cnpg"},
	"harbor": {"cnpg"},
}

// DataCategory is the category of data services (they must declare a DR
// method other than none).
const DataCategory = "data"

// Thin claims carry between MinClaimFields and MaxClaimFields properties.
const (
	MinClaimFields = 5
	MaxClaimFields = 10
)
