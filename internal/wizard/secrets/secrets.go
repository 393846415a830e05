// Package secrets seals the wizard's credentials with AES-256-GCM before
// they reach the store. The key comes from the environment or a key file
// created on first start with mode 0600; it never sits beside the data in
// the database.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// KeyEnv holds a base64 (standard) 32-byte key; it wins over the key file.
const KeyEnv = "CATALYST_WIZARD_KEY"

// KeySize is AES-256's key size.
const KeySize = 32

// Sealer encrypts and decrypts credentials.
type Sealer struct {
	aead cipher.AEAD
	rand io.Reader
}

// New returns a sealer over a 32-byte key; random is the nonce source
// (crypto/rand.Reader outside tests).
func New(key []byte, random io.Reader) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("wizard key is %d bytes; it must be %d (base64 of 32 random bytes)", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, rand: random}, nil
}

// Seal encrypts plaintext bound to context (e.g. org/bootstrap/name), so a
// sealed value moved to another row does not open.
func (s *Sealer) Seal(plaintext []byte, context string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return nil, fmt.Errorf("read nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plaintext, []byte(context)), nil
}

// Open decrypts a sealed value under the same context.
func (s *Sealer) Open(sealed []byte, context string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed credential is truncated")
	}
	pt, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return nil, errors.New("sealed credential does not open with this key (was the key file replaced?)")
	}
	return pt, nil
}

// LoadKey returns the key from $CATALYST_WIZARD_KEY, else from path,
// creating path (mode 0600, temp file then rename) with a random key when
// it does not exist. A key file readable by group or others is refused.
func LoadKey(path string, random io.Reader) ([]byte, error) {
	if v := os.Getenv(KeyEnv); v != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("$%s must be the base64 of %d random bytes (e.g. `head -c32 /dev/urandom | base64`)", KeyEnv, KeySize)
		}
		return key, nil
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("%s is readable by others (mode %v): run chmod 600 %s", path, fi.Mode().Perm(), path)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("%s must hold the base64 of %d random bytes", path, KeySize)
		}
		return key, nil
	case errors.Is(err, os.ErrNotExist):
		return createKey(path, random)
	default:
		return nil, fmt.Errorf("read wizard key: %w", err)
	}
}

func createKey(path string, random io.Reader) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(random, key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, err
	}
	return key, nil
}

// Random is crypto/rand, named so callers inject it.
var Random io.Reader = rand.Reader
