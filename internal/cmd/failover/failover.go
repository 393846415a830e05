// Package failover is `catalyst failover status|approve|switchover`: it reads
// and drives FailoverGroups (failover.openova.io) through the Kubernetes
// API, or reads a failover controller's /status endpoint directly.
package failover

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/iostreams"
)

// kubeFlags are shared by every verb that talks to the API server.
type kubeFlags struct {
	Kubeconfig string
	Context    string
	Namespace  string
}

func (k *kubeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&k.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
	cmd.Flags().StringVar(&k.Context, "context", "", "kubeconfig context to use")
	cmd.Flags().StringVarP(&k.Namespace, "namespace", "n", "", "namespace of the FailoverGroup (default: the context's namespace)")
}

// client builds a client for FailoverGroups and resolves the namespace.
func (k *kubeFlags) client() (client.Client, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = k.Kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: k.Context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("load kubeconfig: %w (pass --kubeconfig, or run inside the cluster)", err)
	}
	ns := k.Namespace
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil {
			return nil, "", fmt.Errorf("resolve namespace: %w (pass -n)", err)
		}
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, "", err
	}
	if err := failoverv1.AddToScheme(scheme); err != nil {
		return nil, "", err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, "", fmt.Errorf("connect to the API server: %w", err)
	}
	return c, ns, nil
}

// NewCmdFailover returns `catalyst failover` with its verbs.
func NewCmdFailover(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "failover <command>",
		Short: "Inspect and drive the failover controllers: status, approve a takeover, request a switchover",
	}
	cmd.AddCommand(NewCmdStatus(f, nil), NewCmdApprove(f, nil), NewCmdSwitchover(f, nil))
	return cmd
}

// common is what every verb's Options carry.
type common struct {
	IO   *iostreams.IOStreams
	Kube kubeFlags
	Now  func() time.Time
	// Client replaces the kubeconfig client in tests.
	Client func() (client.Client, string, error)
}

func (c *common) kube() (client.Client, string, error) {
	if c.Client != nil {
		return c.Client()
	}
	return c.Kube.client()
}
