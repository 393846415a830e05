package catalog

import "testing"

func TestCheckLicense(t *testing.T) {
	ok := []string{"Apache-2.0", "MIT", "AGPL-3.0-only", "MPL-2.0", "BSD-3-Clause", "BSL-1.0",
		"Apache-2.0 OR MIT", "(MIT AND BSD-2-Clause) OR Apache-2.0", "GPL-2.0-only WITH Classpath-exception-2.0",
		"Apache-2.0 WITH LLVM-exception", "GPL-2.0-or-later"}
	for _, l := range ok {
		if err := CheckLicense(l); err != nil {
			t.Errorf("%q refused: %v", l, err)
		}
	}
	bad := []string{"", "BUSL-1.1", "SSPL-1.0", "Elastic-2.0", "RSALv2", "Apache-2.0 WITH Commons-Clause",
		"LicenseRef-Commons-Clause", "Proprietary", "MIT OR", "(MIT", "MIT Apache-2.0", "GPL-2.0-only WITH Nope"}
	for _, l := range bad {
		if err := CheckLicense(l); err == nil {
			t.Errorf("%q accepted", l)
		}
	}
}

func TestIsNetworkCopyleft(t *testing.T) {
	for l, want := range map[string]bool{"AGPL-3.0-only": true, "AGPL-3.0-or-later OR MIT": true, "GPL-3.0-only": false, "Apache-2.0": false} {
		if got := IsNetworkCopyleft(l); got != want {
			t.Errorf("%q: got %v, want %v", l, got, want)
		}
	}
}
