package flux

import (
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/instance"
)

// ClusterMeshNodePort exposes each region's clustermesh-apiserver on
// every node; the peer reaches it over the private network or WireGuard.
const ClusterMeshNodePort = 32379

// regionValues are the values the generator decides per region, merged
// over the blueprint defaults, by Helm release name. Cilium's must agree
// with what the first node installs at boot (terraform's cloud-init), so
// that Flux adopting the release changes nothing.
func (p *plan) regionValues(b *catalog.Blueprint, r *region) map[string]map[string]any {
	switch b.Name() {
	case "cilium":
		v := map[string]any{
			"cluster":        map[string]any{"name": r.Cluster, "id": r.ClusterID},
			"k8sServiceHost": r.APIHost,
			"k8sServicePort": 6443,
			"externalIPs":    map[string]any{"enabled": true},
		}
		if p.spec.LoadBalancer.Type == instance.LBCiliumL2 {
			v["l2announcements"] = map[string]any{"enabled": true}
		}
		if r.Peer != nil {
			v["clustermesh"] = map[string]any{
				"useAPIServer": true,
				"apiserver": map[string]any{
					"service": map[string]any{"type": "NodePort", "nodePort": ClusterMeshNodePort},
				},
				"config": map[string]any{
					"enabled": true,
					"clusters": []any{map[string]any{
						"name": r.Peer.Cluster, "address": r.Peer.APIHost, "port": ClusterMeshNodePort,
					}},
				},
			}
		}
		return map[string]map[string]any{"cilium": v}
	case "openbao":
		// The region label lets openbao-<region> select only this
		// region's pods, across Cluster Mesh.
		return map[string]map[string]any{"openbao": {"server": map[string]any{"extraLabels": map[string]any{"openova.io/region": r.Name}}}}
	case "valkey":
		return map[string]map[string]any{"valkey": valkeyReplicaValues(p, r)}
	case "minio", "harbor", "gitea":
		if r.Peer == nil {
			return nil
		}
		return replicationPodLabels(b.Name(), r)
	case "k8gb":
		if r.Peer == nil {
			return nil
		}
		return map[string]map[string]any{"k8gb": {"k8gb": map[string]any{"extGslbClustersGeoTags": r.Peer.Name}}}
	}
	return nil
}
