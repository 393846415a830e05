// Package seed is `catalyst seed`, run once per cluster by the bootstrap
// bundle's seed Job: regenerate the instance tree from the instance.yaml
// the Job carries, push it to the in-cluster Gitea and protect main.
package seed

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/cmd/validate"
	"github.com/openova-io/openova/internal/fluxobj"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/generate/flux"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/iostreams"
	"github.com/openova-io/openova/internal/seed"
)

// Credentials come from these when --admin-secret is not given: the
// password from a file (preferred) or the environment. They are never
// printed.
const (
	UserEnv         = "CATALYST_GITEA_USERNAME"
	PasswordEnv     = "CATALYST_GITEA_PASSWORD"
	PasswordFileEnv = "CATALYST_GITEA_PASSWORD_FILE"
)

// Options are the flags of seed.
type Options struct {
	IO          *iostreams.IOStreams
	Instance    string
	CatalogDir  string
	Region      string
	Gitea       string
	Repository  string
	AdminSecret string
	Approvals   int
	Apply       []string
	Binding     string
	FluxSecret  string
	Timeout     time.Duration
}

// NewCmdSeed returns the command; runF replaces the run in tests.
func NewCmdSeed(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "seed --instance instance.yaml --gitea URL --repository ORG/NAME",
		Short: "Push the generated instance repository to the in-cluster Gitea and protect main (run by the seed Job)",
		Long: "Regenerate the instance tree from instance.yaml with the embedded catalog, create the Gitea\n" +
			"organisation and private repository, push the tree to main (nothing when main already holds it),\n" +
			"then protect main: no direct push, required approvals, rejected reviews and pending CODEOWNERS\n" +
			"review requests block merging. In the cluster it also writes --flux-secret, the read-only Gitea\n" +
			"token of Flux's own user (" + seed.FluxUser + ": restricted, reads the instance repository and the\n" +
			"blueprint repositories only). Safe to re-run.\n\n" +
			"Credentials: --admin-secret NAMESPACE/NAME reads (or creates, with a random password) the Gitea\n" +
			"admin Secret (keys username, password) in the cluster; without it " + UserEnv + " and\n" +
			PasswordFileEnv + " (or " + PasswordEnv + ") are used.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return run(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Instance, "instance", "instance.yaml", "instance spec carried by the seed Job")
	fl.StringVar(&opts.CatalogDir, "catalog", "", "catalog directory (default: the catalog embedded in catalyst)")
	fl.StringVar(&opts.Region, "region", "", "this cluster's region (checked against the spec)")
	fl.StringVar(&opts.Gitea, "gitea", "", "Gitea base URL, e.g. http://gitea-http.gitea.svc:3000")
	fl.StringVar(&opts.Repository, "repository", "", "instance repository as ORG/NAME")
	fl.StringVar(&opts.AdminSecret, "admin-secret", "", "Gitea admin Secret as NAMESPACE/NAME (read or created in the cluster)")
	fl.IntVar(&opts.Approvals, "required-approvals", 1, "approvals required to merge into main")
	fl.StringArrayVar(&opts.Apply, "apply", nil, "directory of the generated tree to server-side apply before pushing (repeatable; in-cluster)")
	fl.StringVar(&opts.Binding, "cluster-role-binding", "openova-seed", "the seed's own ClusterRoleBinding, deleted once it succeeded in the cluster (empty: keep)")
	fl.StringVar(&opts.FluxSecret, "flux-secret", fluxobj.DefaultNamespace+"/"+flux.GitReadSecret,
		"Secret NAMESPACE/NAME written in the cluster (unless it holds credentials) with a read-only Gitea token, with which Flux reads the instance and blueprint repositories (empty: none)")
	fl.DurationVar(&opts.Timeout, "timeout", 10*time.Minute, "give up after this long")
	_ = cmd.MarkFlagRequired("gitea")
	_ = cmd.MarkFlagRequired("repository")
	return cmd
}

func run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	org, repo, ok := strings.Cut(o.Repository, "/")
	if !ok || org == "" || repo == "" || strings.Contains(repo, "/") {
		return fmt.Errorf("--repository %q: want ORG/NAME, e.g. platform/instance", o.Repository)
	}
	spec, in, cat, err := validate.Load(o.Instance, o.CatalogDir)
	if err != nil {
		return err
	}
	if o.Region != "" && !hasRegion(in.Spec.Regions, o.Region) {
		return fmt.Errorf("--region %q: not a region of %s; use one of its spec.regions[].name", o.Region, o.Instance)
	}
	user, pass, err := credentials(ctx, o.AdminSecret)
	if err != nil {
		return err
	}
	if len(o.Apply) > 0 {
		if err := applyDirs(ctx, o, spec, cat); err != nil {
			return err
		}
	}
	fc, err := forge.New(o.Gitea, forge.Credentials{User: user, Password: pass}, nil)
	if err != nil {
		return fmt.Errorf("--gitea: %w", err)
	}
	// The first region is primary at install; the other receives its
	// push mirror (internal/generate/flux replication), which signs in as
	// the admin.
	mirror := ""
	if o.Region != "" && len(in.Spec.Regions) == 2 && o.Region != in.Spec.Regions[0].Name {
		mirror = user
	}
	rep, err := seed.Run(ctx, seed.Options{
		Spec: spec, Catalog: cat, Org: org, Repo: repo, Approvals: o.Approvals, Forge: fc, MirrorPusher: mirror,
	})
	if err != nil {
		return err
	}
	fluxSecret := "not written (outside the cluster)"
	if (o.AdminSecret != "" || len(o.Apply) > 0) && o.FluxSecret != "" {
		reader := seed.FluxReader{Forge: fc, Repo: forge.Repo{Owner: org, Name: repo}, BlueprintOrg: flux.BlueprintGitOrg, Random: rand.Reader}
		if fluxSecret, err = writeFluxSecret(ctx, o, reader, user, pass); err != nil {
			return err
		}
	}
	if (o.AdminSecret != "" || len(o.Apply) > 0) && o.Binding != "" {
		// Done in the cluster: give back the broad rights the bundle
		// granted for this one run.
		if err := dropBinding(ctx, o.Binding); err != nil {
			return err
		}
	}
	pushed, protected := "already up to date", "already in place"
	if rep.Pushed {
		pushed = "pushed"
	}
	if rep.Protected {
		protected = "set"
	}
	fmt.Fprintf(o.IO.Out, "%s/%s main at %s: %d files %s; branch protection %s (%d approval(s), no direct push); Flux's Gitea Secret %s\n",
		org, repo, rep.Commit, rep.Files, pushed, protected, o.Approvals, fluxSecret)
	return nil
}

// writeFluxSecret gives Flux read access to Gitea in this cluster as its
// own read-only user (seed.FluxReader, seed.EnsureFluxSecret), revokes the
// administrator's read token an older seed issued for Flux, and says what
// it did.
func writeFluxSecret(ctx context.Context, o *Options, reader seed.FluxReader, user, pass string) (string, error) {
	ns, name, ok := strings.Cut(o.FluxSecret, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return "", fmt.Errorf("--flux-secret %q: want NAMESPACE/NAME, e.g. flux-system/%s", o.FluxSecret, flux.GitReadSecret)
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return "", fmt.Errorf("--flux-secret needs to run in the cluster: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	if err := reader.Ensure(ctx); err != nil {
		return "", err
	}
	wrote, err := seed.EnsureFluxSecret(ctx, cs, ns, name, seed.FluxUser, reader.Issue)
	if err != nil {
		return "", err
	}
	if err := seed.RevokeReadToken(ctx, o.Gitea, user, pass); err != nil {
		return "", err
	}
	if wrote {
		return fmt.Sprintf("%s written (read-only token of gitea user %s)", o.FluxSecret, seed.FluxUser), nil
	}
	return o.FluxSecret + " already in place", nil
}

func hasRegion(regions []instance.Region, name string) bool {
	for _, r := range regions {
		if r.Name == name {
			return true
		}
	}
	return false
}

// credentials of the Gitea admin: from the cluster Secret when named,
// else from the environment.
func credentials(ctx context.Context, secret string) (user, pass string, err error) {
	if secret != "" {
		return clusterSecret(ctx, secret)
	}
	user = os.Getenv(UserEnv)
	pass = os.Getenv(PasswordEnv)
	if f := os.Getenv(PasswordFileEnv); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", PasswordFileEnv, err)
		}
		pass = strings.TrimSpace(string(b))
	}
	if user == "" || pass == "" {
		return "", "", fmt.Errorf("no Gitea admin credentials: pass --admin-secret NAMESPACE/NAME, or set %s and %s", UserEnv, PasswordFileEnv)
	}
	return user, pass, nil
}

// clusterSecret reads the admin Secret, creating it with a random
// password on first run (Gitea's chart reads it as admin.existingSecret).
func clusterSecret(ctx context.Context, ref string) (string, string, error) {
	ns, name, ok := strings.Cut(ref, "/")
	if !ok || ns == "" || name == "" {
		return "", "", fmt.Errorf("--admin-secret %q: want NAMESPACE/NAME", ref)
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return "", "", fmt.Errorf("--admin-secret needs to run in the cluster: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", "", err
	}
	return adminSecret(ctx, cs, ns, name, randomPassword)
}

func adminSecret(ctx context.Context, cs kubernetes.Interface, ns, name string, gen func() (string, error)) (string, string, error) {
	s, err := cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		pw, gerr := gen()
		if gerr != nil {
			return "", "", gerr
		}
		s = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/part-of": "openova"}},
			StringData: map[string]string{"username": "gitea-admin", "password": pw},
		}
		if s, err = cs.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
			s, err = cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{}) // a concurrent retry won
		}
	}
	if err != nil {
		return "", "", fmt.Errorf("Gitea admin Secret %s/%s: %w", ns, name, err)
	}
	user, pass := string(s.Data["username"]), string(s.Data["password"])
	if user == "" || pass == "" {
		if s.StringData != nil { // fresh object from a client that does not fill Data
			user, pass = s.StringData["username"], s.StringData["password"]
		}
	}
	if user == "" || pass == "" {
		return "", "", errors.New("Gitea admin Secret " + ns + "/" + name + ": keys username and password must both be set")
	}
	return user, pass, nil
}

func randomPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// applyDirs applies the crds layer and Gitea's directory of the tree to
// this cluster: Gitea must run before the push, and Flux follows it only
// afterwards.
func applyDirs(ctx context.Context, o *Options, spec []byte, cat *catalog.Catalog) error {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return fmt.Errorf("--apply needs to run in the cluster: %w", err)
	}
	tree, err := generate.Generate(spec, cat)
	if err != nil {
		return err
	}
	n, err := seed.Apply(ctx, cfg, tree, o.Apply)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "applied %d objects from %s\n", n, strings.Join(o.Apply, ", "))
	return nil
}

func dropBinding(ctx context.Context, name string) error {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	return deleteBinding(ctx, cs, name)
}

func deleteBinding(ctx context.Context, cs kubernetes.Interface, name string) error {
	err := cs.RbacV1().ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete ClusterRoleBinding %s (the seed's rights): %w", name, err)
	}
	return nil
}
