package root

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/openova-io/openova/internal/cmd/cmdutil"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/iostreams"
)

func TestExitCodes(t *testing.T) {
	invalid := &instance.ValidationError{Errs: field.ErrorList{field.Required(field.NewPath("spec", "domain"), "set the base domain")}}
	for _, tc := range []struct {
		name    string
		err     error
		code    int
		message string
	}{
		{"success", nil, ExitOK, ""},
		{"check found problems", &cmdutil.FailedError{Msg: "catalog lint: 2 problems"}, ExitFailed, "catalog lint: 2 problems"},
		{"invalid spec, wrapped with its file", fmt.Errorf("instance.yaml: %w", invalid), ExitFailed, "instance.yaml: instance spec has 1 problem(s):\n  spec.domain: Required value: set the base domain"},
		{"anything else", errors.New("read instance.yaml: no such file"), ExitError, "error: read instance.yaml: no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			if got := exitCode(&factory.Factory{IOStreams: ios}, tc.err); got != tc.code {
				t.Errorf("exit code %d, want %d", got, tc.code)
			}
			if got := strings.TrimSpace(errOut.String()); got != tc.message {
				t.Errorf("stderr %q, want %q", got, tc.message)
			}
		})
	}
}

func TestEverySubcommandIsRegistered(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdRoot(&factory.Factory{IOStreams: ios})
	for _, name := range []string{"catalog", "init", "validate", "generate", "diff", "failover", "seed", "manager", "blueprints"} {
		if c, _, err := cmd.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("catalyst %s: not registered (%v)", name, err)
		}
	}
}
