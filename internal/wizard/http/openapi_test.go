package http_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestOpenAPIKeptInRepository: the served document is docs/wizard-openapi.json,
// and every API route the server has is in it.
func TestOpenAPIKeptInRepository(t *testing.T) {
	repo, err := os.ReadFile("../../../docs/wizard-openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	code, served := h.client().do("GET", "/api/v1/openapi.json", nil)
	if code != 200 || !bytes.Equal(served, repo) {
		t.Fatal("served openapi.json differs from docs/wizard-openapi.json: copy docs/wizard-openapi.json to internal/wizard/http/assets/openapi.json")
	}
	var doc struct{ Paths map[string]map[string]any }
	if err := json.Unmarshal(repo, &doc); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("server.go")
	if err != nil {
		t.Fatal(err)
	}
	route := regexp.MustCompile(`"(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^"]+)"`)
	for _, m := range route.FindAllStringSubmatch(string(src), -1) {
		path := strings.ReplaceAll(m[2], "...}", "}")
		if doc.Paths[path][strings.ToLower(m[1])] == nil {
			t.Errorf("route %s %s is not in docs/wizard-openapi.json", m[1], path)
		}
	}
}
