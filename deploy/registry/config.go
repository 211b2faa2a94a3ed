package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// settings are what the config is made of.
type settings struct {
	users     []string
	admin     string
	passwords map[string]string // user → plain password
}

// passwordVar names the variable that holds user's password.
func passwordVar(user string) string {
	return "REGISTRY_PASSWORD_" + strings.ToUpper(strings.ReplaceAll(user, "-", "_"))
}

// hashVar names the variable that hands the registry user's hash: the registry
// expands $VARIABLES in its config file, and a bcrypt hash is full of dollars.
func hashVar(user string) string {
	return "SR_HASH_" + strings.ToUpper(strings.ReplaceAll(user, "-", "_"))
}

// settingsFrom reads the settings through getenv, and a password that no
// variable gives from REGISTRY_PASSWORDS_DIR/<user>.password through readFile;
// a missing one is an error naming its variable (no user without a password,
// no registry without auth).
func settingsFrom(getenv func(string) string, readFile func(string) ([]byte, error)) (settings, error) {
	s := settings{passwords: map[string]string{}}
	for _, u := range strings.Split(getenv("REGISTRY_USERS"), ",") {
		if u = strings.TrimSpace(u); u != "" && !slices.Contains(s.users, u) {
			s.users = append(s.users, u)
		}
	}
	if len(s.users) == 0 {
		return s, errors.New("REGISTRY_USERS is empty: the registry runs with basic auth, a user per service")
	}
	s.admin = strings.TrimSpace(getenv("REGISTRY_SUPER_ADMIN"))
	if !slices.Contains(s.users, s.admin) {
		return s, fmt.Errorf("REGISTRY_SUPER_ADMIN=%q: want one of REGISTRY_USERS %v", s.admin, s.users)
	}
	var errs []error
	for _, u := range s.users {
		if strings.ContainsAny(u, " :\"'#{}$") {
			errs = append(errs, fmt.Errorf("REGISTRY_USERS: %q is no plain user name", u))
			continue
		}
		pw := getenv(passwordVar(u))
		if dir := getenv("REGISTRY_PASSWORDS_DIR"); pw == "" && dir != "" {
			b, err := readFile(filepath.Join(dir, u+".password"))
			if err != nil {
				errs = append(errs, fmt.Errorf("REGISTRY_PASSWORDS_DIR: user %s: %w", u, err))
				continue
			}
			pw = strings.TrimSpace(string(b))
		}
		if pw == "" {
			errs = append(errs, fmt.Errorf("%s is empty: user %s needs a password", passwordVar(u), u))
		}
		s.passwords[u] = pw
	}
	for _, v := range []string{"SCHEMA_REGISTRY_PG_HOST", "SCHEMA_REGISTRY_PG_USER", "SCHEMA_REGISTRY_PG_DATABASE", "SCHEMA_REGISTRY_PG_PASSWORD"} {
		if getenv(v) == "" {
			errs = append(errs, fmt.Errorf("%s is empty: the registry stores schemas in PostgreSQL", v))
		}
	}
	return s, errors.Join(errs...)
}

// hashes returns the hash variables the config names, as NAME=VALUE.
func (s settings) hashes() ([]string, error) {
	var out []string
	for _, u := range s.users {
		h, err := bcrypt.GenerateFromPassword([]byte(s.passwords[u]), bcrypt.DefaultCost)
		if err != nil {
			return nil, fmt.Errorf("hashing %s's password: %w", u, err)
		}
		out = append(out, hashVar(u)+"="+string(h))
	}
	return out, nil
}

// config is the registry's config file: the same auth section as the local
// stack's with KAFKA_SECURITY=1 (deploy/stack/security.sh), every user
// read-only but the super admin; PostgreSQL from SCHEMA_REGISTRY_PG_*.
func (s settings) config() string {
	var b strings.Builder
	b.WriteString("# Written by registry-entrypoint at start.\n")
	b.WriteString("server:\n  host: 0.0.0.0\n  port: 8081\n")
	b.WriteString("storage:\n  type: postgresql\n")
	b.WriteString("compatibility:\n  default_level: BACKWARD\n")
	b.WriteString("logging:\n  level: info\n  format: json\n")
	b.WriteString("security:\n  auth:\n    enabled: true\n    methods: [basic]\n    basic:\n      realm: open-bank\n      users:\n")
	for _, u := range s.users {
		fmt.Fprintf(&b, "        %s: \"${%s}\"\n", u, hashVar(u))
	}
	fmt.Fprintf(&b, "    rbac:\n      enabled: true\n      default_role: readonly\n      super_admins: [%s]\n", s.admin)
	return b.String()
}

// childEnv is the registry's environment: the caller's without the plain
// passwords and without other variables of ours, plus the hashes.
func childEnv(environ, hashes []string) []string {
	var out []string
	for _, kv := range environ {
		if strings.HasPrefix(kv, "REGISTRY_") || strings.HasPrefix(kv, "SR_HASH_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, hashes...)
}
