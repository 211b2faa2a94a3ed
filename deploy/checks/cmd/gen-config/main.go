// Command gen-config regenerates the tables of docs/configuration.md from
// what each service declares it reads (`SERVICE settings`); run from the
// repository root:
//
//	go run ./deploy/checks/cmd/gen-config
package main

import (
	"fmt"
	"os"

	"openbank/deploy/checks"
)

func main() {
	if err := generate(); err != nil {
		fmt.Fprintln(os.Stderr, "gen-config:", err)
		os.Exit(1)
	}
}

func generate() error {
	settings, err := checks.ReadSettings(".")
	if err != nil {
		return err
	}
	doc, err := os.ReadFile(checks.ConfigurationPath)
	if err != nil {
		return err
	}
	out, err := checks.RenderConfiguration(string(doc), settings)
	if err != nil {
		return err
	}
	return os.WriteFile(checks.ConfigurationPath, []byte(out), 0o644)
}
