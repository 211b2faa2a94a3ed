package balancedb

import (
	"testing"

	"openbank/kit/schema"
)

func TestMigrationsFollowTheNamingScheme(t *testing.T) {
	if err := schema.CheckNames(migrations, "migrations"); err != nil {
		t.Error(err)
	}
}
