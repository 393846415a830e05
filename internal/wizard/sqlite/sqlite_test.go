package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/wizard"
	"github.com/openova-io/openova/internal/wizard/sqlite"
	"github.com/openova-io/openova/internal/wizard/storetest"
)

func open(t *testing.T, path string) wizard.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Target {
		path := filepath.Join(t.TempDir(), "wizard.db")
		s := open(t, path)
		t.Cleanup(func() { s.Close() })
		return storetest.Target{Store: s, Reopen: func(t *testing.T) wizard.Store {
			s.Close()
			s = open(t, path)
			return s
		}}
	})
}

// TestWipeLeavesNoBytes scans the database file itself: after a wipe,
// neither a credential nor its sealed form may remain anywhere in it.
func TestWipeLeavesNoBytes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wizard.db")
	s := open(t, path)
	defer s.Close()
	if err := s.CreateOrg(ctx, &wizard.Org{ID: "o", Name: "acme"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBootstrap(ctx, &wizard.Bootstrap{ID: "b", OrgID: "o", Instance: wizard.NewInstance(), Status: wizard.StatusDraft}); err != nil {
		t.Fatal(err)
	}
	marker := bytes.Repeat([]byte("SEALED-CREDENTIAL-MARKER"), 4)
	if err := s.PutCredential(ctx, "o", "b", "hcloud-token", marker); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !bytes.Contains(data, marker) {
		t.Fatal("the marker is not in the file before the wipe: this test would prove nothing")
	}
	if err := s.WipeCredentials(ctx, "o", "b"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-journal", path + "-wal"} {
		if data, err := os.ReadFile(p); err == nil && bytes.Contains(data, marker) {
			t.Fatalf("%s still holds the wiped credential's bytes", filepath.Base(p))
		}
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wizard.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (999)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := sqlite.Open(ctx, path); err == nil || !strings.Contains(err.Error(), "upgrade catalyst") {
		t.Fatalf("opening a newer schema: %v, want an error telling to upgrade", err)
	}
}
