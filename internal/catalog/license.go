package catalog

import (
	"fmt"
	"strings"
)

// osiApproved are the SPDX identifiers of OSI-approved licenses that open
// source projects of this field use (SPDX license list, isOsiApproved).
// Add an identifier here only when the SPDX list marks it OSI-approved.
var osiApproved = setOf(
	"0BSD", "AFL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-2.0",
	"APSL-2.0", "Artistic-2.0", "BlueOak-1.0.0", "BSD-1-Clause", "BSD-2-Clause",
	"BSD-2-Clause-Patent", "BSD-3-Clause", "BSL-1.0", "CDDL-1.0", "CECILL-2.1",
	"ECL-2.0", "EFL-2.0", "EPL-1.0", "EPL-2.0", "EUPL-1.1", "EUPL-1.2",
	"GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later",
	"ISC", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only",
	"LGPL-3.0-or-later", "LPL-1.02", "MIT", "MIT-0", "MPL-1.1", "MPL-2.0",
	"MPL-2.0-no-copyleft-exception", "MS-PL", "MS-RL", "MulanPSL-2.0", "NCSA",
	"OFL-1.1", "OSL-3.0", "PHP-3.01", "PostgreSQL", "Python-2.0", "UPL-1.0",
	"Unicode-3.0", "Unicode-DFS-2016", "Unlicense", "W3C", "Zlib", "ZPL-2.1",
)

// spdxExceptions are the SPDX license exceptions allowed after WITH.
var spdxExceptions = setOf(
	"Classpath-exception-2.0", "LLVM-exception", "GCC-exception-3.1",
	"OpenJDK-assembly-exception-1.0", "Universal-FOSS-exception-1.0",
)

// sourceAvailable are licenses OpenOva refuses (OPENOVA.md §1), by the
// prefix of their identifier; Commons Clause is refused in any position.
// BSL-1.0 is the Boost Software License (OSI-approved), not the Business
// Source License, whose SPDX identifier is BUSL-1.1.
var sourceAvailable = []string{"BUSL", "SSPL", "RSAL", "Elastic", "LicenseRef-Commons-Clause", "Commons-Clause", "LicenseRef-Elastic", "LicenseRef-BUSL"}

// CheckLicense returns nil when expr is an SPDX expression built only of
// OSI-approved identifiers, and otherwise says why not.
func CheckLicense(expr string) error {
	toks := tokenizeSPDX(expr)
	if len(toks) == 0 {
		return fmt.Errorf("empty license")
	}
	p := &spdxParser{toks: toks}
	if err := p.expr(); err != nil {
		return err
	}
	if p.i < len(toks) {
		return fmt.Errorf("unexpected %q in SPDX expression %q", toks[p.i], expr)
	}
	return nil
}

// IsNetworkCopyleft reports whether the license is AGPL: using the
// software over a network obliges the operator to offer its source.
func IsNetworkCopyleft(expr string) bool {
	for _, t := range tokenizeSPDX(expr) {
		if strings.HasPrefix(t, "AGPL-") {
			return true
		}
	}
	return false
}

func tokenizeSPDX(s string) []string {
	s = strings.NewReplacer("(", " ( ", ")", " ) ").Replace(s)
	return strings.Fields(s)
}

type spdxParser struct {
	toks []string
	i    int
}

func (p *spdxParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *spdxParser) expr() error {
	if err := p.term(); err != nil {
		return err
	}
	for p.peek() == "AND" || p.peek() == "OR" {
		p.i++
		if err := p.term(); err != nil {
			return err
		}
	}
	return nil
}

func (p *spdxParser) term() error {
	t := p.peek()
	p.i++
	switch t {
	case "":
		return fmt.Errorf("SPDX expression ends early")
	case "(":
		if err := p.expr(); err != nil {
			return err
		}
		if p.peek() != ")" {
			return fmt.Errorf("unbalanced parenthesis in SPDX expression")
		}
		p.i++
		return nil
	}
	if err := checkLicenseID(t); err != nil {
		return err
	}
	if p.peek() == "WITH" {
		p.i++
		exc := p.peek()
		p.i++
		if refused(exc) {
			return fmt.Errorf("%s is source-available, not open source", exc)
		}
		if !spdxExceptions[exc] {
			return fmt.Errorf("%q is not a known SPDX license exception", exc)
		}
	}
	return nil
}

func checkLicenseID(id string) error {
	if refused(id) {
		return fmt.Errorf("%s is source-available, not open source", id)
	}
	if !osiApproved[strings.TrimSuffix(id, "+")] {
		return fmt.Errorf("%q is not an OSI-approved SPDX license identifier", id)
	}
	return nil
}

func refused(id string) bool {
	for _, prefix := range sourceAvailable {
		if strings.HasPrefix(id, prefix) {
			return true
		}
	}
	return false
}

func setOf(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}
