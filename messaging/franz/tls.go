package franz

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"openbank/messaging"
)

// certPool reads the CA certificates of a PEM file.
func certPool(path string) (*x509.CertPool, error) {
	ca, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("SSL_CA_LOCATION: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("SSL_CA_LOCATION: no PEM certificate in %s", path)
	}
	return pool, nil
}

// clientCertificate reads a PEM certificate and its key, decrypting a legacy
// encrypted PEM key with password (librdkafka's ssl.key.password).
func clientCertificate(certPath, keyPath, password string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("SSL_CERTIFICATE_LOCATION: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("SSL_KEY_LOCATION: %w", err)
	}
	if password != "" {
		block, _ := pem.Decode(keyPEM)
		if block == nil {
			return tls.Certificate{}, errors.New("SSL_KEY_LOCATION: no PEM block")
		}
		//lint:ignore SA1019 librdkafka's encrypted PEM keys use this legacy format
		if x509.IsEncryptedPEMBlock(block) { //nolint:staticcheck
			//lint:ignore SA1019 as above
			der, err := x509.DecryptPEMBlock(block, []byte(password)) //nolint:staticcheck
			if err != nil {
				return tls.Certificate{}, fmt.Errorf("SSL_KEY_PASSWORD: %w", err)
			}
			keyPEM = pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der})
		}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("SSL_CERTIFICATE_LOCATION/SSL_KEY_LOCATION: %w", err)
	}
	return cert, nil
}

// tlsConfig is TLS, with a client certificate when one is set, from the
// same PEM files librdkafka reads.
func tlsConfig(c messaging.Config) (*tls.Config, error) {
	pool, err := certPool(c.CALocation)
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if c.CertificateLocation != "" {
		cert, err := clientCertificate(c.CertificateLocation, c.KeyLocation, c.KeyPassword)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
