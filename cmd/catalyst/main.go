// Command catalyst is the Catalyst application: catalog, instance generation,
// bootstrap wizard, lifecycle manager and portal.
package main

import (
	"os"

	"github.com/openova-io/openova/internal/cmd/root"
)

func main() { os.Exit(root.Main()) }
