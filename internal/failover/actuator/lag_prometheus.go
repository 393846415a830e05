package actuator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// CNPGLagQuery is the default query for one CNPG Cluster's lag: the
// instances' cnpg_pg_replication_lag (seconds, from CNPG's default
// monitoring queries), worst instance. The Cluster CRD's status carries
// no lag (only LSN-free fields such as timelineID and
// instancesReportedState), so the lag is observable only through the
// instance metrics, which Prometheus scrapes.
func CNPGLagQuery(namespace, cluster string) string {
	return fmt.Sprintf(`max(cnpg_pg_replication_lag{namespace=%q,pod=~%q})`, namespace, regexpQuote(cluster)+"-[0-9]+")
}

// PrometheusLag reads a lag in seconds from a Prometheus-compatible
// instant query (GET /api/v1/query). An empty result, NaN, or a sample
// older than MaxAge is unknown.
type PrometheusLag struct {
	URL    string // base URL, e.g. http://prometheus.monitoring:9090
	Query  string
	MaxAge time.Duration
	Client *http.Client
	Now    func() time.Time
}

func (p *PrometheusLag) Name() string { return "prometheus lag " + p.Query }

// Lag implements LagSource.
func (p *PrometheusLag) Lag(ctx context.Context) (LagReading, error) {
	u, err := url.Parse(strings.TrimSuffix(p.URL, "/") + "/api/v1/query")
	if err != nil {
		return LagReading{}, fmt.Errorf("%s: URL %q: %w", p.Name(), p.URL, err)
	}
	u.RawQuery = url.Values{"query": {p.Query}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return LagReading{}, fmt.Errorf("%s: %w", p.Name(), err)
	}
	c := p.Client
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return LagReading{}, fmt.Errorf("%s: %w", p.Name(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return LagReading{}, fmt.Errorf("%s: read answer: %w", p.Name(), err)
	}
	var ans struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Value [2]json.RawMessage `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return LagReading{}, fmt.Errorf("%s: HTTP %d, not a Prometheus API answer: %w", p.Name(), resp.StatusCode, err)
	}
	if ans.Status != "success" {
		return LagReading{}, fmt.Errorf("%s: HTTP %d, %s: %s", p.Name(), resp.StatusCode, ans.ErrorType, ans.Error)
	}
	if ans.Data.ResultType != "vector" {
		return LagReading{}, fmt.Errorf("%s: result type %q, want vector (an instant query such as max(...))", p.Name(), ans.Data.ResultType)
	}
	if len(ans.Data.Result) == 0 {
		return LagReading{Detail: "no series: is the standby cluster scraped?"}, nil
	}
	worst := time.Duration(-1)
	for _, s := range ans.Data.Result {
		var ts float64
		var v string
		if json.Unmarshal(s.Value[0], &ts) != nil || json.Unmarshal(s.Value[1], &v) != nil {
			return LagReading{}, fmt.Errorf("%s: sample %s is not [time, \"value\"]", p.Name(), s.Value)
		}
		sec, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(sec) || math.IsInf(sec, 0) || sec < 0 {
			return LagReading{Detail: fmt.Sprintf("sample value %q is not a lag in seconds", v)}, nil
		}
		if age := p.Now().Sub(time.Unix(0, int64(ts*1e9))); p.MaxAge > 0 && age > p.MaxAge {
			return LagReading{Detail: fmt.Sprintf("sample is %s old, older than %s", age.Round(time.Second), p.MaxAge)}, nil
		}
		worst = max(worst, time.Duration(sec*float64(time.Second)))
	}
	return LagReading{Lag: worst, Known: true, Detail: fmt.Sprintf("%s from %d series", worst, len(ans.Data.Result))}, nil
}

// regexpQuote escapes the RE2 metacharacters a Kubernetes name can hold.
func regexpQuote(s string) string { return strings.ReplaceAll(s, ".", `\.`) }
