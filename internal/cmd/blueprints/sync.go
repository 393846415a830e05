package blueprints

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/blueprintsync"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/cmd/cmdutil"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/iostreams"
)

// TokenEnv holds the Gitea token when --token-file is not given.
const TokenEnv = "GITEA_TOKEN"

// SyncOptions are the inputs of `catalyst blueprints sync`.
type SyncOptions struct {
	IO        *iostreams.IOStreams
	GiteaURL  string
	Org       string
	TokenFile string
	Dir       string
	Embedded  fs.FS // the catalog built into the binary unless Dir is set
	JSON      bool
	DryRun    bool
	Parallel  int
	Timeout   time.Duration
}

// NewCmdSync returns `catalyst blueprints sync`; runF replaces syncRun in tests.
func NewCmdSync(f *factory.Factory, runF func(*SyncOptions) error) *cobra.Command {
	opts := &SyncOptions{IO: f.IOStreams, Embedded: openova.Catalog}
	cmd := &cobra.Command{
		Use:   "sync --gitea-url URL [--org NAME] [--token-file FILE]",
		Short: "Mirror platform/ and products/ into Gitea: one repository per component, a tag per blueprint version",
		Long: `Mirror the catalog into the customer's Gitea, for platforms that install with
no access to the public repository. Each component gets a repository
ORG/<name> holding its platform/<name>/ directory at the root, tagged
v<version> for the blueprint's version; each product gets ORG/product-<name>.
Generated instances read in-blueprint charts from ORG/<name>.git at that tag.

Safe to re-run: a repository whose content is already there gets no commit,
a tag already there is left alone. A blueprint whose content changed without
a new spec.version is refused (its tag would change under installations of
that version), and nothing is written to its repository.

The token (write access to the organisation; create it if absent) comes from
--token-file or $` + TokenEnv + `; it is never printed.`,
		Example: `  catalyst blueprints sync --gitea-url https://gitea.bank.internal --token-file /run/secrets/gitea-token
  catalyst blueprints sync --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return syncRun(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.GiteaURL, "gitea-url", "", "Gitea base `URL`, e.g. https://gitea.bank.internal")
	fl.StringVar(&opts.Org, "org", blueprintsync.DefaultOrg, "Gitea organisation to mirror into (the one generated instances read blueprints from)")
	fl.StringVar(&opts.TokenFile, "token-file", "", "file holding the Gitea access token (default: $"+TokenEnv+")")
	fl.StringVar(&opts.Dir, "dir", "", "mirror the catalog of a checkout `DIR` (holding platform/, products/ and schemas/) instead of the embedded one")
	fl.BoolVar(&opts.JSON, "json", false, "print the report (or, with --dry-run, the plan) as JSON")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan; contact no server")
	fl.IntVar(&opts.Parallel, "parallel", blueprintsync.DefaultWorkers, "repositories synced at once")
	fl.DurationVar(&opts.Timeout, "timeout", 30*time.Minute, "give up after this long")
	return cmd
}

func syncRun(ctx context.Context, o *SyncOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cat, err := load(o)
	if err != nil {
		return err
	}
	plan, err := blueprintsync.NewPlan(cat, o.Org)
	if err != nil {
		return err
	}
	if o.DryRun {
		return printPlan(o.IO.Out, plan, o.GiteaURL, o.JSON)
	}
	if o.GiteaURL == "" {
		return fmt.Errorf("--gitea-url: required (or --dry-run to only print the plan)")
	}
	token, err := readToken(o.TokenFile)
	if err != nil {
		return err
	}
	c, err := forge.New(o.GiteaURL, forge.Credentials{Token: token}, nil)
	if err != nil {
		return fmt.Errorf("--gitea-url: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	res, syncErr := blueprintsync.Apply(ctx, c, plan, o.Parallel)
	if res == nil && syncErr != nil {
		return syncErr // nothing was attempted (the organisation)
	}
	if err := printReport(o.IO.Out, res, o.JSON); err != nil {
		return err
	}
	if syncErr != nil {
		return &cmdutil.FailedError{Msg: "blueprints sync: " + syncErr.Error()}
	}
	return nil
}

func load(o *SyncOptions) (*catalog.Catalog, error) {
	if o.Dir != "" {
		return catalog.LoadDir(o.Dir)
	}
	return catalog.Load(o.Embedded)
}

// readToken reads the token file, else the environment.
func readToken(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
		return "", fmt.Errorf("--token-file %s: empty; put the Gitea access token in it", file)
	}
	if t := strings.TrimSpace(os.Getenv(TokenEnv)); t != "" {
		return t, nil
	}
	return "", fmt.Errorf("no Gitea token: pass --token-file FILE or set $%s (a token with write access to the organisation)", TokenEnv)
}

// planJSON is one repository of `--dry-run --json`.
type planJSON struct {
	Repository string   `json:"repository"`
	Kind       string   `json:"kind"`
	Source     string   `json:"source"`
	Version    string   `json:"version,omitempty"`
	Tag        string   `json:"tag,omitempty"`
	Files      []string `json:"files"`
}

func printPlan(w io.Writer, p blueprintsync.Plan, url string, asJSON bool) error {
	if asJSON {
		out := make([]planJSON, 0, len(p.Repos))
		for _, r := range p.Repos {
			out = append(out, planJSON{Repository: p.Org + "/" + r.Name, Kind: string(r.Kind), Source: r.Source,
				Version: r.Version, Tag: r.Tag, Files: r.Paths()})
		}
		return writeJSON(w, out)
	}
	where := p.Org
	if url != "" {
		where = strings.TrimSuffix(url, "/") + "/" + p.Org
	}
	fmt.Fprintf(w, "would mirror %d repositories into %s (no server contacted):\n", len(p.Repos), where)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tSOURCE\tTAG\tFILES")
	for _, r := range p.Repos {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", r.Name, r.Source, dash(r.Tag), len(r.Files))
	}
	return tw.Flush()
}

func printReport(w io.Writer, res []blueprintsync.Result, asJSON bool) error {
	if asJSON {
		return writeJSON(w, res)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tSOURCE\tMAIN\tTAG\tCOMMIT")
	count := map[string]int{}
	for _, r := range res {
		tag := "-"
		if r.Tag != "" {
			tag = r.Tag + " " + string(r.TagDone)
			count["tag "+string(r.TagDone)]++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Repo, r.Source, r.State, tag, dash(short(r.Commit)))
		count[string(r.State)]++
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d repositories: %d created, %d updated, %d unchanged, %d failed; tags: %d created, %d present\n",
		len(res), count["created"], count["updated"], count["unchanged"], count["failed"], count["tag created"], count["tag present"])
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
