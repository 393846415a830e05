// Package route decides, without I/O, which upstream deployments a request
// tries and in what order: weighted choice among a model's deployments,
// retries on the others, then the model's fallbacks.
package route

import (
	"github.com/openova-io/openova/internal/llmgateway/config"
)

// Attempt is one upstream call to make.
type Attempt struct {
	Model      *config.Model
	Deployment *config.Deployment
}

// Plan returns up to 1+retries attempts per model, for the model and then
// each fallback in order. Within a model, deployments are drawn by weight
// without replacement (so a retry goes elsewhere while there is elsewhere),
// then cycled. rnd returns a float in [0,1); it is injected so tests are
// deterministic.
func Plan(c *config.Config, m *config.Model, retries int, rnd func() float64) []Attempt {
	var out []Attempt
	seen := map[string]bool{}
	for _, model := range chain(c, m) {
		if seen[model.Name] {
			continue
		}
		seen[model.Name] = true
		order := weightedOrder(model.Deployments, rnd)
		for i := 0; i <= retries && len(order) > 0; i++ {
			out = append(out, Attempt{Model: model, Deployment: &model.Deployments[order[i%len(order)]]})
		}
	}
	return out
}

func chain(c *config.Config, m *config.Model) []*config.Model {
	ms := []*config.Model{m}
	for _, name := range m.Fallbacks {
		for i := range c.Models {
			if c.Models[i].Name == name {
				ms = append(ms, &c.Models[i])
			}
		}
	}
	return ms
}

// weightedOrder is a weighted random permutation of deployment indexes;
// zero-weight deployments come last (drained, used only when all else fails).
func weightedOrder(ds []config.Deployment, rnd func() float64) []int {
	left := make([]int, 0, len(ds))
	var zero []int
	for i, d := range ds {
		if *d.Weight > 0 {
			left = append(left, i)
		} else {
			zero = append(zero, i)
		}
	}
	order := make([]int, 0, len(ds))
	for len(left) > 0 {
		total := 0
		for _, i := range left {
			total += *ds[i].Weight
		}
		x := rnd() * float64(total)
		pick := len(left) - 1
		for k, i := range left {
			x -= float64(*ds[i].Weight)
			if x < 0 {
				pick = k
				break
			}
		}
		order = append(order, left[pick])
		left = append(left[:pick], left[pick+1:]...)
	}
	return append(order, zero...)
}

// Retryable says whether an upstream status is worth another attempt:
// 429 and 5xx are; other 4xx are the client's to fix.
func Retryable(status int) bool {
	return status == 429 || status >= 500
}
