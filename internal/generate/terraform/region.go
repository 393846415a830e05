package terraform

import (
	"fmt"
	"strings"

	"github.com/openova-io/openova/internal/instance"
)

// maxSpread is Hetzner's limit of servers in one spread placement group.
const maxSpread = 10

var world = `["0.0.0.0/0", "::/0"]`

func regionTF(m *model, r *region) string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "# Region %s: cluster %s in %s (%s).\n\n", r.Name, r.Cluster, r.Location, r.NetworkZone)
	clusterLabel := fmt.Sprintf("%q = %q", "openova.io/cluster", r.Cluster)

	fmt.Fprintf(&b, "resource \"hcloud_placement_group\" \"%s_cp\" {\nname = %q\ntype = \"spread\"\nlabels = %s\n}\n\n",
		r.ID, r.Cluster+"-cp", labelsHCL(clusterLabel))

	b.WriteString(firewallTF(m, r, clusterLabel))

	fmt.Fprintf(&b, `# A floating IP is the region's stable address: the Kubernetes API and
# k8gb's authoritative DNS (UDP 53, which Hetzner load balancers cannot
# carry) are served on it.
resource "hcloud_floating_ip" "%[1]s_dns" {
name = %[2]q
type = "ipv4"
home_location = %[3]q
description = "Kubernetes API and k8gb DNS of %[4]s"
labels = %[5]s
}

resource "hcloud_floating_ip_assignment" "%[1]s_dns" {
floating_ip_id = hcloud_floating_ip.%[1]s_dns.id
server_id = hcloud_server.%[1]s_cp[0].id
}

`, r.ID, r.Cluster+"-dns", r.Location, r.Cluster, labelsHCL(clusterLabel))

	fmt.Fprintf(&b, `locals {
%[1]s_server_vars = {
k3s_token = var.k3s_token
hcloud_token = var.hcloud_token
archival_access_key_id = var.archival_access_key_id
archival_secret_access_key = var.archival_secret_access_key
network_id = %[2]s
floating_ip = hcloud_floating_ip.%[1]s_dns.ip_address
}
}

`, r.ID, r.NetworkRef)

	fmt.Fprintf(&b, `resource "hcloud_server" "%[1]s_cp" {
count = %[2]d
name = "%[3]s-cp-${count.index + 1}"
server_type = %[4]q
image = %[5]q
location = %[6]q
ssh_keys = [hcloud_ssh_key.admin.id]
placement_group_id = hcloud_placement_group.%[1]s_cp.id
firewall_ids = [hcloud_firewall.%[1]s_base.id]
labels = %[7]s
user_data = templatefile(count.index == 0 ? "${path.module}/%[8]s" : "${path.module}/%[9]s", merge(local.%[1]s_server_vars, { node_ip = cidrhost(%[11]q, %[12]d + count.index) }))
public_net {
ipv4_enabled = true
ipv6_enabled = true
}
network {
network_id = %[10]s
ip = cidrhost(%[11]q, %[12]d + count.index)
}
depends_on = [hcloud_network_subnet.%[1]s]
# Day-2 changes reach the cluster through Git, not by recreating nodes.
lifecycle {
ignore_changes = [user_data, image, ssh_keys]
}
}

`, r.ID, r.ControlPlane.Count, r.Cluster, r.ControlPlane.ServerType, ServerImage, r.Location,
		labelsHCL(clusterLabel, `"openova.io/role" = "control-plane"`),
		templatePath(r, "server-init"), templatePath(r, "server-join"), r.NetworkRef, r.Subnet, cpHostBase)

	for _, p := range r.Pools {
		b.WriteString(poolTF(r, p, clusterLabel))
	}
	b.WriteString(loadBalancerTF(m, r, clusterLabel))
	return b.String()
}

func poolTF(r *region, p pool, clusterLabel string) string {
	var b strings.Builder
	placement := ""
	if p.Count > 0 && p.Count <= maxSpread {
		fmt.Fprintf(&b, "resource \"hcloud_placement_group\" %q {\nname = %q\ntype = \"spread\"\nlabels = %s\n}\n\n",
			p.ID, r.Cluster+"-"+p.Name, labelsHCL(clusterLabel))
		placement = fmt.Sprintf("placement_group_id = hcloud_placement_group.%s.id\n", p.ID)
	} else if p.Count > maxSpread {
		fmt.Fprintf(&b, "# Pool %s has more than %d servers, Hetzner's limit for a spread\n# placement group, so it has none.\n", p.Name, maxSpread)
	}
	fmt.Fprintf(&b, `resource "hcloud_server" %[1]q {
count = %[2]d
name = "%[3]s-%[4]s-${count.index + 1}"
server_type = %[5]q
image = %[6]q
location = %[7]q
ssh_keys = [hcloud_ssh_key.admin.id]
%[8]sfirewall_ids = [hcloud_firewall.%[9]s_base.id]
labels = %[10]s
user_data = templatefile("${path.module}/%[11]s", { k3s_token = var.k3s_token, node_ip = cidrhost(%[13]q, %[14]d + count.index) })
public_net {
ipv4_enabled = true
ipv6_enabled = true
}
network {
network_id = %[12]s
ip = cidrhost(%[13]q, %[14]d + count.index)
}
depends_on = [hcloud_network_subnet.%[9]s, hcloud_server.%[9]s_cp]
lifecycle {
ignore_changes = [user_data, image, ssh_keys]
}
}

`, p.ID, p.Count, r.Cluster, p.Name, p.ServerType, ServerImage, r.Location, placement, r.ID,
		labelsHCL(clusterLabel, `"openova.io/role" = "worker"`, fmt.Sprintf("%q = %q", "openova.io/pool", p.Name)),
		templatePath(r, "agent-"+p.Name), r.NetworkRef, r.Subnet, p.Offset)
	return b.String()
}

// firewallTF is least privilege on the public interfaces (Hetzner
// firewalls do not filter private networks): ICMP, SSH and the API from
// the operators only, DNS for k8gb, HTTP(S) only when ingress is on node
// addresses, and the mesh ports only from the peer region's nodes.
func firewallTF(m *model, r *region, clusterLabel string) string {
	var b strings.Builder
	rule := func(proto, port, sources, desc string) {
		fmt.Fprintf(&b, "rule {\ndirection = \"in\"\nprotocol = %q\n", proto)
		if port != "" {
			fmt.Fprintf(&b, "port = %q\n", port)
		}
		fmt.Fprintf(&b, "source_ips = %s\ndescription = %q\n}\n", sources, desc)
	}
	fmt.Fprintf(&b, "resource \"hcloud_firewall\" \"%s_base\" {\nname = %q\nlabels = %s\n", r.ID, r.Cluster+"-base", labelsHCL(clusterLabel))
	rule("icmp", "", world, "ICMP, for path MTU discovery")
	rule("tcp", "22", "var.admin_cidrs", "SSH from operators")
	rule("tcp", "6443", "var.admin_cidrs", "Kubernetes API from operators")
	rule("udp", "53", world, "k8gb authoritative DNS")
	rule("tcp", "53", world, "k8gb authoritative DNS (large answers)")
	if m.Spec.LoadBalancer.Type == instance.LBK8gbDNS {
		rule("tcp", "80", world, "ingress on node addresses (k8gb DNS-based balancing)")
		rule("tcp", "443", world, "ingress on node addresses (k8gb DNS-based balancing)")
	}
	b.WriteString("}\n\n")
	if r.Peer == nil || m.Shared {
		return b.String()
	}
	peers := fmt.Sprintf("[for s in concat(%s) : \"${s.ipv4_address}/32\"]", strings.Join(r.Peer.serverRefs(), ", "))
	fmt.Fprintf(&b, "# Applied by label so that it can name the peer's servers without a\n# dependency cycle between the regions.\nresource \"hcloud_firewall\" \"%s_mesh\" {\nname = %q\nlabels = %s\n", r.ID, r.Cluster+"-mesh", labelsHCL(clusterLabel))
	rule("udp", "51871", peers, "Cilium WireGuard from "+r.Peer.Cluster)
	rule("tcp", "4240", peers, "Cilium health checks from "+r.Peer.Cluster)
	rule("tcp", "32379", peers, "Cilium Cluster Mesh API from "+r.Peer.Cluster)
	fmt.Fprintf(&b, "apply_to {\nlabel_selector = %q\n}\n}\n\n", r.clusterLabel())
	return b.String()
}

func loadBalancerTF(m *model, r *region, clusterLabel string) string {
	if m.Spec.LoadBalancer.Type != instance.LBCloud {
		return ""
	}
	return fmt.Sprintf(`# The ingress load balancer. The Hetzner cloud controller manager adopts it
# (by name) for the ingress gateway Service and manages its targets and
# services; it reaches the nodes over the private network.
resource "hcloud_load_balancer" "%[1]s_ingress" {
name = %[2]q
load_balancer_type = %[3]q
location = %[4]q
labels = %[5]s
}

resource "hcloud_load_balancer_network" "%[1]s_ingress" {
load_balancer_id = hcloud_load_balancer.%[1]s_ingress.id
network_id = %[6]s
ip = cidrhost(%[7]q, %[8]d)
depends_on = [hcloud_network_subnet.%[1]s]
}
`, r.ID, IngressLoadBalancerName(r.Cluster), m.Spec.LoadBalancer.HetznerType, r.Location, labelsHCL(clusterLabel),
		r.NetworkRef, r.Subnet, lbHost)
}
