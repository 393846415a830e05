package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/openova-io/openova/internal/wizard"
	"github.com/openova-io/openova/internal/wizard/postgres"
	"github.com/openova-io/openova/internal/wizard/postgres/pgtest"
	"github.com/openova-io/openova/internal/wizard/storetest"
)

// TestStore runs the shared suite against a real PostgreSQL, one fresh
// database per subtest on one cluster.
func TestStore(t *testing.T) {
	dsn := pgtest.Start(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	n := 0
	storetest.Run(t, func(t *testing.T) storetest.Target {
		n++
		db := fmt.Sprintf("wizard_%d", n)
		if _, err := admin.Exec("CREATE DATABASE " + db); err != nil {
			t.Fatal(err)
		}
		url := strings.Replace(dsn, "/postgres?", "/"+db+"?", 1)
		open := func(t *testing.T) wizard.Store {
			s, err := postgres.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := open(t)
		t.Cleanup(func() { s.Close() })
		return storetest.Target{Store: s, Reopen: func(t *testing.T) wizard.Store {
			s.Close()
			s = open(t)
			return s
		}}
	})
}
