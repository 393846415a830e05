package regen

import "testing"

// BenchmarkUpgrade is one upgrade pull request's content for the
// two-region example (52 components): pinning, generating, diffing.
func BenchmarkUpgrade(b *testing.B) {
	files := snapshot(b, example(b, "two-region"), realCatalog(b))
	cat := newer(b, "keycloak", "cert-manager")
	b.ReportAllocs()
	for b.Loop() {
		c, err := Upgrade(files, cat, "keycloak", "9.9.9")
		if err != nil || c.Empty() {
			b.Fatal(err)
		}
	}
}
