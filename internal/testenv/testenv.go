// Package testenv runs a real kube-apiserver and etcd for tests, with every
// upstream CRD from ../shared/crds and OpenOva's own CRDs (api/crds)
// installed. One API server is shared per test package (see Main); tests
// that need two clusters start a second one with StartSecond.
package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// FieldManager is the field owner of every apply made through Env.
const FieldManager = "openova-test"

// Env is one running API server with its clients.
type Env struct {
	Config  *rest.Config
	Client  client.Client
	Dynamic dynamic.Interface
	// Scheme knows the core and apiextensions types; tests add OpenOva's
	// own API types with their AddToScheme before using them.
	Scheme *runtime.Scheme
	// Kubeconfig is a kubeconfig for the API server, for processes started
	// by tests.
	Kubeconfig []byte

	env *envtest.Environment
}

// Main starts one API server for the test package, hands it to use, runs
// the tests and exits with their code. Call it from TestMain.
func Main(m *testing.M, use func(*Env)) {
	env, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		os.Exit(1)
	}
	use(env)
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv: stop:", err)
	}
	os.Exit(code)
}

// StartSecond starts another API server, for tests of two clusters; call
// the returned function to stop it.
func StartSecond() (*Env, func(), error) {
	env, err := Start()
	if err != nil {
		return nil, nil, err
	}
	return env, func() { _ = env.Stop() }, nil
}

// Start starts an API server with every CRD installed.
func Start() (*Env, error) {
	assets, err := BinaryAssets()
	if err != nil {
		return nil, err
	}
	dirs, err := CRDDirs()
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	// Our own APIs, whose CRDs (api/crds) are installed too.
	for _, add := range []func(*runtime.Scheme) error{apiextensionsv1.AddToScheme, platformv1.AddToScheme, failoverv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	te := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     dirs,
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
	}
	cfg, err := te.Start()
	if err != nil {
		return nil, fmt.Errorf("start kube-apiserver and etcd from %s: %w", assets, err)
	}
	env := &Env{Config: cfg, Scheme: scheme, Kubeconfig: te.KubeConfig, env: te}
	if env.Client, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		_ = te.Stop()
		return nil, err
	}
	if env.Dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		_ = te.Stop()
		return nil, err
	}
	return env, nil
}

// Stop stops the API server and etcd.
func (e *Env) Stop() error { return e.env.Stop() }

// EnsureNamespace creates the namespace if it does not exist.
func (e *Env) EnsureNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := e.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

// ServerSideDryRun applies obj with server-side apply in dry-run mode and
// returns the API server's verdict: nil when the object would be accepted.
// Namespaced objects need their namespace to exist (EnsureNamespace).
func (e *Env) ServerSideDryRun(ctx context.Context, obj *unstructured.Unstructured) error {
	return e.apply(ctx, obj, true)
}

// Apply applies obj with server-side apply for real.
func (e *Env) Apply(ctx context.Context, obj *unstructured.Unstructured) error {
	return e.apply(ctx, obj, false)
}

func (e *Env) apply(ctx context.Context, obj *unstructured.Unstructured, dryRun bool) error {
	gvk := obj.GroupVersionKind()
	mapping, err := e.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("%s %s: no such resource on the API server: %w", gvk, describe(obj), err)
	}
	var ri dynamic.ResourceInterface = e.Dynamic.Resource(mapping.Resource)
	if mapping.Scope.Name() == "namespace" {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		ri = e.Dynamic.Resource(mapping.Resource).Namespace(ns)
	}
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	if _, err := ri.Apply(ctx, obj.GetName(), obj, opts); err != nil {
		return fmt.Errorf("%s %s: %w", gvk.Kind, describe(obj), err)
	}
	return nil
}

func describe(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return ns + "/" + obj.GetName()
	}
	return obj.GetName()
}

// BinaryAssets returns the directory holding kube-apiserver and etcd,
// building them first if this machine has not yet (hack/testbin/install.sh).
func BinaryAssets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(filepath.Join(root, "hack", "testbin", "install.sh"))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("hack/testbin/install.sh: %w\n%s", err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// RepoRoot returns the repository's root: the nearest directory above the
// working directory whose go.mod declares the openova module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.HasPrefix(b, []byte("module github.com/openova-io/openova\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the openova repository (no go.mod declaring github.com/openova-io/openova above the working directory)")
		}
		dir = parent
	}
}

// SharedDir returns ../shared beside the repository, or $OPENOVA_SHARED.
func SharedDir() (string, error) {
	if dir := os.Getenv("OPENOVA_SHARED"); dir != "" {
		return dir, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(filepath.Dir(root), "shared")
	if _, err := os.Stat(filepath.Join(dir, "crds")); err != nil {
		return "", fmt.Errorf("upstream CRDs not found at %s/crds: clone the repository beside shared/ or set OPENOVA_SHARED", dir)
	}
	return dir, nil
}

// CRDDirs lists every directory of CRD manifests to install: each folder
// of ../shared/crds and the repository's api/crds.
func CRDDirs() ([]string, error) {
	shared, err := SharedDir()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(shared, "crds"))
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(shared, "crds", e.Name()))
		}
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	own := filepath.Join(root, "api", "crds")
	if matches, _ := filepath.Glob(filepath.Join(own, "*.yaml")); len(matches) > 0 {
		dirs = append(dirs, own)
	}
	return dirs, nil
}
