package flux

import (
	"fmt"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

const (
	strimziAPI = "kafka.strimzi.io/v1"
	kafkaNS    = "strimzi"
	// kafkaBrokers per region: KRaft, each node both controller and broker.
	kafkaBrokers = 3
	// kafkaMeshPort is the listener the peer region's MirrorMaker 2
	// reaches over Cluster Mesh.
	kafkaMeshPort = 9094
)

func init() { features = append(features, kafkaClusters) }

func kafkaName(r *region) string { return "kafka-" + r.Name }

// mirrorName is the KafkaMirrorMaker2 of r pulling from its peer.
func mirrorName(r *region) string { return "mirror-from-" + r.Peer.Name }

// kafkaMirrorSecret is the generated password of the mirror KafkaUser.
func (p *plan) kafkaMirrorSecret() string { return p.spec.Tenant + "-kafka-mirror" }

// kafkaClusters: with two regions and Strimzi, a Kafka per region
// (kafka-<region>, KRaft with one KafkaNodePool) and in each region a
// KafkaMirrorMaker2 pulling the peer's topics and consumer-group offsets
// over Cluster Mesh. Both are "pull" mirrors in the FailoverGroup: the
// failover controller runs the standby's and stops the active's
// connectors, so data flows from active to standby whichever region that
// is. The connectors' state is left to the controller (not in the tree,
// so Flux never reverts it).
func kafkaClusters(p *plan, r *region) []unit {
	if !p.has("strimzi") || r.Peer == nil {
		return nil
	}
	name := kafkaName(r)
	k := newObj(strimziAPI, "Kafka", name, kafkaNS)
	meta(k)["annotations"] = obj{"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"}
	scram := obj{"type": "scram-sha-512"}
	k["spec"] = obj{
		"kafka": obj{
			"listeners": []any{
				obj{"name": "tls", "port": int64(9093), "type": "internal", "tls": true, "authentication": scram},
				obj{"name": "mesh", "port": int64(kafkaMeshPort), "type": "internal", "tls": true, "authentication": scram,
					"configuration": obj{
						// Brokers advertise the global Services below, which
						// resolve in both clusters; the names are in the
						// broker certificates.
						"advertisedHostTemplate": fmt.Sprintf("%s-broker-{nodeId}.%s.svc", name, kafkaNS),
						"bootstrap":              obj{"alternativeNames": []any{meshBootstrap(r) + "." + kafkaNS + ".svc"}},
					}},
			},
			"config": obj{
				"default.replication.factor": int64(3), "min.insync.replicas": int64(2),
				"offsets.topic.replication.factor": int64(3), "transaction.state.log.replication.factor": int64(3),
				"transaction.state.log.min.isr": int64(2),
			},
		},
		"entityOperator": obj{"topicOperator": obj{}, "userOperator": obj{}},
	}
	pool := newObj(strimziAPI, "KafkaNodePool", "broker", kafkaNS)
	setLabels(pool, map[string]string{"strimzi.io/cluster": name})
	pool["spec"] = obj{
		"replicas": int64(kafkaBrokers),
		"roles":    []any{"controller", "broker"},
		"storage": obj{"type": "jbod", "volumes": []any{obj{
			"id": int64(0), "type": "persistent-claim", "size": "100Gi", "deleteClaim": false, "kraftMetadata": "shared",
		}}},
	}
	// The peer's MirrorMaker 2 signs in as this user; its password is
	// generated here and pushed to both OpenBao instances.
	user := newObj(strimziAPI, "KafkaUser", "mirror", kafkaNS)
	setLabels(user, map[string]string{"strimzi.io/cluster": name})
	user["spec"] = obj{"authentication": obj{"type": "scram-sha-512", "password": obj{"valueFrom": obj{
		"secretKeyRef": obj{"name": p.kafkaMirrorSecret(), "key": "password"}}}}}
	objs := []obj{k, pool, user}
	objs = append(objs, kafkaServices(p)...)
	objs = append(objs, p.mirrorMaker(r)...)
	if p.has("openbao") {
		// The cluster CA certificate (public) for the peer to trust.
		objs = append(objs, p.pushSecret(r, kafkaNS, name+"-cluster-ca-cert"))
	}
	return []unit{{"strimzi", "kafka.yaml", objs}}
}

func meshBootstrap(r *region) string { return kafkaName(r) + "-mesh-bootstrap" }

// kafkaServices name each region's brokers and mesh bootstrap in both
// clusters; as Cilium global Services they reach the region's pods (the
// selectors carry the cluster name, so only that region's pods match).
func kafkaServices(p *plan) []obj {
	var out []obj
	svc := func(name string, sel obj) obj {
		s := newObj("v1", "Service", name, kafkaNS)
		meta(s)["annotations"] = obj{"service.cilium.io/global": "true", "service.cilium.io/shared": "true"}
		s["spec"] = obj{"selector": sel, "ports": []any{obj{"name": "mesh", "port": int64(kafkaMeshPort), "targetPort": int64(kafkaMeshPort)}}}
		return s
	}
	for _, m := range p.regions {
		out = append(out, svc(meshBootstrap(m), obj{"strimzi.io/cluster": kafkaName(m), "strimzi.io/broker-role": "true"}))
		for i := 0; i < kafkaBrokers; i++ {
			pod := fmt.Sprintf("%s-broker-%d", kafkaName(m), i)
			out = append(out, svc(pod, obj{"strimzi.io/pod-name": pod}))
		}
	}
	return out
}

// mirrorMaker is r's KafkaMirrorMaker2 from the peer, and the
// ExternalSecrets bringing the peer's mirror password and CA certificate
// from this region's OpenBao (where the peer pushed them).
func (p *plan) mirrorMaker(r *region) []obj {
	peer := r.Peer
	peerCA := kafkaName(peer) + "-cluster-ca-cert"
	peerPW := "kafka-mirror-" + peer.Name
	mm := newObj(strimziAPI, "KafkaMirrorMaker2", mirrorName(r), kafkaNS)
	auth := func(secret string) obj {
		return obj{"type": "scram-sha-512", "username": "mirror", "passwordSecret": obj{"secretName": secret, "password": "password"}}
	}
	mm["spec"] = obj{
		"replicas": int64(1),
		"target": obj{
			"alias":            r.Name,
			"bootstrapServers": fmt.Sprintf("%s-kafka-bootstrap.%s.svc:9093", kafkaName(r), kafkaNS),
			"groupId":          "mirror-" + r.Name, "configStorageTopic": "mirror-configs",
			"statusStorageTopic": "mirror-status", "offsetStorageTopic": "mirror-offsets",
			"tls":            obj{"trustedCertificates": []any{obj{"secretName": kafkaName(r) + "-cluster-ca-cert", "pattern": "*.crt"}}},
			"authentication": auth(p.kafkaMirrorSecret()),
		},
		"mirrors": []any{obj{
			"source": obj{
				"alias":            peer.Name,
				"bootstrapServers": fmt.Sprintf("%s.%s.svc:%d", meshBootstrap(peer), kafkaNS, kafkaMeshPort),
				"tls":              obj{"trustedCertificates": []any{obj{"secretName": peerCA, "certificate": "ca.crt"}}},
				"authentication":   auth(peerPW),
			},
			"sourceConnector":      obj{"tasksMax": int64(2), "config": obj{"replication.factor": int64(3), "offset-syncs.topic.replication.factor": int64(3), "sync.topic.acls.enabled": "false"}},
			"checkpointConnector":  obj{"config": obj{"checkpoints.topic.replication.factor": int64(3), "sync.group.offsets.enabled": "true"}},
			"topicsPattern":        ".*",
			"topicsExcludePattern": "mirror-.*|__.*",
			"groupsPattern":        ".*",
		}},
	}
	out := []obj{mm}
	if p.has("external-secrets") && p.has("openbao") {
		from := func(name, key, prop string) obj {
			es := newObj(esoV1, "ExternalSecret", name, kafkaNS)
			es["spec"] = obj{
				"refreshInterval": "1h",
				"secretStoreRef":  obj{"name": storeName(r), "kind": "ClusterSecretStore"},
				"target":          obj{"name": name, "creationPolicy": "Owner"},
				"data":            []any{obj{"secretKey": prop, "remoteRef": obj{"key": key, "property": prop}}},
			}
			return es
		}
		out = append(out,
			from(peerPW, fmt.Sprintf("%s/%s/%s", peer.Cluster, kafkaNS, p.kafkaMirrorSecret()), "password"),
			from(peerCA, fmt.Sprintf("%s/%s/%s", peer.Cluster, kafkaNS, peerCA), "ca.crt"))
	}
	return out
}

// mirrorMakers lists r's KafkaMirrorMaker2 for its FailoverGroup.
func (p *plan) mirrorMakers(r *region) []failoverv1.MirrorMaker2 {
	if !p.has("strimzi") || r.Peer == nil {
		return nil
	}
	return []failoverv1.MirrorMaker2{{ObjectRef: failoverv1.ObjectRef{Name: mirrorName(r), Namespace: kafkaNS}, Direction: failoverv1.MirrorPull}}
}
