package app_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/app/apptest"
	"github.com/heraldhq/herald/domain"
)

// passkeyPerson is a registered person with their session, as a browser would hold it.
type passkeyPerson struct {
	session domain.Session
	secret  string
}

func registerPerson(t *testing.T, a *apptest.App, email string) passkeyPerson {
	t.Helper()
	r, err := a.Auth.Register(a.Ctx, app.Registration{Email: email, Password: "correct horse battery", Name: "Pat " + email, Company: "Co " + email}, "10.0.0.1")
	if err != nil {
		t.Fatalf("register %s: %v", email, err)
	}
	return passkeyPerson{session: domain.Session{User: r.User, Token: r.Session.Token}, secret: r.Session.Secret}
}

// addPasskey runs a whole registration ceremony with the software authenticator.
func addPasskey(t *testing.T, a *apptest.App, p passkeyPerson, auth *apptest.Authenticator, name string) (domain.Passkey, *apptest.SoftPasskey) {
	t.Helper()
	c, err := a.Passkeys.BeginRegistration(a.Ctx, p.session, "")
	if err != nil {
		t.Fatalf("begin registration: %v", err)
	}
	resp, soft, err := auth.Create(c.Options)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := a.Passkeys.FinishRegistration(a.Ctx, p.session, c.ID, name, resp, "10.0.0.1")
	if err != nil {
		t.Fatalf("finish registration: %v", err)
	}
	return pk, soft
}

// signIn runs a whole sign-in ceremony with soft and returns FinishLogin's outcome.
func signIn(t *testing.T, a *apptest.App, auth *apptest.Authenticator, soft *apptest.SoftPasskey) (domain.User, app.Issued, error) {
	t.Helper()
	c, err := a.Passkeys.BeginLogin(a.Ctx, "10.0.0.2")
	if err != nil {
		t.Fatalf("begin login: %v", err)
	}
	resp, err := auth.Get(c.Options, soft)
	if err != nil {
		t.Fatal(err)
	}
	return a.Passkeys.FinishLogin(a.Ctx, c.ID, resp, "10.0.0.2")
}

func wantCode(t *testing.T, err error, code domain.Code, what string) {
	t.Helper()
	if domain.CodeOf(err) != code {
		t.Fatalf("%s: got %v (code %q), want code %q", what, err, domain.CodeOf(err), code)
	}
}

func TestPasskeys_RegisterThenSignInWithoutEmail(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	pat := registerPerson(t, a, "pat@example.com")
	auth := apptest.NewAuthenticator()
	pk, soft := addPasskey(t, a, pat, auth, "  Work laptop ")
	if pk.Name != "Work laptop" || pk.UserID != pat.session.User.ID || pk.ID == "" || !pk.UserVerified {
		t.Fatalf("added passkey = %+v", pk)
	}
	if has, err := a.Passkeys.HasPasskey(a.Ctx, pat.session.User.ID); err != nil || !has {
		t.Fatalf("HasPasskey = %v, %v; want true", has, err)
	}
	u, issued, err := signIn(t, a, auth, soft)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if u.ID != pat.session.User.ID || issued.Token.Name != app.PasskeySessionName || issued.Token.Kind != domain.TokenSession {
		t.Fatalf("signed in %s with %+v; want %s with a passkey session", u.ID, issued.Token, pat.session.User.ID)
	}
	s, err := a.Auth.AuthenticateSession(a.Ctx, issued.Secret)
	if err != nil || s.User.ID != u.ID {
		t.Fatalf("the passkey session does not work: %v", err)
	}
	ks, err := a.Passkeys.List(a.Ctx, u.ID)
	if err != nil || len(ks) != 1 {
		t.Fatalf("list = %v, %v", ks, err)
	}
	if ks[0].SignCount != 1 || ks[0].LastUsedAt.IsZero() {
		t.Fatalf("after a sign-in the passkey is %+v; want sign count 1 and a last use", ks[0])
	}
	if n := a.Count(t, `SELECT count(*) FROM audit_log WHERE action = 'passkey.added' AND actor_id = $1`, u.ID); n != 1 {
		t.Fatalf("passkey.added audited %d times, want 1", n)
	}
	if n := a.Count(t, `SELECT count(*) FROM passkey_ceremonies`); n != 0 {
		t.Fatalf("%d ceremonies left after both finished, want 0", n)
	}
}

func TestPasskeys_WrongOriginIsRefused(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	pat := registerPerson(t, a, "pat@example.com")
	evil := &apptest.Authenticator{Origin: "https://herald.test.evil.example", RPID: apptest.PasskeyRPID}
	c, err := a.Passkeys.BeginRegistration(a.Ctx, pat.session, "")
	if err != nil {
		t.Fatal(err)
	}
	resp, _, err := evil.Create(c.Options)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Passkeys.FinishRegistration(a.Ctx, pat.session, c.ID, "phished", resp, "")
	wantCode(t, err, domain.CodeUnauthenticated, "registration from another origin")

	good := apptest.NewAuthenticator()
	_, soft := addPasskey(t, a, pat, good, "phone")
	_, _, err = signIn(t, a, evil, soft)
	wantCode(t, err, domain.CodeUnauthenticated, "sign-in from another origin")
	otherRP := &apptest.Authenticator{Origin: apptest.PasskeyOrigin, RPID: "evil.example"}
	_, _, err = signIn(t, a, otherRP, soft)
	wantCode(t, err, domain.CodeUnauthenticated, "sign-in for another relying party")
}

func TestPasskeys_ReplayedAssertionIsRefused(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	pat := registerPerson(t, a, "pat@example.com")
	auth := apptest.NewAuthenticator()
	_, soft := addPasskey(t, a, pat, auth, "phone")
	c, err := a.Passkeys.BeginLogin(a.Ctx, "10.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := auth.Get(c.Options, soft)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Passkeys.FinishLogin(a.Ctx, c.ID, resp, "10.0.0.2"); err != nil {
		t.Fatalf("first use: %v", err)
	}
	_, _, err = a.Passkeys.FinishLogin(a.Ctx, c.ID, resp, "10.0.0.2")
	wantCode(t, err, domain.CodeUnauthenticated, "the same ceremony again")

	// The captured answer under a fresh ceremony: its challenge is not this one's.
	c2, err := a.Passkeys.BeginLogin(a.Ctx, "10.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = a.Passkeys.FinishLogin(a.Ctx, c2.ID, resp, "10.0.0.2")
	wantCode(t, err, domain.CodeUnauthenticated, "an old answer under a new challenge")
	// A failed ceremony is used up too.
	resp2, err := auth.Get(c2.Options, soft)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = a.Passkeys.FinishLogin(a.Ctx, c2.ID, resp2, "10.0.0.2")
	wantCode(t, err, domain.CodeUnauthenticated, "a ceremony that failed once")

	// A registration ceremony is single use as well.
	rc, err := a.Passkeys.BeginRegistration(a.Ctx, pat.session, "")
	if err != nil {
		t.Fatal(err)
	}
	rresp, _, err := auth.Create(rc.Options)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Passkeys.FinishRegistration(a.Ctx, pat.session, rc.ID, "laptop", rresp, ""); err != nil {
		t.Fatal(err)
	}
	_, err = a.Passkeys.FinishRegistration(a.Ctx, pat.session, rc.ID, "laptop", rresp, "")
	wantCode(t, err, domain.CodeInvalid, "a registration ceremony used twice")
}

func TestPasskeys_CounterThatGoesBackIsRefused(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	pat := registerPerson(t, a, "pat@example.com")
	auth := apptest.NewAuthenticator()
	_, soft := addPasskey(t, a, pat, auth, "key")
	for range 3 {
		if _, _, err := signIn(t, a, auth, soft); err != nil {
			t.Fatal(err)
		}
	}
	// A clone of the key, made when its counter was 1, signs with 2: behind the 3 seen.
	clone := *soft
	clone.Counter = 1
	_, _, err := signIn(t, a, auth, &clone)
	wantCode(t, err, domain.CodeUnauthenticated, "a counter that went back")
	ks, err := a.Passkeys.List(a.Ctx, pat.session.User.ID)
	if err != nil || len(ks) != 1 || ks[0].SignCount != 3 {
		t.Fatalf("after the refused sign-in: %+v, %v; want the counter still at 3", ks, err)
	}
}

func TestPasskeys_AnotherPersonsCredentialIsRefused(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	pat := registerPerson(t, a, "pat@example.com")
	sam := registerPerson(t, a, "sam@example.com")
	auth := apptest.NewAuthenticator()
	patKey, patSoft := addPasskey(t, a, pat, auth, "pat's phone")
	_, samSoft := addPasskey(t, a, sam, auth, "sam's phone")

	// Pat's key answering with Sam's user handle: the handle must be the passkey's owner's.
	forged := *patSoft
	forged.UserHandle = samSoft.UserHandle
	_, _, err := signIn(t, a, auth, &forged)
	wantCode(t, err, domain.CodeUnauthenticated, "a passkey answering for another person")
	// A key Herald never registered.
	stranger := *patSoft
	stranger.ID = []byte("never-registered-credential-id")
	_, _, err = signIn(t, a, auth, &stranger)
	wantCode(t, err, domain.CodeUnauthenticated, "an unknown passkey")

	// Sam cannot see, rename or delete Pat's passkey.
	ks, err := a.Passkeys.List(a.Ctx, sam.session.User.ID)
	if err != nil || len(ks) != 1 || ks[0].ID == patKey.ID {
		t.Fatalf("Sam's list = %+v, %v", ks, err)
	}
	wantCode(t, a.Passkeys.Rename(a.Ctx, sam.session.User.ID, patKey.ID, "mine", ""), domain.CodeNotFound, "renaming another's passkey")
	wantCode(t, a.Passkeys.Delete(a.Ctx, sam.session.User.ID, patKey.ID, ""), domain.CodeNotFound, "deleting another's passkey")
	wantCode(t, a.Passkeys.Delete(a.Ctx, sam.session.User.ID, "not-a-uuid", ""), domain.CodeNotFound, "deleting a malformed id")
	// Registering with Pat's ceremony as Sam does not work either.
	c, err := a.Passkeys.BeginRegistration(a.Ctx, pat.session, "")
	if err != nil {
		t.Fatal(err)
	}
	resp, _, err := auth.Create(c.Options)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Passkeys.FinishRegistration(a.Ctx, sam.session, c.ID, "x", resp, "")
	wantCode(t, err, domain.CodeInvalid, "finishing another person's registration")

	// Pat renames and deletes their own; both are audited, and the passkey no longer signs in.
	if err := a.Passkeys.Rename(a.Ctx, pat.session.User.ID, patKey.ID, "old phone", ""); err != nil {
		t.Fatal(err)
	}
	if err := a.Passkeys.Delete(a.Ctx, pat.session.User.ID, patKey.ID, ""); err != nil {
		t.Fatal(err)
	}
	if n := a.Count(t, `SELECT count(*) FROM audit_log WHERE action IN ('passkey.renamed', 'passkey.deleted') AND actor_id = $1`, pat.session.User.ID); n != 2 {
		t.Fatalf("%d rename/delete audit entries, want 2", n)
	}
	_, _, err = signIn(t, a, auth, patSoft)
	wantCode(t, err, domain.CodeUnauthenticated, "a deleted passkey")
}

func TestPasskeys_RegistrationNeedsARecentSignInOrThePassword(t *testing.T) {
	t.Parallel()
	a := apptest.New(t)
	pat := registerPerson(t, a, "pat@example.com")
	a.Clock.Advance(app.RecentSignIn + time.Minute)
	_, err := a.Passkeys.BeginRegistration(a.Ctx, pat.session, "")
	wantCode(t, err, domain.CodeInvalid, "no password long after signing in")
	if f := domain.FieldsOf(err); f["password"] == "" {
		t.Fatalf("fields = %v, want password", f)
	}
	_, err = a.Passkeys.BeginRegistration(a.Ctx, pat.session, "not my password at all")
	wantCode(t, err, domain.CodeInvalid, "a wrong password")
	c, err := a.Passkeys.BeginRegistration(a.Ctx, pat.session, "correct horse battery")
	if err != nil {
		t.Fatalf("with the password: %v", err)
	}
	// A ceremony finished after its lifetime is refused.
	resp, _, err := apptest.NewAuthenticator().Create(c.Options)
	if err != nil {
		t.Fatal(err)
	}
	a.Clock.Advance(domain.PasskeyCeremonyLifetime + time.Second)
	_, err = a.Passkeys.FinishRegistration(a.Ctx, pat.session, c.ID, "late", resp, "")
	wantCode(t, err, domain.CodeInvalid, "an expired registration ceremony")
	// An answer that is not a credential at all is a 422, not a fault.
	c, err = a.Passkeys.BeginRegistration(a.Ctx, pat.session, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Passkeys.FinishRegistration(a.Ctx, pat.session, c.ID, "junk", []byte(`{"id": 5}`), "")
	wantCode(t, err, domain.CodeInvalid, "an unreadable answer")
}
