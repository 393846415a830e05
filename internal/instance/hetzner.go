package instance

import "regexp"

// hetznerLocations maps each Hetzner Cloud location to its network zone
// (Hetzner's public location list).
var hetznerLocations = map[string]string{
	"fsn1": "eu-central",
	"nbg1": "eu-central",
	"hel1": "eu-central",
	"ash":  "us-east",
	"hil":  "us-west",
	"sin":  "ap-southeast",
}

// HetznerNetworkZone returns the network zone of a Hetzner location.
func HetznerNetworkZone(location string) (string, bool) {
	z, ok := hetznerLocations[location]
	return z, ok
}

// hetznerServerType matches Hetzner server type names (cx22, cpx31,
// cax21, ccx33); the exact list changes, so only the shape is checked.
var hetznerServerType = regexp.MustCompile(`^(cx|cpx|cax|ccx)[0-9]{2,3}$`)

var hetznerLBTypes = []string{"lb11", "lb21", "lb31"}
