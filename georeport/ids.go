package georeport

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// IDLength is the length of a generated service_request_id.
const IDLength = 20

// NewRequestID returns a service_request_id of IDLength characters from [0-9a-z], drawn from
// a cryptographic source so that ids cannot be guessed.
func NewRequestID() string { return randomString(IDLength) }

// NewAPIKey returns a new API key: 32 characters from [0-9a-z], about 165 bits.
func NewAPIKey() string { return randomString(32) }

// NewToken returns a random (version 4) UUID for a batch request.
func NewToken() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// HashKey returns the hex SHA-256 of an API key, as stores keep it. Keys are long random
// strings, so a plain hash resists guessing without a slow password hash.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// randomString returns n characters of idAlphabet, each uniform: bytes of 252 or more are
// drawn again, because 252 is the largest multiple of 36 below 256.
func randomString(n int) string {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		rand.Read(buf[:])
		for _, c := range buf {
			if c < 252 && len(out) < n {
				out = append(out, idAlphabet[c%36])
			}
		}
	}
	return string(out)
}
