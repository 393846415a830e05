package actuator_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/testenv"
)

// These tests run against a real kube-apiserver with the upstream CNPG,
// Gateway API, k8gb and Strimzi CRDs installed, but no operator runs here:
// nothing reacts to the patches, so the tests prove the exact patches the
// actuators send and their order, and where an operator's reaction is part
// of the protocol (CNPG's demotion token) the test plays the operator and
// says so.

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env) { env = e })
}

// recorder logs every write the actuators send, in order, while passing it
// through to the real API server.
type recorder struct {
	mu  sync.Mutex
	ops []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, fmt.Sprintf(format, args...))
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := r.ops
	r.ops = nil
	return ops
}

func recordingClient(t *testing.T, e *testenv.Env, r *recorder, label string) client.Client {
	t.Helper()
	c, err := client.NewWithWatch(e.Config, client.Options{Scheme: e.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return interceptor.NewClient(c, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			err := c.Create(ctx, obj, opts...)
			if err == nil {
				r.add("%screate %s/%s", label, kindOf(c, obj), obj.GetName())
			}
			return err
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			data, _ := patch.Data(obj)
			kind := kindOf(c, obj)
			err := c.Patch(ctx, obj, patch, opts...)
			if err == nil {
				r.add("%spatch %s/%s %s", label, kind, obj.GetName(), withoutResourceVersion(data))
			}
			return err
		},
	})
}

func kindOf(c client.Client, obj client.Object) string {
	gvk, err := c.GroupVersionKindFor(obj)
	if err != nil {
		return "?"
	}
	return gvk.Kind
}

// withoutResourceVersion drops the optimistic-lock resourceVersion, which
// differs on every run, from a merge patch.
func withoutResourceVersion(data []byte) string {
	s := string(data)
	i := strings.Index(s, `"resourceVersion":"`)
	if i < 0 {
		return s
	}
	j := strings.Index(s[i+len(`"resourceVersion":"`):], `"`)
	cut := s[:i] + s[i+len(`"resourceVersion":"`)+j+1:]
	cut = strings.ReplaceAll(cut, ",}", "}")
	return strings.ReplaceAll(cut, "{,", "{")
}

func mustApply(t *testing.T, e *testenv.Env, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatal(err)
	}
	if err := e.EnsureNamespace(context.Background(), u.GetNamespace()); err != nil {
		t.Fatal(err)
	}
	if err := e.Client.Create(context.Background(), u); err != nil {
		t.Fatalf("create %s %s: %v", u.GetKind(), u.GetName(), err)
	}
	return u
}

func wantOps(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("writes sent:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
