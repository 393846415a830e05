package llmgateway

import "math/rand/v2"

// defaultRand is the production source for weighted choice; tests inject
// their own through Deps.Rand.
func defaultRand() float64 { return rand.Float64() }
