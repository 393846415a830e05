package secrets

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpenBindsContext(t *testing.T) {
	s, err := New(bytes.Repeat([]byte{7}, KeySize), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("hcloud-token-value"), "org/b1/hcloud-token")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("hcloud-token-value")) {
		t.Fatal("sealed value contains the plaintext")
	}
	pt, err := s.Open(sealed, "org/b1/hcloud-token")
	if err != nil || string(pt) != "hcloud-token-value" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	if _, err := s.Open(sealed, "org/b2/hcloud-token"); err == nil {
		t.Fatal("a sealed value opened under another row's context")
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeySize), rand.Reader)
	if _, err := other.Open(sealed, "org/b1/hcloud-token"); err == nil {
		t.Fatal("a sealed value opened under another key")
	}
}

func TestLoadKeyCreatesPrivateFileOnce(t *testing.T) {
	t.Setenv(KeyEnv, "")
	path := filepath.Join(t.TempDir(), "sub", "wizard.key")
	k1, err := LoadKey(path, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	k2, err := LoadKey(path, rand.Reader)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load gave another key (err %v)", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(path, rand.Reader); err == nil {
		t.Fatal("a world-readable key file was accepted")
	}
}

func TestLoadKeyFromEnv(t *testing.T) {
	t.Setenv(KeyEnv, "not base64!")
	if _, err := LoadKey(filepath.Join(t.TempDir(), "k"), rand.Reader); err == nil {
		t.Fatal("a malformed key in the environment was accepted")
	}
	t.Setenv(KeyEnv, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	k, err := LoadKey(filepath.Join(t.TempDir(), "k"), rand.Reader)
	if err != nil || len(k) != KeySize {
		t.Fatalf("LoadKey from env = %d bytes, %v", len(k), err)
	}
}
