package store

import (
	"bytes"
	"strings"
	"testing"
)

func TestSealedTokensOpenOnlyUnderTheirKeyAndRow(t *testing.T) {
	s, err := newSealer(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newSealer(bytes.Repeat([]byte{2}, 40))
	row, otherRow := accountAD([16]byte{1}), accountAD([16]byte{2})
	sealed := s.seal("12345678901234567890", row)
	if bytes.Contains(sealed, []byte("12345678901234567890")) {
		t.Fatal("the token shows in its seal")
	}
	if got, err := s.open(sealed, row); err != nil || got != "12345678901234567890" {
		t.Fatalf("open: %q, %v", got, err)
	}
	if _, err := s.open(sealed, otherRow); err == nil {
		t.Error("a seal opened for another row")
	}
	if _, err := s.open(sealed, transferAD([16]byte{1})); err == nil {
		t.Error("an account's seal opened as a transfer's")
	}
	if _, err := other.open(sealed, row); err == nil {
		t.Error("a seal opened under another key")
	}
	if bytes.Equal(sealed, s.seal("12345678901234567890", row)) {
		t.Error("two seals of one token are equal (nonce reused)")
	}
	if _, err := newSealer(make([]byte, 16)); err == nil || !strings.Contains(err.Error(), "TOKEN_SEAL_KEY") {
		t.Errorf("short key: %v", err)
	}
}
