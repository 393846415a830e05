package flux

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// route is an external service the failover controller protects: k8gb
// answers for it only from the active region.
type route struct {
	component, namespace, host, service string
	port                                int64
}

func (p *plan) routes() []route {
	all := []route{
		{"gitea", "gitea", "git", "gitea-http", 3000},
		{"grafana", "observability", "grafana", "grafana", 80},
	}
	var out []route
	for _, r := range all {
		if p.has(r.component) {
			out = append(out, r)
		}
	}
	return out
}

const (
	failoverNS = FailoverNamespace
	// FailoverNamespace and FailoverServiceAccount are where the failover
	// controller runs and who it is (the blueprint's namespace, its chart's
	// fullname): the portal grants that ServiceAccount get on a team's
	// Valkey users Secret by name, and nothing else there.
	FailoverNamespace      = "openova-system"
	FailoverServiceAccount = "failover-controller"
	// GateService is the selector-less Service whose one endpoint the
	// failover controller marks ready only while its region is active.
	GateService = "failover-gate"
	gatewayAPI  = "gateway.networking.k8s.io/v1"
)

func gatewayName(r *region) string { return r.Cluster + "-gateway" }

func init() { features = append(features, gateway, httpRoutes, failoverGroup) }

// gateway is the cluster's Cilium Gateway that every HTTPRoute attaches to.
func gateway(p *plan, r *region) []unit {
	if !p.has("cilium") {
		return nil
	}
	g := newObj(gatewayAPI, "Gateway", gatewayName(r), "kube-system")
	g["spec"] = obj{
		"gatewayClassName": "cilium",
		"listeners": []any{obj{
			"name": "http", "protocol": "HTTP", "port": int64(80), "hostname": "*." + p.spec.Domain,
			"allowedRoutes": obj{"namespaces": obj{"from": "All"}},
		}},
	}
	return []unit{{"cilium", "gateway.yaml", []obj{g}}}
}

// httpRoutes expose the protected services. With two regions each rule
// also carries the failover gate as a weight-0 backend (never sent
// traffic), and a k8gb Gslb with serviceHealthPolicy All makes the gate's
// readiness decide the region's health.
func httpRoutes(p *plan, r *region) []unit {
	gated := r.Peer != nil && p.has("failover-controller")
	var out []unit
	for _, rt := range p.routes() {
		host := rt.host + "." + p.spec.Domain
		if r.Peer != nil && p.has("k8gb") {
			host = rt.host + ".gslb." + p.spec.Domain
		}
		backends := []any{obj{"name": rt.service, "port": rt.port}}
		if gated {
			backends = append(backends, obj{"name": GateService, "namespace": failoverNS, "port": int64(80), "weight": int64(0)})
		}
		hr := newObj(gatewayAPI, "HTTPRoute", rt.component, rt.namespace)
		hr["spec"] = obj{
			"parentRefs": []any{obj{"name": gatewayName(r), "namespace": "kube-system"}},
			"hostnames":  []any{host},
			"rules":      []any{obj{"backendRefs": backends}},
		}
		objs := []obj{hr}
		if r.Peer != nil && p.has("k8gb") {
			gslb := newObj("k8gb.io/v1beta1", "Gslb", rt.component, rt.namespace)
			gslb["spec"] = obj{
				"resourceRef":         obj{"apiVersion": gatewayAPI, "kind": "HTTPRoute", "name": rt.component, "namespace": rt.namespace},
				"serviceHealthPolicy": "All",
				"strategy":            obj{"type": "failover", "primaryGeoTag": p.regions[0].Name, "dnsTtlSeconds": int64(30)},
			}
			objs = append(objs, gslb)
		}
		out = append(out, unit{rt.component, "route.yaml", objs})
	}
	return out
}

// failoverGroup is the region's FailoverGroup: the witness lease, the
// gates of the protected routes, and the stateful services it moves.
func failoverGroup(p *plan, r *region) []unit {
	if r.Peer == nil || !p.has("failover-controller") {
		return nil
	}
	spec := failoverv1.FailoverGroupSpec{
		Region: r.Name, PeerRegion: r.Peer.Name,
		Mode: failoverv1.Mode(p.spec.Failover.Mode),
		Witness: failoverv1.WitnessSpec{
			URL: p.spec.Failover.Witness.URL, LeaseName: p.spec.Tenant,
			CredentialsSecretRef: failoverv1.SecretKeyRef{Name: "failover-witness", Key: "token"},
		},
	}
	gate := failoverv1.Gate{GateService: GateService}
	routeNS := map[string]bool{}
	for _, rt := range p.routes() {
		gate.HTTPRoutes = append(gate.HTTPRoutes, failoverv1.ObjectRef{Name: rt.component, Namespace: rt.namespace})
		routeNS[rt.namespace] = true
	}
	spec.Layers.External.Gates = []failoverv1.Gate{gate}
	// The platform's databases and the portal's requested ones carry the
	// label (PostgresCluster), so one selector covers both, including
	// Clusters merged after this FailoverGroup was applied.
	follow := map[string]string{failoverv1.FollowActiveRegionLabel: failoverv1.FollowActiveRegionValue}
	if p.has("cnpg") {
		spec.Layers.Stateful.CNPGSelector = &metav1.LabelSelector{MatchLabels: follow}
	}
	// The portal's Tier-1 Valkey label this region's primary Service
	// alike (with its peer Service and users Secret in annotations). A
	// team may claim one without the platform's Valkey (it needs no
	// operator), so the selector is always there.
	spec.Layers.Stateful.ValkeySelector = &metav1.LabelSelector{MatchLabels: follow}
	spec.Layers.Stateful.MirrorMaker2 = p.mirrorMakers(r)
	fg := newObj("failover.openova.io/v1alpha1", "FailoverGroup", p.spec.Tenant, failoverNS)
	fg["spec"] = toGeneric(spec)

	witness := newObj(esoV1, "ExternalSecret", "failover-witness", failoverNS)
	witness["spec"] = obj{
		"refreshInterval": "1h",
		"secretStoreRef":  obj{"name": storeName(r), "kind": "ClusterSecretStore"},
		"target":          obj{"name": "failover-witness", "creationPolicy": "Owner"},
		"data":            []any{obj{"secretKey": "token", "remoteRef": obj{"key": "failover/witness", "property": "token"}}},
	}
	grant := newObj("gateway.networking.k8s.io/v1beta1", "ReferenceGrant", "failover-gate", failoverNS)
	var from []any
	for _, ns := range sortedKeys(routeNS) {
		from = append(from, obj{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": ns})
	}
	grant["spec"] = obj{"from": from, "to": []any{obj{"group": "", "kind": "Service", "name": GateService}}}
	return []unit{{"failover-controller", "failover-group.yaml", []obj{fg, witness, grant}}}
}

// database is a component's CNPG cluster, named <component>-pg as its
// blueprint values expect.
type database struct{ component, namespace, cluster string }

// databases lists the components whose values connect to <name>-pg-rw,
// worked out once per plan.
func (p *plan) databases() []database {
	if p.dbs != nil {
		return *p.dbs
	}
	var out []database
	for _, b := range p.comps {
		if b.Name() == "ferretdb" { // ships its own Cluster manifest
			continue
		}
		for _, h := range b.Spec.Delivery.Helm {
			if strings.Contains(fmt.Sprint(h.Values), b.Name()+"-pg-rw.") {
				out = append(out, database{b.Name(), b.Spec.Namespace, b.Name() + "-pg"})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].component < out[j].component })
	p.dbs = &out
	return out
}
