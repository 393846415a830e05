package failover

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/failover/controller"
)

// StatusOptions are the flags of status.
type StatusOptions struct {
	common
	Name          string
	AllNamespaces bool
	URLs          []string
	JSON          bool
	HTTP          *http.Client
}

// NewCmdStatus returns `catalyst failover status`.
func NewCmdStatus(f *factory.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{common: common{IO: f.IOStreams, Now: time.Now}}
	cmd := &cobra.Command{
		Use:   "status [NAME]",
		Short: "Show each region's failover state, epoch, lease holder, pending proposal and selected databases and caches",
		Long: `Reads FailoverGroups through the Kubernetes API (--kubeconfig), or asks
failover controllers directly for their /status (--url, repeatable), which
works even when the API server of that region is down.

From the API server, a second table lists the CNPG Clusters and Valkey
instances the groups' selectors matched (status.selectedCNPG and
status.selectedValkey): role, stamped epoch, whether it is what the
region's state asks, and why not (not actuated, last actuation error,
unreachable) or whom it follows; from controllers (--url), the same
from their /status. --json prints the FailoverGroups (or /status
documents) whole.`,
		Example: `  catalyst failover status -A
  catalyst failover status --url http://fsn1-failover:8080 --url http://hel1-failover:8080 --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return statusRun(context.Background(), opts)
		},
	}
	opts.Kube.add(cmd)
	cmd.Flags().BoolVarP(&opts.AllNamespaces, "all-namespaces", "A", false, "list FailoverGroups in every namespace")
	cmd.Flags().StringArrayVar(&opts.URLs, "url", nil, "a failover controller's base URL; read its /status instead of the API server")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	if len(opts.URLs) > 0 {
		return statusFromControllers(ctx, opts)
	}
	c, ns, err := opts.kube()
	if err != nil {
		return err
	}
	var groups []failoverv1.FailoverGroup
	if opts.Name != "" {
		var fg failoverv1.FailoverGroup
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: opts.Name}, &fg); err != nil {
			return fmt.Errorf("FailoverGroup %s/%s: %w", ns, opts.Name, err)
		}
		groups = append(groups, fg)
	} else {
		var list failoverv1.FailoverGroupList
		var lo []client.ListOption
		if !opts.AllNamespaces {
			lo = append(lo, client.InNamespace(ns))
		}
		if err := c.List(ctx, &list, lo...); err != nil {
			return fmt.Errorf("list FailoverGroups: %w", err)
		}
		groups = list.Items
	}
	if opts.JSON {
		return writeJSON(opts.IO.Out, groups)
	}
	if len(groups) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "no FailoverGroups found")
		return nil
	}
	w := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAMESPACE\tNAME\tREGION\tSTATE\tEPOCH\tHOLDER\tMODE\tLAST RENEWAL\tPENDING")
	for _, g := range groups {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", g.Namespace, g.Name, g.Spec.Region, orDash(string(g.Status.State)),
			g.Status.Epoch, orDash(g.Status.Holder), g.Spec.Mode, ago(opts.Now(), g.Status.LastRenewal), pending(g.Status.PendingProposal))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return writeSelected(opts.IO.Out, "GROUP", selectedRows(groups))
}

func statusFromControllers(ctx context.Context, opts *StatusOptions) error {
	hc := opts.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	var all []controller.StatusJSON
	var failed []string
	for _, u := range opts.URLs {
		st, err := fetchStatus(ctx, hc, u)
		if err != nil {
			failed = append(failed, err.Error())
			continue
		}
		all = append(all, st)
	}
	if opts.JSON {
		if err := writeJSON(opts.IO.Out, all); err != nil {
			return err
		}
	} else {
		w := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "REGION\tSTATE\tEPOCH\tHOLDER\tLAST RENEWAL\tFENCES IN\tPROPOSAL")
		for _, s := range all {
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", s.Region, s.State, s.Epoch, orDash(s.Holder), agoTime(opts.Now(), s.LastRenewal),
				deadline(s.DeadlineSeconds), proposalEpoch(s.Proposal))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		var rows []selectedRow
		for _, s := range all {
			rows = append(rows, rowsOf(s.Region, s.SelectedCNPG, s.SelectedValkey)...)
		}
		if err := writeSelected(opts.IO.Out, "REGION", rows); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d controllers did not answer:\n  %s", len(failed), len(opts.URLs), strings.Join(failed, "\n  "))
	}
	return nil
}

func fetchStatus(ctx context.Context, hc *http.Client, base string) (controller.StatusJSON, error) {
	var st controller.StatusJSON
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/status", nil)
	if err != nil {
		return st, fmt.Errorf("--url %s: %w", base, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return st, fmt.Errorf("%s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("%s/status: HTTP %d", base, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return st, fmt.Errorf("%s/status: not a failover controller status document: %w", base, err)
	}
	return st, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ago(now time.Time, t *metav1.Time) string {
	if t == nil {
		return "-"
	}
	return agoTime(now, &t.Time)
}

func agoTime(now time.Time, t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return now.Sub(*t).Truncate(time.Second).String() + " ago"
}

func deadline(s float64) string {
	if s <= 0 {
		return "-"
	}
	return (time.Duration(s * float64(time.Second))).Truncate(100 * time.Millisecond).String()
}

func proposalEpoch(e uint64) string {
	if e == 0 {
		return "-"
	}
	return fmt.Sprintf("epoch %d awaiting approval", e)
}

func pending(p *failoverv1.Proposal) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("epoch %d: %s", p.Epoch, p.Reason)
}
