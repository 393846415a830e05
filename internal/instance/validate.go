package instance

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validate checks a defaulted spec against every rule and returns all
// problems at once; each names its field path and says how to fix it.
func Validate(in *Instance, cat *Catalog) field.ErrorList {
	var errs field.ErrorList
	if in.APIVersion != APIVersion {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), in.APIVersion, "set apiVersion: "+APIVersion))
	}
	if in.Kind != Kind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), in.Kind, "set kind: "+Kind))
	}
	s, p := &in.Spec, field.NewPath("spec")
	errs = append(errs, validateTenant(s.Tenant, p.Child("tenant"))...)
	errs = append(errs, validateDomain(s.Domain, p.Child("domain"))...)
	errs = append(errs, validateCloud(s, p)...)
	errs = append(errs, validateRegions(s, p.Child("regions"))...)
	errs = append(errs, validateLoadBalancer(s, p.Child("loadBalancer"))...)
	errs = append(errs, validateArchival(s.Archival, p.Child("archival"))...)
	errs = append(errs, validateSelection(s, cat, p)...)
	errs = append(errs, validateFailover(s, p.Child("failover"))...)
	errs = append(errs, validateGit(s.Git, p.Child("git"))...)
	errs = append(errs, validateMirror(s.Mirror, p.Child("mirror"))...)
	errs = append(errs, validateOverrides(s.Overrides, cat, p.Child("overrides"))...)
	for i, r := range s.Regions {
		errs = append(errs, validateOverrides(r.Overrides, cat, p.Child("regions").Index(i).Child("overrides"))...)
	}
	errs = append(errs, validateSupplyChain(s.SupplyChain, p.Child("supplyChain"))...)
	return errs
}

var tenantRE = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

const maxTenant, maxRegionName = 20, 12

func validateTenant(t string, p *field.Path) field.ErrorList {
	switch {
	case t == "":
		return field.ErrorList{field.Required(p, "set a short lowercase name for the customer, e.g. acme")}
	case len(t) > maxTenant || !tenantRE.MatchString(t):
		return field.ErrorList{field.Invalid(p, t, fmt.Sprintf(
			"use at most %d lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (it names DNS records, namespaces and cloud resources)", maxTenant))}
	}
	return nil
}

func validateDomain(d string, p *field.Path) field.ErrorList {
	if d == "" {
		return field.ErrorList{field.Required(p, "set the tenant's base domain, e.g. acme.example.com")}
	}
	if msgs := validation.IsDNS1123Subdomain(d); len(msgs) > 0 || !strings.Contains(d, ".") || len(d) > 200 {
		return field.ErrorList{field.Invalid(p, d, "use a lowercase fully qualified domain name such as acme.example.com, without a scheme or trailing dot")}
	}
	return nil
}

func validateCloud(s *Spec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Cloud != CloudHetzner {
		errs = append(errs, field.NotSupported(p.Child("cloud"), s.Cloud, []string{string(CloudHetzner)}))
	}
	needs := map[DNSProvider]Cloud{DNSRoute53: CloudAWS, DNSCloudDNS: CloudGCP, DNSAzureDNS: CloudAzure}
	dp := p.Child("dns", "provider")
	switch dns := s.DNS.Provider; {
	case dns == "":
		errs = append(errs, field.Required(dp, "set cloudflare or hetzner"))
	case needs[dns] != "" && needs[dns] != s.Cloud:
		errs = append(errs, field.Invalid(dp, dns, fmt.Sprintf(
			"%s is only available with cloud %s; on %s use cloudflare or hetzner", dns, needs[dns], s.Cloud)))
	case needs[dns] == "" && dns != DNSCloudflare && dns != DNSHetzner:
		errs = append(errs, field.NotSupported(dp, dns, []string{string(DNSCloudflare), string(DNSHetzner)}))
	}
	sp := p.Child("secrets", "backend")
	switch b := s.Secrets.Backend; b {
	case SecretsOpenBao:
	case SecretsCloudSecretManager:
		if s.Cloud == CloudHetzner {
			errs = append(errs, field.Invalid(sp, b, "Hetzner Cloud has no secret manager; use openbao"))
		}
	default:
		errs = append(errs, field.NotSupported(sp, b, []string{string(SecretsOpenBao), string(SecretsCloudSecretManager)}))
	}
	return errs
}

func validateRegions(s *Spec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if n := len(s.Regions); n < 1 || n > 2 {
		errs = append(errs, field.Invalid(p, n, "declare 1 or 2 regions (2 for disaster recovery); each is an independent cluster"))
	}
	names, locations := map[string]bool{}, map[string]bool{}
	for i, r := range s.Regions {
		rp := p.Index(i)
		errs = append(errs, validateRegion(r, rp)...)
		if names[r.Name] && r.Name != "" {
			errs = append(errs, field.Duplicate(rp.Child("name"), r.Name))
		}
		if locations[r.Location] && r.Location != "" {
			errs = append(errs, field.Invalid(rp.Child("location"), r.Location,
				"two regions in one location give no disaster recovery; pick another location"))
		}
		names[r.Name], locations[r.Location] = true, true
	}
	return errs
}

func validateRegion(r Region, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "set a short region name, e.g. fsn"))
	} else if len(r.Name) > maxRegionName || !tenantRE.MatchString(r.Name) {
		errs = append(errs, field.Invalid(p.Child("name"), r.Name, fmt.Sprintf(
			"use at most %d lowercase letters, digits and '-' (it is part of every cloud resource name)", maxRegionName)))
	}
	zone, ok := HetznerNetworkZone(r.Location)
	switch {
	case r.Location == "":
		errs = append(errs, field.Required(p.Child("location"), "set a Hetzner location: "+strings.Join(sortedKeys(hetznerLocations), ", ")))
	case !ok:
		errs = append(errs, field.NotSupported(p.Child("location"), r.Location, sortedKeys(hetznerLocations)))
	case r.NetworkZone != zone:
		errs = append(errs, field.Invalid(p.Child("networkZone"), r.NetworkZone,
			fmt.Sprintf("location %s is in network zone %s; set that or leave networkZone out", r.Location, zone)))
	}
	cp := p.Child("controlPlane")
	if c := r.ControlPlane.Count; c != 1 && c != 3 && c != 5 {
		errs = append(errs, field.Invalid(cp.Child("count"), c, "use 1, 3 or 5 control-plane nodes (an odd number keeps etcd quorum)"))
	}
	errs = append(errs, validateServerType(r.ControlPlane.ServerType, cp.Child("serverType"))...)
	pools := map[string]bool{}
	for i, w := range r.WorkerPools {
		wp := p.Child("workerPools").Index(i)
		if !tenantRE.MatchString(w.Name) || len(w.Name) > 16 {
			errs = append(errs, field.Invalid(wp.Child("name"), w.Name, "use at most 16 lowercase letters, digits and '-'"))
		} else if pools[w.Name] {
			errs = append(errs, field.Duplicate(wp.Child("name"), w.Name))
		}
		pools[w.Name] = true
		if w.Count < 0 || w.Count > 50 {
			errs = append(errs, field.Invalid(wp.Child("count"), w.Count, "use 0 to 50 servers per pool"))
		}
		errs = append(errs, validateServerType(w.ServerType, wp.Child("serverType"))...)
		for _, k := range sortedKeys(w.Labels) {
			lp := wp.Child("labels").Key(k)
			if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
				errs = append(errs, field.Invalid(lp, k, "label keys must be Kubernetes qualified names: "+strings.Join(msgs, "; ")))
			}
			if msgs := validation.IsValidLabelValue(w.Labels[k]); len(msgs) > 0 {
				errs = append(errs, field.Invalid(lp, w.Labels[k], "label values: "+strings.Join(msgs, "; ")))
			}
		}
	}
	return errs
}

func validateServerType(t string, p *field.Path) field.ErrorList {
	if !hetznerServerType.MatchString(t) {
		return field.ErrorList{field.Invalid(p, t, "use a Hetzner server type such as cpx31, cx32, cax21 or ccx23")}
	}
	return nil
}

func validateLoadBalancer(s *Spec, p *field.Path) field.ErrorList {
	lb := s.LoadBalancer
	switch lb.Type {
	case LBCloud:
		if !contains(hetznerLBTypes, lb.HetznerType) {
			return field.ErrorList{field.NotSupported(p.Child("hetznerType"), lb.HetznerType, hetznerLBTypes)}
		}
	case LBK8gbDNS, LBCiliumL2:
		if lb.HetznerType != "" {
			return field.ErrorList{field.Invalid(p.Child("hetznerType"), lb.HetznerType, "only used with type cloud; remove it")}
		}
		if lb.Type == LBCiliumL2 && len(s.Regions) > 1 {
			return field.ErrorList{field.Invalid(p.Child("type"), lb.Type,
				"Cilium L2 announcements work within one subnet only, and two regions are two subnets; use cloud or k8gb-dns")}
		}
	default:
		return field.ErrorList{field.NotSupported(p.Child("type"), lb.Type, []string{string(LBCloud), string(LBK8gbDNS), string(LBCiliumL2)})}
	}
	return nil
}

var archivalProviders = []string{
	string(ArchivalCloudflareR2), string(ArchivalAWSS3), string(ArchivalGCS),
	string(ArchivalAzureBlob), string(ArchivalOCI), string(ArchivalHuaweiOBS),
}

var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func validateArchival(a Archival, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if a.Provider == "" {
		errs = append(errs, field.Required(p.Child("provider"), "set one of "+strings.Join(archivalProviders, ", ")))
	} else if !contains(archivalProviders, string(a.Provider)) {
		errs = append(errs, field.NotSupported(p.Child("provider"), a.Provider, archivalProviders))
	}
	if a.Endpoint == "" {
		errs = append(errs, field.Required(p.Child("endpoint"), "set the S3 endpoint URL, e.g. https://<account>.r2.cloudflarestorage.com"))
	} else {
		errs = append(errs, validateURL(a.Endpoint, p.Child("endpoint"), "https")...)
	}
	if a.Provider == ArchivalAWSS3 && (a.Region == "" || a.Region == "auto") {
		errs = append(errs, field.Required(p.Child("region"), "AWS S3 signs requests for the bucket's region: set it, e.g. eu-central-1"))
	}
	if !bucketRE.MatchString(a.Bucket) || strings.Contains(a.Bucket, "..") {
		errs = append(errs, field.Invalid(p.Child("bucket"), a.Bucket, "use an S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'"))
	}
	return errs
}

func validateFailover(s *Spec, p *field.Path) field.ErrorList {
	m := s.Failover.Mode
	if len(s.Regions) < 2 {
		var errs field.ErrorList
		if m != "" {
			errs = append(errs, field.Invalid(p.Child("mode"), m, "failover needs two regions; remove spec.failover or add a second region"))
		}
		if s.Failover.Witness.URL != "" {
			errs = append(errs, field.Invalid(p.Child("witness", "url"), s.Failover.Witness.URL, "a witness arbitrates between two regions; remove it or add a second region"))
		}
		return errs
	}
	var errs field.ErrorList
	modes := []string{string(FailoverAutomatic), string(FailoverSemiAutomatic), string(FailoverManual)}
	if !contains(modes, string(m)) {
		errs = append(errs, field.NotSupported(p.Child("mode"), m, modes))
	}
	if s.Failover.Witness.URL != "" {
		errs = append(errs, validateURL(s.Failover.Witness.URL, p.Child("witness", "url"), "https")...)
	}
	return errs
}

var giteaNameRE = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$`)

func validateGit(g Git, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct{ name, v string }{{"org", g.Org}, {"repository", g.Repository}} {
		if !giteaNameRE.MatchString(f.v) || strings.HasSuffix(f.v, ".git") {
			errs = append(errs, field.Invalid(p.Child(f.name), f.v, "use at most 100 letters, digits, '-', '_' and '.', not starting with '.' nor ending in .git"))
		}
	}
	return errs
}

var registryRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9._-]+)*$`)

func validateMirror(m Mirror, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m.Registry != "" && !registryRE.MatchString(m.Registry) {
		errs = append(errs, field.Invalid(p.Child("registry"), m.Registry, "use a registry host with an optional port and path, without a scheme, e.g. harbor.acme.internal/mirror"))
	}
	if m.Charts != "" {
		errs = append(errs, validateURL(m.Charts, p.Child("charts"), "https", "oci")...)
	}
	if m.Binaries != "" {
		errs = append(errs, validateURL(m.Binaries, p.Child("binaries"), "https")...)
	}
	return errs
}

// validateURL accepts an absolute URL with one of the schemes, and refuses
// credentials in it: secrets belong in variables, never in the spec.
func validateURL(raw string, p *field.Path, schemes ...string) field.ErrorList {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || !contains(schemes, u.Scheme):
		return field.ErrorList{field.Invalid(p, raw, "use an absolute "+strings.Join(schemes, " or ")+" URL")}
	case u.User != nil:
		// Never echo the URL: it carries a credential.
		return field.ErrorList{field.Invalid(p, "(redacted)", "remove the credentials from the URL; they are supplied as OpenTofu variables or Kubernetes secrets")}
	case u.RawQuery != "" || u.Fragment != "":
		return field.ErrorList{field.Invalid(p, raw, "remove the query string and fragment")}
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
