// Command registry-entrypoint starts the schema registry of Docker Compose and
// Kubernetes with a user per service: it reads each principal's password from
// the environment, bcrypt-hashes it, writes the registry's config (basic auth,
// RBAC with read-only as the default role and one super admin, PostgreSQL
// storage) and execs the registry, which then never sees a plain password.
//
//	REGISTRY_USERS            the principals, comma separated (required)
//	REGISTRY_SUPER_ADMIN      the one of them that may register schemas (required)
//	REGISTRY_PASSWORD_<NAME>  each principal's password, NAME upper case with _ for -
//	REGISTRY_PASSWORDS_DIR    or a folder with <principal>.password files (the local stack's)
//	REGISTRY_CONFIG           where the config is written (default /tmp/registry.yaml);
//	                          -config PATH says so too, and keeps the process's command
//	                          line the same before and after the exec (the local stack
//	                          finds the registry by it)
//	REGISTRY_BIN              the registry's binary (default /schema-registry)
//	SCHEMA_REGISTRY_PG_*      HOST, USER, DATABASE, PASSWORD (required), PORT,
//	                          SSLMODE: read by the registry itself
package main

import (
	"flag"
	"fmt"
	"os"
	"syscall"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "registry-entrypoint:", err)
		os.Exit(1)
	}
}

func run() error {
	s, err := settingsFrom(os.Getenv, os.ReadFile)
	if err != nil {
		return err
	}
	hashes, err := s.hashes()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("registry-entrypoint", flag.ContinueOnError)
	path := fs.String("config", orDefault(os.Getenv("REGISTRY_CONFIG"), "/tmp/registry.yaml"), "where the config is written")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	if err := os.WriteFile(*path, []byte(s.config()), 0o600); err != nil {
		return fmt.Errorf("writing the registry's config: %w", err)
	}
	bin := orDefault(os.Getenv("REGISTRY_BIN"), "/schema-registry")
	return fmt.Errorf("exec %s: %w", bin, syscall.Exec(bin, []string{bin, "-config", *path}, childEnv(os.Environ(), hashes)))
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
