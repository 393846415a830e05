// Package dryrun holds the tests that put the real, embedded catalog in
// front of a real kube-apiserver: the Flux objects of every Helm-delivered
// component (built by fluxobj), and, for upstream charts shipped inside Go
// modules (cert-manager, kyverno, cilium), the chart itself rendered with
// our values by the Helm SDK. It has no code outside its tests.
package dryrun
