package lease

import (
	"fmt"
	"regexp"
	"time"
)

// Limits bound what a witness accepts. A witness refuses a TTL outside
// [MinTTL, MaxTTL] rather than silently clamping it, because the holder
// computes its own fencing deadline from the TTL it asked for.
type Limits struct {
	MinTTL time.Duration
	MaxTTL time.Duration
}

// DefaultLimits allow sub-second TTLs for tests and up to ten minutes.
var DefaultLimits = Limits{MinTTL: 500 * time.Millisecond, MaxTTL: 10 * time.Minute}

// MaxEpoch keeps epochs exact in JSON readers that use float64 numbers
// (JavaScript, the Cloudflare Worker): 2^53-1.
const MaxEpoch = 1<<53 - 1

// namePattern is a DNS label: lease names and holders (region names) end up
// in metric labels, URLs and Kubernetes objects.
var namePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// ValidateName checks a lease or holder name; field says which.
func ValidateName(field, v string) error {
	if !namePattern.MatchString(v) {
		return fmt.Errorf("%s %q is invalid: use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit", field, v)
	}
	return nil
}

// ValidateAcquire checks an acquire request against the limits.
func (lim Limits) ValidateAcquire(req AcquireRequest) error {
	if err := ValidateName("holder", req.Holder); err != nil {
		return err
	}
	if req.TTL < lim.MinTTL || req.TTL > lim.MaxTTL {
		return fmt.Errorf("ttlMs %d is out of range: this witness accepts %d to %d",
			req.TTL.Milliseconds(), lim.MinTTL.Milliseconds(), lim.MaxTTL.Milliseconds())
	}
	if req.IfEpoch != nil && *req.IfEpoch > MaxEpoch {
		return fmt.Errorf("ifEpoch %d is above the largest epoch %d", *req.IfEpoch, uint64(MaxEpoch))
	}
	return nil
}

// ValidateGrant checks the holder and epoch of a renew or release.
func ValidateGrant(holder string, epoch uint64) error {
	if err := ValidateName("holder", holder); err != nil {
		return err
	}
	if epoch == 0 || epoch > MaxEpoch {
		return fmt.Errorf("epoch %d is invalid: use the epoch your acquire returned (1 to %d)", epoch, uint64(MaxEpoch))
	}
	return nil
}
