// Package manager is the lifecycle manager's health, support and drift
// judgement (a pure core: Observe, Evaluate, Conditions) and the
// controller-runtime reconciler that writes it to each PlatformInstance's
// status and to Prometheus.
package manager
