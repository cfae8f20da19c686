package domain

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// commonPasswordsText is the list of common passwords of zxcvbn-ts (npm package
// @zxcvbn-ts/language-common 4.1.3, src/passwords.json, MIT licence, copyright Dan Wheeler,
// Dropbox, Inc. and @zxcvbn-ts): 49,233 passwords, most common first, one a line, lower case.
//
//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords returns the set of common passwords, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 50_000)
	for _, p := range strings.Split(commonPasswordsText, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			set[p] = struct{}{}
		}
	}
	return set
})

// CommonPasswordCount is the number of common passwords Herald refuses; tests check the list
// was embedded whole.
func CommonPasswordCount() int { return len(commonPasswords()) }

// CheckPassword adds a problem for field when password is too short or too long, is one of
// the commonest passwords (ignoring case, and numbers or symbols added before or after it,
// as in "Password123!"), or repeats one short run of characters ("aaaaaaaaaaaa",
// "abcabcabcabc").
func CheckPassword(v Violations, field, password string) {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordRunes:
		v.Add(field, "must be at least 12 characters")
	case len(password) > MaxPasswordBytes:
		v.Add(field, "is too long (at most 1024 bytes)")
	case isRepeated(password):
		v.Add(field, "repeats the same few characters; choose a password that is harder to guess")
	case isCommonPassword(password):
		v.Add(field, "is one of the most common passwords; choose one that is harder to guess")
	}
}

// isCommonPassword reports whether p, in lower case and with any digits, spaces and symbols
// around it trimmed, is on the list.
func isCommonPassword(p string) bool {
	set := commonPasswords()
	lower := strings.ToLower(p)
	if _, ok := set[lower]; ok {
		return true
	}
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if utf8.RuneCountInString(core) < 4 {
		// Mostly digits or symbols around a few letters: judged by the repeat rule and the
		// whole-string match above, not by the few letters.
		return false
	}
	_, ok := set[core]
	return ok
}

// isRepeated reports whether p is one run of characters said at least twice, such as
// "aaaaaaaaaaaa", "abcabcabcabc" or "sunnydaysunnyday".
func isRepeated(p string) bool {
	r := []rune(p)
	n := len(r)
	for k := 1; k <= n/2; k++ {
		if n%k != 0 {
			continue
		}
		same := true
		for i := k; i < n && same; i++ {
			same = r[i] == r[i-k]
		}
		if same {
			return true
		}
	}
	return false
}
