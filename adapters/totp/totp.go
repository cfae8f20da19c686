// Package totp implements ports.OneTimePasswords with github.com/pquerna/otp (RFC 6238
// codes, secrets and otpauth:// addresses) and its QR encoder, github.com/boombuler/barcode.
package totp

import (
	"bytes"
	"encoding/base32"
	"fmt"
	"image/png"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/heraldhq/herald/ports"
)

// Generator makes RFC 6238 secrets, addresses, QR codes and codes: 6 digits, SHA-1, 30 s,
// the defaults every authenticator app understands.
type Generator struct{}

var _ ports.OneTimePasswords = Generator{}

var opts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewSecret implements ports.OneTimePasswords: 160 random bits (RFC 4226's recommended
// length), base32 without padding.
func (Generator) NewSecret() (string, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Herald", AccountName: "new", SecretSize: 20, Digits: opts.Digits, Algorithm: opts.Algorithm})
	if err != nil {
		return "", fmt.Errorf("totp: secret: %w", err)
	}
	return key.Secret(), nil
}

// URL implements ports.OneTimePasswords.
func (Generator) URL(issuer, account, secret string) (string, error) {
	raw, err := b32.DecodeString(secret)
	if err != nil {
		return "", fmt.Errorf("totp: secret is not base32: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Secret: raw, Digits: opts.Digits, Algorithm: opts.Algorithm})
	if err != nil {
		return "", fmt.Errorf("totp: url: %w", err)
	}
	return key.URL(), nil
}

// QRCode implements ports.OneTimePasswords: error correction M, scaled to size pixels.
func (Generator) QRCode(text string, size int) ([]byte, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("totp: qr: %w", err)
	}
	scaled, err := barcode.Scale(code, size, size)
	if err != nil {
		return nil, fmt.Errorf("totp: qr scale: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, scaled); err != nil {
		return nil, fmt.Errorf("totp: qr png: %w", err)
	}
	return buf.Bytes(), nil
}

// Code implements ports.OneTimePasswords.
func (Generator) Code(secret string, at time.Time) (string, error) {
	c, err := totp.GenerateCodeCustom(secret, at, opts)
	if err != nil {
		return "", fmt.Errorf("totp: code: %w", err)
	}
	return c, nil
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)
