// Command herald-testdeps builds the real servers the test suite runs beside Herald (Mailpit
// for SMTP, SeaweedFS's weed for S3) into the user's cache directory, before the tests
// start: `make test` runs it first, so on a fresh machine the builds do not compete with
// the tests for the CPU. Tests that find a binary missing still build it themselves.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/heraldhq/herald/adapters/mail/mailtest"
	"github.com/heraldhq/herald/adapters/storage/s3/s3test"
	"github.com/heraldhq/herald/adapters/testbin"
)

func main() {
	for _, tool := range []testbin.Tool{mailtest.Tool, s3test.Tool} {
		start := time.Now()
		bin, err := tool.Path()
		if err != nil {
			fmt.Fprintf(os.Stderr, "herald-testdeps: %v\n", err)
			os.Exit(1)
		}
		if d := time.Since(start); d > time.Second {
			fmt.Printf("herald-testdeps: built %s %s in %s: %s\n", tool.Module, tool.Version, d.Round(time.Second), bin)
		}
	}
}
