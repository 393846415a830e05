package forge_test

import (
	"testing"

	"github.com/openova-io/openova/internal/giteatest"
)

// One real Gitea for the package (about a second to start); each test
// works in its own organisation.
var srv *giteatest.Server

func TestMain(m *testing.M) { giteatest.Main(m, func(s *giteatest.Server) { srv = s }) }
