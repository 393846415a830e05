package v1alpha1

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Default lease timing (OPENOVA.md §5).
const (
	DefaultRenewInterval = 10 * time.Second
	DefaultTTL           = 30 * time.Second
	DefaultRetryTimeout  = 10 * time.Second
)

// Resolved returns the timing with defaults filled in, for controllers that
// read a FailoverGroup the API server did not default (e.g. from a file).
func (t Timing) Resolved() (renew, ttl, retry time.Duration) {
	return orDefault(t.RenewInterval, DefaultRenewInterval), orDefault(t.TTL, DefaultTTL), orDefault(t.RetryTimeout, DefaultRetryTimeout)
}

// ValidateTiming checks the rule the CRD also enforces: the holder must be
// able to renew and retry twice within one TTL.
func ValidateTiming(renew, ttl, retry time.Duration) error {
	switch {
	case renew <= 0:
		return fmt.Errorf("timing.renewInterval must be positive, got %s", renew)
	case ttl <= 0:
		return fmt.Errorf("timing.ttl must be positive, got %s", ttl)
	case retry <= 0:
		return fmt.Errorf("timing.retryTimeout must be positive, got %s", retry)
	case renew+2*retry > ttl:
		return fmt.Errorf("timing: renewInterval (%s) + 2 × retryTimeout (%s) = %s exceeds ttl (%s); lower renewInterval or retryTimeout, or raise ttl",
			renew, retry, renew+2*retry, ttl)
	}
	return nil
}

func orDefault(d *metav1.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return d.Duration
}

// DefaultMaxLagSeconds is the RPO bound when spec.rpo.maxLagSeconds is unset.
const DefaultMaxLagSeconds = 30

// MaxLag returns the RPO bound with its default filled in.
func (r RPOSpec) MaxLag() time.Duration {
	if r.MaxLagSeconds == nil {
		return DefaultMaxLagSeconds * time.Second
	}
	return time.Duration(*r.MaxLagSeconds) * time.Second
}
