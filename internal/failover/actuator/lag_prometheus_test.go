package actuator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/failover/actuator"
)

// No Prometheus runs here: this httptest server implements the documented
// instant-query response of GET /api/v1/query
// (https://prometheus.io/docs/prometheus/latest/querying/api/), answering
// with the body the test sets.
func TestPrometheusLag(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var body, gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		gotQuery = r.URL.Query().Get("query")
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(body, `"error"`) {
			w.WriteHeader(http.StatusBadRequest)
		}
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	q := actuator.CNPGLagQuery("db", "pg.eu")
	src := &actuator.PrometheusLag{URL: srv.URL + "/", Query: q, MaxAge: time.Minute, Now: func() time.Time { return now }}

	for _, c := range []struct {
		name, body string
		want       actuator.LagReading
		err        string
	}{
		{"worst series", `{"status":"success","data":{"resultType":"vector","result":[
			{"metric":{"pod":"pg-eu-1"},"value":[1799999990.5,"2.5"]},
			{"metric":{"pod":"pg-eu-2"},"value":[1799999990.5,"0"]}]}}`,
			actuator.LagReading{Lag: 2500 * time.Millisecond, Known: true}, ""},
		{"no series", `{"status":"success","data":{"resultType":"vector","result":[]}}`, actuator.LagReading{}, ""},
		{"stale sample", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1799999000,"1"]}]}}`, actuator.LagReading{}, ""},
		{"NaN", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1799999990,"NaN"]}]}}`, actuator.LagReading{}, ""},
		{"query error", `{"status":"error","errorType":"bad_data","error":"parse error"}`, actuator.LagReading{}, "bad_data: parse error"},
		{"matrix", `{"status":"success","data":{"resultType":"matrix","result":[]}}`, actuator.LagReading{}, "want vector"},
		{"not prometheus", `<html>`, actuator.LagReading{}, "not a Prometheus API answer"},
	} {
		body = c.body
		r, err := src.Lag(context.Background())
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || r.Known != c.want.Known || r.Lag != c.want.Lag {
			t.Errorf("%s: %+v, %v; want %+v", c.name, r, err, c.want)
		}
	}
	if want := `max(cnpg_pg_replication_lag{namespace="db",pod=~"pg\\.eu-[0-9]+"})`; gotQuery != want {
		t.Errorf("query sent %s, want %s", gotQuery, want)
	}
}
