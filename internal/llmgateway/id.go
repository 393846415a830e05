package llmgateway

import (
	"crypto/rand"
	"encoding/hex"
)

// newID is a random request id; tests inject theirs through Deps.NewID.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
