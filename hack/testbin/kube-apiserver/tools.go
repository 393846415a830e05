//go:build tools

// Package tools pins kube-apiserver for the test harness; see ../install.sh.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
