// Package tokens is what the command handler keeps of account tokens: a keyed
// hash (HMAC-SHA256 under TOKEN_KEY) per account, and each new account's
// token derived from its creation command's id under the same key, so that no
// token is stored anywhere and a redelivered creation is answered with the
// same token. Pure: no I/O.
package tokens

import (
	"crypto/hmac"
	"crypto/sha256"
	"math/big"
)

// MinKeyBytes is the shortest key accepted: HMAC-SHA256's output size.
const MinKeyBytes = 32

// Domain-separation labels: a token's hash never equals a derived token's input.
const (
	hashLabel    = "open-bank token hash\x00"
	accountLabel = "open-bank account token\x00"
)

// Digits is the length of a derived token, as the original's tokens.
const Digits = 20

// Keyed hashes and derives tokens under one key.
type Keyed struct{ key []byte }

// New returns the functions under key (at least MinKeyBytes; the caller checks).
func New(key []byte) *Keyed { return &Keyed{key: append([]byte(nil), key...)} }

func (k *Keyed) mac(label string, data []byte) []byte {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(label))
	m.Write(data)
	return m.Sum(nil)
}

// Hash is what is kept of token: 32 bytes, compared in constant time.
func (k *Keyed) Hash(token string) []byte { return k.mac(hashLabel, []byte(token)) }

// ForAccount is the token of the account created by command id: 20 digits.
func (k *Keyed) ForAccount(id [16]byte) string {
	sum := k.mac(accountLabel, id[:])
	// 128 bits reduced mod 10^20: the bias is below 10^-18.
	n := new(big.Int).SetBytes(sum[:16])
	n.Mod(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(Digits), nil))
	s := n.String()
	for len(s) < Digits {
		s = "0" + s
	}
	return s
}
