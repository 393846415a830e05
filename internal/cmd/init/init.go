// Package init is `catalyst init`: write a commented starter instance
// spec, from flags or, on a terminal, by asking for what is missing.
package init

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/iostreams"
)

// Options are the flags of init.
type Options struct {
	IO               *iostreams.IOStreams
	Output           string
	Force            bool
	Tenant           string
	Domain           string
	Locations        []string
	DNS              string
	ArchivalProvider string
	ArchivalEndpoint string
	ArchivalBucket   string
}

// NewCmdInit returns the command; runF replaces the run in tests.
func NewCmdInit(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented starter instance.yaml",
		Example: "  catalyst init --tenant acme --domain acme.example.com --location fsn1 --location hel1 \\\n" +
			"    --archival-endpoint https://<account>.r2.cloudflarestorage.com",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return initRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Output, "output", "o", "instance.yaml", "file to write")
	fl.BoolVar(&opts.Force, "force", false, "overwrite an existing file")
	fl.StringVar(&opts.Tenant, "tenant", "", "customer name: lowercase letters, digits and '-'")
	fl.StringVar(&opts.Domain, "domain", "", "base domain, e.g. acme.example.com")
	fl.StringSliceVar(&opts.Locations, "location", nil, "Hetzner location of a region (once or twice): fsn1, nbg1, hel1, ash, hil, sin")
	fl.StringVar(&opts.DNS, "dns", "cloudflare", "DNS provider of the base domain: cloudflare or hetzner")
	fl.StringVar(&opts.ArchivalProvider, "archival-provider", "cloudflare-r2", "archival S3 provider")
	fl.StringVar(&opts.ArchivalEndpoint, "archival-endpoint", "", "archival S3 endpoint (https URL)")
	fl.StringVar(&opts.ArchivalBucket, "archival-bucket", "", "archival S3 bucket (default <tenant>-archive)")
	return cmd
}

func initRun(opts *Options) error {
	if !opts.Force {
		if _, err := os.Stat(opts.Output); err == nil {
			return fmt.Errorf("%s exists; pass --force to overwrite it, or -o to write elsewhere", opts.Output)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if opts.IO.IsStdinTTY() {
		if err := prompt(opts); err != nil {
			return err
		}
	}
	if opts.ArchivalBucket == "" && opts.Tenant != "" {
		opts.ArchivalBucket = opts.Tenant + "-archive"
	}
	var missing []string
	for flag, v := range map[string]string{"--tenant": opts.Tenant, "--domain": opts.Domain, "--archival-endpoint": opts.ArchivalEndpoint} {
		if v == "" {
			missing = append(missing, flag)
		}
	}
	if len(opts.Locations) == 0 {
		missing = append(missing, "--location")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s (not on a terminal, so nothing was asked)", strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	data, err := Render(opts)
	if err != nil {
		return err
	}
	// What init writes must pass validate: check before writing.
	if _, err := instance.Check(data, instance.NewCatalog(nil, nil)); err != nil {
		return err
	}
	if err := writeAtomic(opts.Output, data); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "wrote %s; review it, then: catalyst validate -f %s\n", opts.Output, opts.Output)
	return nil
}

func prompt(opts *Options) error {
	r := bufio.NewReader(opts.IO.In)
	ask := func(label string, v *string) error {
		if *v != "" {
			return nil
		}
		fmt.Fprintf(opts.IO.ErrOut, "%s: ", label)
		line, err := r.ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("reading %s: %w", label, err)
		}
		*v = strings.TrimSpace(line)
		return nil
	}
	if err := ask("Tenant (e.g. acme)", &opts.Tenant); err != nil {
		return err
	}
	if err := ask("Base domain (e.g. acme.example.com)", &opts.Domain); err != nil {
		return err
	}
	if len(opts.Locations) == 0 {
		var locs string
		if err := ask("Hetzner location(s), comma-separated, 1 or 2 (fsn1, nbg1, hel1, ash, hil, sin)", &locs); err != nil {
			return err
		}
		for _, l := range strings.Split(locs, ",") {
			if l = strings.TrimSpace(l); l != "" {
				opts.Locations = append(opts.Locations, l)
			}
		}
	}
	return ask("Archival S3 endpoint (https URL)", &opts.ArchivalEndpoint)
}

var starter = template.Must(template.New("instance.yaml").Parse(`# OpenOva instance spec. Check it with: catalyst validate -f instance.yaml
# then render the instance repository with: catalyst generate -f instance.yaml -o DIR
apiVersion: {{.APIVersion}}
kind: {{.Kind}}
spec:
  # Customer name, used in DNS names, namespaces and cloud resource names.
  tenant: {{.O.Tenant}}
  # Base domain; k8gb serves gslb.<domain>, delegated by ExternalDNS.
  domain: {{.O.Domain}}
  # Cloud provider: hetzner (Huawei Cloud and OCI come next).
  cloud: hetzner
  # One or two regions; two give disaster recovery (independent clusters).
  regions:
{{- range .Regions}}
    - name: {{.Name}}
      location: {{.Location}}
      controlPlane:
        count: 3          # 1, 3 or 5
        serverType: cpx31
      workerPools:
        - name: default
          serverType: cpx41
          count: 3
{{- end}}
  # cloud (recommended), k8gb-dns (free) or cilium-l2 (free, one region only).
  loadBalancer:
    type: cloud
    hetznerType: lb11
  # cloudflare or hetzner.
  dns:
    provider: {{.O.DNS}}
  # openbao (Hetzner has no cloud secret manager).
  secrets:
    backend: openbao
  # Backups (Velero, Harbor), MinIO tiering and the encrypted OpenTofu state.
  # Credentials are never written here: they are OpenTofu variables.
  archival:
    provider: {{.O.ArchivalProvider}}
    endpoint: {{.O.ArchivalEndpoint}}
    bucket: {{.O.ArchivalBucket}}
  # À la carte components (the 25 mandatory ones are always installed) and
  # products; list them with: catalyst catalog list
  components: []
  products: []
{{- if .TwoRegions}}
  # automatic, semi-automatic (a human approves) or manual.
  failover:
    mode: semi-automatic
{{- end}}
  # Air-gapped? Point every download at your own mirror:
  # mirror:
  #   registry: harbor.example.internal/mirror
  #   charts: oci://harbor.example.internal/charts
  #   binaries: https://files.example.internal/mirror
`))

// Render returns the starter spec for the options.
func Render(opts *Options) ([]byte, error) {
	type region struct{ Name, Location string }
	var regions []region
	for _, l := range opts.Locations {
		regions = append(regions, region{Name: regionName(l), Location: l})
	}
	var b strings.Builder
	err := starter.Execute(&b, map[string]any{
		"APIVersion": instance.APIVersion, "Kind": instance.Kind, "O": opts,
		"Regions": regions, "TwoRegions": len(regions) == 2,
	})
	return []byte(b.String()), err
}

// regionName derives a short region name from a location (fsn1 -> fsn).
func regionName(location string) string {
	return strings.TrimRight(location, "0123456789")
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".instance-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
