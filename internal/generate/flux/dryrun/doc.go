// Package dryrun holds the test that applies every object of the
// generated Flux tree and bootstrap bundles, for both examples, with a
// server-side dry-run against a real kube-apiserver.
package dryrun
