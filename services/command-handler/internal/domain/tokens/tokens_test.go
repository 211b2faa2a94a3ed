package tokens

import (
	"bytes"
	"testing"
)

func TestHashIsKeyedAndDerivedTokensAreStable(t *testing.T) {
	a, b := New(bytes.Repeat([]byte{1}, 32)), New(bytes.Repeat([]byte{2}, 32))
	if len(a.Hash("x")) != 32 || !bytes.Equal(a.Hash("x"), a.Hash("x")) {
		t.Fatal("hash is not 32 stable bytes")
	}
	if bytes.Equal(a.Hash("x"), b.Hash("x")) || bytes.Equal(a.Hash("x"), a.Hash("y")) {
		t.Error("hash does not depend on both key and token")
	}
	id1, id2 := [16]byte{1}, [16]byte{2}
	tok := a.ForAccount(id1)
	if len(tok) != Digits || tok != a.ForAccount(id1) || tok == a.ForAccount(id2) || tok == b.ForAccount(id1) {
		t.Errorf("derived token %q: want 20 digits, the same for one id and key only", tok)
	}
	for _, r := range tok {
		if r < '0' || r > '9' {
			t.Fatalf("derived token %q is not digits", tok)
		}
	}
}
