package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// MinSealKeyBytes is the shortest TOKEN_SEAL_KEY accepted (AES-256's key).
const MinSealKeyBytes = 32

// sealer keeps tokens sealed in transactiondb (AES-256-GCM under
// TOKEN_SEAL_KEY), each bound to its row by associated data, so a copy of the
// database shows no token and a sealed token moved to another row does not open.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) < MinSealKeyBytes {
		return nil, fmt.Errorf("TOKEN_SEAL_KEY: want at least %d bytes", MinSealKeyBytes)
	}
	k := key
	if len(k) != 32 {
		sum := sha256.Sum256(key) // a longer key, down to AES-256's size
		k = sum[:]
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("token sealing: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("token sealing: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// seal is a random nonce followed by token sealed with ad.
func (s *sealer) seal(token string, ad []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(token)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never returns an error (Go 1.24+)
	}
	return s.aead.Seal(nonce, nonce, []byte(token), ad)
}

// errSealed: a sealed token that does not open (another key, another row).
var errSealed = errors.New("sealed token does not open under TOKEN_SEAL_KEY")

// open returns the token seal sealed with ad.
func (s *sealer) open(sealed, ad []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errSealed
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return "", errSealed
	}
	return string(plain), nil
}

// Associated data: the row a sealed token belongs to.
func accountAD(creationID [16]byte) []byte  { return append([]byte("account\x00"), creationID[:]...) }
func transferAD(transferID [16]byte) []byte { return append([]byte("transfer\x00"), transferID[:]...) }
