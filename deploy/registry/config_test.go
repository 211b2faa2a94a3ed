package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func noFiles(name string) ([]byte, error) { return nil, fmt.Errorf("open %s: no such file", name) }

func TestPasswordsFromAFolder(t *testing.T) {
	m := valid()
	delete(m, "REGISTRY_PASSWORD_COMMAND_HANDLER")
	m["REGISTRY_PASSWORDS_DIR"] = "/secrets"
	files := func(name string) ([]byte, error) {
		if name == "/secrets/command-handler.password" {
			return []byte("from-file\n"), nil
		}
		return noFiles(name)
	}
	s, err := settingsFrom(env(m), files)
	if err != nil {
		t.Fatal(err)
	}
	if s.passwords["command-handler"] != "from-file" || s.passwords["synchronizer"] != "s3cret" {
		t.Errorf("passwords %v: want the variable's where set, else the file's, trimmed", s.passwords)
	}
	delete(m, "REGISTRY_PASSWORD_SYNCHRONIZER")
	if _, err := settingsFrom(env(m), files); err == nil || !strings.Contains(err.Error(), "synchronizer") {
		t.Errorf("a user without variable or file: error %v, want one naming the user", err)
	}
}

func valid() map[string]string {
	return map[string]string{
		"REGISTRY_USERS":                    "synchronizer, command-handler",
		"REGISTRY_SUPER_ADMIN":              "synchronizer",
		"REGISTRY_PASSWORD_SYNCHRONIZER":    "s3cret",
		"REGISTRY_PASSWORD_COMMAND_HANDLER": "h4ndler",
		"SCHEMA_REGISTRY_PG_HOST":           "db",
		"SCHEMA_REGISTRY_PG_USER":           "schemaregistry",
		"SCHEMA_REGISTRY_PG_DATABASE":       "schemaregistry",
		"SCHEMA_REGISTRY_PG_PASSWORD":       "pg",
	}
}

func TestConfigNamesEveryUserAndOneSuperAdmin(t *testing.T) {
	s, err := settingsFrom(env(valid()), noFiles)
	if err != nil {
		t.Fatal(err)
	}
	c := s.config()
	for _, want := range []string{
		"enabled: true\n    methods: [basic]",
		`synchronizer: "${SR_HASH_SYNCHRONIZER}"`,
		`command-handler: "${SR_HASH_COMMAND_HANDLER}"`,
		"default_role: readonly",
		"super_admins: [synchronizer]\n",
		"type: postgresql",
	} {
		if !strings.Contains(c, want) {
			t.Errorf("config lacks %q:\n%s", want, c)
		}
	}
	hashes, err := s.hashes()
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range hashes {
		name, h, _ := strings.Cut(kv, "=")
		user := map[string]string{"SR_HASH_SYNCHRONIZER": "synchronizer", "SR_HASH_COMMAND_HANDLER": "command-handler"}[name]
		if err := bcrypt.CompareHashAndPassword([]byte(h), []byte(s.passwords[user])); err != nil {
			t.Errorf("%s: not the hash of %s's password: %v", name, user, err)
		}
		// The registry expands the file, not the variables' values.
		if os.Expand("${"+name+"}", func(string) string { return h }) != h {
			t.Errorf("%s: hash changed by expansion", name)
		}
	}
}

func TestMissingSettingsStopStartUp(t *testing.T) {
	for variable, wantErr := range map[string]string{
		"REGISTRY_USERS":                    "REGISTRY_USERS is empty",
		"REGISTRY_SUPER_ADMIN":              "REGISTRY_SUPER_ADMIN",
		"REGISTRY_PASSWORD_COMMAND_HANDLER": "REGISTRY_PASSWORD_COMMAND_HANDLER is empty",
		"SCHEMA_REGISTRY_PG_PASSWORD":       "SCHEMA_REGISTRY_PG_PASSWORD is empty",
	} {
		m := valid()
		delete(m, variable)
		if _, err := settingsFrom(env(m), noFiles); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("without %s: error %v, want one naming %q", variable, err, wantErr)
		}
	}
	m := valid()
	m["REGISTRY_SUPER_ADMIN"] = "heartbeat"
	if _, err := settingsFrom(env(m), noFiles); err == nil {
		t.Error("a super admin who is no user: no error")
	}
}

func TestChildEnvHasNoPlainPasswords(t *testing.T) {
	got := childEnv([]string{"PATH=/bin", "REGISTRY_PASSWORD_SYNCHRONIZER=s3cret", "REGISTRY_USERS=a", "SR_HASH_X=old",
		"SCHEMA_REGISTRY_PG_PASSWORD=pg"}, []string{"SR_HASH_SYNCHRONIZER=h"})
	want := []string{"PATH=/bin", "SCHEMA_REGISTRY_PG_PASSWORD=pg", "SR_HASH_SYNCHRONIZER=h"}
	if !slices.Equal(got, want) {
		t.Errorf("childEnv = %v, want %v", got, want)
	}
}
