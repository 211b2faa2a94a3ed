package store

import (
	"maps"
	"testing"

	"openbank/kit/schema"
)

func TestMigrationsFollowTheNamingScheme(t *testing.T) {
	if err := schema.CheckNames(migrations, "migrations"); err != nil {
		t.Error(err)
	}
}

func TestDecodeStored(t *testing.T) {
	for _, c := range []struct {
		payload string
		want    map[int32]int64
		ok      bool
	}{
		{"3:1041,7:998", map[int32]int64{3: 1041, 7: 998}, true},
		{"0:0", map[int32]int64{0: 0}, true},
		{"", nil, false},  // migration 000005's trigger: says nothing
		{"3", nil, false}, // no offset
		{"x:1", nil, false},
		{"3:1,", nil, false},
	} {
		got, ok := DecodeStored(c.payload)
		if ok != c.ok || !maps.Equal(got, c.want) {
			t.Errorf("DecodeStored(%q) = %v, %v; want %v, %v", c.payload, got, ok, c.want, c.ok)
		}
	}
}
