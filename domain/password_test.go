package domain

import (
	"strings"
	"testing"
)

func TestCheckPassword_RefusesWeakPasswords(t *testing.T) {
	t.Parallel()
	if n := CommonPasswordCount(); n < 10_000 {
		t.Fatalf("%d common passwords embedded, want at least 10,000", n)
	}
	for _, tc := range []struct {
		name, password, problem string // problem: a word of the message, "" when accepted
	}{
		{"Passphrase", "correct horse battery", ""},
		{"LongRandom", "tX9!vq2#Lm0pZr", ""},
		{"CommonWordsWithSpaces", "a long enough password", ""},
		{"TooShort", "short", "12 characters"},
		{"ElevenCharacters", "abcdefghijk", "12 characters"},
		{"TooLong", strings.Repeat("ab1", 400), "too long"},
		{"OneCharacterRepeated", "aaaaaaaaaaaa", "repeats"},
		{"OneSymbolRepeated", "!!!!!!!!!!!!!!!!", "repeats"},
		{"DigitRepeated", "111111111111", "repeats"},
		{"PairRepeated", "abababababab", "repeats"},
		{"TripleRepeated", "abcabcabcabc", "repeats"},
		{"WordTwice", "sunnydaysunnyday", "repeats"},
		{"MultibyteRepeated", "ééééééééééééé", "repeats"},
		{"CommonLong", "1qaz2wsx3edc", "common"},
		{"CommonLongUpperCase", "QWERTY123456", "common"},
		{"CommonWordPadded", "Password123456", "common"},
		{"CommonWordWithSymbols", "!!sunshine2024!!", "common"},
		{"CommonMixedCase", "ILoveYou12345", "common"},
		{"Administrator", "administrator", "common"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Violations{}
			CheckPassword(v, "password", tc.password)
			got := v["password"]
			if (tc.problem == "") != (got == "") || !strings.Contains(got, tc.problem) {
				t.Errorf("CheckPassword(%q) = %q, want a problem saying %q", tc.password, got, tc.problem)
			}
		})
	}
}

func TestNewUser_RefusesACommonPassword(t *testing.T) {
	t.Parallel()
	_, err := NewUser("a@example.com", "A", "password1234", now)
	if FieldsOf(err)["password"] == "" {
		t.Errorf("NewUser accepted a common password: %v", err)
	}
}
