package terraform

import (
	"fmt"
	"strings"

	"github.com/openova-io/openova/internal/instance"
)

func outputsTF(m *model) string {
	var b strings.Builder
	b.WriteString(header)
	out := func(name, desc, value string) {
		fmt.Fprintf(&b, "output %q {\ndescription = %q\nvalue = %s\n}\n\n", name, desc, value)
	}
	for _, r := range m.Regions {
		fip := fmt.Sprintf("hcloud_floating_ip.%s_dns.ip_address", r.ID)
		out(r.ID+"_api_endpoint", "Kubernetes API of "+r.Cluster+" (reachable from admin_cidrs).",
			fmt.Sprintf(`"https://${%s}:6443"`, fip))
		out(r.ID+"_kubeconfig_command", "Fetches the admin kubeconfig of "+r.Cluster+"; store it like a password.",
			fmt.Sprintf(`"ssh root@${%[1]s} cat /etc/rancher/k3s/k3s.yaml | sed 's/127.0.0.1/${%[1]s}/' > %[2]s.kubeconfig"`, fip, r.Cluster))
		out(r.ID+"_dns_ipv4", "Address of k8gb's authoritative DNS in "+r.Cluster+".", fip)
		switch m.Spec.LoadBalancer.Type {
		case instance.LBCloud:
			out(r.ID+"_ingress_ipv4", "Public address of the ingress load balancer of "+r.Cluster+".",
				fmt.Sprintf("hcloud_load_balancer.%s_ingress.ipv4", r.ID))
		case instance.LBK8gbDNS:
			var refs []string
			for _, p := range r.Pools {
				refs = append(refs, "hcloud_server."+p.ID+"[*]")
			}
			out(r.ID+"_ingress_ipv4", "Worker addresses k8gb answers with for "+r.Cluster+".",
				fmt.Sprintf("[for s in concat(%s) : s.ipv4_address]", strings.Join(refs, ", ")))
		}
	}
	// The delegation itself is ExternalDNS's job in the cluster (OPENOVA.md
	// §4); this output is what it will create, for the operator to verify.
	var ns []string
	for _, r := range m.Regions {
		ns = append(ns, fmt.Sprintf("%q = hcloud_floating_ip.%s_dns.ip_address", nsName(m.Spec, r), r.ID))
	}
	fmt.Fprintf(&b, "output \"gslb_delegation\" {\ndescription = %q\nvalue = {\nzone = %q\nname_servers = {\n%s\n}\n}\n}\n",
		"NS records (with glue) delegating the GSLB zone to k8gb; ExternalDNS creates them in the base domain.",
		gslbZone(m.Spec), strings.Join(ns, "\n"))
	if m.Cloudflare {
		fmt.Fprintf(&b, "\ndata \"cloudflare_zone\" \"base\" {\nfilter = {\nname = %q\n}\n}\n\n", m.Spec.Domain)
		out("cloudflare_zone_id", "Cloudflare zone of the base domain, for ExternalDNS.", "data.cloudflare_zone.base.id")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// gslbZone is the zone k8gb serves authoritatively.
func gslbZone(s *instance.Spec) string { return "gslb." + s.Domain }

// nsName is the name server name of a region's k8gb.
func nsName(s *instance.Spec, r *region) string { return "ns-" + r.Name + "." + gslbZone(s) }
