package account

import (
	"strings"
	"testing"
)

func TestHashAndCheck(t *testing.T) {
	h, err := HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "s3cret") || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if ok, err := CheckPassword(h, "s3cret"); err != nil || !ok {
		t.Errorf("right password: %v %v", ok, err)
	}
	if ok, err := CheckPassword(h, "S3cret"); err != nil || ok {
		t.Errorf("wrong password: %v %v", ok, err)
	}
	h2, _ := HashPassword("s3cret")
	if h2 == h {
		t.Error("same salt twice")
	}
	if _, err := CheckPassword("plain", "plain"); err != ErrMalformedHash {
		t.Errorf("malformed: %v", err)
	}
}
