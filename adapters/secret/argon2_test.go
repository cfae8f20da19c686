package secret

import (
	"errors"
	"strings"
	"testing"
)

func TestArgon2id_HashVerifies(t *testing.T) {
	t.Parallel()
	a := Argon2id{Memory: 1024, Time: 1, Threads: 1}
	h, err := a.Hash("correct horse battery")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Errorf("Hash = %q, want PHC argon2id encoding", h)
	}
	if ok, err := a.Verify(h, "correct horse battery"); !ok || err != nil {
		t.Errorf("Verify(right password) = %v, %v; want true, nil", ok, err)
	}
	if ok, err := a.Verify(h, "correct horse batterY"); ok || err != nil {
		t.Errorf("Verify(wrong password) = %v, %v; want false, nil", ok, err)
	}
	h2, _ := a.Hash("correct horse battery")
	if h2 == h {
		t.Error("two hashes of one password are equal: salt is not random")
	}
}

func TestArgon2id_OldParametersStillVerify(t *testing.T) {
	t.Parallel()
	old := Argon2id{Memory: 512, Time: 1, Threads: 1}
	h, _ := old.Hash("twelve chars!")
	if ok, err := DefaultArgon2id.Verify(h, "twelve chars!"); !ok || err != nil {
		t.Errorf("Verify with new defaults of an old hash = %v, %v; want true, nil", ok, err)
	}
}

func TestArgon2id_MalformedHash(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=18$m=1,t=1,p=1$AA$AA",
		"$argon2id$v=19$m=1,t=1,p=0$AA$AA", "$argon2id$v=19$m=1,t=1,p=1$!!$AA", "$argon2id$v=19$m=1,t=1,p=1$AA$"} {
		if _, err := DefaultArgon2id.Verify(bad, "x"); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("Verify(%q) error = %v, want ErrMalformedHash", bad, err)
		}
	}
}
