package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// CaseKey derives the pseudonymous case key (docs/wire-contract.md, "The key"):
// "ck_" + the first 24 lowercase hex characters of HMAC-SHA256, keyed with the
// UTF-8 bytes of the chain secret, over the UTF-8 bytes of the ten-digit V-number.
func CaseKey(vNumber string, secret []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(vNumber))
	return "ck_" + hex.EncodeToString(mac.Sum(nil))[:24]
}
