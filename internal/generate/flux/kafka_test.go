package flux_test

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// docs decodes a multi-document YAML file.
func docs(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, d := range strings.Split(string(data), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatal(err)
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

func find(t *testing.T, files map[string][]byte, path, kind, name string) map[string]any {
	t.Helper()
	for _, o := range docs(t, files[path]) {
		if o["kind"] == kind && o["metadata"].(map[string]any)["name"] == name {
			return o
		}
	}
	t.Fatalf("%s: no %s %s", path, kind, name)
	return nil
}

// Each region's MirrorMaker 2 targets its own Kafka and pulls from the
// peer's through the global mesh bootstrap Service; the FailoverGroup
// lists it as a pull mirror. One region has no Kafka of its own.
func TestKafkaMirrorMaker2PerRegion(t *testing.T) {
	files := render(t, readExample(t, "two-region"), realCatalog(t))
	for _, c := range []struct{ region, peer string }{{"fsn", "hel"}, {"hel", "fsn"}} {
		dir := "clusters/" + c.region
		mm := find(t, files, dir+"/infrastructure/strimzi/kafka.yaml", "KafkaMirrorMaker2", "mirror-from-"+c.peer)
		spec := mm["spec"].(map[string]any)
		if got := spec["target"].(map[string]any)["bootstrapServers"]; got != "kafka-"+c.region+"-kafka-bootstrap.strimzi.svc:9093" {
			t.Errorf("%s: target %v", c.region, got)
		}
		src := spec["mirrors"].([]any)[0].(map[string]any)["source"].(map[string]any)
		if src["bootstrapServers"] != "kafka-"+c.peer+"-mesh-bootstrap.strimzi.svc:9094" || src["alias"] != c.peer {
			t.Errorf("%s: source %v", c.region, src)
		}
		find(t, files, dir+"/crds/strimzi/kafka.yaml", "Service", "kafka-"+c.peer+"-mesh-bootstrap")
		fg := find(t, files, dir+"/platform/failover-controller/failover-group.yaml", "FailoverGroup", "bank")
		mms := fg["spec"].(map[string]any)["layers"].(map[string]any)["stateful"].(map[string]any)["mirrorMaker2"].([]any)
		if m := mms[0].(map[string]any); m["name"] != "mirror-from-"+c.peer || m["direction"] != "pull" || m["namespace"] != "strimzi" {
			t.Errorf("%s: FailoverGroup mirror %v", c.region, m)
		}
	}
	one := render(t, readExample(t, "one-region"), realCatalog(t))
	for p := range one {
		if strings.HasSuffix(p, "strimzi/kafka.yaml") {
			t.Errorf("one region: %s generated", p)
		}
	}
}
