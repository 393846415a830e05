package witness

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/lease"
)

// Credentials maps bearer tokens to regions. The file holds only SHA-256
// hashes: tokens are 32 random bytes, so a fast hash is enough and the file
// is no secret worth stealing. A region may list several hashes so a token
// can be rotated without downtime.
//
//	regions:
//	  eu-west: ["sha256:<64 hex>"]
//	  us-east: ["sha256:<64 hex>", "sha256:<64 hex>"]
type Credentials struct {
	hashes []credential
}

type credential struct {
	region string
	sum    [sha256.Size]byte
}

type credentialsFile struct {
	Regions map[string][]string `json:"regions"`
}

// LoadCredentials reads and checks a credentials file.
func LoadCredentials(path string) (*Credentials, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("credentials file: %w", err)
	}
	c, err := ParseCredentials(raw)
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	return c, nil
}

// ParseCredentials parses the YAML (or JSON) form shown on Credentials.
func ParseCredentials(raw []byte) (*Credentials, error) {
	var f credentialsFile
	if err := yaml.UnmarshalStrict(raw, &f); err != nil {
		return nil, fmt.Errorf("%w (expected: regions: {<region>: [\"sha256:<hex>\"]})", err)
	}
	if len(f.Regions) == 0 {
		return nil, fmt.Errorf("no regions: add regions.<region>: [\"sha256:<hex of the token's SHA-256>\"]")
	}
	regions := make([]string, 0, len(f.Regions))
	for r := range f.Regions {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	c := &Credentials{}
	for _, region := range regions {
		if err := lease.ValidateName("regions."+region, region); err != nil {
			return nil, err
		}
		if len(f.Regions[region]) == 0 {
			return nil, fmt.Errorf("regions.%s has no token hash", region)
		}
		for i, h := range f.Regions[region] {
			hexSum, ok := strings.CutPrefix(h, "sha256:")
			b, err := hex.DecodeString(hexSum)
			if !ok || err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("regions.%s[%d] is not \"sha256:<64 hex digits>\" (make it with: printf %%s \"$TOKEN\" | sha256sum)", region, i)
			}
			c.hashes = append(c.hashes, credential{region: region, sum: [sha256.Size]byte(b)})
		}
	}
	return c, nil
}

// HashToken is the form a token takes in the credentials file.
func HashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(s[:])
}

// Region returns the region whose token this is. It compares against every
// hash in constant time so the answer's timing says nothing.
func (c *Credentials) Region(token string) (string, bool) {
	if token == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(token))
	found := ""
	for _, h := range c.hashes {
		if subtle.ConstantTimeCompare(sum[:], h.sum[:]) == 1 {
			found = h.region
		}
	}
	return found, found != ""
}
