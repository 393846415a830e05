package portalweb_test

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/portal"
	"github.com/openova-io/openova/internal/portal/portaltest"
	portalweb "github.com/openova-io/openova/internal/portal/web"
	"github.com/openova-io/openova/internal/wizard/secrets"
)

func TestNewNamesWhatIsMissing(t *testing.T) {
	if _, err := portalweb.New(portalweb.Config{}); err == nil || !strings.Contains(err.Error(), "Now, RP, Random, Sealer, Service must be set") {
		t.Fatalf("empty config: %v", err)
	}
	key := make([]byte, secrets.KeySize)
	sealer, _ := secrets.New(key, rand.Reader)
	// RP is only stored by New; a nil interface is what is checked.
	cfg := portalweb.Config{Service: &portal.Service{Catalog: portaltest.Catalog(t)}, Sealer: sealer, Now: time.Now, Random: rand.Reader, Prefix: "portal/"}
	if _, err := portalweb.New(cfg); err == nil || !strings.Contains(err.Error(), "RP must be set") {
		t.Fatalf("no RP: %v", err)
	}
}
