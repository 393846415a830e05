package actuator

import (
	"testing"
	"time"
)

// A replica behind its primary cannot be produced on demand with real
// servers, so the comparison is tested on INFO fields directly.
func TestReplicaLag(t *testing.T) {
	for _, c := range []struct {
		replica, primary map[string]string
		want             time.Duration
		err              bool
	}{
		{map[string]string{"slave_repl_offset": "100", "master_last_io_seconds_ago": "7"}, map[string]string{"master_repl_offset": "100"}, 0, false},
		{map[string]string{"slave_repl_offset": "90", "master_last_io_seconds_ago": "7"}, map[string]string{"master_repl_offset": "100"}, 7 * time.Second, false},
		{map[string]string{"slave_repl_offset": "90", "master_last_io_seconds_ago": "0"}, map[string]string{"master_repl_offset": "100"}, time.Second, false},
		{map[string]string{"slave_repl_offset": "x"}, map[string]string{"master_repl_offset": "100"}, 0, true},
	} {
		got, _, err := replicaLag(c.replica, c.primary)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("replicaLag(%v, %v) = %s, %v; want %s, error %v", c.replica, c.primary, got, err, c.want, c.err)
		}
	}
}
