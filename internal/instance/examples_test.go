package instance

import (
	"path/filepath"
	"testing"
)

func TestExamplesAreValid(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		in, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		SetDefaults(in)
		if errs := Validate(in, testCatalog()); len(errs) > 0 {
			t.Errorf("%s: %v", f, errs.ToAggregate())
		}
	}
}

func TestFullExampleHasEverything(t *testing.T) {
	in, err := Load("../../examples/two-region.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(in.Spec.Components), len(testMandatory)+len(testAlaCarte); got != want || want != 52 {
		t.Fatalf("full example lists %d components, want all %d", got, want)
	}
	if len(in.Spec.Products) != len(testProducts) || len(in.Spec.Regions) != 2 {
		t.Fatalf("full example: %d products, %d regions", len(in.Spec.Products), len(in.Spec.Regions))
	}
}
