package terraform

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/instance"
)

// TestS3BackendLocksState: two applies (an operator's and the wizard's, or
// two CI runs) must not write one state, so the s3 backend takes a lock
// object (use_lockfile, OpenTofu 1.10's native S3 locking).
func TestS3BackendLocksState(t *testing.T) {
	in, err := instance.Load("../../../examples/one-region.yaml")
	if err != nil {
		t.Fatal(err)
	}
	instance.SetDefaults(in)
	if in.Spec.Archival.Provider == instance.ArchivalAzureBlob {
		t.Fatal("examples/one-region.yaml must use an S3 archival store for this test")
	}
	tree := filetree.New()
	if err := Render(Input{Spec: &in.Spec, CiliumChart: "1.18.0"}, tree); err != nil {
		t.Fatal(err)
	}
	src, _ := tree.Get(Dir + "/versions.tf")
	f, diags := hclsyntax.ParseConfig(src, "versions.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var backend *hclsyntax.Block
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "terraform" {
			continue
		}
		for _, inner := range b.Body.Blocks {
			if inner.Type == "backend" && len(inner.Labels) == 1 && inner.Labels[0] == "s3" {
				backend = inner
			}
		}
	}
	if backend == nil {
		t.Fatalf("versions.tf has no backend \"s3\" block:\n%s", src)
	}
	attr, ok := backend.Body.Attributes["use_lockfile"]
	if !ok {
		t.Fatalf("backend \"s3\" does not set use_lockfile:\n%s", src)
	}
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() || !v.True() {
		t.Fatalf("use_lockfile = %#v, want true", v)
	}
}
